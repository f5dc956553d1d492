"""Generator and discriminator of a fully connected GAN (Goodfellow et al., 2014)."""

import math
from collections.abc import Sequence

import torch
from torch import nn

from litzoo.errors import ConfigError
from litzoo.nets.layers import check_input


def _check_image(net: str, image_shape: tuple[int, ...]) -> None:
    if len(image_shape) != 3:
        raise ConfigError(
            f"the GAN's {net} works on images (C, H, W), but the data gives {tuple(image_shape)}; "
            "use DATA=mnist_pixels"
        )


class Generator(nn.Module):
    """Noise to image: ``Linear -> BN -> LeakyReLU`` blocks, then a sigmoid to pixels in [0, 1].

    Args:
        latent_dim: size of the noise vector.
        image_shape: ``(C, H, W)`` of the images to draw.
        hidden: layer widths.

    Shape:
        ``(B, latent_dim)`` -> ``(B, *image_shape)``.
    """

    def __init__(
        self, latent_dim: int, image_shape: tuple[int, ...], hidden: Sequence[int] = (256, 512, 1024)
    ) -> None:
        super().__init__()
        _check_image("generator", image_shape)
        self.latent_dim, self.image_shape = latent_dim, tuple(image_shape)
        layers: list[nn.Module] = []
        width = latent_dim
        for size in hidden:
            layers += [nn.Linear(width, size), nn.BatchNorm1d(size), nn.LeakyReLU(0.2)]
            width = size
        layers += [nn.Linear(width, math.prod(image_shape)), nn.Sigmoid()]
        self.layers = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        check_input(self, z, (self.latent_dim,))
        return self.layers(z).view(-1, *self.image_shape)


class Discriminator(nn.Module):
    """Image to one real-vs-fake logit: ``Linear -> LeakyReLU -> Dropout`` blocks.

    Args:
        image_shape: ``(C, H, W)`` of the images to judge.
        hidden: layer widths.
        dropout: dropout after each hidden layer.

    Shape:
        ``(B, *image_shape)`` -> ``(B,)``.
    """

    def __init__(
        self, image_shape: tuple[int, ...], hidden: Sequence[int] = (512, 256), dropout: float = 0.3
    ) -> None:
        super().__init__()
        _check_image("discriminator", image_shape)
        self.image_shape = tuple(image_shape)
        layers: list[nn.Module] = [nn.Flatten()]
        width = math.prod(image_shape)
        for size in hidden:
            layers += [nn.Linear(width, size), nn.LeakyReLU(0.2), nn.Dropout(dropout)]
            width = size
        layers.append(nn.Linear(width, 1))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(self, x, self.image_shape)
        return self.layers(x).squeeze(-1)
