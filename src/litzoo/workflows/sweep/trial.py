"""One trial: the command W&B's agent would run, run as the agent runs it, and read back."""

import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from litzoo.tracking import files as wandb_files


def _sweep_vars(values: dict[str, Any]) -> dict[str, Any]:
    """W&B's own agent code's expansions of the parameters: ``args`` (``--key=value``) and the others."""
    from wandb.sdk.launch.sweeps import utils

    return utils.create_sweep_command_args({"args": {k: {"value": v} for k, v in values.items()}})


def cli_args(values: dict[str, Any]) -> list[str]:
    """``--key=value`` for each parameter, as the agent's ``${args}`` passes them."""
    return _sweep_vars(values)["args"]


def command(sweep_command: list[str], values: dict[str, Any]) -> list[str]:
    """The trial's command line, built as ``wandb agent`` builds it.

    The same steps as ``wandb.wandb_agent.Agent._command_run``: W&B's macro expansion, then
    ``${env}`` -> ``/usr/bin/env``, ``${interpreter}`` -> ``python`` (the first on PATH).
    """
    from wandb.sdk.launch.sweeps import utils

    sweep_vars = _sweep_vars(values)
    sweep_vars["interpreter"] = ["python"]
    sweep_vars["env"] = ["/usr/bin/env"]
    line: list[str] = []
    for chunk in map(str, utils.create_sweep_command(list(sweep_command))):
        if chunk.startswith("${") and chunk.endswith("}"):
            line += sweep_vars.get(chunk[2:-1]) or []
        else:
            line.append(chunk)
    return line


@dataclass
class Outcome:
    """What a finished (or stopped, or failed) trial left: its W&B history and summary."""

    state: str  # finished | stopped | failed
    exit_code: int
    history: list[dict] = field(default_factory=list)
    summary: dict = field(default_factory=dict)


def run(
    line: list[str],
    env: dict[str, str],
    folder: Path,
    run_id: str,
    should_stop: Any = None,
    poll_s: float = 5.0,
) -> Outcome:
    """Run one trial and read its W&B run back.

    Args:
        line: the trial's command (from :func:`command`).
        env: its environment (W&B run id, sweep parameter file, group).
        folder: its run folder, where its W&B run files appear.
        run_id: its W&B run id.
        should_stop: called with the history so far while it runs (hyperband); when it returns
            True the trial gets SIGTERM, as the agent sends.
        poll_s: seconds between two looks at the running trial.
    """
    proc = subprocess.Popen(line, env=env, stdin=subprocess.DEVNULL)
    stopped = False
    try:
        while True:
            try:
                code = proc.wait(timeout=poll_s)
                break
            except subprocess.TimeoutExpired:
                if not stopped and should_stop is not None and should_stop(read_back(folder, run_id)[0]):
                    proc.send_signal(signal.SIGTERM)
                    stopped = True
    except BaseException:  # interrupted: let the trial checkpoint itself before going down
        proc.send_signal(signal.SIGTERM)
        proc.wait()
        raise
    history, summary = read_back(folder, run_id)
    state = "stopped" if stopped else "finished" if code == 0 else "failed"
    return Outcome(state, code, history, summary)


def read_back(folder: Path, run_id: str) -> tuple[list[dict], dict]:
    """(history rows, latest summary) of the trial's W&B run; empty before it has started.

    A trial that was resumed wrote its run in several folders: they are read in order.
    """
    records = [r for run_dir in wandb_files.find_runs(folder, run_id) for r in wandb_files.records(run_dir)]
    history = [r["history"]["item"] for r in records if r.get("type") == "history"]
    summary: dict = {}
    for record in records:  # later summary records update earlier ones
        if record.get("type") == "summary":
            summary.update(record["summary"].get("update") or {})
    return history, summary


def elapsed(started: float) -> str:
    """Seconds since ``started`` (a ``time.perf_counter()``), for progress lines."""
    return f"{time.perf_counter() - started:.0f} s"
