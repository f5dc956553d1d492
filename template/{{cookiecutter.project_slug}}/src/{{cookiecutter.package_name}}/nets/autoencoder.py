"""Autoencoders: an encoder to a latent vector and a decoder back to the input's shape."""

import math
from collections.abc import Sequence

import torch
from torch import nn

from litzoo.errors import ConfigError
from litzoo.nets.layers import check_input

from .mlp import MLP


def _check_reconstructs(net: str, input_shape: tuple[int, ...], num_outputs: int) -> None:
    """An autoencoder's outputs are its inputs: the system must ask for a reconstruction."""
    if num_outputs != math.prod(input_shape):
        raise ConfigError(
            f"{net} reproduces its input {tuple(input_shape)}, but the system asks for {num_outputs} "
            "outputs; train it with reconstruct: true"
        )


class MLPAutoencoder(nn.Module):
    """Fully connected encoder to ``latent_dim`` numbers and a mirrored decoder.

    Args:
        input_shape: shape of one sample.
        num_outputs: must be ``prod(input_shape)``: the reconstruction's size.
        latent_dim: size of the code.
        hidden: encoder hidden widths; the decoder uses them in reverse.

    Shape:
        ``(B, *input_shape)`` -> ``(B, *input_shape)``; ``encode``: -> ``(B, latent_dim)``.
    """

    def __init__(
        self,
        input_shape: tuple[int, ...],
        num_outputs: int,
        latent_dim: int = 32,
        hidden: Sequence[int] = (512, 256),
    ) -> None:
        super().__init__()
        _check_reconstructs(type(self).__name__, input_shape, num_outputs)
        self.input_shape = tuple(input_shape)
        self.encoder = MLP(self.input_shape, latent_dim, hidden, dropout=0.0)
        self.decoder = MLP((latent_dim,), num_outputs, list(reversed(hidden)), dropout=0.0)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encode(x)).view(-1, *self.input_shape)


class ConvAutoencoder(nn.Module):
    """Strided-conv encoder and transposed-conv decoder for images whose sides divide by 4.

    Args:
        input_shape: ``(C, H, W)``.
        num_outputs: must be ``C * H * W``: the reconstruction's size.
        latent_dim: size of the code.
        channels: channels of the two stride-2 stages.

    Shape:
        ``(B, C, H, W)`` -> ``(B, C, H, W)``; ``encode``: -> ``(B, latent_dim)``.
    """

    def __init__(
        self,
        input_shape: tuple[int, ...],
        num_outputs: int,
        latent_dim: int = 32,
        channels: Sequence[int] = (32, 64),
    ) -> None:
        super().__init__()
        if len(input_shape) != 3 or input_shape[1] % 4 or input_shape[2] % 4:
            raise ConfigError(
                f"ConvAutoencoder needs images (C, H, W) with H and W divisible by 4, got samples "
                f"shaped {tuple(input_shape)}; use MLPAutoencoder or DATA=mnist"
            )
        _check_reconstructs(type(self).__name__, input_shape, num_outputs)
        self.input_shape = tuple(input_shape)
        c, h, w = input_shape
        c1, c2 = channels
        grid = (c2, h // 4, w // 4)
        self.encoder = nn.Sequential(
            nn.Conv2d(c, c1, 4, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(c1, c2, 4, stride=2, padding=1), nn.ReLU(),
            nn.Flatten(), nn.Linear(math.prod(grid), latent_dim),
        )  # fmt: skip
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, math.prod(grid)), nn.ReLU(), nn.Unflatten(1, grid),
            nn.ConvTranspose2d(c2, c1, 4, stride=2, padding=1), nn.ReLU(),
            nn.ConvTranspose2d(c1, c, 4, stride=2, padding=1),
        )  # fmt: skip

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        check_input(self, x, self.input_shape)
        return self.encoder(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encode(x))
