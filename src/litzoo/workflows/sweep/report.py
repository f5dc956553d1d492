"""A sweep's results: its table, its best trial's config, and a plot.

The table of trials goes to stdout, ``trials.md`` and ``trials.csv``; the best trial's
``config.yaml`` to ``best.yaml``, ready to run again; the metric against each parameter to
``plot.png``.
"""

import csv
import math
import shutil
from pathlib import Path
from typing import Any

from litzoo.workflows.sweep.offline import short, show


def best_trial(trials: list[dict[str, Any]], goal: str) -> dict[str, Any] | None:
    """The finished trial with the best metric (``goal``: minimize or maximize)."""
    scored = [t for t in trials if t["state"] == "finished" and t.get("metric") is not None]
    if not scored:
        return None
    pick = max if goal == "maximize" else min
    return pick(scored, key=lambda t: t["metric"])


def write_report(folder: Path, config: dict[str, Any], trials: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Print and save the table, copy the best trial's config, draw the plot; return the best trial."""
    best = best_trial(trials, config["metric"].get("goal", "minimize"))
    table = _table(config, trials, best)
    (folder / "trials.md").write_text(table + "\n")
    print(f"\n{table}\n", flush=True)
    keys = list(config["parameters"])
    with (folder / "trials.csv").open("w", newline="") as file:  # every value in full
        writer = csv.writer(file)
        writer.writerow(["trial", "run", "state", *keys, config["metric"]["name"]])
        writer.writerows(
            [t["trial"], t["run_id"], t["state"], *(t["params"].get(k) for k in keys), t.get("metric")]
            for t in trials
        )
    if best is not None:
        config_file = _trial_config(Path(best["folder"]))
        if config_file is not None:
            shutil.copyfile(config_file, folder / "best.yaml")
    plot(folder / "plot.png", config, trials, best)
    return best


def _table(config: dict[str, Any], trials: list[dict[str, Any]], best: dict | None) -> str:
    """A Markdown table: one row per trial, the searched parameters and the metric."""
    keys = searched(config)
    header = ["trial", "run", "state", *map(short, keys), config["metric"]["name"]]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for t in trials:
        cells = [t["trial"], t["run_id"], t["state"], *(_cell(t["params"].get(k)) for k in keys)]
        score = _score(t.get("metric")) + (" (best)" if t is best else "")
        lines.append("| " + " | ".join(map(str, [*cells, score])) + " |")
    fixed = [f"{short(k)}={spec['value']}" for k, spec in config["parameters"].items() if k not in keys]
    if fixed:
        lines.append(f"\nThe same in every trial: {', '.join(fixed)}")
    return "\n".join(lines)


def searched(config: dict[str, Any]) -> list[str]:
    """The parameters the sweep varies (not those with one fixed ``value``)."""
    return [key for key, spec in config["parameters"].items() if "value" not in spec]


def _trial_config(folder: Path) -> Path | None:
    found = sorted(folder.rglob("config.yaml"), key=lambda p: p.stat().st_mtime)
    return found[-1] if found else None


def _cell(value: Any) -> str:
    return "" if value is None else show(value)


def _score(value: float | None) -> str:
    return "" if value is None or not math.isfinite(value) else f"{value:.4f}"


def plot(path: Path, config: dict[str, Any], trials: list[dict[str, Any]], best: dict | None) -> None:
    """One panel per parameter: each trial's metric against its value (log axes for log ranges)."""
    import matplotlib

    matplotlib.use("Agg")  # files only: no display here, nor on a cluster node
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    metric = config["metric"]["name"]
    scored = [t for t in trials if t.get("metric") is not None and math.isfinite(t["metric"])]
    keys = searched(config)
    if not keys or not scored:
        return
    fig, axes = plt.subplots(1, len(keys), figsize=(3.6 * len(keys), 3.4), squeeze=False, sharey=True)
    for ax, key in zip(axes[0], keys, strict=True):
        spec = config["parameters"][key]
        values = [t["params"].get(key) for t in scored]
        numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
        if numeric:
            xs: list[Any] = values
        else:  # categories (strings, lists, booleans): one position each, in the YAML's order
            labels = [str(v) for v in spec.get("values", [])] or sorted({str(v) for v in values})
            xs = [labels.index(str(v)) if str(v) in labels else len(labels) for v in values]
            ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
            ax.margins(x=0.25)
        for x, t in zip(xs, scored, strict=True):
            style = {"marker": "o", "s": 40, "color": "tab:blue"}
            if t["state"] == "stopped":
                style.update(facecolors="none", edgecolors="tab:blue", color=None)
            if t is best:
                style.update(marker="*", s=160, color="tab:red")
            ax.scatter([x], [t["metric"]], **{k: v for k, v in style.items() if v is not None})
        if numeric and "log" in str(spec.get("distribution", "")):
            ax.set_xscale("log")  # ticks at 1, 2 and 5 of each decade, written plainly (0.002)
            ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
            ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel(short(key))
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel(metric)
    fig.suptitle(f"{path.parent.parent.name}: {metric} of {len(scored)} trials (red star: best)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
