"""DDP on two CPU processes: the same code path as multi-GPU, checked on any machine."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import model_args


@pytest.mark.slow
def test_ddp_on_two_cpu_processes_trains_and_agrees_on_one_run_folder(data_dir: Path, tmp_path: Path) -> None:
    args = model_args("mlp", data_dir)
    args += [
        "--model.init_args.net.init_args.hidden=[32]",
        "--trainer.max_epochs=2",
        f"--trainer.default_root_dir={tmp_path / 'runs'}",
    ]
    args += ["--trainer.accelerator=cpu", "--trainer.devices=2", "--trainer.strategy=ddp"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("{{ cookiecutter.package_name.upper() }}")}
    result = subprocess.run(
        [sys.executable, "-m", "{{ cookiecutter.package_name }}", "fit", *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "{{ cookiecutter.package_name }}: run finished" in result.stdout and "test/acc=" in result.stdout
    runs = list((tmp_path / "runs" / "mlp-mnist").iterdir())
    assert len(runs) == 1, f"ranks disagreed on the run folder: {runs}"
    checkpoints = sorted(p.name for p in (runs[0] / "checkpoints").iterdir())
    assert "last.ckpt" in checkpoints and any(name.startswith("best-") for name in checkpoints)
