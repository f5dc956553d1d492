"""DDP on two CPU processes: the same code path as multi-GPU, checked on any machine."""

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest
from torchvision.datasets.mnist import read_label_file

from conftest import make_idx_dataset, model_args


@pytest.mark.slow
def test_ddp_on_two_cpu_processes_trains_and_agrees_on_one_run_folder(tmp_path: Path) -> None:
    data = tmp_path / "data"
    args = model_args("mlp", data)  # writes the tiny MNIST files; then 33 test samples in their place:
    make_idx_dataset(data, n_test=33)  # odd, so that Lightning pads rank 1's share
    args += [
        "--model.init_args.net.init_args.hidden=[32]",
        "--trainer.max_epochs=2",
        f"--trainer.default_root_dir={tmp_path / 'runs'}",
    ]
    args += ["--trainer.accelerator=cpu", "--trainer.devices=2", "--trainer.strategy=ddp"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("LITZOO")}
    result = subprocess.run(
        [sys.executable, "-m", "litzoo", "fit", *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "litzoo: run finished" in result.stdout and "test/acc=" in result.stdout
    runs = list((tmp_path / "runs" / "mlp-mnist").iterdir())
    assert len(runs) == 1, f"ranks disagreed on the run folder: {runs}"
    checkpoints = sorted(p.name for p in (runs[0] / "checkpoints").iterdir())
    assert "last.ckpt" in checkpoints and any(name.startswith("best-") for name in checkpoints)
    # The error analysis holds both ranks' shares, the padding dropped, in the test set's order.
    per_class = list(csv.DictReader((runs[0] / "per_class.csv").open()))
    assert sum(int(row["support"]) for row in per_class) == 33
    labels = read_label_file(str(data / "MNIST" / "raw" / "t10k-labels-idx1-ubyte"))
    mistakes = list(csv.DictReader((runs[0] / "mistakes.csv").open()))
    indices = [int(row["index"]) for row in mistakes]
    assert len(indices) >= 5, "few mistakes to check the order with"
    assert len(set(indices)) == len(indices) and all(0 <= i < 33 for i in indices)
    assert [int(row["true"]) for row in mistakes] == [int(labels[i]) for i in indices]
