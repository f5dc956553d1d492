"""Where in-memory splits live: on the accelerator when they fit there, else pinned host memory."""

from typing import Literal

import torch

from litzoo.data.batches import Split

DeviceData = Literal["auto"] | bool
# auto puts the splits on the device when they take at most this share of its free memory:
# the rest is left to the model, its activations and the optimizer.
FREE_MEMORY_FRACTION = 0.25


def split_bytes(splits: dict[str, Split]) -> int:
    """Bytes the splits' inputs and targets take."""
    return sum(t.numel() * t.element_size() for split in splits.values() for t in split)


def fits_on(device: torch.device, nbytes: int, fraction: float = FREE_MEMORY_FRACTION) -> bool:
    """Whether ``nbytes`` take at most ``fraction`` of the free memory of a CUDA ``device``."""
    if device.type != "cuda":
        return False
    free, _ = torch.cuda.mem_get_info(device)
    return nbytes <= fraction * free


def wants_device(mode: DeviceData, device: torch.device, splits: dict[str, Split]) -> bool:
    """Whether the splits should move to ``device``: ``True`` forces it, ``auto`` asks ``fits_on``."""
    if device.type == "cpu" or mode is False:
        return False
    return mode is True or fits_on(device, split_bytes(splits))


def to_device(splits: dict[str, Split], device: torch.device) -> dict[str, Split]:
    """The splits copied to ``device`` once; batches are then indexed there, with no per-batch copy."""
    return {name: (x.to(device), y.to(device)) for name, (x, y) in splits.items()}
