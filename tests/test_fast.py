"""Fast paths on the CPU: where splits live, the compile option, and what start-up imports."""

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml
from jsonargparse import ArgumentParser

from litzoo.data import device as placement
from litzoo.data.base import TensorDataModule
from litzoo.data.sequences import SequenceDataModule
from litzoo.errors import ConfigError
from litzoo.testing import helpers

from conftest import CONFIGS, model_args


def _splits(n: int) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    return {s: (torch.zeros(n, 4), torch.zeros(n, dtype=torch.long)) for s in ("train", "val", "test")}


def test_auto_keeps_splits_that_fit_a_quarter_of_free_device_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    splits = _splits(100)  # 3 x (1600 + 800) bytes
    nbytes = placement.split_bytes(splits)
    assert nbytes == 3 * (100 * 4 * 4 + 100 * 8)
    cuda = torch.device("cuda", 0)
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda device: (4 * nbytes, 10**12))
    assert placement.wants_device("auto", cuda, splits)
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda device: (4 * nbytes - 1, 10**12))
    assert not placement.wants_device("auto", cuda, splits)
    assert placement.wants_device(True, cuda, splits)  # true: the user's call, whatever is free
    assert not placement.wants_device(False, cuda, splits)


def test_splits_stay_on_the_cpu_without_an_accelerator() -> None:
    assert not placement.wants_device(True, torch.device("cpu"), _splits(4))
    assert not placement.fits_on(torch.device("cpu"), 1)


def test_device_data_refuses_other_values() -> None:
    with pytest.raises(ConfigError, match="device_data is auto, true or false"):
        TensorDataModule(batch_size=4, device_data="yes")  # type: ignore[arg-type]


def test_cpu_run_neither_pins_nor_moves(data_dir: Path) -> None:
    cli = helpers.build(model_args("mlp", data_dir))
    helpers.first_batch(cli)
    dm = cli.datamodule
    assert dm.device_data == "auto" and not dm._pin
    assert dm.splits["train"][0].device.type == "cpu"
    assert not dm.train_dataloader().pin_memory


def test_device_data_and_compile_are_config_options(data_dir: Path) -> None:
    args = model_args("cnn", data_dir)
    options = ["--data.init_args.device_data=false", "--model.init_args.compile=max-autotune"]
    cli = helpers.build([*args, *options])
    assert cli.datamodule.device_data is False
    assert cli.model.hparams.compile == "max-autotune"
    code = subprocess.run(
        [sys.executable, "-m", "litzoo", "fit", *args, "--model.init_args.compile=fastest", "--print_config"],
        capture_output=True,
        text=True,
    )
    assert code.returncode == 2 and "compile" in code.stderr


# A fresh process: inductor's caches and threads stay out of this one. It prints what the test checks.
COMPILE_CHECK = """
import json, time, torch
from litzoo.nets.mlp import MLP
from litzoo.systems.speed import speed_up
torch.manual_seed(0)
net = MLP((1, 28, 28), 10, hidden=[64]).eval()
x = torch.randn(32, 1, 28, 28)
eager = net(x)
keys = sorted(net.state_dict())
assert speed_up(net, torch.device("cpu"), "default") is False  # channels_last is for CUDA only
start = time.perf_counter()
compiled = net(x)
first = time.perf_counter() - start
start = time.perf_counter()
net(x)
print(json.dumps({"diff": (compiled - eager).abs().max().item(), "first_s": first,
                  "next_s": time.perf_counter() - start, "same_keys": sorted(net.state_dict()) == keys}))
"""


@pytest.mark.slow
def test_compile_on_cpu_gives_the_eager_outputs_and_keeps_the_state_dict() -> None:
    out = subprocess.run([sys.executable, "-c", COMPILE_CHECK], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"inductor on CPU: first call {result['first_s']:.1f} s (compiling), then {result['next_s']:.4f} s")
    assert result["diff"] < 1e-5
    assert result["same_keys"]  # checkpoints, export and resume see the plain net


@pytest.mark.slow
def test_fit_with_compile_trains_and_saves_a_plain_checkpoint(data_dir: Path, tmp_path: Path) -> None:
    args = [*model_args("mlp", data_dir), "--model.init_args.compile=default", "--trainer.max_epochs=1"]
    args += [f"--trainer.default_root_dir={tmp_path}"]
    command = [sys.executable, "-m", "litzoo", "fit", *args]
    out = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr[-2000:]
    last = next(tmp_path.rglob("last.ckpt"))
    state = torch.load(last, weights_only=True)["state_dict"]
    assert state and not any("_orig_mod" in k for k in state)


def test_start_up_imports_no_wandb() -> None:
    """W&B is imported by its logger only (matplotlib and torchvision come with Lightning's torchmetrics)."""
    code = "import sys, litzoo.run.cli, litzoo.__main__; print('wandb' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("config", sorted((CONFIGS / "data").glob("*.yaml")), ids=lambda p: p.stem)
def test_every_in_memory_data_module_takes_device_data(config: Path) -> None:
    module, name = yaml.safe_load(config.read_text())["class_path"].rsplit(".", 1)
    assert "device_data:" in getattr(importlib.import_module(module), name).__doc__  # what --help shows
    parser = ArgumentParser()
    parser.add_subclass_arguments(TensorDataModule, "data")  # as the CLI reads --data <config>
    parsed = parser.parse_args(["--data", str(config), "--data.init_args.device_data=false"])
    assert parsed.data.init_args.device_data is False


def test_a_data_module_keeps_the_device_data_it_is_given() -> None:
    assert SequenceDataModule("adding", device_data=False).device_data is False
