"""One recurrent network for the three classic cells: Elman RNN, LSTM and GRU."""

from typing import Literal

import torch
from torch import nn

from litzoo.errors import ConfigError
from litzoo.nets.layers import check_input

Cell = Literal["rnn", "lstm", "gru"]
_CELLS: dict[str, type[nn.RNNBase]] = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


class RecurrentNet(nn.Module):
    """A stacked recurrent encoder whose final hidden state feeds a linear head.

    The last input axis holds the features and every axis before it is time, so an
    MNIST image ``(1, 28, 28)`` is read as 28 steps of 28 pixels.

    Args:
        input_shape: ``(*T, F)`` of one sample: time steps, then features per step.
        num_outputs: outputs (classes or regression targets).
        cell: ``rnn`` (tanh Elman), ``lstm`` or ``gru``.
        hidden_size: width of the recurrent state.
        num_layers: stacked recurrent layers.
        dropout: dropout between stacked layers (ignored for one layer).
        bidirectional: also read the sequence backwards.

    Shape:
        ``(B, *T, F)`` -> ``(B, num_outputs)``.
    """

    def __init__(
        self,
        input_shape: tuple[int, ...],
        num_outputs: int,
        cell: Cell = "lstm",
        hidden_size: int = 128,
        num_layers: int = 1,
        dropout: float = 0.0,
        bidirectional: bool = False,
    ) -> None:
        super().__init__()
        if len(input_shape) < 2:
            raise ConfigError(f"a recurrent net reads sequences (steps, features), got samples {input_shape}")
        self.input_shape = tuple(input_shape)
        self.rnn = _CELLS[cell](
            input_shape[-1],
            hidden_size,
            num_layers=num_layers,
            dropout=dropout if num_layers > 1 else 0.0,
            bidirectional=bidirectional,
            batch_first=True,
        )
        self.head = nn.Linear(hidden_size * (2 if bidirectional else 1), num_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(self, x, self.input_shape)
        x = x.flatten(1, -2) if x.dim() > 3 else x
        _, state = self.rnn(x)
        h = state[0] if isinstance(state, tuple) else state  # LSTM returns (h, c)
        directions = 2 if self.rnn.bidirectional else 1
        last = h[-directions:].transpose(0, 1).flatten(1)  # top layer, all directions
        return self.head(last)
