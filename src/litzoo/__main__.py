"""``litzoo <command>`` (also ``python -m litzoo``): the console script of the package.

Every command runs in any project folder that holds ``configs/``; user errors end in one
line and exit code 2 (``litzoo.run.entry``).
"""

import json
import sys
from pathlib import Path

from litzoo.errors import ConfigError
from litzoo.run.entry import run_command

USAGE = """usage: litzoo <command> [options]

Training (LightningCLI: --help lists every option, typed, with defaults):
  fit | validate | test | predict    e.g. litzoo fit --config configs/model/mlp.yaml
                                     --run RUN: work in a run folder, with its config.yaml
Workflows:
  resume RUN [fit options]           continue a killed or preempted run in its folder
  cv --folds K [--final] -- <fit arguments>
                                     k-fold cross-validation (grouped runs, cv.json)
  sweep configs/sweep/<name>.yaml --count N -- <fit arguments>
                                     a hyperparameter sweep in W&B's format (--resume FOLDER)
  agent <entity/project/sweep id>    one more agent for an online W&B sweep
  export RUN [--format onnx|pt2]     the run's best network, checked against PyTorch
  generate --run RUN --prompt TEXT [--tokens N]
                                     text from a run's language model
  serve RUN [--port 8000 --host 127.0.0.1 --format torch|onnx --max-batch-size 64 --batch-timeout 0.005]
                                     the run's model answering POST /predict (LitServe)
  predict --run RUN --input <image folder | CSV | text file>
                                     predictions for your own files, beside the test split's
"""
LIGHTNING = ("fit", "validate", "test", "predict")


def main(args: list[str] | None = None) -> None:
    """Dispatch ``litzoo <command> …``; exits with the command's code."""
    argv = sys.argv[1:] if args is None else list(args)
    command, rest = (argv[0], argv[1:]) if argv else ("", [])
    if command in ("", "-h", "--help"):
        print(USAGE, end="")
        sys.exit(0 if command else 2)
    run_command(lambda: _dispatch(command, rest))


def _dispatch(command: str, rest: list[str]) -> int | None:
    if command == "predict" and any(a == "--input" or a.startswith("--input=") for a in rest):
        from litzoo.workflows.predict_files import main as predict_files

        return predict_files(rest)
    if command in LIGHTNING:
        return _lightning([command, *_with_run_config(rest)])
    if command == "resume":
        if not rest or rest[0].startswith("-"):
            raise ConfigError("name the run to continue: litzoo resume runs/<name>/<time> [fit options]")
        if len(rest) == 1 and (Path(rest[0]) / "results.json").is_file():
            return _finished(Path(rest[0]))
        return _lightning(["fit", *_with_run_config(["--run", rest[0], *rest[1:]])])
    if command == "cv":
        from litzoo.workflows.cv import main as cv

        return cv(rest)
    if command in ("sweep", "agent"):
        from litzoo.workflows.sweep.cli import main as sweep

        return sweep(["--agent", *rest] if command == "agent" else rest)
    if command == "export":
        from litzoo.workflows.export import main as export

        return export(rest)
    if command == "generate":
        from litzoo.workflows.generate import main as generate

        return generate(rest)
    if command == "serve":
        try:
            from litzoo.workflows.serve import main as serve
        except ModuleNotFoundError as err:
            if err.name != "litserve":
                raise
            raise ConfigError("serving needs LitServe: pip install 'litzoo[serve]'") from None
        return serve(rest)
    raise ConfigError(f"unknown command {command!r}; litzoo --help lists them")


def _finished(run: Path) -> int:
    """``resume`` of a run whose fit ended: nothing to continue; say how to train or test it more."""
    epochs = json.loads((run / "results.json").read_text()).get("epochs") or 0
    done = f"{epochs} epoch{'s' * (epochs != 1)}"
    print(
        f"litzoo: {run} is finished ({done}, results in {run / 'results.json'}); nothing to "
        f'continue. Train it further: make resume RUN={run} ARGS="--trainer.max_epochs={epochs + 10}"; '
        f"test it again: make eval RUN={run}"
    )
    return 0


def _lightning(argv: list[str]) -> None:
    from litzoo.run.cli import LitzooCLI

    LitzooCLI(args=argv)


def _with_run_config(args: list[str]) -> list[str]:
    """``--run RUN`` without ``--config``: the run folder's own config.yaml comes first."""
    run = next((args[i + 1] for i, a in enumerate(args[:-1]) if a == "--run"), None)
    run = run or next((a.split("=", 1)[1] for a in args if a.startswith("--run=")), None)
    if run is None or any(a == "--config" or a.startswith("--config=") for a in args):
        return args
    if not (Path(run) / "config.yaml").is_file():
        raise ConfigError(f"RUN={run!r} is not a run folder (runs/<name>/<time>, holding config.yaml)")
    return ["--config", str(Path(run) / "config.yaml"), *args]


if __name__ == "__main__":
    main()
