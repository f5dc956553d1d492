"""Tiny data for tests: each data module declares its own tiny settings (``tiny``), in its real format."""

import importlib
import json
from pathlib import Path
from typing import Any

import yaml


def data_class(data_config: Path) -> type:
    """The class a data config names (its ``class_path``)."""
    spec = yaml.safe_load(data_config.read_text())
    module, name = spec["class_path"].rsplit(".", 1)
    return getattr(importlib.import_module(module), name)


def tiny_settings(data_config: Path, folder: Path) -> dict[str, Any]:
    """The overrides that make a data config tiny, from its class's ``tiny`` (which may write files).

    A data module without ``tiny`` runs as configured.
    """
    spec = yaml.safe_load(data_config.read_text())
    tiny = getattr(data_class(data_config), "tiny", None)
    folder.mkdir(parents=True, exist_ok=True)
    return dict(tiny(dict(spec.get("init_args") or {}), folder)) if tiny is not None else {}


def tiny_args(data_config: Path, folder: Path) -> list[str]:
    """``--data.init_args.<key>=<value>`` for each tiny setting, and ``--data_dir`` at ``folder``."""
    settings = tiny_settings(data_config, folder)
    args = [f"--data.init_args.{key}={cli_value(value)}" for key, value in settings.items()]
    return [*args, f"--data_dir={folder}"]


def cli_value(value: Any) -> str:
    """A value as the CLI reads it back: strings as they are, the rest as JSON (lists, booleans, null)."""
    return value if isinstance(value, str) else json.dumps(value)
