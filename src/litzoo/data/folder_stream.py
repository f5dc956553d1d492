"""An image folder written once as LitData chunks (uint8 images, int labels), and its statistics streamed."""

import hashlib
import json
import os
from functools import partial
from pathlib import Path

import torch
from lightning.pytorch.utilities import rank_zero_info

from litzoo.data.folder_files import Listing, cache_folder, decode, fit_size, listing_key
from litzoo.data.stream import stream_loader, write_chunks

STATS = "stats.json"


def chunk_folder(
    root: Path, listing: Listing, shape: tuple[int, ...], size: tuple[int, int] | None, cut: tuple
) -> Path:
    """``<cache>/stream-<key>``: beside the pixel cache, keyed by every file, the shape and the split."""
    digest = hashlib.sha256(f"{listing_key(root, listing, shape, size)} {cut}".encode()).hexdigest()
    return cache_folder(root) / f"stream-{digest[:20]}"


def write_folder_chunks(
    folder: Path,
    listing: Listing,
    parts: dict[str, torch.Tensor],
    shape: tuple[int, ...],
    size: tuple[int, int] | None,
    workers: int,
) -> None:
    """Each split's images, decoded and sized, into ``folder/<split>``; training statistics beside them.

    Args:
        folder: the chunk folder (``chunk_folder``); left alone when it is already finished.
        listing: the folder's files and labels.
        parts: each split's indices into ``listing``.
        shape: ``(C, H, W)`` of every image.
        size: resize to it; None: refuse an image of another size.
        workers: decoding processes.
    """
    pairs = list(zip(map(str, listing.files), listing.labels, strict=True))
    splits = {split: [pairs[i] for i in idx.tolist()] for split, idx in parts.items()}
    fn = partial(read_sample, shape=tuple(shape), size=size)
    if write_chunks(folder, splits, fn, workers, finish=partial(_write_stats, workers=workers)):
        rank_zero_info(f"wrote {sum(map(len, splits.values()))} images as LitData chunks in {folder}")


def read_sample(item: tuple[str, int], shape: tuple[int, ...], size: tuple[int, int] | None) -> tuple:
    """One ``(path, label)`` as ``((C, H, W) uint8, label)``: what a chunk holds per image."""
    path, label = item
    return fit_size(decode(Path(path), shape[0]), Path(path), shape, size), label


def read_stats(folder: Path) -> tuple[list[float], list[float]]:
    """The training split's per-channel mean and std, as ``_write_stats`` saved them."""
    stats = json.loads((folder / STATS).read_text())
    return stats["mean"], stats["std"]


def _write_stats(folder: Path, workers: int) -> None:
    mean, std = streamed_stats(folder / "train", workers)
    tmp = folder / f"{STATS}.{os.getpid()}"
    tmp.write_text(json.dumps({"mean": mean, "std": std}))
    tmp.replace(folder / STATS)


def streamed_stats(split: Path, workers: int) -> tuple[list[float], list[float]]:
    """Per-channel mean and std (unbiased) of pixels in [0, 1], from running sums over streamed batches.

    Only one batch is in memory at a time; the sums are float64, so millions of images add up exactly
    enough to give ``channel_stats``'s figures (rounded alike, to 4 places).
    """
    total = squares = None
    count = 0
    for images, _ in stream_loader(split, 256, workers, shuffle=False, whole=True):
        pixels = images.transpose(0, 1).flatten(1).double().div_(255)  # (C, pixels)
        total = pixels.sum(1) if total is None else total + pixels.sum(1)
        squares = pixels.square().sum(1) if squares is None else squares + pixels.square().sum(1)
        count += pixels.shape[1]
    mean = total / count
    std = ((squares - count * mean.square()) / (count - 1)).clamp_min(0).sqrt()
    return [round(m, 4) for m in mean.tolist()], [round(s, 4) for s in std.tolist()]
