"""The table data module: split, preprocessing fitted on training rows only, checkpoint round trip, errors."""

from pathlib import Path

import pandas as pd
import pytest
import torch

from litzoo.data.table_files import tiny_table
from litzoo.data.tables import TableDataModule
from litzoo.errors import ConfigError, DataUnavailableError
from litzoo.run.cli import LitzooCLI

from conftest import BASE, CONFIGS, run_main


def write(frame: pd.DataFrame, folder: Path, name: str = "t.csv") -> Path:
    path = folder / name
    if name.endswith(".parquet"):
        frame.to_parquet(path)
    else:
        frame.to_csv(path, index=False)
    return path


def fit_args(data: Path, *options: str) -> list[str]:
    """``litzoo fit`` of the perceptron on the table file ``data`` (a data config beside it)."""
    config = data.parent / "table.yaml"
    config.write_text(f"class_path: litzoo.data.tables.TableDataModule\ninit_args:\n  file: {data.name}\n")
    model = ["--config", str(CONFIGS / "model" / "perceptron.yaml")]
    return ["fit", *BASE, *model, "--data", str(config), *options, f"--data_dir={data.parent}"]


def table(tmp_path: Path, frame: pd.DataFrame | None = None, **options: object) -> TableDataModule:
    frame = tiny_table({}) if frame is None else frame
    return TableDataModule(file=write(frame, tmp_path).name, data_dir=str(tmp_path), **options)


def test_split_is_70_15_15_stratified_seeded_and_disjoint(tmp_path: Path) -> None:
    dm = table(tmp_path)
    frames = dm.frames
    assert [len(frames[s]) for s in ("train", "val", "test")] == [63, 14, 13]
    rows = [set(f.index) for f in frames.values()]
    assert set.union(*rows) == set(range(90)) and sum(map(len, rows)) == 90
    counts = pd.DataFrame({s: f["target"].value_counts() for s, f in frames.items()})
    shares = counts / counts.sum()
    assert (shares.sub(shares["train"], axis=0).abs() < 0.1).all().all(), counts  # classes in proportion
    assert list(table(tmp_path).frames["val"].index) == list(frames["val"].index)
    assert list(table(tmp_path, seed=1).frames["val"].index) != list(frames["val"].index)


def test_kinds_are_inferred_and_categories_one_hot(tmp_path: Path) -> None:
    dm = table(tmp_path)
    assert dm.task == "classification" and dm.num_outputs == 3 and dm.prep.classes == ["a", "b", "c"]
    assert dm.prep.features == ["x0", "x1", "colour=blue", "colour=green", "colour=red"]
    assert dm.input_shape == (5,)
    label = table(tmp_path, encoding="label", drop=["x1"])
    assert label.prep.features == ["x0", "colour"] and label.input_shape == (2,)
    codes = tiny_table({}).assign(code=[10 * (i % 4) for i in range(90)])
    coded = table(tmp_path, codes, categorical=["code"])  # numbers read as categories
    assert coded.prep.features[-4:] == ["code=0", "code=10", "code=20", "code=30"]
    regression = table(tmp_path, tiny_table({"task": "regression"}))
    assert regression.task == "regression" and regression.num_outputs == 1


def test_statistics_come_from_the_training_rows_only(tmp_path: Path) -> None:
    frame = tiny_table({})
    frame.loc[frame.index % 3 == 0, "x0"] += 100.0  # val and test rows shift the whole-table mean
    dm = table(tmp_path, frame)
    train = dm.frames["train"]
    x1 = train["x1"].astype(float)
    prep = {c.name: c for c in dm.prep.columns}
    assert prep["x1"].fill == pytest.approx(x1.median())
    assert prep["x1"].mean == pytest.approx(x1.fillna(x1.median()).mean())
    assert prep["x0"].mean == pytest.approx(train["x0"].astype(float).mean())
    assert prep["colour"].fill == train["colour"].mode().iloc[0]
    dm.setup()
    features = dm.splits["train"][0][:, :2]
    assert torch.allclose(features.mean(0), torch.zeros(2), atol=1e-5)
    assert torch.allclose(features.std(0, unbiased=False), torch.ones(2), atol=1e-5)
    assert torch.isfinite(dm.splits["val"][0]).all()  # missing cells imputed everywhere


def test_missing_and_unseen_cells_are_imputed_from_training_rows(tmp_path: Path) -> None:
    dm = table(tmp_path)
    prep = {c.name: c for c in dm.prep.columns}
    complete = {"x0": 0.3, "x1": prep["x1"].fill, "colour": prep["colour"].fill}
    gaps = [{"x0": 0.3, "x1": None, "colour": None}, {"x0": "0.3", "colour": "purple", "extra": 1}]
    expected = dm.encode_records([complete, complete])
    assert torch.equal(dm.encode_records(gaps), expected)


def test_new_rows_in_a_csv_or_parquet_get_the_features_of_their_split(tmp_path: Path) -> None:
    dm = table(tmp_path)
    dm.setup()
    test = dm.frames["test"].drop(columns="target")
    for name in ("new.csv", "new.parquet"):
        assert torch.allclose(dm.encode_file(write(test, tmp_path, name)), dm.splits["test"][0])
    records = test.to_dict("records")
    assert torch.equal(dm.encode_records(records), dm.splits["test"][0])


