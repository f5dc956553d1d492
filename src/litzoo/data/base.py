"""In-memory tensor data: the base of litzoo's data modules, batched by indexing, folds included."""

from pathlib import Path
from typing import Any

import torch
from lightning import LightningDataModule
from torch.utils.data import DataLoader

from litzoo.data.batches import EpochSampler, Split, TensorBatchDataset, whole_batch
from litzoo.data.contract import Task, facts_of
from litzoo.data.device import DeviceData, to_device, wants_device
from litzoo.data.folds import check_folds, fold_ids
from litzoo.errors import ConfigError

SPLITS = ("train", "val", "test")
# Where data modules that read files look when no folder is given (make's DATA_DIR default).
DEFAULT_DATA_DIR = "./data"


class TensorDataModule(LightningDataModule):
    """Base for data modules that hold every split as tensors in memory.

    A subclass declares the data facts in ``__init__`` (``input_shape``, ``num_outputs``,
    ``task``: see ``litzoo.data.contract``) and implements ``load``, which returns the three
    splits as ``(inputs, targets)`` tensors. The base checks them against the facts, batches
    them by indexing (an epoch's order depends only on the seed and the epoch, so a resumed
    run sees the same batches), and cuts k-fold cross-validation folds when asked
    (``use_folds``, which ``litzoo cv`` sets): no subclass holds any fold code.

    On a CUDA device the splits move there once at set-up, when ``device_data`` says so, and
    batches are indexed on the device (no per-batch copy); otherwise batches come from pinned
    memory and Lightning copies them without blocking.

    Args:
        batch_size: samples per batch.
        seed: seeds the subclass's own split and the folds.
        device_data: keep the splits on the accelerator: ``auto`` when they take at most a
            quarter of its free memory (``litzoo.data.device``), ``True`` always, ``False`` never.
    """

    input_shape: tuple[int, ...] | None = None
    num_outputs: int | None = None
    task: Task | None = None

    def __init__(self, batch_size: int, seed: int = 0, device_data: DeviceData = "auto") -> None:
        super().__init__()
        if batch_size < 1:
            raise ConfigError(f"batch_size must be positive, got {batch_size}")
        if device_data not in ("auto", True, False):
            raise ConfigError(f"device_data is auto, true or false, got {device_data!r}")
        self.batch_size, self.seed, self.device_data = batch_size, seed, device_data
        self._pin = False
        self.splits: dict[str, Split] = {}
        self._folds: tuple[int, int] | None = None

    def load(self) -> dict[str, Split]:
        """The ``train``, ``val`` and ``test`` splits as ``(inputs, targets)`` tensors.

        Inputs are ``(N, *input_shape)``; targets ``(N,)`` int64 class labels or float values,
        ``(N, num_outputs)`` for several regression targets.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement load() (see docs/data.md)")

    @classmethod
    def tiny(cls, init_args: dict[str, Any], folder: Path) -> dict[str, Any]:
        """Settings that make this data tiny for the generic tests (``litzoo.testing``).

        Args:
            init_args: the data config's own settings.
            folder: an empty folder to write tiny files into, in the data's real format;
                the tests pass it as the data folder (``--data_dir``).

        Returns:
            ``init_args`` overrides, e.g. ``{"train_size": 64}``.
        """
        return {"batch_size": 16}

    def use_folds(self, folds: int, fold: int) -> None:
        """Cross-validation: ``val`` becomes fold ``fold`` of the train+val pool, ``train`` the rest.

        The test split is never part of the pool; classes are stratified.
        """
        check_folds(folds, fold)
        self._folds = (folds, fold)

    def setup(self, stage: str | None = None) -> None:
        if self.splits:
            return
        splits = self.load()
        check_splits(self, splits)
        self.splits = dict(splits)
        if self._folds is not None:
            self._cut_folds(*self._folds)
        self._place()

    def _place(self) -> None:
        # The strategy knows this rank's device before Lightning calls setup; every rank holds
        # the whole splits and its sampler picks its share, so DDP and resume are unchanged.
        device = self.trainer.strategy.root_device if self.trainer is not None else torch.device("cpu")
        if wants_device(self.device_data, device, self.splits):
            self.splits = to_device(self.splits, device)
        self._pin = device.type == "cuda" and self.splits["train"][0].device.type == "cpu"

    def _cut_folds(self, folds: int, fold: int) -> None:
        (xt, yt), (xv, yv) = self.splits["train"], self.splits["val"]
        inputs, targets = torch.cat([xt, xv]), torch.cat([yt, yv])
        ids = fold_ids(targets, folds, self.seed, stratified=self.task == "classification")
        self.splits["train"] = inputs[ids != fold], targets[ids != fold]
        self.splits["val"] = inputs[ids == fold], targets[ids == fold]

    def _loader(self, split: str, sampler: EpochSampler | None = None) -> DataLoader:
        if split not in self.splits:
            raise RuntimeError(f"split {split!r} is not loaded; call setup() first")
        return DataLoader(
            TensorBatchDataset(*self.splits[split]),
            batch_size=self.batch_size,
            sampler=sampler,
            collate_fn=whole_batch,
            pin_memory=self._pin,
            # Its own generator: making an iterator never draws from the global RNG, which a
            # resumed run restores (dropout, augmentation) and must find untouched.
            generator=torch.Generator().manual_seed(0),
        )

    def train_dataloader(self) -> DataLoader:
        trainer = self.trainer
        dataset = self._loader("train").dataset
        shares = (trainer.world_size, trainer.global_rank) if trainer is not None else (1, 0)
        # torch.initial_seed() is seed_everything's seed, on every rank: the same order in a resumed run.
        sampler = EpochSampler(dataset, torch.initial_seed(), *shares)
        if trainer is not None:  # resuming mid-epoch: skip the batches the checkpoint had trained on
            # Lightning makes the first iterator before it calls set_epoch: start at the right epoch.
            sampler.set_epoch(trainer.current_epoch)
            done = trainer.fit_loop.epoch_loop.batch_progress.current.processed * self.batch_size
            sampler.skip = done if done < sampler.num_samples else 0  # a finished epoch skips nothing
        return self._loader("train", sampler)

    def val_dataloader(self) -> DataLoader:
        return self._loader("val")

    def test_dataloader(self) -> DataLoader:
        return self._loader("test")

    def predict_dataloader(self) -> DataLoader:
        return self._loader("test")


def check_splits(data: LightningDataModule, splits: dict[str, Split]) -> None:
    """Refuse splits that contradict the facts the data module declared.

    Raises:
        ConfigError: a split is missing or empty, or its samples or labels do not fit the facts.
    """
    facts, name = facts_of(data), type(data).__name__
    for split in SPLITS:
        if split not in splits:
            raise ConfigError(f"{name}.load() returned no {split!r} split (it returns train, val and test)")
        inputs, targets = splits[split]
        if len(inputs) == 0 or len(inputs) != len(targets):
            raise ConfigError(f"{name}'s {split} split has {len(inputs)} inputs and {len(targets)} targets")
        if tuple(inputs.shape[1:]) != facts.input_shape:
            raise ConfigError(
                f"{name} declares input_shape {facts.input_shape}, but its {split} samples are shaped "
                f"{tuple(inputs.shape[1:])}"
            )
        labels_fit = targets.dtype == torch.long and targets.min() >= 0 and targets.max() < facts.num_outputs
        if facts.task == "classification" and not labels_fit:
            raise ConfigError(
                f"{name} declares {facts.num_outputs} classes, but its {split} labels are not int64 "
                f"in 0..{facts.num_outputs - 1} (dtype {targets.dtype})"
            )
