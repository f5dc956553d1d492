"""In-memory tensor data: whole batches by indexing, no per-sample Python work."""

from collections.abc import Sequence

import torch
from lightning import LightningDataModule
from torch.utils.data import DataLoader, Dataset

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

    def _loader(self, split: str, shuffle: bool) -> DataLoader:
        if split not in self.splits:
            raise RuntimeError(f"split {split!r} is not loaded; call setup() first")
        return DataLoader(
            TensorBatchDataset(*self.splits[split]),
            batch_size=self.batch_size,
            shuffle=shuffle,
            collate_fn=_whole_batch,
        )

    def train_dataloader(self) -> DataLoader:
        return self._loader("train", shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return self._loader("val", shuffle=False)

    def test_dataloader(self) -> DataLoader:
        return self._loader("test", shuffle=False)

    def predict_dataloader(self) -> DataLoader:
        return self._loader("test", shuffle=False)
