"""LightningModules: the supervised system and the named module of each architecture."""

from litzoo.modules.cnn import CNN
from litzoo.modules.mlp import MLP, Perceptron
from litzoo.modules.recurrent import GRU, LSTM, RNN
from litzoo.modules.supervised import SupervisedSystem

__all__ = ["CNN", "GRU", "LSTM", "MLP", "RNN", "Perceptron", "SupervisedSystem"]
