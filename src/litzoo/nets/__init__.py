"""Plain ``nn.Module`` networks: tensors in, tensors out, no training logic."""

from litzoo.nets.cnn import ConvNet
from litzoo.nets.layers import ACTIVATIONS, make_activation
from litzoo.nets.mlp import MLP
from litzoo.nets.recurrent import RecurrentNet

__all__ = ["ACTIVATIONS", "MLP", "ConvNet", "RecurrentNet", "make_activation"]
