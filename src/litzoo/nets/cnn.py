"""A small VGG-style convolutional network for images."""

import math
from collections.abc import Sequence

import torch
from torch import nn

from litzoo.nets.layers import make_activation


class ConvNet(nn.Module):
    """``[conv3x3 -> BN -> act -> maxpool2]`` per channel width, then an MLP head.

    Args:
        in_channels: channels of the input image.
        image_size: ``(H, W)`` of the input image.
        out_features: number of outputs.
        channels: output channels of each conv block; each block halves H and W.
        hidden: width of the fully connected layer before the output.
        activation: name of the non-linearity.
        dropout: dropout before each fully connected layer.

    Shape:
        ``(B, in_channels, H, W)`` -> ``(B, out_features)``.
    """

    def __init__(
        self,
        in_channels: int,
        image_size: tuple[int, int],
        out_features: int,
        channels: Sequence[int] = (32, 64),
        hidden: int = 128,
        activation: str = "relu",
        dropout: float = 0.25,
    ) -> None:
        super().__init__()
        blocks: list[nn.Module] = []
        width = in_channels
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
            raise ValueError(f"{len(channels)} pooling blocks shrink a {image_size} image to nothing")
        self.head = nn.Sequential(
            nn.Flatten(),
            nn.Dropout(dropout),
            nn.Linear(width * h * w, hidden),
            make_activation(activation),
            nn.Dropout(dropout),
            nn.Linear(hidden, out_features),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))
