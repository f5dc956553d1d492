"""Where a table file is (a data folder or an installed package), and tiny tables for the tests."""

import importlib.resources
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from litzoo.data.base import DEFAULT_DATA_DIR
from litzoo.errors import DataUnavailableError


def table_path(file: str, data_dir: str | None, package: str | None) -> Path:
    """``file`` in ``data_dir``, or inside the installed Python package ``package``.

    Raises:
        DataUnavailableError: the package is not installed.
    """
    if not package:
        return Path(data_dir or DEFAULT_DATA_DIR) / file
    try:
        return Path(str(importlib.resources.files(package) / file))
    except ModuleNotFoundError:
        raise DataUnavailableError(
            f"the table {file} comes with the Python package {package}, which is not installed: "
            f"pip install {package} (litzoo's own tables: pip install 'litzoo[tables]')"
        ) from None


def tiny_table(init_args: dict[str, Any], rows: int = 90) -> pd.DataFrame:
    """Rows whose target follows from two numeric columns, a categorical one and missing cells.

    Columns the config names (``numeric``, ``categorical``, ``drop``) are there too, so the
    config's own settings work on it.
    """
    g = torch.Generator().manual_seed(0)
    x = torch.randn(rows, 2, generator=g)
    frame = pd.DataFrame({"x0": x[:, 0].numpy(), "x1": x[:, 1].numpy()})
    frame["colour"] = [("red", "green", "blue")[i % 3] for i in range(rows)]
    frame.loc[::11, "x1"] = None
    frame.loc[::13, "colour"] = None
    for name in init_args.get("numeric") or []:
        frame[name] = torch.rand(rows, generator=g).numpy()
    for name in [*(init_args.get("categorical") or []), *(init_args.get("drop") or [])]:
        frame[name] = [f"v{i % 2}" for i in range(rows)]
    score = x[:, 0] + 0.5 * x[:, 1]
    regression = init_args.get("task") == "regression"
    classes = torch.bucketize(score, torch.tensor([-0.5, 0.5]))
    target: list = score.tolist() if regression else [("a", "b", "c")[int(c)] for c in classes]
    frame[init_args.get("target", "target")] = target
    return frame
