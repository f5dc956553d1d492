"""Shared fixtures: litzoo's plugin (isolated, offline W&B), tiny MNIST files in real IDX format."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from lightning import Callback
from torchvision import datasets

from litzoo.data.idx_files import file_names, write_idx
from litzoo.testing import helpers
from litzoo.testing.tiny import tiny_args

pytest_plugins = ["litzoo.testing.plugin"]

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"
IMAGE_DATASETS = ("MNIST", "FashionMNIST", "KMNIST")


def make_idx_dataset(
    root: Path, n_train: int = 96, n_test: int = 32, compress: bool = False, dataset: str = "MNIST"
) -> Path:
    """Create ``root/<dataset>/raw`` with tiny random images; labels are learnable from pixels."""
    raw = root / dataset / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    g = torch.Generator().manual_seed(0)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        labels = torch.randint(0, 10, (n,), generator=g)
        images = torch.randint(0, 60, (n, 28, 28), generator=g)
        images[torch.arange(n), labels * 2 + 4, 4:24] = 255  # a bright row that encodes the label
        write_idx(raw / f"{prefix}-images-idx3-ubyte", images, compress)
        write_idx(raw / f"{prefix}-labels-idx1-ubyte", labels, compress)
    expected = file_names(getattr(datasets, dataset))
    assert sorted(p.name.removesuffix(".gz") for p in raw.iterdir()) == sorted(expected)
    return root


def wait_for(folder: Path, name: str, poll: float = 0.05) -> None:
    """Until a file called ``name`` is under ``folder`` (at most two minutes)."""
    deadline = time.monotonic() + 120
    while not list(folder.rglob(name)) and time.monotonic() < deadline:
        time.sleep(poll)


def signal_a_training_fit(args: list[str], runs: Path, sig: signal.Signals) -> tuple[int, str]:
    """Start ``litzoo fit`` in a process of its own, send ``sig`` once it trains; its exit code and stderr."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LITZOO")}
    run = subprocess.Popen(
        [sys.executable, "-m", "litzoo", "fit", *args, f"--trainer.default_root_dir={runs}"], env=env,
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    wait_for(runs, "last.ckpt", poll=0.2)  # training has begun once the first epoch's checkpoint exists
    time.sleep(1.0)
    run.send_signal(sig)
    _, err = run.communicate(timeout=120)
    return run.returncode, err


def run_main(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    """``python -m litzoo …`` in this process: (exit code, stdout, stderr)."""
    from litzoo.__main__ import main

    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    out, err = capsys.readouterr()
    return exit_info.value.code or 0, out, err


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A data folder with every torchvision IDX data set the data configs may name, tiny."""
    for dataset in IMAGE_DATASETS:
        make_idx_dataset(tmp_path / "data", dataset=dataset)
    return tmp_path / "data"


# The default trainer with the CSV logger: what most tests fit with.
BASE = [
    "--config",
    str(CONFIGS / "trainer" / "default.yaml"),
    "--config",
    str(CONFIGS / "logger" / "csv.yaml"),
]


def every_step_trainer(folder: Path) -> list[str]:
    """``--config`` of the default trainer with a periodic checkpoint after every step."""
    path = folder / "every_step.yaml"
    default = (CONFIGS / "trainer" / "default.yaml").read_text()
    path.write_text(default.replace("every_n_train_steps: 500", "every_n_train_steps: 1"))
    return ["--config", str(path)]


def model_args(model: str, data_dir: Path, data: str | None = None) -> list[str]:
    """``BASE``, a model config, and its default (or the given) data made tiny."""
    return helpers.model_args(CONFIGS, model, data_dir, data)


def data_args(data: str, data_dir: Path) -> list[str]:
    """A data config made tiny by its own ``tiny`` settings, with ``data_dir`` as its folder."""
    path = CONFIGS / "data" / f"{data}.yaml"
    return ["--data", str(path), *tiny_args(path, data_dir)]


class PoisonWeights(Callback):
    """Turns the first weight to NaN before training step ``step``: a run that diverges there."""

    def __init__(self, step: int = 3) -> None:
        self.step = step

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:  # noqa: ANN001
        if trainer.global_step == self.step:
            with torch.no_grad():
                next(pl_module.parameters()).fill_(float("nan"))


class Slow(Callback):
    """Sleeps after each training batch, so a test can kill a run in the middle of an epoch."""

    def __init__(self, seconds: float = 0.3) -> None:
        self.seconds = seconds

    def on_train_batch_end(self, *args: object) -> None:
        time.sleep(self.seconds)


class RankSkew(Callback):
    """Draws from the global RNG on ranks other than 0 before each batch: ranks' dropout differs.

    A resume under DDP is then exact only if every rank gets its own RNG state back.
    """

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:  # noqa: ANN001
        if trainer.global_rank:
            torch.rand(trainer.global_rank)
