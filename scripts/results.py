"""Run every reference experiment in configs/experiment and write the results table.

Each experiment runs as ``python -m litzoo fit`` with the default trainer, the CSV logger and
its own config, one after the other, with its output streamed so progress shows. The GAN is
judged by the classifier the ``cnn`` experiment trained. The table goes to ``results.md`` and
between the RESULTS markers of docs/benchmark.md.

Usage: python scripts/results.py [--data-dir DIR] [--only NAME ...] [--readme docs/benchmark.md]
"""

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from litzoo import configs

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"
BEGIN, END = "<!-- RESULTS:BEGIN -->", "<!-- RESULTS:END -->"


def run(name: str, data_dir: str, out: Path, extra: list[str]) -> dict:
    """Train one experiment as ``make train EXPERIMENT=<name> LOGGER=csv`` does; return its results.json."""
    args = configs.fit_args(experiment_name=name, logger="csv", data_dir=data_dir, root=CONFIGS)
    args.append(f"--trainer.default_root_dir={out / name}")
    print(f"\n=== {name}: training ({time.strftime('%H:%M:%S')})", flush=True)
    subprocess.run(
        [sys.executable, "-m", "litzoo", "fit", *args, *extra], check=True, stdin=subprocess.DEVNULL
    )
    found = sorted((out / name).rglob("results.json"), key=lambda p: p.stat().st_mtime)
    return json.loads(found[-1].read_text())


def row(name: str, result: dict) -> str:
    checks = []
    for target in configs.experiment(name, CONFIGS).targets:
        got = result["test"].get(target.metric, float("nan"))
        mark = "met" if target.met(got) else "MISSED"
        checks.append(f"{target.metric} = {got:.4f} ({target.op} {target.value:g}: {mark})")
    return (
        f"| {name} | {'<br>'.join(checks)} | {result['epochs']} | {result['wall_s'] / 60:.1f} min "
        f"| {result['samples_per_s']:,.0f} |"
    )


def table(rows: list[str]) -> str:
    head = (
        "| experiment | test metric (target) | epochs | wall time | train samples/s |\n|---|---|---|---|---|"
    )
    return "\n".join([head, *rows])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", default="./data", help="folder holding MNIST/raw")
    parser.add_argument("--only", nargs="*", help="experiment names (default: all)")
    parser.add_argument("--out", default="runs/results", help="where the runs go")
    parser.add_argument(
        "--readme", default=str(ROOT / "docs" / "benchmark.md"), help="page to update ('' to skip)"
    )
    args = parser.parse_args()
    names = args.only or configs.names("experiment", CONFIGS)
    if "gan" in names:  # the GAN's judge is the cnn experiment's classifier
        names = [n for n in names if n != "gan"] + ["gan"]
        if "cnn" not in names:
            names.insert(0, "cnn")
    out = Path(args.out).resolve()
    results: dict[str, dict] = {}
    for name in names:
        extra = []
        if name == "gan":
            extra = [f"--model.init_args.judge={results['cnn']['checkpoint']}"]
        results[name] = run(name, args.data_dir, out, extra)
        print(row(name, results[name]), flush=True)
    text = table([row(n, r) for n, r in results.items()])
    (out / "results.md").write_text(text + "\n")
    print(f"\n{text}\n\nwritten to {out / 'results.md'}")
    readme = Path(args.readme) if args.readme else None
    if readme and readme.is_file() and BEGIN in readme.read_text():
        before, rest = readme.read_text().split(BEGIN, 1)
        readme.write_text(f"{before}{BEGIN}\n{text}\n{END}{rest.split(END, 1)[1]}")
        print(f"and into {readme}")


if __name__ == "__main__":
    main()
