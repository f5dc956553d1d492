"""Multilayer perceptron; with no hidden layers it is the classic perceptron."""

from collections.abc import Sequence

import torch
from torch import nn

from litzoo.nets.layers import make_activation


class MLP(nn.Module):
    """Flatten, then ``Linear -> [BatchNorm] -> activation -> dropout`` per hidden size, then a head.

    Args:
        in_features: size of one flattened input sample.
        out_features: number of outputs (classes or regression targets).
        hidden: hidden layer sizes; empty gives a single linear layer.
        activation: name of the non-linearity between layers.
        dropout: dropout probability after each hidden layer.
        batch_norm: batch-normalise each hidden layer before its activation.

    Shape:
        ``(B, *)`` with ``prod(*) == in_features`` -> ``(B, out_features)``.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        hidden: Sequence[int] = (),
        activation: str = "relu",
        dropout: float = 0.0,
        batch_norm: bool = False,
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Flatten()]
        width = in_features
        for size in hidden:
            layers.append(nn.Linear(width, size, bias=not batch_norm))
            layers += [nn.BatchNorm1d(size)] if batch_norm else []
            layers += [make_activation(activation), nn.Dropout(dropout)]
            width = size
        layers.append(nn.Linear(width, out_features))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)
