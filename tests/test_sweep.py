"""Sweeps: W&B's format checked up front, W&B's engine and agent command, real offline runs."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from litzoo import configs
from litzoo.__main__ import main as litzoo
from litzoo.testing.tiny import tiny_args
from litzoo.tracking import files as wandb_files
from litzoo.workflows.sweep import offline, spec, trial

from conftest import CONFIGS, ROOT
from wandb_log import offline_run, run_record, run_summary

SWEEPS = sorted((CONFIGS / "sweep").glob("*.yaml"))


def main(argv: list[str]) -> None:
    litzoo(["sweep", *argv])


RANDOM = {
    "method": "random",
    "metric": {"name": "val/loss", "goal": "minimize"},
    "parameters": {
        "model.init_args.optimizer.init_args.lr": {
            "distribution": "log_uniform_values",
            "min": 1e-4,
            "max": 1e-1,
        },
        "model.init_args.net.init_args.hidden": {"values": [[8], [16, 16]]},
    },
}


def sweep_fit_args(name: str, data_dir: Path | str = "./data") -> list[str]:
    return configs.fit_args(sweep_name=name, data_dir=str(data_dir), root=CONFIGS)


@pytest.mark.parametrize("sweep", SWEEPS, ids=lambda p: p.stem)
def test_every_sweep_config_is_valid_for_wandb_and_names_only_cli_keys(sweep: Path) -> None:
    config = spec.load(sweep)
    resolved = spec.check_against_cli(config["parameters"], sweep_fit_args(sweep.stem))
    assert config["metric"]["name"].startswith("val/")
    assert resolved["trainer"]["logger"]["class_path"].endswith("WandbLogger")


def test_the_same_seed_proposes_the_same_trials_and_another_seed_others() -> None:
    def trials(seed: int) -> list[dict]:
        done: list[dict] = []
        for number in range(1, 5):
            params = offline.propose(RANDOM, done, seed, number)
            done.append({"trial": number, "run_id": f"r{number}", "params": params, "state": "finished"})
        return [t["params"] for t in done]

    first = trials(seed=7)
    assert first == trials(seed=7)
    assert first != trials(seed=8)
    lrs = [t["model.init_args.optimizer.init_args.lr"] for t in first]
    assert len(set(lrs)) == 4 and all(1e-4 <= lr <= 1e-1 for lr in lrs)


def test_a_grid_is_proposed_point_by_point_and_then_exhausted() -> None:
    grid = {**RANDOM, "method": "grid", "parameters": {"a": {"values": [1, 2]}, "b": {"values": ["x", "y"]}}}
    done: list[dict] = []
    while (params := offline.propose(grid, done, 0, len(done) + 1)) is not None:
        done.append({"trial": len(done) + 1, "run_id": "r", "params": params, "state": "finished"})
    assert sorted((t["params"]["a"], t["params"]["b"]) for t in done) == [
        (1, "x"),
        (1, "y"),
        (2, "x"),
        (2, "y"),
    ]
    assert offline.grid_size(grid) == 4


def test_the_trial_command_is_the_one_wandbs_agent_builds(monkeypatch: pytest.MonkeyPatch) -> None:
    from wandb import wandb_agent

    started: list[list[str]] = []

    class Recorder:  # stands in for the child process the agent would start
        def __init__(self, command: list[str] | None = None, **kwargs: object) -> None:
            started.append(command)

    monkeypatch.setattr(wandb_agent, "AgentProcess", Recorder)
    for name in ("WANDB_RUN_ID", "WANDB_SWEEP_PARAM_PATH"):  # the agent sets them: restored after
        monkeypatch.setenv(name, "")
    sweep_command = [*spec.COMMAND_HEAD, *sweep_fit_args("mlp_mnist"), "--run_name=x/sweep-1", "${args}"]
    values = {"model.init_args.net.init_args.hidden": [256], "model.init_args.optimizer.init_args.lr": 0.0028}
    agent = wandb_agent.Agent.__new__(wandb_agent.Agent)
    agent._sweep_command, agent._function, agent._in_jupyter = list(sweep_command), None, False
    agent._forward_signals, agent._run_processes = False, {}
    run = {"args": {k: {"value": v} for k, v in values.items()}, "program": None, "run_id": "abc"}
    agent._command_run(run)
    assert started == [trial.command(sweep_command, values)]
    assert started[0][:2] == ["/usr/bin/env", "python"] and started[0][-1].endswith("lr=0.0028")


def test_a_ledger_line_cut_short_by_a_kill_is_skipped(tmp_path: Path) -> None:
    ledger = offline.Ledger(tmp_path)
    ledger.write({"sweep": "s", "seed": 0})
    ledger.write({"trial": 1, "state": "running"})
    ledger.write({"trial": 1, "state": "finished", "metric": 0.5})
    with ledger.path.open("a") as file:
        file.write('{"trial": 2, "state": "runn')
    head, trials = ledger.read()
    assert head == {"sweep": "s", "seed": 0} and list(trials) == [1] and trials[1]["state"] == "finished"


BAD = {
    "not W&B's schema": ({"method": "grdi"}, "is not a valid W&B sweep config: 'grdi' is not one of"),
    "unknown key": (
        {"parameters": {"model.init_args.optimizer.init_args.lrr": {"values": [0.1]}}},
        "sweep parameter model.init_args.optimizer.init_args.lrr=0.1 does not fit litzoo fit",
    ),
    "wrong type": (
        {"parameters": {"trainer.max_epochs": {"values": ["many"]}}},
        "sweep parameter trainer.max_epochs='many' does not fit litzoo fit",
    ),
    "null value": ({"parameters": {"trainer.max_epochs": {"values": [1, None]}}}, "has a null value"),
    "test metric": (
        {"metric": {"name": "test/acc", "goal": "maximize"}},
        "must choose by a validation metric",
    ),
    "own command": ({"command": ["python", "train.py"]}, "remove it"),
}


@pytest.mark.parametrize("case", list(BAD), ids=lambda c: c.replace(" ", "_"))
def test_a_bad_sweep_is_one_line_exit_2_and_writes_nothing(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    change, message = BAD[case]
    config = {**RANDOM, **change}
    file = tmp_path / "bad.yaml"
    file.write_text("# model: mlp\n" + yaml.safe_dump(config))
    runs = tmp_path / "runs"
    with pytest.raises(SystemExit) as failed:
        main(
            [
                str(file),
                "--count",
                "2",
                "--",
                *sweep_fit_args("mlp_mnist"),
                f"--trainer.default_root_dir={runs}",
            ]
        )
    err = capsys.readouterr().err
    assert failed.value.code == 2 and err.count("\n") == 1, err
    assert err.startswith("litzoo: error: ") and message in err
    assert not runs.exists(), "a refused sweep left files behind"


@pytest.mark.parametrize("count, message", [("0", "at least 1"), ("x", "at least 1"), ("", "needs COUNT")])
def test_a_bad_count_is_one_line(count: str, message: str, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as failed:
        main([str(CONFIGS / "sweep" / "mlp_mnist.yaml"), "--count", count, "--"])
    err = capsys.readouterr().err
    assert failed.value.code == 2 and err.count("\n") == 1 and message in err


def _tiny_sweep(tmp_path: Path, config: dict, *flags: str, extra: tuple[str, ...] = ()) -> subprocess.Popen:
    """Start ``litzoo sweep`` on the LSTM and a tiny adding problem, in a subprocess."""
    file = tmp_path / "tiny.yaml"
    file.write_text("# model: lstm\n" + yaml.safe_dump(config))
    fit = [
        *sweep_fit_args("recurrent_adding"),
        *tiny_args(CONFIGS / "data" / "adding.yaml", tmp_path / "data"),
        *extra,
    ]
    fit += [
        "--model.init_args.net.init_args.hidden_size=8",
        f"--trainer.default_root_dir={tmp_path / 'runs'}",
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "tests")}
    line = [sys.executable, "-m", "litzoo", "sweep", str(file), *flags, "--", *fit]
    log = (tmp_path / "sweep.log").open("w")  # a file, not a pipe: trials print a lot
    return subprocess.Popen(
        line, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
    )


def _finish(proc: subprocess.Popen, tmp_path: Path, timeout: int = 600) -> str:
    proc.wait(timeout=timeout)
    out = (tmp_path / "sweep.log").read_text()
    assert proc.returncode == 0, out[-3000:]
    return out


def _ledger(tmp_path: Path) -> tuple[Path, list[dict]]:
    folder = next((tmp_path / "runs" / "tiny").glob("sweep-*"))
    _, trials = offline.Ledger(folder).read()
    return folder, [trials[n] for n in sorted(trials)]


GRID = {
    "method": "grid",
    "metric": {"name": "val/loss", "goal": "minimize"},
    "parameters": {
        "model.init_args.optimizer.init_args.lr": {"values": [0.02, 0.002, 0.0002]},
        "trainer.max_epochs": {"value": 2},
    },
}


@pytest.mark.slow
def test_an_offline_sweep_runs_each_trial_as_an_offline_wandb_run_in_one_group(tmp_path: Path) -> None:
    out = _finish(_tiny_sweep(tmp_path, GRID, "--count", "5"), tmp_path)
    assert "the grid has 3 points" in out and "trial 3/3" in out
    folder, trials = _ledger(tmp_path)
    assert [t["state"] for t in trials] == ["finished"] * 3  # a grid stops when exhausted
    groups = set()
    for t in trials:
        run_dir = offline_run(Path(t["folder"]))
        summary, record = run_summary(run_dir), run_record(run_dir)
        assert record["run_id"] == t["run_id"] and record["job_type"] == "trial"
        groups.add(record["run_group"])
        for key, value in t["params"].items():  # the run's W&B config holds the trial's values
            assert summary["config"][key] == value
        nested = summary["config"]["model"]["init_args"]["optimizer"]["init_args"]["lr"]
        assert nested == t["params"]["model.init_args.optimizer.init_args.lr"]  # and the run used them
        assert t["metric"] == pytest.approx(min(t["curve"]))
    assert len(groups) == 1
    table = (folder / "trials.md").read_text()
    best = min(trials, key=lambda t: t["metric"])
    assert f"| {best['trial']} | {best['run_id']} | finished | " in table and "(best)" in table
    assert yaml.safe_load((folder / "best.yaml").read_text())["model"]["init_args"]["optimizer"]["init_args"][
        "lr"
    ] == pytest.approx(best["params"]["model.init_args.optimizer.init_args.lr"])
    assert (folder / "plot.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert yaml.safe_load((folder / "sweep.yaml").read_text())["command"][-1] == "${args}"


@pytest.mark.slow
def test_an_interrupted_sweep_resumes_its_trial_from_its_checkpoint(tmp_path: Path) -> None:
    config = {**GRID, "parameters": {**GRID["parameters"], "trainer.max_epochs": {"value": 6}}}
    proc = _tiny_sweep(
        tmp_path,
        config,
        extra=("--trainer.callbacks+=conftest.Slow", "--trainer.callbacks.init_args.seconds=0.3"),
    )
    deadline = time.monotonic() + 300
    while not list((tmp_path / "runs").rglob("checkpoints/last.ckpt")) and time.monotonic() < deadline:
        time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)  # what a scheduler sends: the running trial checkpoints
    assert proc.wait(timeout=120) == 143, (tmp_path / "sweep.log").read_text()[-3000:]
    folder, trials = _ledger(tmp_path)
    assert [t["state"] for t in trials] == ["running"]
    line = [sys.executable, "-m", "litzoo", "sweep", "--resume", str(folder)]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "tests")}
    resumed = subprocess.run(line, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stdout[-3000:] + resumed.stderr[-3000:]
    assert "litzoo: continuing the unfinished run in" in resumed.stdout
    _, after = _ledger(tmp_path)
    assert [t["state"] for t in after] == ["finished"] * 3
    assert after[0]["run_id"] == trials[0]["run_id"] and len(after[0]["curve"]) >= 6
    assert json.loads((Path(after[0]["folder"]) / "results.json").read_text())["epochs"] == 6
    runs = wandb_files.find_runs(Path(after[0]["folder"]), after[0]["run_id"])
    assert len(runs) == 2, "the resumed trial is not the same W&B run, continued"


@pytest.mark.slow
def test_hyperband_stops_a_trial_that_trails_at_its_band(tmp_path: Path) -> None:
    config = {
        "method": "grid",
        "metric": {"name": "val/loss", "goal": "minimize"},
        "parameters": {
            "model.init_args.optimizer.init_args.lr": {"values": [0.02, 1e-7]},
            "trainer.max_epochs": {"value": 10},
        },
        # eta 3: at each band a running trial must be in the best third, here: the best so far.
        "early_terminate": {"type": "hyperband", "min_iter": 2, "eta": 3},
    }
    slow = ("--trainer.callbacks+=conftest.Slow", "--trainer.callbacks.init_args.seconds=0.3")
    _finish(_tiny_sweep(tmp_path, config, "--poll-s", "1", extra=slow), tmp_path)
    _, trials = _ledger(tmp_path)
    assert [t["state"] for t in trials] == ["finished", "stopped"]
    assert len(trials[0]["curve"]) == 10 and 2 < len(trials[1]["curve"]) < 10


def test_online_the_sweep_is_created_in_the_loggers_project_and_run_by_our_interpreter(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    # No network here: W&B's sweep creation and its agent are stood in for, to check what we hand them.
    import wandb

    from litzoo.workflows.sweep import cli, online

    created: list[tuple] = []
    monkeypatch.setattr(
        wandb, "sweep", lambda sweep, project, entity: created.append((sweep, project)) or "abc"
    )
    started: list[tuple] = []
    monkeypatch.setattr(
        online.subprocess,
        "run",
        lambda line, env, stdin: started.append((line, env)) or SimpleNamespace(returncode=0),
    )
    monkeypatch.setattr(cli, "choose_wandb_mode", lambda: "online")
    runs = tmp_path / "runs"
    with pytest.raises(SystemExit, match="no trial finished"):  # the stand-in agent ran none
        main(
            [
                str(CONFIGS / "sweep" / "mlp_mnist.yaml"),
                "--count",
                "2",
                "--",
                *sweep_fit_args("mlp_mnist"),
                f"--trainer.default_root_dir={runs}",
            ]
        )
    logger = yaml.safe_load((CONFIGS / "logger" / "wandb.yaml").read_text())["trainer"]["logger"]["init_args"]
    path = "/".join(part for part in (logger.get("entity"), logger["project"], "abc") if part)
    ((config, project),) = created
    assert project == logger["project"]  # where the trials log
    assert config["command"][:5] == spec.COMMAND_HEAD and config["command"][-1] == "${args}"
    assert config["parameters"] == spec.load(CONFIGS / "sweep" / "mlp_mnist.yaml")["parameters"]
    ((line, env),) = started
    assert line == [sys.executable, "-m", "wandb", "agent", "--count", "2", path]
    assert env["PATH"].split(os.pathsep)[0] == str(Path(sys.executable).parent)  # `python` is ours
    folder = next((runs / "mlp_mnist").glob("sweep-*"))
    assert (folder / "sweep_id").read_text().strip() == path
    assert f"make agent SWEEP_ID={path}" in capsys.readouterr().out
