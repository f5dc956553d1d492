"""Batches by indexing: a whole batch is one tensor operation, in an order set by seed and epoch."""

from collections.abc import Iterator, Sequence

import torch
from torch.utils.data import Dataset, DistributedSampler

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
        if self.inputs.device.type == "cuda":
            # From pinned memory the copy is queued behind the running step instead of waiting for it.
            idx = idx.pin_memory().to(self.inputs.device, non_blocking=True)
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


def whole_batch(batch: Split) -> Split:
    """Collate function for batches that ``__getitems__`` already stacked."""
    return batch
