"""A Transformer encoder that reads a sequence and summarises it into one output vector."""

import math
from typing import Literal

import torch
from torch import nn

from litzoo.errors import ConfigError
from litzoo.nets.layers import check_input

Pooling = Literal["mean", "cls", "last"]
Positional = Literal["sinusoidal", "learned"]


def sinusoidal_positions(length: int, dim: int) -> torch.Tensor:
    """The fixed encodings of Vaswani et al. (2017), shape ``(length, dim)``."""
    position = torch.arange(length).unsqueeze(1)
    freq = torch.exp(torch.arange(0, dim, 2) * (-math.log(10000.0) / dim))
    table = torch.zeros(length, dim)
    table[:, 0::2] = torch.sin(position * freq)
    table[:, 1::2] = torch.cos(position * freq)[:, : dim // 2]
    return table


class TransformerNet(nn.Module):
    """Linear embedding, positional encoding, pre-norm encoder layers, pooling, linear head.

    As with the recurrent net, the last input axis holds the features and the axes
    before it are time (an MNIST image is 28 steps of 28 pixels).

    Args:
        input_shape: ``(*T, F)`` of one sample: time steps, then features per step.
        num_outputs: outputs (classes or regression targets).
        d_model: width of the token vectors.
        nhead: attention heads (must divide ``d_model``).
        num_layers: encoder layers.
        dim_feedforward: width of each layer's feed-forward block.
        dropout: dropout inside the encoder.
        pooling: ``mean`` over steps, a learned ``cls`` token, or the ``last`` step.
        positional: fixed ``sinusoidal`` or ``learned`` position vectors.

    Shape:
        ``(B, *T, F)`` -> ``(B, num_outputs)``.
    """

    def __init__(
        self,
        input_shape: tuple[int, ...],
        num_outputs: int,
        d_model: int = 64,
        nhead: int = 4,
        num_layers: int = 2,
        dim_feedforward: int = 128,
        dropout: float = 0.1,
        pooling: Pooling = "mean",
        positional: Positional = "sinusoidal",
    ) -> None:
        super().__init__()
        if len(input_shape) < 2:
            raise ConfigError(f"a Transformer reads sequences (steps, features), got samples {input_shape}")
        if d_model % nhead:
            raise ConfigError(f"d_model={d_model} is not divisible by nhead={nhead}")
        self.input_shape, self.pooling = tuple(input_shape), pooling
        self.embed = nn.Linear(input_shape[-1], d_model)
        self.cls = nn.Parameter(torch.zeros(1, 1, d_model)) if pooling == "cls" else None
        length = math.prod(input_shape[:-1]) + (pooling == "cls")
        if positional == "learned":
            self.positions = nn.Parameter(torch.randn(1, length, d_model) * 0.02)
        else:
            self.register_buffer(
                "positions", sinusoidal_positions(length, d_model).unsqueeze(0), persistent=False
            )
        layer = nn.TransformerEncoderLayer(
            d_model, nhead, dim_feedforward, dropout, batch_first=True, norm_first=True
        )
        self.encoder = nn.TransformerEncoder(layer, num_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, num_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(self, x, self.input_shape)
        x = x.flatten(1, -2) if x.dim() > 3 else x
        h = self.embed(x)
        if self.cls is not None:
            h = torch.cat([self.cls.expand(len(h), -1, -1), h], dim=1)
        h = self.encoder(h + self.positions[:, : h.shape[1]])
        if self.pooling == "mean":
            pooled = h.mean(dim=1)
        elif self.pooling == "cls":
            pooled = h[:, 0]
        else:
            pooled = h[:, -1]
        return self.head(self.norm(pooled))
