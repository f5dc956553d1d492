"""Every YAML under configs/ validates against the code it configures."""

import importlib
import inspect
import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from results import targets  # noqa: E402

from litzoo.__main__ import main
from litzoo.cli import LitzooCLI

from conftest import BASE, CONFIGS, EXPERIMENT_CONFIGS, shrink_data

DATA_CONFIGS = sorted((CONFIGS / "data").glob("*.yaml"))
OVERLAYS = sorted((CONFIGS / "trainer").glob("*.yaml")) + sorted((CONFIGS / "logger").glob("*.yaml"))
OVERLAYS += sorted((CONFIGS / "callbacks").glob("*.yaml"))


def parses(capsys: pytest.CaptureFixture, *configs: str) -> dict:
    with pytest.raises(SystemExit) as exit_info:
        main(["fit", "--config", str(CONFIGS / "trainer" / "default.yaml"), *configs, "--print_config"])
    out, err = capsys.readouterr()
    assert exit_info.value.code in (0, None), err
    return yaml.safe_load(out)


@pytest.mark.parametrize("overlay", OVERLAYS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_overlay_configs_validate(capsys: pytest.CaptureFixture, overlay: Path) -> None:
    config = parses(capsys, "--config", str(CONFIGS / "model" / "mlp.yaml"), "--config", str(overlay))
    assert config["trainer"]


@pytest.mark.parametrize("data", DATA_CONFIGS, ids=lambda p: p.stem)
def test_data_configs_validate_and_list_every_option(capsys: pytest.CaptureFixture, data: Path) -> None:
    config = parses(capsys, "--config", str(CONFIGS / "model" / "mlp.yaml"), "--data", str(data))
    spec = yaml.safe_load(data.read_text())
    # Listing every option keeps a DATA= switch from inheriting the previous data's values.
    module, name = spec["class_path"].rsplit(".", 1)
    params = set(inspect.signature(getattr(importlib.import_module(module), name)).parameters)
    assert set(spec["init_args"]) == params
    assert config["data"]["class_path"] == spec["class_path"]


@pytest.mark.parametrize("experiment", EXPERIMENT_CONFIGS, ids=lambda p: p.stem)
def test_experiments_validate_and_state_a_target(capsys: pytest.CaptureFixture, experiment: Path) -> None:
    config = parses(capsys, "--config", str(experiment))
    assert config["model"]["class_path"].startswith("litzoo.modules.")
    assert targets(experiment), "an experiment says what it must reach: '# target: <metric> >= <value>'"
    assert all(metric.startswith("test/") for metric, _, _ in targets(experiment))


@pytest.mark.parametrize("experiment", EXPERIMENT_CONFIGS, ids=lambda p: p.stem)
def test_experiments_run_on_tiny_data(experiment: Path, mnist_dir: Path) -> None:
    args = [*BASE, "--config", str(experiment), *shrink_data(experiment.read_text(), mnist_dir)]
    cli = LitzooCLI(args=["fit", *args, "--trainer.fast_dev_run=true"])
    assert cli.trainer.state.finished and cli.trainer.global_step >= 1
