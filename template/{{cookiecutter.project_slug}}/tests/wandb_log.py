"""Read offline W&B runs back with W&B's own reader, ``wandb leet inspect`` (for tests).

W&B maintains that reader alongside its file format, so these tests follow format changes
instead of decoding LevelDB blocks and protobuf records by hand.
"""

import json
import subprocess
import sys
from pathlib import Path


def _inspect(run_dir: Path, *flags: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "wandb", "leet", "inspect", "--json", *flags, str(run_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, f"wandb leet inspect failed: {result.stderr[-2000:]}"
    return result.stdout


def run_summary(run_dir: Path) -> dict:
    """State, config and latest metrics of a finished offline run (``--summary --json``).

    Fails when the run has not finished: a run still being written is not read back.
    """
    summary = json.loads(_inspect(run_dir, "--summary"))
    assert summary["state"] == "finished", f"run {run_dir} is {summary['state']!r}, not finished"
    return summary


def read_run(run_dir: Path) -> tuple[dict, list[dict]]:
    """Return a finished run's config (nested dict) and its history rows, oldest first."""
    config = run_summary(run_dir)["config"]
    records = (json.loads(line) for line in _inspect(run_dir).splitlines() if line.strip())
    history = [r["history"]["item"] for r in records if r.get("type") == "history"]
    return config, history


def offline_run(folder: Path) -> Path:
    """The one offline W&B run folder under a {{ cookiecutter.package_name }} run folder."""
    runs = sorted(folder.glob("wandb/offline-run-*"))
    assert len(runs) == 1, f"expected one offline W&B run under {folder}, found {runs}"
    return runs[0]


def run_record(run_dir: Path) -> dict:
    """The run's own record (project, group, job type, id) as W&B's reader gives it."""
    records = (json.loads(line) for line in _inspect(run_dir).splitlines() if line.strip())
    return next(r["run"] for r in records if r.get("type") == "run")
