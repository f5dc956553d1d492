"""The GPU path: data on the device, bf16, compile, a fit and an exact resume, DDP on two GPUs.

Skipped with a visible reason where there is no CUDA; where there is, ``pytest tests/test_gpu.py``
checks the same code paths the CPU tests do, on the device.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from lightning import Callback

from litzoo.testing import helpers

from conftest import model_args

CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA here")
TWO_GPUS = pytest.mark.skipif(torch.cuda.device_count() < 2, reason="needs two CUDA devices")
GPU = ["--trainer.accelerator=gpu", "--trainer.devices=1"]
SMALL = ["--model.init_args.net.init_args.hidden=[32]", "--trainer.max_epochs=2"]


class BatchDevices(Callback):
    """Records where the splits and each training batch are, before any transfer would happen."""

    def __init__(self) -> None:
        self.split_device, self.batch_devices = "", set()

    def on_train_start(self, trainer, pl_module) -> None:  # noqa: ANN001
        self.split_device = trainer.datamodule.splits["train"][0].device.type

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:  # noqa: ANN001
        self.batch_devices.add(batch[0].device.type)


def litzoo(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LITZOO")}
    env["CUBLAS_WORKSPACE_CONFIG"] = ":4096:8"  # deterministic cuBLAS: resumed weights equal exactly
    command = [sys.executable, "-m", "litzoo", *args]
    result = subprocess.run(
        command, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def _fit_in_process(args: list[str]) -> BatchDevices:
    cli = helpers.build(args)
    probe = BatchDevices()
    trainer = helpers.bare_trainer(probe, accelerator="gpu", devices=1, max_epochs=1)
    trainer.fit(cli.model, datamodule=cli.datamodule)
    return probe


@CUDA
def test_splits_live_on_the_gpu_and_batches_are_indexed_there(data_dir: Path) -> None:
    probe = _fit_in_process(model_args("mlp", data_dir))
    assert probe.split_device == "cuda" and probe.batch_devices == {"cuda"}


@CUDA
def test_device_data_false_gives_pinned_batches(data_dir: Path) -> None:
    cli = helpers.build([*model_args("mlp", data_dir), "--data.init_args.device_data=false"])
    probe = BatchDevices()
    trainer = helpers.bare_trainer(probe, accelerator="gpu", devices=1, max_epochs=1)
    trainer.fit(cli.model, datamodule=cli.datamodule)
    assert probe.split_device == "cpu" and cli.datamodule.train_dataloader().pin_memory


@CUDA
@pytest.mark.parametrize("compile_mode", [None, "default"], ids=["eager", "compiled"])
def test_bf16_mixed_fit_on_cuda_learns(data_dir: Path, tmp_path: Path, compile_mode: str | None) -> None:
    args = [*model_args("cnn", data_dir), *GPU, "--trainer.precision=bf16-mixed", "--trainer.max_epochs=3"]
    args += [f"--trainer.default_root_dir={tmp_path}"]
    args += [f"--model.init_args.compile={compile_mode}"] if compile_mode else []
    out = litzoo("fit", *args)
    assert "test/acc=" in out.stdout
    state = torch.load(next(tmp_path.rglob("last.ckpt")), weights_only=True)["state_dict"]
    assert all(torch.isfinite(v).all() for v in state.values() if v.is_floating_point())


@CUDA
def test_a_gpu_run_resumes_to_the_uninterrupted_weights(data_dir: Path, tmp_path: Path) -> None:
    base = [*model_args("mlp", data_dir), *GPU, *SMALL, "--trainer.deterministic=true"]
    litzoo("fit", *base, f"--trainer.default_root_dir={tmp_path / 'whole'}")
    litzoo("fit", *base, "--trainer.max_epochs=1", f"--trainer.default_root_dir={tmp_path / 'cut'}")
    whole, cut = (next((tmp_path / name).glob("*/*")) for name in ("whole", "cut"))
    litzoo("resume", str(cut), "--trainer.max_epochs=2")
    a, b = (
        torch.load(r / "checkpoints" / "last.ckpt", weights_only=True)["state_dict"] for r in (whole, cut)
    )
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


@CUDA
@TWO_GPUS
def test_ddp_on_two_gpus_trains_one_run(data_dir: Path, tmp_path: Path) -> None:
    args = [*model_args("mlp", data_dir), *SMALL, f"--trainer.default_root_dir={tmp_path}"]
    out = litzoo("fit", *args, "--trainer.accelerator=gpu", "--trainer.devices=2", "--trainer.strategy=ddp")
    assert "test/acc=" in out.stdout
    assert len(list(tmp_path.glob("*/*"))) == 1, "ranks disagreed on the run folder"
