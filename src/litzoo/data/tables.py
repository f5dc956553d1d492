"""A table (CSV or Parquet) of named columns: one target, numeric and categorical features."""

from pathlib import Path
from typing import Any

import numpy as np
import torch

try:
    import pandas as pd
except ImportError as err:  # an optional extra: say which
    raise ImportError(f"tables need pandas and pyarrow ({err}): pip install 'litzoo[tables]'") from err

from litzoo.data.base import Split, TensorDataModule
from litzoo.data.contract import Task
from litzoo.data.device import DeviceData
from litzoo.data.stream import StreamLoaders
from litzoo.data.table_files import table_path, tiny_table
from litzoo.data.tables_prep import (
    SPLITS,
    Encoding,
    Kind,
    TablePrep,
    as_text,
    fit_column,
    infer_kind,
    infer_task,
    numbers,
    read_table,
)
from litzoo.data.tables_scan import table_column, table_columns
from litzoo.data.tables_stream import table_chunk_folder, write_table_chunks
from litzoo.errors import ConfigError


class TableDataModule(StreamLoaders, TensorDataModule):
    """Rows of a CSV or Parquet file: a target column and feature columns, preprocessed.

    The file is read when the module is made: the number of features (one per numeric column,
    one per training category of a one-hot column) is the input shape the model is built from.
    Rows are split by a seeded shuffle (stratified by class for a classification); the
    preprocessing is fitted on the training rows only: missing numbers take the training
    median, missing or unseen categories the most frequent training one, numbers are
    standardised by the training mean and standard deviation. The fitted preprocessing is
    the module's ``state_dict``, saved in every checkpoint, so predictions and a server
    (``encode_records``) read new rows exactly as the model was trained on them.

    With ``stream``, the table is never held whole: the split and the preprocessing (the same
    as in memory) are fitted from one column at a time, and the preprocessed rows are written
    once as LitData chunks (beside the file, keyed by it and the preprocessing), a block of
    rows at a time, and streamed (docs/data-tables.md, "Streaming").

    Args:
        file: the CSV (``.csv``) or Parquet (``.parquet``) file, in ``data_dir``.
        target: the column to predict; rows where it is missing are left out.
        data_dir: the folder that holds ``file`` (None: the CLI's ``--data_dir``, make's DATA_DIR).
        package: read ``file`` from inside this installed Python package instead of ``data_dir``.
        task: ``classification`` or ``regression`` (None: classification unless the target
            holds numbers other than at most 20 distinct whole values).
        numeric: columns read as numbers whatever they look like.
        categorical: columns read as categories whatever they look like (e.g. numeric codes).
        drop: columns that are not features (ids, leaks).
        encoding: categories as one-hot features (``onehot``) or as one index each (``label``).
        standardize: scale numeric features to zero mean and unit variance (training statistics).
        split: train/val/test fractions of the rows.
        stream: write the preprocessed rows as LitData chunks once and stream batches from them.
        stream_workers: processes that read the chunks into batches (one writes each split).
        batch_size: rows per batch.
        seed: seeds the split (and cross-validation folds).
        device_data: keep the rows on the accelerator (``auto``: when they fit; see
            ``TensorDataModule``).

    Shape:
        inputs ``(B, features)``; targets ``(B,)`` class indices or float values.
    """

    def __init__(
        self,
        file: str = "table.csv",
        target: str = "target",
        data_dir: str | None = None,
        package: str | None = None,
        task: Task | None = None,
        numeric: list[str] | None = None,
        categorical: list[str] | None = None,
        drop: list[str] | None = None,
        encoding: Encoding = "onehot",
        standardize: bool = True,
        split: tuple[float, float, float] = (0.7, 0.15, 0.15),
        stream: bool = False,
        stream_workers: int = 2,
        batch_size: int = 64,
        seed: int = 0,
        device_data: DeviceData = "auto",
    ) -> None:
        super().__init__(batch_size, seed, device_data)
        if len(split) != 3 or min(split) <= 0 or abs(sum(split) - 1) > 1e-6:
            raise ConfigError(f"split needs three positive fractions that sum to 1, got {list(split)}")
        if stream_workers < 0:
            raise ConfigError(f"stream_workers must be zero or more processes, got {stream_workers}")
        self.save_hyperparameters(logger=False)
        self.stream_workers = stream_workers
        self.path = table_path(file, data_dir, package)
        self.frames: dict[str, pd.DataFrame] = {}  # each split's raw rows (in memory only)
        self.split_ids: np.ndarray | None = None  # streamed: each file row's index in SPLITS, or -1
        self.prep = self._fit_streamed() if stream else self._fit(read_table(self.path))
        self.input_shape = (self.prep.width,)
        self.num_outputs = len(self.prep.classes) if self.prep.classes else 1
        self.class_names = self.prep.classes  # label k is class_names[k] (None: a regression)

    @classmethod
    def tiny(cls, init_args: dict[str, Any], folder: Path) -> dict[str, Any]:
        """A 90-row table in the config's format: its target, the columns it names, and missing cells."""
        frame = tiny_table(init_args)
        name = "tiny.parquet" if str(init_args.get("file", "")).endswith(".parquet") else "tiny.csv"
        if name.endswith(".parquet"):
            frame.to_parquet(folder / name)
        else:
            frame.to_csv(folder / name, index=False)
        return {"file": name, "package": None, "batch_size": 16}

    def prepare_data(self) -> None:
        # Once per node, before every rank's setup: the ranks then find the chunks written.
        if self.hparams.stream:
            self._write_chunks()

    def setup(self, stage: str | None = None) -> None:
        if self.hparams.stream:
            self.chunks = self._write_chunks()  # found finished when prepare_data wrote it
        else:
            super().setup(stage)

    def _write_chunks(self) -> Path:
        hp = self.hparams
        folder = table_chunk_folder(self.path, self.prep, (*hp.split, hp.seed, hp.task))
        write_table_chunks(folder, self.path, self.split_ids, self.prep, max(1, self.stream_workers))
        return folder

    def load(self) -> dict[str, Split]:
        where = self.path.name
        return {
            name: (self.prep.encode(f, where), self.prep.labels(f[self.prep.target], where))
            for name, f in self.frames.items()
        }

    def encode_records(self, records: list[dict]) -> torch.Tensor:
        """Rows of named columns (e.g. JSON objects) as the model's inputs.

        Columns the model does not read are ignored; a missing cell is imputed as in training.

        Returns:
            ``(N, features)`` float32, through the preprocessing fitted on the training split.

        Raises:
            ConfigError: a feature column is absent from every record, or a number is text.
        """
        return self.prep.encode(pd.DataFrame.from_records(records), "records")

    def encode_file(self, path: str | Path) -> torch.Tensor:
        """A CSV or Parquet file of new rows as inputs ``(N, features)``, like ``encode_records``."""
        frame = read_table(Path(path))
        return self.encode_records(frame.to_dict("records"))

    def state_dict(self) -> dict[str, Any]:
        """The fitted preprocessing (lists and numbers): Lightning stores it in each checkpoint."""
        return self.prep.state_dict()

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a checkpoint's preprocessing; splits already loaded are encoded again with it."""
        prep = TablePrep.from_state(state_dict)
        if (prep.width,) != tuple(self.input_shape):
            raise ConfigError(
                f"the checkpoint's preprocessing makes {prep.width} features, {self.path.name} "
                f"{self.input_shape[0]}: the table's columns or categories changed since training"
            )
        self.prep = prep
        if self.chunks is not None:  # streamed: the chunks of this preprocessing (written if new)
            self.chunks = self._write_chunks()
        if self.splits:
            self.splits = {}
            self.setup()

    def _fit(self, frame: pd.DataFrame) -> TablePrep:
        """The split (``frames``) and the preprocessing fitted on its training rows, from the whole table."""
        hp, where = self.hparams, self.path.name
        kinds = {c: self._kind(c, frame[c]) for c in self._features(list(frame.columns))}
        frame = frame[frame[hp.target].notna()]
        self.task = hp.task or infer_task(frame[hp.target])
        self.frames = {
            s: frame.iloc[rows] for s, rows in zip(SPLITS, self._split(frame[hp.target]), strict=True)
        }
        train = self.frames["train"]
        columns = [fit_column(train[c], k, hp.standardize, where) for c, k in kinds.items()]
        return TablePrep(columns, hp.encoding, hp.target, self._classes(frame[hp.target]))

    def _fit_streamed(self) -> TablePrep:
        """``_fit``'s preprocessing (bit for bit) and ``split_ids``, reading one column at a time."""
        hp, where = self.hparams, self.path.name
        features = self._features(table_columns(self.path))
        target = table_column(self.path, hp.target)
        kept = np.flatnonzero(target.notna().to_numpy())  # the file rows of the rows kept
        values = target.iloc[kept]
        self.task = hp.task or infer_task(values)
        classes = self._classes(values)  # a bad target fails before any feature column is read
        cuts = [kept[rows] for rows in self._split(values)]  # each split's file rows, in memory's order
        self.split_ids = np.full(len(target), -1, dtype=np.int8)
        for code, rows in enumerate(cuts):
            self.split_ids[rows] = code
        train = cuts[0]
        del target, values, kept, cuts  # while fitting, only the training rows' positions stay
        columns = []
        for name in features:  # one column in memory at a time
            column = table_column(self.path, name)
            columns.append(fit_column(column.iloc[train], self._kind(name, column), hp.standardize, where))
        return TablePrep(columns, hp.encoding, hp.target, classes)

    def _features(self, columns: list[str]) -> list[str]:
        """The feature columns: every column but the target and ``drop``.

        Raises:
            ConfigError: a column an option names is not there, or no feature column is left.
        """
        hp, where = self.hparams, self.path.name
        given = {"target": [hp.target], "numeric": hp.numeric, "categorical": hp.categorical, "drop": hp.drop}
        for option, names in given.items():
            for name in names or []:
                if name not in columns:
                    listed = ", ".join(map(str, columns))
                    raise ConfigError(f"{where} has no column '{name}' ({option}); its columns: {listed}")
        skip = {hp.target, *(hp.drop or [])}
        features = [c for c in columns if c not in skip]
        if not features:
            raise ConfigError(f"{where} has no feature column besides the target '{hp.target}'")
        return features

    def _kind(self, name: str, values: pd.Series) -> Kind:
        """A feature column's kind: as the options say, else inferred from its cells."""
        hp = self.hparams
        forced = {
            **dict.fromkeys(hp.numeric or [], "numeric"),
            **dict.fromkeys(hp.categorical or [], "categorical"),
        }
        return forced.get(name) or infer_kind(values, self.path.name)

    def _classes(self, values: pd.Series) -> list[str] | None:
        """Class names in label order (numbers by value), from every row; None for a regression.

        Raises:
            ConfigError: fewer than two classes, or a regression target holds text.
        """
        if self.task == "regression":
            numbers(values, self.path.name, hint="set task: classification")
            return None
        names = sorted(as_text(values).unique())
        parsed = pd.to_numeric(pd.Series(names), errors="coerce")
        if parsed.notna().all():
            names = [names[i] for i in parsed.argsort()]
        if len(names) < 2:
            found = f"one class ({names[0]!r})" if names else "no values"
            raise ConfigError(
                f"{self.path.name}: target column '{self.hparams.target}' has {found}; "
                "a classification needs at least two"
            )
        return names

    def _split(self, target: pd.Series) -> list[np.ndarray]:
        """Train, val and test row positions in ``target``: a seeded shuffle, stratified by class.

        Each class's rows, shuffled, are spread evenly over one ordering of all rows (row ``i`` of
        ``n`` at ``(i + 0.5) / n``), which is then cut at the fractions: every split gets the
        exact share of rows and each class in proportion (a regression: one class).

        Returns:
            each split's positions (int64), in shuffled order.
        """
        g = torch.Generator().manual_seed(self.hparams.seed)
        n = len(target)
        classes = as_text(target) if self.task == "classification" else pd.Series("", target.index)
        position = torch.empty(n, dtype=torch.float64)
        for c in sorted(classes.unique()):
            members = torch.tensor((classes == c).to_numpy()).nonzero().flatten()
            shuffled = members[torch.randperm(len(members), generator=g)]
            position[shuffled] = (torch.arange(len(members), dtype=torch.float64) + 0.5) / len(members)
        order = torch.argsort(position + 1e-9 * torch.rand(n, generator=g, dtype=torch.float64))
        train, val = (round(f * n) for f in self.hparams.split[:2])
        cuts = order.split([train, val, n - train - val])
        for name, rows in zip(SPLITS, cuts, strict=True):
            if not len(rows):
                raise ConfigError(f"{self.path.name}: {n} rows leave the {name} split empty")
        return [rows.numpy() for rows in cuts]
