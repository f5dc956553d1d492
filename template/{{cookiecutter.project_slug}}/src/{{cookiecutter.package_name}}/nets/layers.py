"""Small building blocks shared by the nets."""

from typing import Literal

import torch
from torch import nn

Activation = Literal["relu", "leaky_relu", "sigmoid", "tanh", "gelu"]

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "gelu": nn.GELU,
}


def make_activation(name: str) -> nn.Module:
    """Return a fresh activation module by name (see ``ACTIVATIONS``)."""
    try:
        return ACTIVATIONS[name]()
    except KeyError:
        raise ValueError(f"unknown activation {name!r}; choose one of {sorted(ACTIVATIONS)}") from None


def check_input(net: nn.Module, x: torch.Tensor, shape: tuple[int, ...]) -> None:
    """Raise when ``x`` is not a batch of samples shaped ``shape``: ``(B, *shape)``.

    A wrong shape would otherwise surface as a matrix-size error deep inside a layer.
    """
    if x.shape[1:] != shape:
        raise ValueError(
            f"{type(net).__name__} was built for samples shaped {shape}, got a batch shaped {tuple(x.shape)}"
        )
