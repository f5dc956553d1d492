"""Time to accuracy: whole ``litzoo fit`` commands, start to printed test metric, side by side.

Each experiment runs as ``make train EXPERIMENT=<name> LOGGER=csv`` does, in a fresh process,
once per seed; the pairs (a default experiment and its fast preset) alternate so that both see
the same machine. Besides the whole command it reports the time from the command's start to
its first training step (``FirstStep``, a callback this script adds): start-up, imports,
data loading and the sanity check.
"""

import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lightning import Callback

from litzoo import configs

SCRIPTS = Path(__file__).resolve().parent
CONFIGS = SCRIPTS.parent / "configs"
METRIC = re.compile(r"test/acc=([0-9.]+)")
FIRST = re.compile(r"first_step_at=([0-9.]+)")


class FirstStep(Callback):
    """Prints the wall-clock time of the first training step, for the parent to subtract from."""

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:  # noqa: ANN001, D102
        if trainer.global_step == 0 and batch_idx == 0:
            print(f"first_step_at={time.time():.3f}", flush=True)


def run_once(experiment: str, seed: int, data_dir: str, extra: list[str]) -> dict[str, float]:
    """One whole ``litzoo fit`` of ``experiment``: seconds, seconds to first step, test accuracy."""
    with tempfile.TemporaryDirectory() as runs:
        args = configs.fit_args(experiment_name=experiment, logger="csv", data_dir=data_dir, root=CONFIGS)
        args += [f"--seed_everything={seed}", f"--trainer.default_root_dir={runs}"]
        args += ["--trainer.callbacks+=bench_tta.FirstStep", *extra]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SCRIPTS), os.environ.get("PYTHONPATH", "")])}
        start_wall, start = time.time(), time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-m", "litzoo", "fit", *args], env=env, capture_output=True, text=True
        )
        seconds = time.perf_counter() - start
    acc, first = METRIC.findall(out.stdout), FIRST.findall(out.stdout)
    if out.returncode != 0 or not acc or not first:
        raise SystemExit(f"bench: {experiment} (seed {seed}) failed:\n{out.stderr[-2000:]}")
    return {"seconds": seconds, "first_step": float(first[0]) - start_wall, "acc": float(acc[-1])}


def load() -> str:
    """The 1-minute load average, to print beside each figure on a shared machine."""
    return f"{os.getloadavg()[0]:.1f}"


def time_to_accuracy(pairs: list[str], seeds: list[int], data_dir: str, extra: list[str]) -> None:
    """Run each ``default:fast`` pair over the seeds and print one table of both, side by side."""
    names = [name for pair in pairs for name in pair.split(":")]
    rows: dict[str, list[dict[str, float]]] = {name: [] for name in names}
    for seed in seeds:
        for name in names:
            result = run_once(name, seed, data_dir, extra)
            rows[name].append(result)
            print(
                f"  {name:<12} seed {seed}: {result['seconds']:6.1f} s, test/acc {result['acc']:.4f}, "
                f"first step after {result['first_step']:.1f} s (load {load()})",
                flush=True,
            )
    print(f"\ntime to accuracy: whole command, start to printed test metric, seeds {seeds}")
    print(
        f"  {'experiment':<12} {'target':>7} {'s median':>9} {'s range':>15} {'acc min':>8} {'1st step':>9}"
    )
    for name in names:
        runs, targets = rows[name], configs.experiment(name, CONFIGS).targets
        target = next((t for t in targets if t.metric == "test/acc"), None)
        secs = [r["seconds"] for r in runs]
        goal = f"{target.value:.3f}" if target else "-"
        first = statistics.median(r["first_step"] for r in runs)
        print(
            f"  {name:<12} {goal:>7} {statistics.median(secs):9.1f} {min(secs):7.1f}-{max(secs):<7.1f}"
            f" {min(r['acc'] for r in runs):8.4f} {first:8.1f}s"
        )
    for pair in pairs:
        default, fast = pair.split(":")
        ratio = statistics.median(r["seconds"] for r in rows[default]) / statistics.median(
            r["seconds"] for r in rows[fast]
        )
        print(f"fast_speedup_{fast}={ratio:.2f}")
