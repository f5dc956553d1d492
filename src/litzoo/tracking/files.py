"""Read W&B run files back with W&B's own reader, ``wandb leet inspect`` (sweeps and tests).

W&B maintains that reader alongside its file format, so nothing here decodes LevelDB blocks
or protobuf records by hand. It reads a run that is still being written, too.
"""

import json
import subprocess
import sys
from pathlib import Path


def inspect(run_dir: Path, *flags: str) -> str:
    """``wandb leet inspect --json <flags> <run_dir>``: its standard output.

    Raises:
        RuntimeError: the reader failed (no such run, unreadable file).
    """
    result = subprocess.run(
        [sys.executable, "-m", "wandb", "leet", "inspect", "--json", *flags, str(run_dir)],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    if result.returncode:
        raise RuntimeError(f"wandb leet inspect {run_dir} failed: {result.stderr.strip()[-2000:]}")
    return result.stdout


def summary(run_dir: Path) -> dict:
    """A run's state, config and latest metrics (``--summary``)."""
    return json.loads(inspect(run_dir, "--summary"))


def records(run_dir: Path) -> list[dict]:
    """Every record of a run's transaction log, oldest first."""
    return [json.loads(line) for line in inspect(run_dir).splitlines() if line.strip()]


def history(run_dir: Path) -> list[dict]:
    """The rows a run logged (``wandb.log``), oldest first."""
    return [r["history"]["item"] for r in records(run_dir) if r.get("type") == "history"]


def find_runs(folder: Path, run_id: str | None = None) -> list[Path]:
    """The W&B run folders (online or offline) under ``folder``, oldest first; of ``run_id`` only.

    A resumed run logs to the same run id from a new folder, so one run may have several.
    """
    pattern = f"*run-*-{run_id}" if run_id else "*run-*-*"
    return sorted(folder.glob(f"wandb/{pattern}"), key=lambda p: p.stat().st_mtime)


def find_run(folder: Path, run_id: str | None = None) -> Path | None:
    """The newest W&B run folder under ``folder`` (of ``run_id``), or None."""
    found = find_runs(folder, run_id)
    return found[-1] if found else None