def test_checkpoint_restores_the_fitted_preprocessing(tmp_path: Path) -> None:
    data = write(tiny_table({}), tmp_path)
    cli = LitzooCLI(args=fit_args(data, "--trainer.max_steps=2", "--test_after_fit=false"))
    ckpt = torch.load(Path(cli.trainer.default_root_dir) / "checkpoints" / "last.ckpt", weights_only=True)
    trained = cli.datamodule
    rows = trained.frames["test"].to_dict("records")
    shifted = tiny_table({})
    shifted["x0"] += 5.0  # the same columns and categories, other statistics
    later = table(tmp_path, shifted)
    later.setup()
    assert not torch.allclose(later.encode_records(rows), trained.encode_records(rows))
    later.load_state_dict(ckpt["TableDataModule"])
    assert torch.equal(later.encode_records(rows), trained.encode_records(rows))
    assert torch.equal(later.splits["train"][0], later.prep.encode(later.frames["train"], "t"))
    other = table(tmp_path, shifted, encoding="label")
    with pytest.raises(ConfigError, match="makes 5 features"):
        other.load_state_dict(ckpt["TableDataModule"])
    # predict from the checkpoint, the file now shifted: Lightning hands the module its saved state
    run = Path(cli.trainer.default_root_dir)
    config, last = run / "config.yaml", run / "checkpoints" / "last.ckpt"
    predicted = LitzooCLI(args=["predict", "--config", str(config), f"--ckpt_path={last}"]).datamodule
    assert predicted.prep == trained.prep
    assert torch.equal(predicted.splits["test"][0], trained.prep.encode(predicted.frames["test"], "t"))


@pytest.mark.parametrize(
    ("name", "settings", "metric"),
    [("r.parquet", {"task": "regression"}, "test/mse"), ("c.csv", {"encoding": "label"}, "test/acc")],
)
def test_a_regression_and_a_label_encoded_table_train_and_test(
    tmp_path: Path, name: str, settings: dict, metric: str
) -> None:
    data = write(tiny_table(settings), tmp_path, name)
    options = [f"--data.init_args.{key}={value}" for key, value in settings.items()]
    cli = LitzooCLI(args=fit_args(data, *options, "--trainer.fast_dev_run=true"))
    assert cli.datamodule.task == settings.get("task", "classification")
    assert cli.datamodule.input_shape == ((5,) if "task" in settings else (3,))
    assert torch.isfinite(cli.trainer.callback_metrics[metric])


def bad(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.astype(object)
    frame.loc[7, "x1"] = "abc"
    return frame


ERRORS = {
    "missing column": (tiny_table({}), ["--data.init_args.target=species"], "no column 'species' (target)"),
    "one class": (tiny_table({}).assign(target="a"), [], "target column 'target' has one class ('a')"),
    "text in numeric": (bad(tiny_table({})), [], "column 'x1' holds text 'abc' (row 8)"),
    "text in a regression target": (
        tiny_table({}),
        ["--data.init_args.task=regression"],
        "column 'target' holds text 'a' (row 1) where numbers are expected: fix the cell, or set task",
    ),
    "an id column": (
        tiny_table({}),
        ["--data.init_args.categorical=[x0]"],
        "column 'x0' has another value in each of its 63 training rows (an id or free text?)",
    ),
    "text in forced numeric": (
        tiny_table({}),
        ["--data.init_args.numeric=[colour]"],
        "column 'colour' holds",
    ),
}


@pytest.mark.parametrize("case", ERRORS)
def test_a_bad_table_is_one_line_naming_the_column_and_leaves_no_run(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    frame, options, expected = ERRORS[case]
    data = write(frame, tmp_path)
    code, _, err = run_main(capsys, *fit_args(data, *options))
    assert code == 2, err
    lines = [line for line in err.splitlines() if line.startswith("litzoo: error:")]
    assert len(lines) == 1 and expected in lines[0], err
    assert "Traceback" not in err
    assert not (tmp_path / "runs").exists()


def test_a_table_that_is_not_there_says_where_it_was_looked_for(tmp_path: Path) -> None:
    with pytest.raises(DataUnavailableError, match=f"no table file {tmp_path}/nope.csv"):
        TableDataModule(file="nope.csv", data_dir=str(tmp_path))
    with pytest.raises(DataUnavailableError, match="pip install no_such_package"):
        TableDataModule(file="t.csv", package="no_such_package")


def test_penguins_config_reads_the_packaged_table() -> None:
    import yaml

    spec = yaml.safe_load((CONFIGS / "data" / "penguins.yaml").read_text())
    dm = TableDataModule(**spec["init_args"])
    assert sum(len(f) for f in dm.frames.values()) == 344
    assert dm.class_names == ["Adelie", "Chinstrap", "Gentoo"] and dm.input_shape == (9,)
    assert {c.name for c in dm.prep.columns if c.kind == "categorical"} == {"island", "sex"}


@pytest.mark.slow
def test_the_penguins_experiment_reaches_its_target(tmp_path: Path) -> None:
    from litzoo import configs

    exp = configs.experiment("mlp_penguins", CONFIGS)
    args = configs.fit_args(exp.model, exp.data, exp.name, logger="csv", data_dir=str(tmp_path), root=CONFIGS)
    # No callbacks (checkpoints, the progress bar): the final weights are tested, and quietly.
    cli = LitzooCLI(args=["fit", *args, "--trainer.enable_progress_bar=false", "--trainer.callbacks=[]"])
    metrics = {k: float(v) for k, v in cli.trainer.callback_metrics.items()}
    assert all(target.met(metrics[target.metric]) for target in exp.targets), metrics
