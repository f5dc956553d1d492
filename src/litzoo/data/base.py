"""In-memory tensor data: whole batches by indexing, no per-sample Python work."""

from collections.abc import Sequence

import torch
from lightning import LightningDataModule
from torch.utils.data import DataLoader, Dataset, Sampler

from litzoo.errors import ConfigError

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


class EpochSampler(Sampler[int]):
    """A shuffled order that depends only on (seed, epoch), never on the global RNG.

    So a resumed run sees the very order the uninterrupted run saw; ``skip`` drops the
    samples an interrupted epoch had already trained on (set once, for that epoch only).
    """

    def __init__(self, size: int, seed: int) -> None:
        self.size, self.seed, self.epoch, self.skip = size, seed, 0, 0

    def set_epoch(self, epoch: int) -> None:  # Lightning calls this at each epoch start
        self.epoch = epoch

    def __iter__(self):  # noqa: ANN204 - an iterator of indices
        g = torch.Generator().manual_seed((self.seed * 1_000_003 + self.epoch) % 2**63)
        order = torch.randperm(self.size, generator=g)[self.skip :]
        self.skip = 0
        return iter(order.tolist())

    def __len__(self) -> int:
        # The whole epoch, even when skipping: Lightning sizes every epoch by the first length.
        return self.size


def _whole_batch(batch: Split) -> Split:
    """Collate function for batches that ``__getitems__`` already stacked."""
    return batch


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
        loader = self._loader("train")
        if trainer is not None and trainer.world_size > 1:  # Lightning's DistributedSampler shards it
            return DataLoader(loader.dataset, self.batch_size, shuffle=True, collate_fn=_whole_batch)
        # torch.initial_seed() is seed_everything's seed: the same order in a resumed run.
        sampler = EpochSampler(len(loader.dataset), torch.initial_seed())
        if trainer is not None:  # resuming mid-epoch: skip the batches the checkpoint had trained on
            # Lightning makes the first iterator before it calls set_epoch: start at the right epoch.
            sampler.set_epoch(trainer.current_epoch)
            done = trainer.fit_loop.epoch_loop.batch_progress.current.processed * self.batch_size
            sampler.skip = done if done < sampler.size else 0  # a finished epoch skips nothing
        return self._loader("train", sampler)

    def val_dataloader(self) -> DataLoader:
        return self._loader("val")

    def test_dataloader(self) -> DataLoader:
        return self._loader("test")

    def predict_dataloader(self) -> DataLoader:
        return self._loader("test")
