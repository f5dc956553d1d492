"""Every YAML under configs/ validates against the code it configures."""

import importlib
import inspect
from pathlib import Path

import pytest
import yaml

from litzoo.__main__ import main

from conftest import CONFIGS

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
