"""Every YAML under configs/ validates against the code it configures and says only what it must."""

import importlib
import inspect
from pathlib import Path

import pytest
import torch
import yaml

from litzoo import configs
from litzoo.run.cli import LitzooCLI

from conftest import (
    CONFIGS,
    DATA_CONFIGS,
    DEFAULT_MODEL,
    EXPERIMENT_CONFIGS,
    experiment_args,
    model_args,
    run_main,
)

OVERLAYS = sorted((CONFIGS / "trainer").glob("*.yaml")) + sorted((CONFIGS / "logger").glob("*.yaml"))
OVERLAYS += sorted((CONFIGS / "callbacks").glob("*.yaml"))


def resolved(capsys: pytest.CaptureFixture, *args: str) -> dict:
    code, out, err = run_main(capsys, "fit", *args, "--print_config")
    assert code == 0, err
    return yaml.safe_load(out)


@pytest.mark.parametrize("overlay", OVERLAYS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_overlay_configs_validate(capsys: pytest.CaptureFixture, overlay: Path) -> None:
    args = configs.fit_args(DEFAULT_MODEL, logger="csv", root=CONFIGS)
    assert resolved(capsys, *args, "--config", str(overlay))["trainer"]


@pytest.mark.parametrize("data", DATA_CONFIGS, ids=lambda p: p.stem)
def test_data_configs_hold_only_what_differs_from_the_code_defaults(data: Path) -> None:
    spec = yaml.safe_load(data.read_text())
    module, name = spec["class_path"].rsplit(".", 1)
    params = inspect.signature(getattr(importlib.import_module(module), name)).parameters
    for key, value in (spec.get("init_args") or {}).items():
        assert key in params, f"{data.name}: {key} is not an option of {name}"
        assert value != params[key].default, f"{data.name}: {key}: {value!r} is the code default already"


@pytest.mark.parametrize("data", DATA_CONFIGS, ids=lambda p: p.stem)
def test_every_data_config_loads_tiny_generated_data_and_trains(data: Path, data_dir: Path) -> None:
    args = model_args(DEFAULT_MODEL, data_dir, data.stem)
    cli = LitzooCLI(args=["fit", *args, "--trainer.fast_dev_run=true"])
    dm = cli.datamodule
    x, y = next(iter(dm.train_dataloader()))
    assert x.shape[1:] == dm.input_shape and len(y) == len(x)
    if dm.task == "classification":
        assert int(y.min()) >= 0 and int(y.max()) < dm.num_outputs
    assert cli.trainer.state.finished
    assert all(torch.isfinite(v) for v in cli.trainer.callback_metrics.values())


def _leaves(tree: object, prefix: tuple = ()) -> list[tuple]:
    """Paths to the values a YAML sets, e.g. ``("data", "init_args", "batch_size")``."""
    if isinstance(tree, dict):
        return [leaf for key, sub in tree.items() for leaf in _leaves(sub, (*prefix, key))]
    return [prefix]


def _get(tree: dict, path: tuple) -> object:
    for key in path:
        tree = tree.get(key, {}) if isinstance(tree, dict) else {}
    return tree


@pytest.mark.parametrize("experiment", EXPERIMENT_CONFIGS, ids=lambda p: p.stem)
def test_experiments_stack_on_their_model_and_hold_only_what_differs(
    capsys: pytest.CaptureFixture, experiment: Path
) -> None:
    exp = configs.experiment(experiment.stem, CONFIGS)
    assert exp.targets, "an experiment says what it must reach: '# target: <metric> >= <value>'"
    assert all(t.metric.startswith("test/") for t in exp.targets)
    stack = {"logger": "csv", "root": CONFIGS}
    base = resolved(capsys, *configs.fit_args(exp.model, exp.data, **stack))
    stacked = resolved(capsys, *configs.fit_args(exp.model, exp.data, experiment.stem, **stack))
    for path in _leaves(yaml.safe_load(experiment.read_text())):
        assert _get(stacked, path) != _get(base, path), f"{experiment.name} restates {'.'.join(path)}"


@pytest.mark.parametrize("experiment", EXPERIMENT_CONFIGS, ids=lambda p: p.stem)
def test_experiments_run_on_tiny_data(experiment: Path, data_dir: Path) -> None:
    args = experiment_args(experiment.stem, data_dir)
    cli = LitzooCLI(args=["fit", *args, "--trainer.fast_dev_run=true"])
    assert cli.trainer.state.finished and cli.trainer.global_step >= 1
    assert Path(cli.trainer.default_root_dir).parent.name == experiment.stem  # named as typed
