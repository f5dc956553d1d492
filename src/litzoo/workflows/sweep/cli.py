"""``litzoo sweep`` / ``litzoo agent`` (``make sweep`` / ``make agent``): sweeps in W&B's format.

    litzoo sweep configs/sweep/<name>.yaml --count N [--seed S] -- <litzoo fit arguments>
    litzoo sweep --resume runs/<name>/sweep-<time> [--count N]
    litzoo agent <entity/project/sweep id> [--count N]

Online (W&B credentials and network) the sweep is a real W&B sweep run by ``wandb agent``;
offline, W&B's ``sweeps`` engine proposes each trial here and every trial is an offline W&B
run. Either way the sweep folder gets the table, the best trial's config and a plot.
"""

import argparse
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from litzoo.configs import given_option
from litzoo.errors import ConfigError, TerminatedError
from litzoo.run.folders import claim_folder
from litzoo.tracking.logger import choose_wandb_mode
from litzoo.workflows.sweep import offline, online, report, spec


def _count(text: str, method: str | None = None) -> int | None:
    """COUNT as a number; empty is allowed except for a random or bayes sweep (``method``)."""
    if not text:
        if method in ("random", "bayes"):
            raise ConfigError(
                f"a {method} sweep needs COUNT=<number of trials> (a grid runs every point without)"
            )
        return None
    if not text.isdigit() or int(text) < 1:
        raise ConfigError(f"COUNT must be a whole number of trials, at least 1, got {text!r}")
    return int(text)


def start(file: Path, count_text: str, seed: int, fit_args: list[str], poll_s: float = 5.0) -> Path:
    """Check everything, then create the sweep folder and run the sweep (online or offline)."""
    config = spec.load(file)
    count = _count(count_text, config["method"])
    resolved = spec.check_against_cli(config["parameters"], fit_args)
    project, entity = online.logger_target(resolved)
    mode = choose_wandb_mode()
    root = Path(given_option(fit_args, "--trainer.default_root_dir", "runs")) / file.stem
    folder = claim_folder(root, prefix="sweep-")
    command = [*spec.COMMAND_HEAD, *fit_args, f"--run_name={file.stem}/{folder.name}", "${args}"]
    config = {**config, "command": command}
    note = f"# The W&B sweep config of {file} as run here: `wandb sweep` takes it as it is.\n"
    (folder / "sweep.yaml").write_text(note + yaml.safe_dump(config, sort_keys=False))
    print(f"litzoo sweep: {file.stem} ({config['method']}, W&B {mode}) in {folder}", flush=True)
    if mode == "online":
        sweep_path = online.create(config, project, entity)
        (folder / "sweep_id").write_text(sweep_path + "\n")
        print(f"litzoo sweep: more agents on other machines: make agent SWEEP_ID={sweep_path}", flush=True)
        online.agent(sweep_path, count)
        trials = online.local_trials(folder, config)
    else:
        group = f"{file.stem}-{folder.name}"
        trials = _in(folder, lambda: offline.run_sweep(config, folder, count, seed, group, poll_s))
    return _finish(folder, config, trials)


def resume(folder: Path, count_text: str, poll_s: float = 5.0) -> Path:
    """Continue an offline sweep from its ledger: unfinished trials first, then new ones."""
    if not (folder / "sweep.yaml").is_file() or not (folder / offline.LEDGER).is_file():
        raise ConfigError(f"{folder} is not an offline sweep folder (sweep.yaml and {offline.LEDGER})")
    config = yaml.safe_load((folder / "sweep.yaml").read_text())
    head, _ = offline.Ledger(folder).read()
    count = _count(count_text) or head.get("count")
    choose_wandb_mode()
    seed, group = head["seed"], head["group"]
    trials = _in(folder, lambda: offline.run_sweep(config, folder, count, seed, group, poll_s))
    return _finish(folder, config, trials)


def _in(folder: Path, run: Callable[[], list[dict]]) -> list[dict]:
    """Run an offline sweep; an interrupt carries the sweep's folder, for the resume hint."""
    try:
        return run()
    except (KeyboardInterrupt, TerminatedError) as err:
        err.sweep_folder = folder  # type: ignore[attr-defined]
        raise


def _finish(folder: Path, config: dict, trials: list[dict]) -> Path:
    best = report.write_report(folder, config, trials)
    if best is None:
        raise SystemExit(f"litzoo sweep: no trial finished with {config['metric']['name']}; see {folder}")
    print(f"litzoo sweep: best trial {best['trial']} ({config['metric']['name']}={best['metric']:.4f})")
    print(f"  table: {folder / 'trials.md'}  plot: {folder / 'plot.png'}")
    if (folder / "best.yaml").is_file():
        print(f"  run it again: python -m litzoo fit --config {folder / 'best.yaml'}")
    return folder


def main(argv: list[str] | None = None) -> int | None:
    """``litzoo sweep`` (and ``litzoo agent``, as ``--agent``)."""
    parser = argparse.ArgumentParser(prog="litzoo sweep", description=__doc__.split("\n")[0])
    parser.add_argument("sweep", nargs="?", help="the sweep YAML (configs/sweep/<name>.yaml)")
    parser.add_argument("--count", default="", help="trials to run (a grid: every point when not given)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the offline engine's draws")
    parser.add_argument("--resume", default="", help="an offline sweep folder to continue")
    parser.add_argument("--agent", default="", help="an online sweep to run another agent for")
    parser.add_argument(
        "--poll-s", type=float, default=5.0, help="how often hyperband looks at a running trial (offline)"
    )
    parser.epilog = "After --: the litzoo fit arguments of every trial (make sweep passes them)."
    argv = sys.argv[1:] if argv is None else argv
    cut = argv.index("--") if "--" in argv else len(argv)
    args, fit_args = parser.parse_args(argv[:cut]), argv[cut + 1 :]
    started = time.perf_counter()
    # A running trial is told too, and checkpoints. Put back afterwards: main also runs inside
    # other processes (pytest), whose own SIGTERM handling must not end in TerminatedError.
    previous = signal.signal(signal.SIGTERM, _terminated)
    try:
        if args.agent:
            return _agent(args.agent, args.count)
        if args.resume:
            resume(Path(args.resume), args.count, args.poll_s)
        elif args.sweep:
            start(Path(args.sweep), args.count, args.seed, fit_args, args.poll_s)
        else:
            raise ConfigError("name a sweep: make sweep SWEEP=<name in configs/sweep> COUNT=<trials>")
    except (KeyboardInterrupt, TerminatedError) as err:
        folder = getattr(err, "sweep_folder", None)
        hint = f"; continue it with make sweep RESUME={folder}" if folder else ""
        print(f"\nlitzoo sweep: interrupted{hint}", file=sys.stderr)
        sys.exit(143 if isinstance(err, TerminatedError) else 130)
    finally:
        signal.signal(signal.SIGTERM, previous)
    print(f"litzoo sweep: done in {(time.perf_counter() - started) / 60:.1f} min")


def _terminated(signum: int, frame: object) -> None:
    raise TerminatedError


def _agent(sweep_path: str, count_text: str) -> int:
    if choose_wandb_mode() != "online":
        raise ConfigError(
            "an agent needs W&B online (WANDB_API_KEY or wandb login, and network); "
            "offline, make sweep runs the whole sweep here"
        )
    return online.agent(sweep_path, _count(count_text))
