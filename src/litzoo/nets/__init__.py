"""Plain ``nn.Module`` networks: tensors in, tensors out, no training logic.

A net for ``SupervisedSystem`` takes ``(input_shape, num_outputs)`` first: the system
fills them in from the data, and every other argument is the net's config.
"""

from litzoo.nets.autoencoder import ConvAutoencoder, MLPAutoencoder
from litzoo.nets.cnn import ConvNet
from litzoo.nets.gan import Discriminator, Generator
from litzoo.nets.mlp import MLP
from litzoo.nets.recurrent import RecurrentNet
from litzoo.nets.transformer import TransformerNet

__all__ = [
    "MLP",
    "ConvAutoencoder",
    "ConvNet",
    "Discriminator",
    "Generator",
    "MLPAutoencoder",
    "RecurrentNet",
    "TransformerNet",
]
