"""Autoencoders: an encoder to a latent vector and a decoder back to the input's shape."""

import math
from collections.abc import Sequence

import torch
from torch import nn

from litzoo.nets.mlp import MLP


class MLPAutoencoder(nn.Module):
    """Fully connected encoder and mirrored decoder.

    Args:
        input_shape: shape of one sample.
        latent_dim: size of the code.
        hidden: encoder hidden sizes; the decoder uses them in reverse.

    Shape:
        ``(B, *input_shape)`` -> ``(B, *input_shape)``; ``encode``: -> ``(B, latent_dim)``.
    """

    def __init__(
        self, input_shape: Sequence[int], latent_dim: int, hidden: Sequence[int] = (512, 256)
    ) -> None:
        super().__init__()
        self.input_shape = tuple(input_shape)
        size = math.prod(input_shape)
        self.encoder = MLP(size, latent_dim, hidden)
        self.decoder = MLP(latent_dim, size, list(reversed(hidden)))

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z).view(-1, *self.input_shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))


class ConvAutoencoder(nn.Module):
    """Strided-conv encoder and transposed-conv decoder for images whose sides divide by 4.

    Args:
        input_shape: ``(C, H, W)``.
        latent_dim: size of the code.
        channels: channels of the two stride-2 stages.

    Shape:
        ``(B, C, H, W)`` -> ``(B, C, H, W)``; ``encode``: -> ``(B, latent_dim)``.
    """

    def __init__(
        self, input_shape: Sequence[int], latent_dim: int, channels: Sequence[int] = (32, 64)
    ) -> None:
        super().__init__()
        c, h, w = input_shape
        c1, c2 = channels
        self.grid = (c2, h // 4, w // 4)
        flat = math.prod(self.grid)
        self.encoder = nn.Sequential(
            nn.Conv2d(c, c1, 4, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(c1, c2, 4, stride=2, padding=1), nn.ReLU(),
            nn.Flatten(), nn.Linear(flat, latent_dim),
        )  # fmt: skip
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, flat), nn.ReLU(), nn.Unflatten(1, self.grid),
            nn.ConvTranspose2d(c2, c1, 4, stride=2, padding=1), nn.ReLU(),
            nn.ConvTranspose2d(c1, c, 4, stride=2, padding=1),
        )  # fmt: skip

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))
