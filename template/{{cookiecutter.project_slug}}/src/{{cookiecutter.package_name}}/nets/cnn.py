"""A small VGG-style convolutional network for images."""

import math
from collections.abc import Sequence

import torch
from torch import nn

from litzoo.errors import ConfigError
from litzoo.nets.layers import Activation, check_input, make_activation


class ConvNet(nn.Module):
    """``[conv3x3 -> BN -> act -> maxpool2]`` per channel width, then a two-layer head.

    Args:
        input_shape: ``(C, H, W)`` of one image.
        num_outputs: outputs (classes or regression targets).
        channels: output channels of each conv block; each block halves H and W.
        hidden: width of the fully connected layer before the output.
        activation: non-linearity.
        dropout: dropout before each fully connected layer.

    Shape:
        ``(B, C, H, W)`` -> ``(B, num_outputs)``.
    """

    def __init__(
        self,
        input_shape: tuple[int, ...],
        num_outputs: int,
        channels: Sequence[int] = (32, 64),
        hidden: int = 128,
        activation: Activation = "relu",
        dropout: float = 0.25,
    ) -> None:
        super().__init__()
        if len(input_shape) != 3:
            raise ConfigError(
                f"ConvNet needs image data shaped (channels, height, width), but the data gives "
                f"samples shaped {tuple(input_shape)}; use image data such as DATA=mnist"
            )
        self.input_shape = tuple(input_shape)
        width, *image_size = self.input_shape
        blocks: list[nn.Module] = []
        for out in channels:
            blocks += [
                nn.Conv2d(width, out, kernel_size=3, padding=1, bias=False),
                nn.BatchNorm2d(out),
                make_activation(activation),
                nn.MaxPool2d(2),
            ]
            width = out
        self.features = nn.Sequential(*blocks)
        h, w = (math.floor(s / 2 ** len(channels)) for s in image_size)
        if h < 1 or w < 1:
            raise ConfigError(f"{len(channels)} pooling blocks shrink a {tuple(image_size)} image to nothing")
        self.head = nn.Sequential(
            nn.Flatten(),
            nn.Dropout(dropout),
            nn.Linear(width * h * w, hidden),
            make_activation(activation),
            nn.Dropout(dropout),
            nn.Linear(hidden, num_outputs),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(self, x, self.input_shape)
        return self.head(self.features(x))
