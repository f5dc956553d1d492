"""A table's preprocessing, fitted on the training rows: column kinds, imputation, encoding, scaling.

``fit_column`` learns each feature column from the training split only; ``TablePrep.encode``
turns any rows (the splits, a CSV of new rows, a server's JSON records) into the same features.
Its state is plain lists and numbers, so a checkpoint holding it loads with ``weights_only=True``.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import torch

try:
    import pandas as pd
except ImportError as err:  # an optional extra: say which
    raise ImportError(f"tables need pandas and pyarrow ({err}): pip install 'litzoo[tables]'") from err

from litzoo.errors import ConfigError, DataUnavailableError, LitzooError

Kind = Literal["numeric", "categorical"]
Encoding = Literal["onehot", "label"]
# The splits, in the order of their ids (a streamed table's int8 split id per row).
SPLITS = ("train", "val", "test")
# A numeric column with at most this many distinct whole values is read as class labels.
MAX_INTEGER_CLASSES = 20
# A categorical column with a different value in each of this many training rows or more is refused.
UNIQUE_ROWS = 20


def read_table(path: Path) -> pd.DataFrame:
    """A CSV (every cell a string, blanks and ``NA`` missing) or a Parquet file (its own types).

    Raises:
        DataUnavailableError: there is no such file.
        ConfigError: the file cannot be parsed as a table.
    """
    with reading(path):
        if is_parquet(path):
            return pd.read_parquet(path)
        return pd.read_csv(path, dtype=str)


def is_parquet(path: Path) -> bool:
    return path.suffix.lower() in (".parquet", ".pq")


@contextmanager
def reading(path: Path) -> Iterator[None]:
    """Reading ``path`` (whole or in parts), its failures as one line each.

    Raises:
        DataUnavailableError: there is no such file.
        ConfigError: the file cannot be parsed as a table.
    """
    if not path.is_file():
        raise DataUnavailableError(f"no table file {path}: put it there, or set DATA_DIR to its folder")
    try:
        yield
    except LitzooError:  # ours (a ValueError too) already says what to do
        raise
    except (ValueError, OSError, pd.errors.ParserError) as err:
        raise ConfigError(f"cannot read {path} as a table: {str(err).splitlines()[0]}") from None


def numbers(values: pd.Series, where: str, hint: str = "") -> pd.Series:
    """``values`` as floats (missing stays NaN); ``hint`` says what else to do about text.

    Raises:
        ConfigError: a cell holds text, naming the column and the row.
    """
    parsed = pd.to_numeric(values, errors="coerce").astype(float)
    bad = parsed.isna() & values.notna()
    if bad.any():
        row = bad.idxmax()
        raise ConfigError(
            f"{where}: column '{values.name}' holds text {values[row]!r} (row {row + 1}) where numbers "
            f"are expected: fix the cell, or {hint or f'list {values.name!r} under categorical'}"
        )
    return parsed


def as_text(values: pd.Series) -> pd.Series:
    """Category values as strings, missing ones kept missing."""
    return values.where(values.isna(), values.astype(str))


def infer_kind(values: pd.Series, where: str) -> Kind:
    """Numeric when the column's type is, or when most of its cells read as numbers.

    Raises:
        ConfigError: most cells are numbers but some hold text (a typo, not a category).
    """
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return "numeric"
    present = values.dropna()
    parsed = pd.to_numeric(present, errors="coerce")
    if len(present) and parsed.notna().mean() > 0.5:
        numbers(values, where)  # raises on the text cells
        return "numeric"
    return "categorical"


def infer_task(values: pd.Series) -> Literal["classification", "regression"]:
    """Regression for numbers other than a few whole values; classification otherwise."""
    parsed = pd.to_numeric(values, errors="coerce")
    if parsed.isna().any():
        return "classification"
    whole = bool((parsed == parsed.round()).all())
    return "classification" if whole and parsed.nunique() <= MAX_INTEGER_CLASSES else "regression"


@dataclass
class ColumnPrep:
    """One feature column's fitted preprocessing."""

    name: str
    kind: Kind
    fill: float | str  # the training median, or the most frequent training category
    mean: float = 0.0
    std: float = 1.0
    categories: list[str] = field(default_factory=list)

    def width(self, encoding: Encoding) -> int:
        return len(self.categories) if self.kind == "categorical" and encoding == "onehot" else 1

    def encode(self, values: pd.Series, encoding: Encoding, where: str) -> torch.Tensor:
        """``(N, width)`` features of one column's raw values."""
        if self.kind == "numeric":
            x = torch.tensor(numbers(values, where).fillna(self.fill).to_numpy(), dtype=torch.float32)
            return ((x - self.mean) / self.std).unsqueeze(1)
        # Missing, or a category the training rows never had: the most frequent training one.
        codes = pd.Index(self.categories).get_indexer(as_text(values))
        fill = self.categories.index(str(self.fill))
        index = torch.tensor(codes, dtype=torch.long).masked_fill(torch.tensor(codes) < 0, fill)
        if encoding == "label":
            return index.float().unsqueeze(1)
        return torch.nn.functional.one_hot(index, len(self.categories)).float()


