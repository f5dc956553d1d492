"""Weight initialisation schemes chosen by name."""

from typing import Literal

from torch import nn

WeightInit = Literal["default", "xavier", "kaiming", "normal"]


def init_weights(module: nn.Module, scheme: str = "default") -> None:
    """Re-initialise every weight matrix and kernel of ``module``; biases become zero.

    ``default`` keeps PyTorch's own initialisation. Normalisation layers are left alone.
    """
    if scheme == "default":
        return
    for name, param in module.named_parameters():
        if name.rsplit(".", 1)[-1].startswith("bias"):
            nn.init.zeros_(param)
        elif param.dim() < 2:
            continue  # norm scales
        elif scheme == "xavier":
            nn.init.xavier_uniform_(param)
        elif scheme == "kaiming":
            nn.init.kaiming_normal_(param, nonlinearity="relu")
        elif scheme == "normal":
            nn.init.normal_(param, std=0.02)
        else:
            raise ValueError(f"unknown weight init {scheme!r}")
