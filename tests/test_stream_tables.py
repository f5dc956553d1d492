"""A streamed table (stream: true): never read whole, the in-memory split and features, the same errors."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from litzoo.data import tables, tables_prep, tables_stream
from litzoo.data.table_files import tiny_table
from litzoo.data.tables import SPLITS
from litzoo.errors import ConfigError
from litzoo.run.cli import LitzooCLI
from test_stream import _metrics, _rows
from test_tables import ERRORS, fit_args, table, write

from conftest import run_main

pytest.importorskip("litdata")


class WholeReadError(AssertionError):
    """The table was read whole while streaming."""


@pytest.fixture
def parts_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every way of reading a table whole fails: only a header, single columns or blocks of rows."""
    read_csv, read_parquet = pd.read_csv, pd.read_parquet

    def csv(path: object, *args: object, **kw: object) -> object:
        if not {"usecols", "chunksize", "nrows"} & kw.keys():
            raise WholeReadError(f"pd.read_csv({path}) of every column and row")
        return read_csv(path, *args, **kw)

    def parquet(path: object, *args: object, **kw: object) -> object:
        if not kw.get("columns"):
            raise WholeReadError(f"pd.read_parquet({path}) of every column")
        return read_parquet(path, *args, **kw)

    def whole(path: Path) -> None:
        raise WholeReadError(f"read_table({path})")

    monkeypatch.setattr(pd, "read_csv", csv)
    monkeypatch.setattr(pd, "read_parquet", parquet)
    monkeypatch.setattr(tables, "read_table", whole)
    monkeypatch.setattr(tables_prep, "read_table", whole)
    monkeypatch.setattr(tables_stream, "BLOCK_ROWS", 7)  # several blocks a split, a short last one


def _table(settings: dict) -> pd.DataFrame:
    """``tiny_table`` with a numeric code read as categories and rows without a target (left out)."""
    frame = tiny_table(settings).assign(code=[10 * (i % 4) for i in range(90)])
    frame.loc[[4, 40, 77], "target"] = None
    return frame


@pytest.mark.parametrize(
    ("name", "settings"),
    [("t.csv", {}), ("t.parquet", {"task": "regression"})],
)
def test_a_streamed_table_is_the_in_memory_split_and_features_from_parts_of_the_file(
    tmp_path: Path, request: pytest.FixtureRequest, name: str, settings: dict
) -> None:
    file = write(_table(settings), tmp_path, name).name
    options = {"file": file, "data_dir": str(tmp_path), "categorical": ["code"], "batch_size": 16, **settings}
    memory = tables.TableDataModule(**options)
    memory.setup()
    request.getfixturevalue("parts_only")
    with pytest.raises(WholeReadError):
        tables_prep.read_table(tmp_path / file)  # the guard is on
    stream = tables.TableDataModule(**options, stream=True)
    assert stream.prep == memory.prep and stream.state_dict() == memory.state_dict()  # bit for bit
    assert stream.split_ids.dtype == np.int8 and not stream.frames and len(stream.split_ids) == 90
    for code, split in enumerate(SPLITS):
        assert set(np.flatnonzero(stream.split_ids == code)) == set(memory.frames[split].index), split
    assert set(np.flatnonzero(stream.split_ids < 0)) == {4, 40, 77}
    stream.prepare_data()
    stream.setup()
    assert not stream.splits
    for split in SPLITS:
        batches = list(getattr(stream, f"{split}_dataloader")())
        x, y = torch.cat([b[0] for b in batches]), torch.cat([b[1] for b in batches])
        assert x.dtype == torch.float32 and y.dtype == memory.splits[split][1].dtype
        assert _rows(x, y) == _rows(*memory.splits[split]), split
    records = memory.frames["test"].to_dict("records")
    assert torch.equal(stream.encode_records(records), memory.splits["test"][0])


def test_a_streamed_fit_and_predict_read_the_table_in_parts_only_and_the_loss_falls(
    tmp_path: Path, parts_only: None
) -> None:
    data = write(tiny_table({}), tmp_path)
    options = ["--data.init_args.stream=true", "--data.init_args.batch_size=8", "--trainer.max_epochs=10"]
    cli = LitzooCLI(args=fit_args(data, *options, "--test_after_fit=false"))
    assert cli.datamodule.chunks.parent == tmp_path / ".litzoo-cache"
    losses = [float(r["val/loss"]) for r in _metrics(Path(cli.trainer.default_root_dir)) if r.get("val/loss")]
    assert len(losses) == 10 and losses == sorted(losses, reverse=True) and losses[-1] < losses[0] - 0.05
    run = Path(cli.trainer.default_root_dir)
    config, last = run / "config.yaml", run / "checkpoints" / "last.ckpt"
    predict = LitzooCLI(args=["predict", "--config", str(config), f"--ckpt_path={last}"])
    assert predict.datamodule.prep == cli.datamodule.prep
    assert predict.datamodule.chunks == cli.datamodule.chunks
    predictions = predict.trainer.predict_loop.predictions
    assert sum(len(p) for p in predictions) == 13  # the test split, streamed from the chunks


@pytest.mark.parametrize("case", ["missing column", "one class", "text in numeric", "text in forced numeric"])
def test_a_bad_streamed_table_is_the_in_memory_line(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture, parts_only: None
) -> None:
    frame, options, expected = ERRORS[case]
    code, _, err = run_main(
        capsys, *fit_args(write(frame, tmp_path), *options, "--data.init_args.stream=true")
    )
    lines = [line for line in err.splitlines() if line.startswith("litzoo: error:")]
    assert code == 2 and len(lines) == 1 and expected in lines[0], err
    assert not (tmp_path / "runs").exists() and not (tmp_path / ".litzoo-cache").exists()


def test_text_in_a_validation_row_fails_the_write_as_in_memory_and_leaves_no_chunks(tmp_path: Path) -> None:
    frame = tiny_table({}).astype(object)
    val = table(tmp_path, frame).frames["val"].index[0]
    frame.loc[val, "x0"] = "abc"  # numeric by option: only the training rows are fitted, val fails later
    memory = table(tmp_path, frame, numeric=["x0"])
    with pytest.raises(ConfigError) as in_memory:
        memory.setup()
    stream = table(tmp_path, frame, numeric=["x0"], stream=True)
    with pytest.raises(ConfigError) as streamed:
        stream.prepare_data()
    assert str(streamed.value) == str(in_memory.value)
    assert f"column 'x0' holds text 'abc' (row {val + 1})" in str(streamed.value)
    assert not [p for p in (tmp_path / ".litzoo-cache").iterdir() if p.name.startswith("stream-")]
