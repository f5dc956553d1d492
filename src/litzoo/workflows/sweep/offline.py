"""The offline sweep driver: W&B's open-source ``sweeps`` engine picks each trial, we run it.

Every trial is the command W&B's agent would run, with the agent's environment (run id,
sweep parameter file), so it is a real offline W&B run; all of a sweep's runs share one W&B
group. ``ledger.jsonl`` in the sweep folder records each trial as it starts and ends, so an
interrupted sweep continues (``--resume``): an interrupted trial goes on from its checkpoint.
"""

import json
import os
import random
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from litzoo.run.folders import child_env
from litzoo.workflows.sweep import trial
from litzoo.workflows.sweep.spec import native

LEDGER = "ledger.jsonl"
# Our trial states as the engine knows them (a stopped trial: killed, as hyperband leaves it).
_ENGINE_STATE = {"finished": "finished", "stopped": "killed", "failed": "failed", "running": "running"}


class Ledger:
    """``ledger.jsonl``: one JSON line per event; a trial's last line is its state."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / LEDGER

    def read(self) -> tuple[dict[str, Any], dict[int, dict[str, Any]]]:
        """(the sweep's own record, trials by number). A line cut short by a kill is skipped."""
        head: dict[str, Any] = {}
        trials: dict[int, dict[str, Any]] = {}
        for line in self.path.read_text().splitlines() if self.path.exists() else []:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if "trial" in record:
                trials[record["trial"]] = record
            else:
                head = record
        return head, trials

    def write(self, record: dict[str, Any]) -> None:
        with self.path.open("a") as file:
            file.write(json.dumps(record, allow_nan=False) + "\n")
            file.flush()
            os.fsync(file.fileno())


def engine_runs(config: dict[str, Any], trials: list[dict[str, Any]]) -> list:
    """The trials so far as the engine's ``SweepRun`` objects (camelCase fields, as it reads them)."""
    from sweeps import SweepRun

    name = config["metric"]["name"]
    return [
        SweepRun(
            name=t["run_id"],
            state=_ENGINE_STATE[t["state"]],
            config={k: {"value": v} for k, v in t["params"].items()},
            summaryMetrics={} if t.get("metric") is None else {name: t["metric"]},
            sampledHistory=[{name: v} for v in t.get("curve", [])],
        )
        for t in trials
    ]


def propose(config: dict[str, Any], trials: list[dict[str, Any]], seed: int, number: int) -> dict | None:
    """The engine's next trial: its parameter values, or None when a grid is exhausted.

    The engine draws from Python's and NumPy's global RNGs; seeding them from (seed, trial
    number) makes the same seed propose the same trials, and a resumed sweep the same next one.
    """
    from sweeps import next_run

    random.seed(seed * 1_000_003 + number)
    np.random.seed((seed * 1_000_003 + number) % 2**32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the engine's pydantic-1 config keys under pydantic 2
        suggestion = next_run(config, engine_runs(config, trials))
    if suggestion is None:
        return None
    return {k: native(v["value"]) for k, v in suggestion.config.items()}


def grid_size(config: dict[str, Any]) -> int:
    """How many points a grid sweep has, as the engine enumerates them."""
    from sweeps import next_runs

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return len([run for run in next_runs(config, [], n=100_000) if run is not None])


def _how_many(config: dict[str, Any], count: int | None) -> int:
    """The trials to run: ``count``, but at most a grid's points (a grid without a count: all)."""
    if config["method"] != "grid":
        return count or 1
    size = grid_size(config)
    if count and count > size:
        print(f"litzoo sweep: the grid has {size} points: it stops after them", flush=True)
    return min(count or size, size)


def run_sweep(
    config: dict[str, Any], folder: Path, count: int | None, seed: int, group: str, poll_s: float = 5.0
) -> list[dict]:
    """Run trials until ``count`` have ended (a grid: every point); return every trial.

    A grid stops when exhausted whatever ``count`` says.
    """
    from wandb.sdk.lib.runid import generate_id

    ledger = Ledger(folder)
    head, trials = ledger.read()
    if not head:
        head = {
            "sweep": folder.name,
            "seed": seed,
            "group": group,
            "count": count,
            "metric": config["metric"],
        }
        ledger.write(head)
    count = _how_many(config, count if count is not None else head.get("count"))
    started = time.perf_counter()
    while len([t for t in trials.values() if t["state"] != "running"]) < count:
        waiting = [t for t in trials.values() if t["state"] == "running"]  # cut short last time
        if waiting:
            record = waiting[0]
        else:
            params = propose(config, list(trials.values()), head["seed"], len(trials) + 1)
            if params is None:
                print(f"litzoo sweep: the grid is exhausted after {len(trials)} trials", flush=True)
                break
            record = {"trial": len(trials) + 1, "run_id": generate_id(), "params": params}
            record.update(state="running", folder=str(folder / record["run_id"]))
            ledger.write(record)
        trials[record["trial"]] = record
        shown = "  ".join(f"{short(k)}={show(v)}" for k, v in record["params"].items())
        print(
            f"\nlitzoo sweep: trial {record['trial']}/{count} ({trial.elapsed(started)} so far): {shown}",
            flush=True,
        )
        trials[record["trial"]] = finished = _run_one(config, folder, head["group"], record, trials, poll_s)
        ledger.write(finished)
        _check_metric_logged(config, finished, trials)
    return [trials[n] for n in sorted(trials)]


def _run_one(
    config: dict[str, Any],
    folder: Path,
    group: str,
    record: dict[str, Any],
    trials: dict[int, dict],
    poll_s: float,
) -> dict[str, Any]:
    from wandb.sdk.lib import config_util

    run_id, name = record["run_id"], config["metric"]["name"]
    # What the agent writes and points the run at: the run's W&B config gets the parameters.
    params_file = folder / "params" / f"config-{run_id}.yaml"
    params_file.parent.mkdir(exist_ok=True)
    config_util.save_config_file_from_dict(
        str(params_file), {k: {"value": v} for k, v in record["params"].items()}
    )
    env = child_env()
    env.update(
        WANDB_RUN_ID=run_id,
        WANDB_SWEEP_PARAM_PATH=str(params_file),
        WANDB_RUN_GROUP=group,
        WANDB_JOB_TYPE="trial",
    )
    stop = _hyperband(config, record, [t for t in trials.values() if t is not record])
    if stop is not None:  # W&B writes a run's file every 15 s by default: hyperband needs it sooner
        env["WANDB_X_TRANSACTION_LOG_FLUSH_INTERVAL"] = str(poll_s)
    began = time.perf_counter()
    line = trial.command(config["command"], record["params"])
    outcome = trial.run(line, env, Path(record["folder"]), run_id, stop, poll_s)
    curve = [row[name] for row in outcome.history if isinstance(row.get(name), int | float)]
    metric = extremum(config, outcome)
    return {
        **record,
        "state": outcome.state,
        "exit_code": outcome.exit_code,
        "metric": metric,
        "curve": curve,
        "logged": sorted({k for row in outcome.history for k in row if not k.startswith("_")}),
        "seconds": round(time.perf_counter() - began + record.get("seconds", 0), 1),
    }


def extremum(config: dict[str, Any], outcome: trial.Outcome) -> float | None:
    """The trial's best value of the sweep metric, as the engine itself computes it."""
    from sweeps import SweepRun

    goal = "maximum" if config["metric"].get("goal") == "maximize" else "minimum"
    run = SweepRun(summaryMetrics=outcome.summary, sampledHistory=outcome.history)
    try:
        return float(run.metric_extremum(config["metric"]["name"], goal))
    except ValueError:  # never logged, or only NaN
        return None


def _hyperband(config: dict[str, Any], record: dict[str, Any], others: list[dict[str, Any]]):  # noqa: ANN202
    """A ``should_stop(history)`` for the running trial, when the sweep has ``early_terminate``."""
    if "early_terminate" not in config:
        return None
    from sweeps import stop_runs

    def should_stop(history: list[dict]) -> bool:
        name = config["metric"]["name"]
        running = {**record, "state": "running", "curve": [r[name] for r in history if name in r]}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            stopped = stop_runs(config, engine_runs(config, [*others, running]))
        return any(run.name == record["run_id"] for run in stopped)

    return should_stop


def _check_metric_logged(config: dict[str, Any], record: dict[str, Any], trials: dict[int, dict]) -> None:
    """A sweep metric no trial logs would waste every trial: stop after the first that shows it."""
    name = config["metric"]["name"]
    finished = [t for t in trials.values() if t["state"] == "finished"]
    if record["state"] == "finished" and record["metric"] is None and len(finished) == 1:
        logged = ", ".join(k for k in record["logged"] if k.startswith("val/")) or "no val/ metric"
        raise SystemExit(
            f"litzoo: error: trial {record['trial']} finished but never logged the sweep metric {name} "
            f"(it logged {logged}); fix metric.name in the sweep file"
        )


def show(value: Any) -> str:
    """A parameter value as people read it: floats to 4 significant digits."""
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def short(key: str) -> str:
    """``model.init_args.optimizer.init_args.lr`` -> ``model.optimizer.lr`` (how the README writes keys)."""
    return ".".join(part for part in key.split(".") if part != "init_args")
