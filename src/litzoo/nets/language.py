"""Language models: token ids in, next-token logits at every position out."""

import torch
from torch import nn

from litzoo.errors import ConfigError
from litzoo.nets.recurrent import _CELLS, Cell
from litzoo.nets.transformer import Positional, sinusoidal_positions


def check_tokens(net: nn.Module, x: torch.Tensor, block_size: int) -> None:
    """Refuse anything but a batch of token-id sequences no longer than the context ``(B, T<=block)``."""
    if x.dim() != 2 or x.dtype != torch.long or not 1 <= x.shape[1] <= block_size:
        raise ValueError(
            f"{type(net).__name__} reads int64 token ids (B, T) with T <= {block_size}, "
            f"got a {x.dtype} batch shaped {tuple(x.shape)}"
        )


def _context(input_shape: tuple[int, ...], name: str) -> int:
    if len(input_shape) != 1:
        raise ConfigError(f"{name} reads token sequences (block_size,), got samples {tuple(input_shape)}")
    return int(input_shape[0])


class CausalTransformer(nn.Module):
    """A decoder-only Transformer (GPT): token and position embeddings, causal pre-norm layers.

    Args:
        input_shape: ``(block_size,)``: the longest context it reads.
        num_outputs: the vocabulary size (its tokens are read and predicted).
        d_model: width of the token vectors.
        nhead: attention heads (must divide ``d_model``).
        num_layers: decoder layers.
        dim_feedforward: width of each feed-forward block (None: ``4 * d_model``, as GPT).
        dropout: dropout on embeddings and inside the layers.
        positional: ``learned`` position vectors (GPT) or fixed ``sinusoidal`` ones.
        tie_weights: the output layer shares the token embedding's weights (fewer parameters).

    Shape:
        ``(B, T)`` int64, ``T <= block_size`` -> ``(B, T, num_outputs)`` logits.
    """

    def __init__(
        self,
        input_shape: tuple[int, ...],
        num_outputs: int,
        d_model: int = 128,
        nhead: int = 4,
        num_layers: int = 4,
        dim_feedforward: int | None = None,
        dropout: float = 0.0,
        positional: Positional = "learned",
        tie_weights: bool = True,
    ) -> None:
        super().__init__()
        if d_model % nhead:
            raise ConfigError(f"d_model={d_model} is not divisible by nhead={nhead}")
        self.block_size = _context(input_shape, type(self).__name__)
        self.tokens = nn.Embedding(num_outputs, d_model)
        # GPT-2's small initial embeddings: tied to the output layer, unit-variance ones would start
        # the loss far above ln(vocabulary).
        nn.init.normal_(self.tokens.weight, std=0.02)
        if positional == "learned":
            self.positions = nn.Parameter(torch.randn(1, self.block_size, d_model) * 0.02)
        else:
            table = sinusoidal_positions(self.block_size, d_model).unsqueeze(0)
            self.register_buffer("positions", table, persistent=False)
        self.drop = nn.Dropout(dropout)
        layer = nn.TransformerEncoderLayer(
            d_model, nhead, dim_feedforward or 4 * d_model, dropout, "gelu", batch_first=True, norm_first=True
        )
        self.layers = nn.TransformerEncoder(layer, num_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, num_outputs, bias=False)
        if tie_weights:
            self.head.weight = self.tokens.weight
        # A position attends only to itself and the positions before it.
        mask = torch.triu(torch.full((self.block_size, self.block_size), float("-inf")), diagonal=1)
        self.register_buffer("mask", mask, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_tokens(self, x, self.block_size)
        steps = x.shape[1]
        h = self.drop(self.tokens(x) + self.positions[:, :steps])
        h = self.layers(h, mask=self.mask[:steps, :steps], is_causal=True)
        return self.head(self.norm(h))


class RecurrentLM(nn.Module):
    """A stacked RNN, LSTM or GRU over token embeddings, predicting the next token at every step.

    Args:
        input_shape: ``(block_size,)``: the context it is trained on (it reads any length up to it).
        num_outputs: the vocabulary size.
        cell: ``rnn`` (tanh Elman), ``lstm`` or ``gru``.
        embedding_dim: width of the token vectors.
        hidden_size: width of the recurrent state.
        num_layers: stacked recurrent layers.
        dropout: dropout between stacked layers and before the output layer.

    Shape:
        ``(B, T)`` int64, ``T <= block_size`` -> ``(B, T, num_outputs)`` logits.
    """

    def __init__(
        self,
        input_shape: tuple[int, ...],
        num_outputs: int,
        cell: Cell = "lstm",
        embedding_dim: int = 64,
        hidden_size: int = 256,
        num_layers: int = 2,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.block_size = _context(input_shape, type(self).__name__)
        self.tokens = nn.Embedding(num_outputs, embedding_dim)
        self.rnn = _CELLS[cell](
            embedding_dim,
            hidden_size,
            num_layers,
            batch_first=True,
            dropout=dropout if num_layers > 1 else 0.0,
        )
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_size, num_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_tokens(self, x, self.block_size)
        h, _ = self.rnn(self.tokens(x))
        return self.head(self.drop(h))
