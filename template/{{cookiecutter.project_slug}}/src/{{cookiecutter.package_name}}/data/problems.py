"""Synthetic sequence problems with known answers, generated from a seed.

Each problem maps ``(n, seq_len, generator)`` to inputs ``(n, seq_len, features)`` and
targets: float ``(n,)`` for regression, int64 ``(n,)`` class labels for classification.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class SequenceProblem:
    """A generator plus the facts a model is built from."""

    generate: Callable[[int, int, torch.Generator], tuple[torch.Tensor, torch.Tensor]]
    task: str
    num_outputs: int
    features: int
    min_len: int = 1


def adding(n: int, seq_len: int, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Adding problem (Hochreiter & Schmidhuber, 1997): sum the two marked values.

    Channel 0 holds uniform values, channel 1 marks one position in each half of the
    sequence. Always predicting 1.0 gives MSE 1/6 ≈ 0.167: the baseline to beat.
    """
    values = torch.rand(n, seq_len, generator=g)
    half = seq_len // 2
    first = torch.randint(0, half, (n,), generator=g)
    second = torch.randint(half, seq_len, (n,), generator=g)
    rows = torch.arange(n)
    markers = torch.zeros(n, seq_len)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    target = values[rows, first] + values[rows, second]
    return torch.stack([values, markers], dim=-1), target


_SYMBOLS = 6  # four distractors a-d, then X and Y


def temporal_order(n: int, seq_len: int, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Temporal order (Hochreiter & Schmidhuber, 1997): classify the order of X and Y.

    Random distractor symbols, with X or Y placed once early (10-20% of the way in) and
    once in the middle (50-60%). The class (XX, XY, YX, YY) depends on both, far apart.
    Inputs are one-hot over six symbols; chance accuracy is 25%.
    """
    symbols = torch.randint(0, 4, (n, seq_len), generator=g)
    first = torch.randint(seq_len // 10, 2 * seq_len // 10, (n,), generator=g)
    second = torch.randint(5 * seq_len // 10, 6 * seq_len // 10, (n,), generator=g)
    a = torch.randint(0, 2, (n,), generator=g)
    b = torch.randint(0, 2, (n,), generator=g)
    rows = torch.arange(n)
    symbols[rows, first] = 4 + a
    symbols[rows, second] = 4 + b
    x = torch.nn.functional.one_hot(symbols, _SYMBOLS).float()
    return x, 2 * a + b


def forecast(n: int, seq_len: int, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Noisy sines: predict the next clean value of a sine seen through noise.

    Each sequence has its own amplitude (0.5-1.5), period (8-40 steps) and phase, plus
    Gaussian noise of std 0.1. Repeating the last noisy value scores an MSE of about 0.074
    (the targets' variance is about 0.54); a model that infers the sine does far better.
    """
    amplitude = 0.5 + torch.rand(n, 1, generator=g)
    omega = 2 * math.pi / (8 + 32 * torch.rand(n, 1, generator=g))
    phase = 2 * math.pi * torch.rand(n, 1, generator=g)
    t = torch.arange(seq_len + 1).float()
    clean = amplitude * torch.sin(omega * t + phase)
    noisy = clean[:, :-1] + 0.1 * torch.randn(n, seq_len, generator=g)
    return noisy.unsqueeze(-1), clean[:, -1]


PROBLEMS: dict[str, SequenceProblem] = {
    "adding": SequenceProblem(adding, "regression", 1, 2),
    "temporal_order": SequenceProblem(temporal_order, "classification", 4, _SYMBOLS, min_len=10),
    "forecast": SequenceProblem(forecast, "regression", 1, 1, min_len=2),
}
