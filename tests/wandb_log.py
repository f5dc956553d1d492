"""Read offline W&B runs back for tests, through litzoo.tracking.files (W&B's own reader)."""

from pathlib import Path

from litzoo.tracking import files as wandb_files


def run_summary(run_dir: Path) -> dict:
    """State, config and latest metrics of a finished offline run.

    Fails when the run has not finished: a run still being written is not read back.
    """
    summary = wandb_files.summary(run_dir)
    assert summary["state"] == "finished", f"run {run_dir} is {summary['state']!r}, not finished"
    return summary


def read_run(run_dir: Path) -> tuple[dict, list[dict]]:
    """Return a finished run's config (nested dict) and its history rows, oldest first."""
    return run_summary(run_dir)["config"], wandb_files.history(run_dir)


def offline_run(folder: Path) -> Path:
    """The one offline W&B run folder under a litzoo run folder."""
    runs = sorted(folder.glob("wandb/offline-run-*"))
    assert len(runs) == 1, f"expected one offline W&B run under {folder}, found {runs}"
    return runs[0]


def run_record(run_dir: Path) -> dict:
    """The run's own record (project, group, job type, id) as W&B's reader gives it."""
    return next(r["run"] for r in wandb_files.records(run_dir) if r.get("type") == "run")
