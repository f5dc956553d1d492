"""k-fold cross-validation: ``python -m litzoo.cv --folds K -- <litzoo fit arguments>`` (``make cv``).

Each fold is a fresh ``litzoo fit`` process whose data module validates on that fold of the
train+val pool (stratified for classes; the test split is never in it) and trains on the
rest. With the W&B logger the folds are one W&B group, ``job_type=fold``. The best validation
score of every fold, their mean and standard deviation go to ``cv.json`` and a printed table.
"""

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path


def _option(args: list[str], name: str, default: str) -> str:
    """The last value given for ``--name`` (``--name=value`` or ``--name value``)."""
    value = default
    for i, arg in enumerate(args):
        if arg.startswith(f"{name}="):
            value = arg.split("=", 1)[1]
        elif arg == name and i + 1 < len(args):
            value = args[i + 1]
    return value


def _name(args: list[str]) -> str:
    """``<model>-<data>`` from the config files given, as run folders are named."""
    configs = [Path(a) for a in args if a.endswith(".yaml")]
    model = next((p.stem for p in reversed(configs) if p.parent.name == "model"), "model")
    data = next((p.stem for p in reversed(configs) if p.parent.name == "data"), "data")
    return f"{model}-{data}"


def run_folds(folds: int, args: list[str]) -> dict:
    """Train every fold in its own process; return (and write) the cross-validation summary."""
    root = Path(_option(args, "--trainer.default_root_dir", "runs"))
    group = f"{_name(args)}/cv-{time.strftime('%Y%m%d-%H%M%S')}"
    env = {**os.environ, "WANDB_RUN_GROUP": group.replace("/", "-"), "WANDB_JOB_TYPE": "fold"}
    env = {k: v for k, v in env.items() if not k.startswith("LITZOO_RUN_DIR")}
    started, rows = time.perf_counter(), []
    for fold in range(folds):
        print(
            f"litzoo cv: fold {fold + 1}/{folds} ({time.perf_counter() - started:.0f} s so far)", flush=True
        )
        extra = [
            f"--data.init_args.folds={folds}",
            f"--data.init_args.fold={fold}",
            f"--run_name={group}/fold-{fold}",
        ]
        command = [sys.executable, "-m", "litzoo", "fit", *args, *extra]
        if subprocess.run(command, env=env, stdin=subprocess.DEVNULL).returncode:
            raise SystemExit(f"litzoo cv: fold {fold} failed; its run folder is under {root / group}")
        results = sorted(
            (root / group / f"fold-{fold}").rglob("results.json"), key=lambda p: p.stat().st_mtime
        )
        rows.append(json.loads(results[-1].read_text()))
    return summarize(rows, root / group, time.perf_counter() - started)


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
        "test": [row.get("test", {}) for row in rows],
        "seconds": round(seconds, 1),
    }
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "cv.json").write_text(json.dumps(summary, indent=2) + "\n")
    lines = [f"\n| fold | best {monitor} |", "|---|---|"]
    lines += [f"| {i} | {s:.4f} |" for i, s in enumerate(scores)]
    lines.append(f"| mean ± std | {summary['mean']:.4f} ± {summary['std']:.4f} |")
    print("\n".join(lines) + f"\n\nlitzoo cv: {folder / 'cv.json'} ({seconds / 60:.1f} min)", flush=True)
    return summary


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m litzoo.cv", description=__doc__.split("\n")[0])
    parser.add_argument("--folds", default="5", help="number of folds, at least 2")
    parser.add_argument("fit_args", nargs=argparse.REMAINDER, help="-- then the litzoo fit arguments")
    args = parser.parse_args(argv)
    folds = int(args.folds) if args.folds.isdigit() else 0
    if folds < 2:
        print(
            f"litzoo: error: FOLDS must be a whole number of at least 2, got {args.folds!r}", file=sys.stderr
        )
        sys.exit(2)
    fit_args = args.fit_args[1:] if args.fit_args[:1] == ["--"] else args.fit_args
    summary = run_folds(folds, fit_args)
    sys.exit(0 if math.isfinite(summary["mean"]) else 1)


if __name__ == "__main__":
    main()
