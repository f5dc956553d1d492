"""In-memory tensor data: whole batches by indexing, no per-sample Python work."""

from collections.abc import Iterator, Sequence

import torch
from lightning import LightningDataModule
from torch.utils.data import DataLoader, Dataset, DistributedSampler, Sampler

from {{ cookiecutter.package_name }}.errors import ConfigError

Split = tuple[torch.Tensor, torch.Tensor]


class TensorBatchDataset(Dataset):
    """Inputs and targets held as tensors; a batch is one indexing operation.

    ``DataLoader`` calls ``__getitems__`` with all indices of a batch, so the usual
    samplers (and Lightning's ``DistributedSampler`` under DDP) still decide which
    samples each batch and each rank gets.
    """

    def __init__(self, inputs: torch.Tensor, targets: torch.Tensor) -> None:
        if len(inputs) != len(targets):
            raise ValueError(f"{len(inputs)} inputs but {len(targets)} targets")
        self.inputs, self.targets = inputs, targets

    def __len__(self) -> int:
        return len(self.inputs)

    def __getitem__(self, index: int) -> Split:
        return self.inputs[index], self.targets[index]

    def __getitems__(self, indices: Sequence[int]) -> Split:
        idx = torch.as_tensor(indices)
        return self.inputs[idx], self.targets[idx]


class EpochSampler(DistributedSampler):
    """This rank's share of a shuffled order that depends only on (seed, epoch), not the global RNG.

    One sampler for one process (``num_replicas=1``: the whole order) and for DDP: Lightning
    leaves a ``DistributedSampler`` as it is, and each rank takes every ``num_replicas``-th
    sample of the same order (padded to equal shares, as Lightning's own sampler does). So a
    resumed run sees the very order the uninterrupted run saw; ``skip`` drops the samples of
    this rank's share that an interrupted epoch had already trained on (set once, for that
    epoch only).
    """

    def __init__(self, dataset: Dataset, seed: int, num_replicas: int = 1, rank: int = 0) -> None:
        # Spread out, so that (seed, epoch + 1) and (seed + 1, epoch) give unrelated orders.
        spread = seed * 1_000_003 % 2**63
        super().__init__(dataset, num_replicas=num_replicas, rank=rank, shuffle=True, seed=spread)
        self.skip = 0

    def __iter__(self) -> Iterator[int]:
        share = list(super().__iter__())[self.skip :]
        self.skip = 0
        return iter(share)

    # __len__ stays the whole share, even when skipping: Lightning sizes every epoch by it.


def _whole_batch(batch: Split) -> Split:
    """Collate function for batches that ``__getitems__`` already stacked."""
    return batch


def check_folds(folds: int | None, fold: int) -> None:
    """Refuse a fold setting that cannot split anything, before any data is loaded."""
    if folds is not None and folds < 2:
        raise ConfigError(f"cross-validation needs at least 2 folds, got {folds}")
    if folds is not None and not 0 <= fold < folds:
        raise ConfigError(f"fold must be one of 0..{folds - 1}, got {fold}")


def fold_ids(targets: torch.Tensor, folds: int, seed: int, stratified: bool) -> torch.Tensor:
    """The fold (``0..folds-1``) of each sample: a seeded shuffle dealt out round-robin.

    Stratified, each class is dealt in turn, so every fold holds each class in proportion.

    Raises:
        ConfigError: a class has fewer samples than there are folds.
    """
    g = torch.Generator().manual_seed(seed)
    groups = [torch.nonzero(targets == c).flatten() for c in targets.unique()] if stratified else []
    groups = groups or [torch.arange(len(targets))]
    smallest = min(len(members) for members in groups)
    if stratified and smallest < folds:
        raise ConfigError(
            f"{folds} folds need at least {folds} samples of each class; the smallest class has {smallest}"
        )
    ids = torch.empty(len(targets), dtype=torch.long)
    dealt = 0
    for members in groups:
        order = members[torch.randperm(len(members), generator=g)]
        ids[order] = (torch.arange(len(order)) + dealt) % folds  # go on where the last class stopped
        dealt += len(order)
    return ids


class TensorDataModule(LightningDataModule):
    """Base for data modules that hold every split as tensors in memory.

    Subclasses fill ``self.splits`` (``"train"``, ``"val"``, ``"test"``) in ``setup`` and
    set the data facts the model is built from: ``input_shape`` (one sample),
    ``num_outputs`` and ``task``.
    """

    input_shape: tuple[int, ...]
    num_outputs: int
    task: str

    def __init__(self, batch_size: int) -> None:
        super().__init__()
        if batch_size < 1:
            raise ConfigError(f"batch_size must be positive, got {batch_size}")
        self.batch_size = batch_size
        self.splits: dict[str, Split] = {}

    def use_fold(self, folds: int, fold: int, seed: int) -> None:
        """Cross-validation: ``val`` becomes fold ``fold`` of the train+val pool, ``train`` the rest.

        The test split is never part of the pool.
        """
        (xt, yt), (xv, yv) = self.splits["train"], self.splits["val"]
        inputs, targets = torch.cat([xt, xv]), torch.cat([yt, yv])
        ids = fold_ids(targets, folds, seed, stratified=self.task == "classification")
        self.splits["train"] = inputs[ids != fold], targets[ids != fold]
        self.splits["val"] = inputs[ids == fold], targets[ids == fold]

    def _loader(self, split: str, sampler: Sampler | None = None) -> DataLoader:
        if split not in self.splits:
            raise RuntimeError(f"split {split!r} is not loaded; call setup() first")
        return DataLoader(
            TensorBatchDataset(*self.splits[split]),
            batch_size=self.batch_size,
            sampler=sampler,
            collate_fn=_whole_batch,
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
