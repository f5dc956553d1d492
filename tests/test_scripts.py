"""The benchmark and results scripts run end to end on tiny data."""

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT


@pytest.mark.slow
@pytest.mark.parametrize("net", [[], ["--tiny-net"]], ids=["mlp", "tiny-net"])
def test_bench_prints_the_overhead_ratio_last(data_dir: Path, net: list[str]) -> None:
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "bench.py"),
            "--data-dir",
            str(data_dir),
            "--rounds",
            "2",
            "--tutorial-rounds",
            "1",
            "--val-size",
            "16",
            "--skip-tta",  # tests/test_fast_bench.py runs that section
            *net,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("overhead_ratio=") and float(last.split("=")[1]) > 0
    assert "tutorial_over_litzoo=" in result.stdout and "data alone" in result.stdout
    assert "2 rounds" in result.stdout and "(1 rounds with litzoo)" in result.stdout
    assert "ms/step over plain" in result.stdout
    assert ("784-10 net" in result.stdout) == bool(net)
