"""Synthetic sequence data: seeded, generated in memory, never downloaded."""

from typing import Literal

import torch

from {{ cookiecutter.package_name }}.data.base import TensorDataModule, check_folds
from {{ cookiecutter.package_name }}.data.problems import PROBLEMS
from {{ cookiecutter.package_name }}.errors import ConfigError

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
        seed: generates the same data on every run and every rank.
        folds: k-fold cross-validation: the train and validation samples pooled and cut into
            ``folds`` folds by ``seed`` (stratified by class), the test split left out.
        fold: which fold validates; the others train.

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
        folds: int | None = None,
        fold: int = 0,
    ) -> None:
        super().__init__(batch_size)
        if problem not in PROBLEMS:
            raise ConfigError(f"unknown problem {problem!r}; choose one of {sorted(PROBLEMS)}")
        if min(seq_len, train_size, val_size, test_size) < 1:
            raise ConfigError("seq_len and the split sizes must be positive")
        spec = PROBLEMS[problem]
        if seq_len < spec.min_len:
            raise ConfigError(f"the {problem} problem needs seq_len >= {spec.min_len}, got {seq_len}")
        check_folds(folds, fold)
        self.save_hyperparameters(logger=False)
        self.input_shape = (seq_len, spec.features)
        self.num_outputs = spec.num_outputs
        self.task = spec.task

    def setup(self, stage: str | None = None) -> None:
        if self.splits:
            return
        hp = self.hparams
        sizes = {"train": hp.train_size, "val": hp.val_size, "test": hp.test_size}
        for offset, (split, n) in enumerate(sizes.items()):
            g = torch.Generator().manual_seed(hp.seed * 3 + offset)
            self.splits[split] = PROBLEMS[hp.problem].generate(n, hp.seq_len, g)
        if hp.folds:
            self.use_fold(hp.folds, hp.fold, hp.seed)
