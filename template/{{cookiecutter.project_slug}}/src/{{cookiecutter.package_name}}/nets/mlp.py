"""Multilayer perceptron; with no hidden layers it is the classic perceptron."""

import math
from collections.abc import Sequence

import torch
from torch import nn

from litzoo.nets.layers import Activation, check_input, make_activation


class MLP(nn.Module):
    """Flatten, then ``Linear -> [BatchNorm] -> activation -> dropout`` per hidden width, then a head.

    ``hidden: []`` is the perceptron (softmax regression for classes); four batch-normalised
    layers with Kaiming initialisation make the deep MLP. Those are configs, not classes.

    Args:
        input_shape: shape of one sample; it is flattened.
        num_outputs: outputs (classes or regression targets).
        hidden: hidden layer widths, any number of them.
        activation: non-linearity between layers.
        dropout: dropout probability after each hidden layer.
        batch_norm: batch-normalise each hidden layer before its activation.

    Shape:
        ``(B, *input_shape)`` -> ``(B, num_outputs)``.
    """

    def __init__(
        self,
        input_shape: tuple[int, ...],
        num_outputs: int,
        hidden: Sequence[int] = (800, 800),
        activation: Activation = "relu",
        dropout: float = 0.2,
        batch_norm: bool = False,
    ) -> None:
        super().__init__()
        self.input_shape = tuple(input_shape)
        layers: list[nn.Module] = [nn.Flatten()]
        width = math.prod(self.input_shape)
        for size in hidden:
            layers.append(nn.Linear(width, size, bias=not batch_norm))
            layers += [nn.BatchNorm1d(size)] if batch_norm else []
            layers += [make_activation(activation), nn.Dropout(dropout)]
            width = size
        layers.append(nn.Linear(width, num_outputs))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(self, x, self.input_shape)
        return self.layers(x)
