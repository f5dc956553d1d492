"""litzoo's pytest plugin: every test isolated and offline, and the generic tests fed a project's configs.

A project enables it in ``tests/conftest.py``::

    pytest_plugins = ["litzoo.testing.plugin"]

and takes the generic tests into its suite with one module, ``tests/test_generic.py``::

    from litzoo.testing.generic import *  # noqa: F403

Each generic test that asks for ``model_config``, ``data_config``, ``experiment_config`` or
``overlay_config`` runs once per file in the project's ``configs/model``, ``configs/data``,
``configs/experiment`` or ``configs/{trainer,logger,callbacks}``. Options (pytest ini, e.g.
``[tool.pytest.ini_options]`` in pyproject.toml): ``litzoo_configs`` (default ``configs``) and
``litzoo_model``, the model that trains a data config no model names as its default (make's MODEL).

A model config whose net takes minutes to overfit a batch on a CPU (a ResNet-18) says so with a
line ``# litzoo-test: slow-overfit``: its overfit test is then marked ``slow`` (``make test-slow``
runs it); every other generic test of it stays in the fast suite.
"""

from pathlib import Path

import pytest

# The fixture each kind of generic test asks for, and the configs/ folders it runs over.
KINDS = {
    "model_config": ("model",),
    "data_config": ("data",),
    "experiment_config": ("experiment",),
    "overlay_config": ("trainer", "logger", "callbacks"),
}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "litzoo_configs", "the project's configs folder, relative to the rootdir", default="configs"
    )
    parser.addini("litzoo_model", "the model config that trains data configs no model names", default="mlp")


def configs_root(config: pytest.Config) -> Path:
    return config.rootpath / config.getini("litzoo_configs")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    root = configs_root(metafunc.config)
    for fixture, folders in KINDS.items():
        if fixture not in metafunc.fixturenames:
            continue
        files = sorted(file for folder in folders for file in (root / folder).glob("*.yaml"))
        ids = [f"{f.parent.name}/{f.stem}" if len(folders) > 1 else f.stem for f in files]
        metafunc.parametrize(fixture, files, ids=ids)


SLOW_OVERFIT = "# litzoo-test: slow-overfit"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        spec = getattr(item, "callspec", None)
        config = spec.params.get("model_config") if spec is not None else None
        slow = getattr(item, "originalname", "") == "test_model_overfits_one_batch" and config is not None
        if slow and SLOW_OVERFIT in Path(config).read_text():
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def configs_dir(pytestconfig: pytest.Config) -> Path:
    """The project's ``configs/`` folder (absolute: tests run in a folder of their own)."""
    return configs_root(pytestconfig)


@pytest.fixture
def default_model(pytestconfig: pytest.Config) -> str:
    """The model that trains a data config no model names as its default."""
    return pytestconfig.getini("litzoo_model")


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test in its own folder, W&B offline and silent, no run folder inherited, no caches shared."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("WANDB_DATA_DIR", str(tmp_path / "wandb-data"))  # staged artifacts
    monkeypatch.delenv("LITZOO_RUN_DIR", raising=False)
    monkeypatch.delenv("LITZOO_RUN_DIR_OWNER", raising=False)
    return tmp_path
