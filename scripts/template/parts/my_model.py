"""Your model here: replace MyModel with your architecture, keeping its first two arguments."""

import math

import torch
from torch import nn


class MyModel(nn.Module):
    """A placeholder to replace: flatten, one hidden layer, a linear head.

    The system fills in ``input_shape`` and ``num_outputs`` from the data; every other argument
    is typed, documented and defaulted: that makes it the net's config
    (``--model.net.<name>=...``; ``--model.net.help`` lists them).

    Args:
        input_shape: shape of one sample, filled in from the data.
        num_outputs: outputs (classes or regression targets), filled in from the data.
        hidden: width of the hidden layer.

    Shape:
        ``(B, *input_shape)`` -> ``(B, num_outputs)``.
    """

    def __init__(self, input_shape: tuple[int, ...], num_outputs: int, hidden: int = 64) -> None:
        super().__init__()
        self.layers = nn.Sequential(
            nn.Flatten(),
            nn.Linear(math.prod(input_shape), hidden),
            nn.ReLU(),
            nn.Linear(hidden, num_outputs),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)
