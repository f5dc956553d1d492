"""make bench's time-to-accuracy section runs whole commands and prints them side by side."""

import subprocess
import sys
from pathlib import Path

import pytest
import torch

from conftest import ROOT

TINY = "--data.init_args.val_size=16 --data.init_args.download=false --trainer.max_epochs=1"


@pytest.mark.slow
def test_bench_times_the_default_and_the_fast_preset_to_their_test_metric(data_dir: Path) -> None:
    command = [sys.executable, str(ROOT / "scripts" / "bench.py"), "--data-dir", str(data_dir)]
    command += ["--skip-epochs", "--pairs", "mlp:mnist_fast", f"--fit-args={TINY}"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.strip().splitlines()
    table = lines[lines.index(next(x for x in lines if x.startswith("time to accuracy"))) + 2 :]
    rows = {line.split()[0]: line.split() for line in table if not line.startswith("fast_speedup")}
    assert set(rows) == {"mlp", "mnist_fast"}
    assert rows["mnist_fast"][1] == "0.980"  # the target its header states
    assert all(
        float(row[2]) > 0 and 0 <= float(row[4]) <= 1 and row[5].endswith("s") for row in rows.values()
    )
    assert lines[-1].startswith("fast_speedup_mnist_fast=") and float(lines[-1].split("=")[1]) > 0
    assert all("first step after" in line for line in lines if " seed 0:" in line)


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is here: make bench-gpu measures")
def test_bench_gpu_without_cuda_says_so_in_one_line_and_fails() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bench_gpu.py")], capture_output=True, text=True
    )
    assert result.returncode == 1
    assert (
        result.stdout.strip()
        == "bench-gpu: no CUDA device here; run make bench-gpu on a machine with one (nothing measured)"
    )


@pytest.mark.slow
def test_bench_gpu_code_runs_on_the_cpu_and_prints_both_loops(data_dir: Path) -> None:
    command = [
        sys.executable,
        str(ROOT / "scripts" / "bench_gpu.py"),
        "--device",
        "cpu",
        "--data-dir",
        str(data_dir),
    ]
    command += [f"--fit-args={TINY}"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    rows = [line.split() for line in result.stdout.strip().splitlines()[1:]]
    assert [row[:2] for row in rows] == [
        ["mlp", "plain"],
        ["mlp", "litzoo"],
        ["cnn", "plain"],
        ["cnn", "litzoo"],
    ]
    assert all(0 <= float(row[3]) <= 1 and float(row[4]) > 0 for row in rows)  # accuracy, samples/s
