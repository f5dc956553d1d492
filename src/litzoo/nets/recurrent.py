"""One recurrent network for the three classic cells: Elman RNN, LSTM and GRU."""

from typing import Literal

import torch
from torch import nn

Cell = Literal["rnn", "lstm", "gru"]
_CELLS: dict[str, type[nn.RNNBase]] = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


class RecurrentNet(nn.Module):
    """A stacked recurrent encoder whose final hidden state feeds a linear head.

    The last input axis is the feature axis and every axis before it is time, so an
    MNIST image ``(1, 28, 28)`` is read as 28 steps of 28 pixels.

    Args:
        cell: ``"rnn"`` (tanh Elman), ``"lstm"`` or ``"gru"``.
        input_size: features per time step.
        out_features: number of outputs.
        hidden_size: width of the recurrent state.
        num_layers: stacked recurrent layers.
        dropout: dropout between stacked layers (ignored for one layer).
        bidirectional: also read the sequence backwards.

    Shape:
        ``(B, *T, input_size)`` -> ``(B, out_features)``.
    """

    def __init__(
        self,
        cell: Cell,
        input_size: int,
        out_features: int,
        hidden_size: int = 128,
        num_layers: int = 1,
        dropout: float = 0.0,
        bidirectional: bool = False,
    ) -> None:
        super().__init__()
        self.rnn = _CELLS[cell](
            input_size,
            hidden_size,
            num_layers=num_layers,
            dropout=dropout if num_layers > 1 else 0.0,
            bidirectional=bidirectional,
            batch_first=True,
        )
        self.head = nn.Linear(hidden_size * (2 if bidirectional else 1), out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.flatten(1, -2) if x.dim() > 3 else x
        _, state = self.rnn(x)
        h = state[0] if isinstance(state, tuple) else state  # LSTM returns (h, c)
        directions = 2 if self.rnn.bidirectional else 1
        last = h[-directions:].transpose(0, 1).flatten(1)  # top layer, all directions
        return self.head(last)
