"""Online sweeps: a real W&B sweep, and ``wandb agent`` running its trials with our interpreter."""

import subprocess
import sys
from pathlib import Path
from typing import Any

from litzoo.errors import ConfigError
from litzoo.run.folders import child_env
from litzoo.tracking import files as wandb_files
from litzoo.tracking.logger import is_wandb
from litzoo.workflows.sweep import trial


def logger_target(resolved: dict[str, Any]) -> tuple[str | None, str | None]:
    """(project, entity) of the W&B logger in a resolved config, where the sweep must live too."""
    loggers = resolved.get("trainer", {}).get("logger")
    for logger in loggers if isinstance(loggers, list) else [loggers]:
        if isinstance(logger, dict) and is_wandb(logger):
            args = logger.get("init_args") or {}
            return args.get("project"), args.get("entity")
    raise ConfigError("a sweep's trials must log to W&B: use the W&B logger (LOGGER=wandb)")


def create(config: dict[str, Any], project: str | None, entity: str | None) -> str:
    """Create the W&B sweep; return its path ``[entity/]project/id`` for agents."""
    import wandb

    sweep_id = wandb.sweep(sweep=config, project=project, entity=entity)
    return "/".join(part for part in (entity, project, sweep_id) if part)


def agent(sweep_path: str, count: int | None) -> int:
    """``wandb agent [--count N] <sweep>`` with this interpreter first on PATH; its exit code."""
    line = [sys.executable, "-m", "wandb", "agent", *(["--count", str(count)] if count else []), sweep_path]
    print(f"litzoo sweep: {' '.join(line)}", flush=True)
    return subprocess.run(line, env=child_env(), stdin=subprocess.DEVNULL).returncode


def local_trials(folder: Path, config: dict[str, Any]) -> list[dict[str, Any]]:
    """The trials this machine's agent ran, read back from their W&B run files for the report."""
    from litzoo.workflows.sweep.offline import extremum

    trials = []
    for run_folder in sorted((p for p in folder.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime):
        run_dir = wandb_files.find_run(run_folder)
        if run_dir is None:
            continue
        summary = wandb_files.summary(run_dir)
        history, latest = trial.read_back(run_folder, summary["run_id"])
        outcome = trial.Outcome(summary["state"], summary.get("exit_code") or 0, history, latest)
        params = {k: summary["config"].get(k) for k in config["parameters"]}
        state = "finished" if summary["state"] == "finished" else "failed"
        trials.append(
            {
                "trial": len(trials) + 1,
                "run_id": summary["run_id"],
                "params": params,
                "state": state,
                "metric": extremum(config, outcome),
                "folder": str(run_folder),
            }
        )
    return trials
