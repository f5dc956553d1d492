"""A table's splits written once as LitData chunks of preprocessed rows (float32 features, target)."""

import hashlib
import json
import os
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import numpy as np
import torch
from lightning.pytorch.utilities import rank_zero_info

from litzoo.data.folder_files import cache_folder
from litzoo.data.stream import write_chunks
from litzoo.data.tables_prep import SPLITS, TablePrep
from litzoo.data.tables_scan import table_blocks

# Rows read and encoded at a time while writing: a block's rows are in memory, not a split's.
BLOCK_ROWS = 4096


def table_chunk_folder(path: Path, prep: TablePrep, cut: tuple) -> Path:
    """``<table's folder>/.litzoo-cache/stream-<key>``, keyed by the file, its preprocessing and split."""
    stat = os.stat(path)
    key = json.dumps([path.name, stat.st_size, stat.st_mtime_ns, prep.state_dict(), list(cut)])
    return cache_folder(path.parent) / f"stream-{hashlib.sha256(key.encode()).hexdigest()[:20]}"


def write_table_chunks(
    folder: Path, path: Path, split_ids: np.ndarray, prep: TablePrep, workers: int
) -> None:
    """Each split's rows of ``path``, through ``prep``, as one ``(features, target)`` sample a row.

    The file is read once per split, in blocks of ``BLOCK_ROWS`` rows, each split's rows in file order.

    Args:
        folder: the chunk folder (``table_chunk_folder``); left alone when already finished.
        path: the table file.
        split_ids: ``(rows in the file,)`` int8: the row's index in ``SPLITS``, -1 for a row left out.
        prep: the fitted preprocessing.
        workers: writing processes (one input a split: LitData runs one per split).
    """
    splits = {name: [(path, code)] for code, name in enumerate(SPLITS)}
    encode = partial(encode_split, split_ids=split_ids, prep=prep, block_rows=BLOCK_ROWS)
    if write_chunks(folder, splits, encode, workers):
        rank_zero_info(f"wrote {int((split_ids >= 0).sum())} rows as LitData chunks in {folder}")


def encode_split(
    split: tuple[Path, int], split_ids: np.ndarray, prep: TablePrep, block_rows: int
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """One split's rows, a block at a time, as one ``(features, target)`` sample per row."""
    path, code = split
    columns = [*(c.name for c in prep.columns), prep.target]
    for block in table_blocks(path, columns, block_rows):
        rows = block[split_ids[block.index.to_numpy()] == code]
        features, targets = prep.encode(rows, path.name), prep.labels(rows[prep.target], path.name)
        yield from zip(features, targets, strict=True)
