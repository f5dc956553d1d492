"""The one reader of questions about ``configs/``: the Makefile, tests and scripts all ask it.

It reads YAML with ``yaml.safe_load`` and imports no torch, so ``make`` can call it cheaply:
``python -m litzoo.configs fit-args --model lstm --data mnist`` prints the ``litzoo fit``
arguments of a run, one per line.

Layout: ``configs/model/<name>.yaml`` names its default data on its ``data:`` line;
``configs/experiment/<name>.yaml`` starts with header comments naming what it stacks on and
what it must reach, then holds only what differs::

    # model: lstm
    # data: adding            (optional: the model's default)
    # target: test/mse <= 0.01

``configs/sweep/<name>.yaml`` is a W&B sweep config with the same ``# model:`` (and ``# data:``)
header naming what its trials train.
"""

import argparse
import operator
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from litzoo.errors import ConfigChoiceError

ROOT = Path("configs")
_HEADER = re.compile(r"^# (model|data|target): *(.+?) *$", re.M)
_TARGET = re.compile(r"^(\S+) (>=|<=) ([-+0-9.eE]+)$")
_COMPARE = {">=": operator.ge, "<=": operator.le}


@dataclass(frozen=True)
class Target:
    """A metric an experiment must reach, e.g. ``test/acc >= 0.99``."""

    metric: str
    op: str
    value: float

    def met(self, got: float) -> bool:
        return _COMPARE[self.op](got, self.value)

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {self.value:g}"


@dataclass(frozen=True)
class Experiment:
    """An experiment: the model and data configs it stacks on, and its targets."""

    name: str
    model: str
    data: str
    targets: list[Target] = field(default_factory=list)


def path(kind: str, name: str, root: Path = ROOT) -> Path:
    """``configs/<kind>/<name>.yaml``, or a ConfigChoiceError listing the names there are."""
    file = root / kind / f"{name}.yaml"
    if not name or "/" in name or not file.is_file():
        raise ConfigChoiceError(f"unknown {kind.upper()} '{name}'. Available: {' '.join(names(kind, root))}")
    return file


def names(kind: str, root: Path = ROOT) -> list[str]:
    return sorted(p.stem for p in (root / kind).glob("*.yaml"))


def default_data(model: str, root: Path = ROOT) -> str:
    """The data config a model config names on its ``data: ../data/<name>.yaml`` line."""
    data = yaml.safe_load(path("model", model, root).read_text()).get("data")
    if not isinstance(data, str):
        raise ConfigChoiceError(
            f"configs/model/{model}.yaml names no default data (data: ../data/<name>.yaml)"
        )
    return Path(data).stem


def experiment(name: str, root: Path = ROOT) -> Experiment:
    """Read an experiment's header: the model (and data) it stacks on and its targets."""
    model, data, header = _stack(path("experiment", name, root), root)
    return Experiment(name, model, data, [_target(name, t) for t in header.get("target", [])])


def sweep_stack(name: str, root: Path = ROOT) -> tuple[str, str]:
    """The model and data a sweep (``configs/sweep/<name>.yaml``) trains, from its header."""
    model, data, _ = _stack(path("sweep", name, root), root)
    return model, data


def _stack(file: Path, root: Path) -> tuple[str, str, dict[str, list[str]]]:
    """(model, data, every header line) of a file that starts with ``# model:`` lines."""
    header: dict[str, list[str]] = {}
    for key, value in _HEADER.findall(file.read_text()):
        header.setdefault(key, []).append(value)
    if "model" not in header:
        raise ConfigChoiceError(f"configs/{file.parent.name}/{file.name} has no '# model: <name>' line")
    model = header["model"][0]
    return model, header.get("data", [default_data(model, root)])[0], header


def _target(name: str, text: str) -> Target:
    match = _TARGET.match(text)
    if not match:
        raise ConfigChoiceError(f"configs/experiment/{name}.yaml: cannot read target {text!r}")
    return Target(match[1], match[2], float(match[3]))


def fit_args(
    model: str = "mlp",
    data: str = "",
    experiment_name: str = "",
    trainer: str = "default",
    logger: str = "wandb",
    data_dir: str = "./data",
    root: Path = ROOT,
    sweep_name: str = "",
) -> list[str]:
    """The ``litzoo fit`` arguments of a run: stacked configs, later ones winning.

    An experiment replaces ``model`` and ``data`` with the ones it names and goes last; a
    sweep replaces them with the ones its header names (its YAML is W&B's, not a config).
    """
    if experiment_name:
        exp = experiment(experiment_name, root)
        model, data = exp.model, exp.data
    elif sweep_name:
        model, data = sweep_stack(sweep_name, root)
    data = data or default_data(model, root)
    args = ["--config", str(path("trainer", "default", root))]
    if trainer != "default":
        args += ["--config", str(path("trainer", trainer, root))]
    args += ["--config", str(path("logger", logger, root))]
    args += ["--config", str(path("model", model, root)), "--data", str(path("data", data, root))]
    if experiment_name:
        args += ["--config", str(path("experiment", experiment_name, root))]
    # The folder every data module that reads files and was given none reads from (make's DATA_DIR).
    return [*args, f"--data_dir={data_dir}"]


def given_option(args: list[str], name: str, default: str) -> str:
    """The last value given for ``--name`` among raw CLI arguments (``--name=value`` or ``--name value``)."""
    value = default
    for i, arg in enumerate(args):
        if arg.startswith(f"{name}="):
            value = arg.split("=", 1)[1]
        elif arg == name and i + 1 < len(args):
            value = args[i + 1]
    return value


def main(argv: list[str] | None = None) -> None:
    """``fit-args`` for the Makefile; errors end in one line and exit code 2."""
    parser = argparse.ArgumentParser(prog="python -m litzoo.configs", description=__doc__.split("\n")[0])
    parser.add_argument("question", choices=["fit-args"])
    for name, default in [("model", "mlp"), ("data", ""), ("experiment", ""), ("trainer", "default")]:
        parser.add_argument(f"--{name}", default=default)
    parser.add_argument("--sweep", default="")
    parser.add_argument("--logger", default="wandb")
    parser.add_argument("--data-dir", default="./data")
    args = parser.parse_args(argv)
    try:
        answer = fit_args(
            args.model,
            args.data,
            args.experiment,
            args.trainer,
            args.logger,
            args.data_dir,
            sweep_name=args.sweep,
        )
    except ConfigChoiceError as err:
        print(f"litzoo: error: {err}", file=sys.stderr)
        sys.exit(2)
    print("\n".join(answer))


if __name__ == "__main__":
    main()
