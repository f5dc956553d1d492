"""LightningModules: the systems (how to train) and the named module of each architecture."""

from litzoo.modules.autoencoder import Autoencoder
from litzoo.modules.cnn import CNN
from litzoo.modules.gan import GAN
from litzoo.modules.mlp import MLP, DeepMLP, Perceptron
from litzoo.modules.recurrent import GRU, LSTM, RNN
from litzoo.modules.supervised import SupervisedSystem
from litzoo.modules.transformer import Transformer

__all__ = [
    "CNN",
    "GAN",
    "GRU",
    "Autoencoder",
    "LSTM",
    "MLP",
    "RNN",
    "DeepMLP",
    "Perceptron",
    "SupervisedSystem",
    "Transformer",
]