def fit_column(values: pd.Series, kind: Kind, standardize: bool, where: str) -> ColumnPrep:
    """Fit one column on the training rows.

    Raises:
        ConfigError: the column has no value at all in the training rows, or it is categorical
            with another value in each of them (an id or free text: no category would recur).
    """
    name = str(values.name)
    if values.notna().sum() == 0:
        raise ConfigError(f"{where}: column '{name}' has no values in the training split: drop it")
    if kind == "categorical":
        text = as_text(values).dropna()
        if len(text) >= UNIQUE_ROWS and text.nunique() == len(text):
            raise ConfigError(
                f"{where}: column '{name}' has another value in each of its {len(text)} training rows "
                f"(an id or free text?): list it under drop, or under numeric if it holds numbers"
            )
        return ColumnPrep(name, kind, str(text.mode().iloc[0]), categories=sorted(text.unique()))
    x = numbers(values, where)
    filled = x.fillna(x.median())
    std = float(filled.std(ddof=0)) if standardize else 1.0
    mean = float(filled.mean()) if standardize else 0.0
    # A constant column keeps scale 1 rather than dividing by zero.
    return ColumnPrep(name, kind, float(x.median()), mean, std if std > 0 else 1.0)


@dataclass
class TablePrep:
    """The fitted preprocessing of a table's feature columns and its target.

    Attributes:
        columns: each feature column's preprocessing, in the order features are made.
        encoding: ``onehot`` (one feature per training category) or ``label`` (its index).
        target: the target column.
        classes: class names in label order (None for a regression).
    """

    columns: list[ColumnPrep]
    encoding: Encoding
    target: str
    classes: list[str] | None

    @property
    def width(self) -> int:
        """Features per row."""
        return sum(c.width(self.encoding) for c in self.columns)

    @property
    def features(self) -> list[str]:
        """The name of each feature: the column, or ``column=category`` for one-hot."""
        names: list[str] = []
        for c in self.columns:
            one_hot = c.kind == "categorical" and self.encoding == "onehot"
            names += [f"{c.name}={v}" for v in c.categories] if one_hot else [c.name]
        return names

    def encode(self, frame: pd.DataFrame, where: str) -> torch.Tensor:
        """``(N, width)`` float32 features of ``frame``'s rows (other columns are ignored).

        Raises:
            ConfigError: a feature column is missing, or a numeric one holds text.
        """
        missing = [c.name for c in self.columns if c.name not in frame.columns]
        if missing:
            raise ConfigError(f"{where}: no column {', '.join(map(repr, missing))} (the model reads it)")
        if not len(frame):
            return torch.empty(0, self.width)
        parts = [c.encode(frame[c.name], self.encoding, where) for c in self.columns]
        return torch.cat(parts, dim=1)

    def labels(self, values: pd.Series, where: str) -> torch.Tensor:
        """Targets: ``(N,)`` int64 class indices, or float32 values for a regression."""
        if self.classes is None:
            return torch.tensor(numbers(values, where).to_numpy(), dtype=torch.float32)
        index = pd.Index(self.classes).get_indexer(as_text(values))
        return torch.tensor(index, dtype=torch.long)

    def state_dict(self) -> dict[str, Any]:
        return {**asdict(self), "columns": [asdict(c) for c in self.columns]}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> "TablePrep":
        return cls(**{**state, "columns": [ColumnPrep(**c) for c in state["columns"]]})
