"""A sweep's config: W&B's own sweep format, checked whole before the first trial runs.

``configs/sweep/<name>.yaml`` holds ``method``, ``metric``, ``parameters`` (flat LightningCLI
keys such as ``model.init_args.optimizer.init_args.lr``) and optionally ``early_terminate``,
after a ``# model:`` (and ``# data:``) header that names what the trials train. litzoo adds
the ``command`` that W&B's agent runs: ``litzoo fit`` with the header's configs and ``${args}``.
"""

import contextlib
import io
import warnings
from pathlib import Path
from typing import Any

import yaml

from litzoo.errors import ConfigError

# The agent's own command template: env, interpreter (``python`` first on PATH), then ours.
COMMAND_HEAD = ["${env}", "${interpreter}", "-m", "litzoo", "fit"]


def load(path: Path) -> dict[str, Any]:
    """Read and check a sweep YAML.

    Raises:
        ConfigError: the file is missing, not YAML, not a valid W&B sweep config, or asks for
            something litzoo's sweeps refuse (a null value, a metric other than ``val/…``).
    """
    if not path.is_file():
        known = " ".join(sorted(p.stem for p in path.parent.glob("*.yaml"))) or "none"
        raise ConfigError(f"no sweep file {path}: name one with SWEEP=<name> (in {path.parent}: {known})")
    try:
        config = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        raise ConfigError(f"{path} is not valid YAML: {str(err).splitlines()[0]}") from None
    if not isinstance(config, dict):
        raise ConfigError(f"{path} is not a W&B sweep config (a mapping with method, metric, parameters)")
    check(config, str(path))
    return config


def check(config: dict[str, Any], where: str) -> None:
    """Refuse a sweep config W&B would refuse, and what would fail or mislead only later."""
    from sweeps import schema_violations_from_proposed_config

    for key in ("command", "program"):
        if key in config:
            raise ConfigError(
                f"{where} sets {key}:, but litzoo builds the trial command from the '# model:' "
                "header and make's variables: remove it"
            )
    violations = schema_violations_from_proposed_config(config)
    if violations:
        raise ConfigError(f"{where} is not a valid W&B sweep config: {'; '.join(violations)}")
    metric = (config.get("metric") or {}).get("name")
    if not metric:
        raise ConfigError(where + " has no metric: add metric: {name: val/loss, goal: minimize}")
    if not metric.startswith("val/"):
        raise ConfigError(
            f"{where} optimises {metric}, but a sweep must choose by a validation metric (val/…): "
            "choosing by the test set would leave no unbiased estimate"
        )
    for key, spec in config["parameters"].items():
        _check_parameter(where, key, spec)


def _check_parameter(where: str, key: str, spec: dict[str, Any]) -> None:
    if key.startswith("-") or "parameters" in spec:
        raise ConfigError(
            f"{where}: parameter {key!r} must be a flat CLI key without dashes "
            "(e.g. model.init_args.optimizer.init_args.lr), not a nested section"
        )
    values = spec.get("values", [spec["value"]] if "value" in spec else [])
    if any(value is None for value in values):
        raise ConfigError(
            f"{where}: parameter {key} has a null value, which W&B's agent passes as the string "
            "'None'; leave the value out to keep the config's own"
        )


def samples(spec: dict[str, Any], key: str) -> list[Any]:
    """Values to check a parameter with: every listed value, else the middle of its distribution."""
    from sweeps.params import HyperParameter

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        param = HyperParameter(key, spec)
    if param.type == HyperParameter.CATEGORICAL:
        return list(param.config["values"])
    if param.type == HyperParameter.CONSTANT:
        return [param.config["value"]]
    return [native(param.ppf(0.5))]


def native(value: Any) -> Any:
    """A plain Python value for a NumPy scalar (as the engine samples) or list of them."""
    if isinstance(value, list | tuple):
        return [native(v) for v in value]
    return value.item() if hasattr(value, "item") else value


def check_against_cli(parameters: dict[str, dict], fit_args: list[str]) -> dict[str, Any]:
    """Parse ``litzoo fit`` with every parameter's sample values, as the agent will pass them.

    Nothing is trained or written: the CLI stops at ``--print_config``.

    Returns:
        The resolved config of the first combination (a nested dict).

    Raises:
        ConfigError: a key the CLI does not know or a value of the wrong type, naming the parameter.
    """
    from litzoo.workflows.sweep.trial import cli_args

    options = {key: samples(spec, key) for key, spec in parameters.items()}
    resolved: dict[str, Any] = {}
    for i in range(max(len(values) for values in options.values())):
        values = {key: vals[i % len(vals)] for key, vals in options.items()}
        code, out, err = _parse([*fit_args, *cli_args(values)])
        if code:
            raise ConfigError(_culprit(values, fit_args) or f"the sweep's parameters do not parse: {err}")
        resolved = resolved or yaml.safe_load(out)
    return resolved


def _culprit(values: dict[str, Any], fit_args: list[str]) -> str | None:
    """The first parameter the CLI refuses on its own, with the CLI's reason."""
    from litzoo.workflows.sweep.trial import cli_args

    for key, value in values.items():
        code, _, err = _parse([*fit_args, *cli_args({key: value})])
        if code:
            reason = " ".join(line.strip() for line in err.splitlines() if "See every option" not in line)
            reason = reason.removeprefix("litzoo: error: ")
            return f"sweep parameter {key}={value!r} does not fit litzoo fit: {reason}"
    return None


def _parse(args: list[str]) -> tuple[int, str, str]:
    """``litzoo fit <args> --print_config`` in this process: (exit code, stdout, stderr)."""
    from litzoo.__main__ import main

    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(["fit", *args, "--print_config"])
        except SystemExit as exit_:
            code = exit_.code or 0
    return int(code), out.getvalue(), err.getvalue().strip()
