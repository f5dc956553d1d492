"""A table's splits written once as LitData chunks of preprocessed rows (float32 features, target)."""

import hashlib
import json
import os
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pandas as pd
import torch
from lightning.pytorch.utilities import rank_zero_info

from litzoo.data.folder_files import cache_folder
from litzoo.data.stream import write_chunks
from litzoo.data.tables_prep import TablePrep

# Rows encoded at a time, by each writing process: a block's features are in memory, not a split's.
BLOCK_ROWS = 4096


def table_chunk_folder(path: Path, prep: TablePrep, cut: tuple) -> Path:
    """``<table's folder>/.litzoo-cache/stream-<key>``, keyed by the file, its preprocessing and split."""
    stat = os.stat(path)
    key = json.dumps([path.name, stat.st_size, stat.st_mtime_ns, prep.state_dict(), list(cut)])
    return cache_folder(path.parent) / f"stream-{hashlib.sha256(key.encode()).hexdigest()[:20]}"


def write_table_chunks(
    folder: Path, frames: dict[str, pd.DataFrame], prep: TablePrep, where: str, workers: int
) -> None:
    """Each split's rows, through ``prep``, as one ``(features, target)`` sample a row in ``folder/<split>``.

    Args:
        folder: the chunk folder (``table_chunk_folder``); left alone when already finished.
        frames: each split's raw rows.
        prep: the fitted preprocessing.
        where: the table's name, for errors.
        workers: writing processes.
    """
    blocks = {
        name: [f.iloc[i : i + BLOCK_ROWS] for i in range(0, len(f), BLOCK_ROWS)] for name, f in frames.items()
    }
    if write_chunks(folder, blocks, partial(encode_rows, prep=prep, where=where), workers):
        rank_zero_info(f"wrote {sum(map(len, frames.values()))} rows as LitData chunks in {folder}")


def encode_rows(
    block: pd.DataFrame, prep: TablePrep, where: str
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """A block of raw rows as one ``(features, target)`` sample per row (``optimize`` takes each)."""
    features, targets = prep.encode(block, where), prep.labels(block[prep.target], where)
    yield from zip(features, targets, strict=True)
