"""Shared fixtures: isolated run folders, offline W&B, tiny MNIST files in real IDX format."""

import gzip
import struct
from pathlib import Path

import pytest
import torch

from litzoo.data.mnist_files import FILES

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"
MODEL_CONFIGS = sorted((CONFIGS / "model").glob("*.yaml"))
EXPERIMENT_CONFIGS = sorted((CONFIGS / "experiment").glob("*.yaml"))


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run every test in its own folder, offline, with no run folder inherited."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("LITZOO_RUN_DIR", raising=False)
    monkeypatch.delenv("LITZOO_RUN_DIR_OWNER", raising=False)
    return tmp_path


def write_idx(path: Path, array: torch.Tensor, compress: bool = False) -> None:
    """Write a uint8 tensor in the IDX format MNIST uses (big-endian header)."""
    header = struct.pack(">HBB", 0, 0x08, array.dim()) + struct.pack(f">{array.dim()}I", *array.shape)
    payload = header + array.to(torch.uint8).numpy().tobytes()
    if compress:
        path = path.with_name(path.name + ".gz")
        payload = gzip.compress(payload)
    path.write_bytes(payload)


def make_mnist(root: Path, n_train: int = 96, n_test: int = 32, compress: bool = False) -> Path:
    """Create ``root/MNIST/raw`` with tiny random digits; labels are learnable from pixels."""
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    g = torch.Generator().manual_seed(0)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        labels = torch.randint(0, 10, (n,), generator=g)
        images = torch.randint(0, 60, (n, 28, 28), generator=g)
        images[torch.arange(n), labels * 2 + 4, 4:24] = 255  # a bright row that encodes the label
        write_idx(raw / f"{prefix}-images-idx3-ubyte", images, compress)
        write_idx(raw / f"{prefix}-labels-idx1-ubyte", labels, compress)
    assert sorted(p.name.removesuffix(".gz") for p in raw.iterdir()) == sorted(FILES)
    return root


@pytest.fixture
def mnist_dir(tmp_path: Path) -> Path:
    return make_mnist(tmp_path / "data")


# The default trainer with the CSV logger: what most tests fit with.
BASE = [
    "--config",
    str(CONFIGS / "trainer" / "default.yaml"),
    "--config",
    str(CONFIGS / "logger" / "csv.yaml"),
]


def default_data(model_config: Path) -> str:
    """The data a model config names on its ``data: ../data/<name>.yaml`` line."""
    return model_config.read_text().split("data: ../data/")[1].split(".yaml")[0]


def tiny_data_args(config: Path, data_dir: Path) -> list[str]:
    """CLI arguments that shrink a model config's default data to a few batches."""
    return data_args(default_data(config), data_dir)


def model_args(model: str, data_dir: Path, data: str | None = None) -> list[str]:
    """``BASE``, a model config, and its default (or the given) data made tiny."""
    config = CONFIGS / "model" / f"{model}.yaml"
    return [*BASE, "--config", str(config), *data_args(data or default_data(config), data_dir)]


def data_args(data: str, data_dir: Path) -> list[str]:
    path = CONFIGS / "data" / f"{data}.yaml"
    return ["--data", str(path), *shrink_data(path.read_text(), data_dir)]


def shrink_data(config_text: str, data_dir: Path) -> list[str]:
    """Overrides that make the data a config names tiny (MNIST from ``data_dir``)."""
    args = ["--data.init_args.batch_size=32"]
    if "MNISTDataModule" in config_text:
        return [*args, f"--data.init_args.data_dir={data_dir}", "--data.init_args.val_size=32"]
    sizes = ("train_size=64", "val_size=32", "test_size=32", "seq_len=12")
    return args + [f"--data.init_args.{s}" for s in sizes]
