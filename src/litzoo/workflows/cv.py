"""k-fold cross-validation: ``litzoo cv --folds K [--final] -- <litzoo fit arguments>`` (``make cv``).

Each fold is a fresh ``litzoo fit`` process whose data module validates on that fold of the
train+val pool (stratified for classes; the test split is never in it) and trains on the
rest; folds are never tested. With the W&B logger the folds are one W&B group,
``job_type=fold``. The best validation score of every fold, their mean and standard deviation
go to ``cv.json`` and a printed table. ``--final`` then fits once more on the usual split and
tests that model, once.
"""

import argparse
import json
import math
import statistics
import subprocess
import sys
import time
from pathlib import Path

from litzoo.configs import given_option
from litzoo.errors import ConfigError, LitzooError
from litzoo.run.folders import child_env, name_from_files


def run_folds(folds: int, args: list[str], final: bool = False) -> dict:
    """Train every fold in its own process; return (and write) the cross-validation summary."""
    root = Path(given_option(args, "--trainer.default_root_dir", "runs"))
    name = name_from_files([Path(a) for a in args if a.endswith(".yaml")])  # as its run folders are named
    group = f"{name}/cv-{time.strftime('%Y%m%d-%H%M%S')}"
    env = {**child_env(), "WANDB_RUN_GROUP": group.replace("/", "-"), "WANDB_JOB_TYPE": "fold"}
    started, rows = time.perf_counter(), []
    for fold in range(folds):
        print(
            f"litzoo cv: fold {fold + 1}/{folds} ({time.perf_counter() - started:.0f} s so far)", flush=True
        )
        extra = [f"--folds={folds}", f"--fold={fold}", "--test_after_fit=false"]
        rows.append(_fit(args, extra, root, f"{group}/fold-{fold}", env))
    summary = summarize(rows, root / group, time.perf_counter() - started)
    if final:
        print("litzoo cv: the final fit on the usual train/val split, then its one test", flush=True)
        result = _fit(args, [], root, f"{group}/final", {**env, "WANDB_JOB_TYPE": "final"})
        summary["final"] = {"test": result["test"], "checkpoint": result["checkpoint"]}
        _write(summary, root / group)
        shown = "  ".join(f"{k}={v:.4f}" for k, v in sorted(result["test"].items()) if v is not None)
        print(f"litzoo cv: final test: {shown}", flush=True)
    return summary


def _fit(args: list[str], extra: list[str], root: Path, name: str, env: dict[str, str]) -> dict:
    """One ``litzoo fit`` process in ``root/name``; its results.json."""
    command = [sys.executable, "-m", "litzoo", "fit", *args, *extra, f"--run_name={name}"]
    if subprocess.run(command, env=env, stdin=subprocess.DEVNULL).returncode:
        raise LitzooError(f"cv: {name} failed; its run folder is under {root / name}")
    results = sorted((root / name).rglob("results.json"), key=lambda p: p.stat().st_mtime)
    return json.loads(results[-1].read_text())


def _write(summary: dict, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "cv.json").write_text(json.dumps(summary, indent=2, allow_nan=False) + "\n")


def summarize(rows: list[dict], folder: Path, seconds: float) -> dict:
    """Each fold's best validation score, their mean and (sample) standard deviation."""
    monitor = rows[0]["best"]["monitor"]
    scores = [row["best"]["score"] for row in rows]
    summary = {
        "folds": len(rows),
        "monitor": monitor,
        "scores": scores,
        "mean": statistics.fmean(scores),
        "std": statistics.stdev(scores) if len(scores) > 1 else 0.0,
        "seconds": round(seconds, 1),
    }
    _write(summary, folder)
    lines = [f"\n| fold | best {monitor} |", "|---|---|"]
    lines += [f"| {i} | {s:.4f} |" for i, s in enumerate(scores)]
    lines.append(f"| mean ± std | {summary['mean']:.4f} ± {summary['std']:.4f} |")
    print("\n".join(lines) + f"\n\nlitzoo cv: {folder / 'cv.json'} ({seconds / 60:.1f} min)", flush=True)
    return summary


def main(argv: list[str]) -> int:
    """``litzoo cv``: 0 when every fold gave a finite score."""
    parser = argparse.ArgumentParser(prog="litzoo cv", description=__doc__.split("\n")[0])
    parser.add_argument("--folds", default="5", help="number of folds, at least 2")
    parser.add_argument("--final", action="store_true", help="then one fit on the usual split and its test")
    parser.epilog = "After --: the litzoo fit arguments of every fold (make cv passes them)."
    cut = argv.index("--") if "--" in argv else len(argv)
    args, fit_args = parser.parse_args(argv[:cut]), argv[cut + 1 :]
    folds = int(args.folds) if args.folds.isdigit() else 0
    if folds < 2:
        raise ConfigError(f"FOLDS must be a whole number of at least 2, got {args.folds!r}")
    summary = run_folds(folds, fit_args, args.final)
    return 0 if math.isfinite(summary["mean"]) else 1
