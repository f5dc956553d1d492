"""A table read in parts, never whole: its header, one column at a time, blocks of rows.

A streamed ``TableDataModule`` fits its split and preprocessing from single columns and
writes its chunks from blocks of rows, so only one column (or one block) is in memory.
"""

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from litzoo.data.tables_prep import is_parquet, reading


def table_columns(path: Path) -> list[str]:
    """The column names, from the header (CSV) or the schema (Parquet) only."""
    with reading(path):
        if is_parquet(path):
            # The pandas columns: a stored index (``__index_level_0__``) is the index, as in read_table.
            return [str(c) for c in pq.read_schema(path).empty_table().to_pandas().columns]
        return [str(c) for c in pd.read_csv(path, dtype=str, nrows=0).columns]


def table_column(path: Path, name: str) -> pd.Series:
    """One column, every row, with the cells and row labels ``read_table`` gives it."""
    with reading(path):
        if is_parquet(path):
            return pd.read_parquet(path, columns=[name])[name]
        return pd.read_csv(path, dtype=str, usecols=[name])[name]


def table_blocks(path: Path, columns: list[str], rows: int) -> Iterator[pd.DataFrame]:
    """``columns`` of ``rows`` rows at a time, in file order, indexed by their row positions in the file."""
    with reading(path):
        if not is_parquet(path):
            with pd.read_csv(path, dtype=str, usecols=columns, chunksize=rows) as blocks:
                yield from blocks  # each block's index goes on from the last one's
            return
        start = 0
        with pq.ParquetFile(path) as file:
            for batch in file.iter_batches(batch_size=rows, columns=columns):
                block = batch.to_pandas()
                block.index = pd.RangeIndex(start, start + len(block))
                start += len(block)
                yield block
