"""Synthetic sequence data: seeded, generated in memory, never downloaded."""

from pathlib import Path
from typing import Any, Literal

import torch

from litzoo.data.base import Split, TensorDataModule
from litzoo.data.device import DeviceData
from litzoo.data.problems import PROBLEMS
from litzoo.errors import ConfigError

ProblemName = Literal["adding", "temporal_order", "forecast"]


class SequenceDataModule(TensorDataModule):
    """A synthetic sequence task with separate seeded train, val and test sets.

    Args:
        problem: ``"adding"`` (regression), ``"temporal_order"`` (4-class classification)
            or ``"forecast"`` (next value of a noisy sine, regression).
        seq_len: time steps per sequence.
        train_size: training sequences.
        val_size: validation sequences.
        test_size: test sequences.
        batch_size: sequences per batch.
        seed: generates the same data on every run and every rank (and cuts the folds).
        device_data: keep the sequences on the accelerator (``auto``: when they fit; see
            ``TensorDataModule``).

    Shape:
        inputs ``(B, seq_len, features)``; targets ``(B,)``.
    """

    def __init__(
        self,
        problem: ProblemName,
        seq_len: int = 50,
        train_size: int = 20000,
        val_size: int = 2000,
        test_size: int = 2000,
        batch_size: int = 128,
        seed: int = 0,
        device_data: DeviceData = "auto",
    ) -> None:
        super().__init__(batch_size, seed, device_data)
        if problem not in PROBLEMS:
            raise ConfigError(f"unknown problem {problem!r}; choose one of {sorted(PROBLEMS)}")
        if min(seq_len, train_size, val_size, test_size) < 1:
            raise ConfigError("seq_len and the split sizes must be positive")
        spec = PROBLEMS[problem]
        if seq_len < spec.min_len:
            raise ConfigError(f"the {problem} problem needs seq_len >= {spec.min_len}, got {seq_len}")
        self.save_hyperparameters(logger=False)
        self.input_shape = (seq_len, spec.features)
        self.num_outputs = spec.num_outputs
        self.task = spec.task

    @classmethod
    def tiny(cls, init_args: dict[str, Any], folder: Path) -> dict[str, Any]:
        """64 training and 32 validation and test sequences of 12 steps."""
        return {"train_size": 64, "val_size": 32, "test_size": 32, "seq_len": 12, "batch_size": 32}

    def load(self) -> dict[str, Split]:
        hp = self.hparams
        sizes = {"train": hp.train_size, "val": hp.val_size, "test": hp.test_size}
        return {
            split: PROBLEMS[hp.problem].generate(
                n, hp.seq_len, torch.Generator().manual_seed(hp.seed * 3 + i)
            )
            for i, (split, n) in enumerate(sizes.items())
        }
