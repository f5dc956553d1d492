"""The generic tests: every model, data, experiment and overlay config of a project, with no test code.

What a test needs to know about a system comes from its declared contract
(``litzoo.systems.Contract``), about a data module from its declared facts and its ``tiny``
settings: nothing is guessed. Needs the plugin (``litzoo.testing.plugin``) for its fixtures.
"""

import importlib
import inspect
from pathlib import Path

import pytest
import torch
import yaml

from litzoo import configs
from litzoo.__main__ import main
from litzoo.run.cli import LitzooCLI
from litzoo.systems.contract import contract_of
from litzoo.testing.helpers import (
    GradientCheck,
    LossRecorder,
    bare_trainer,
    build,
    experiment_args,
    first_batch,
    model_args,
    model_for,
)
from litzoo.workflows.export import BATCH_SIZES, TOLERANCE, export

__all__ = [
    "test_model_forward_gives_the_declared_shape_and_refuses_a_wrong_one",
    "test_model_every_parameter_gets_a_finite_gradient_in_a_real_training_step",
    "test_model_fast_dev_run_trains_and_tests",
    "test_model_overfits_one_batch",
    "test_model_checkpoint_reloads_safely_to_the_same_outputs",
    "test_model_exports_and_matches_pytorch",
    "test_data_config_holds_only_what_differs_from_the_code_defaults",
    "test_data_config_loads_tiny_data_that_fits_its_facts_and_trains",
    "test_overlay_config_validates",
    "test_experiment_stacks_on_its_model_and_holds_only_what_differs",
    "test_experiment_runs_on_tiny_data",
]


def _inputs(cli: LitzooCLI) -> tuple[torch.Tensor, torch.Size]:
    """A batch for the system's network, as its contract says it reads, and the shape it must give."""
    contract = contract_of(cli.model, "the generic model tests")
    x, _ = first_batch(cli)
    inputs = x if contract.takes == "data" else contract.example(len(x))
    return inputs, torch.Size((len(x), *contract.output_shape))


def test_model_forward_gives_the_declared_shape_and_refuses_a_wrong_one(
    model_config: Path, configs_dir: Path, tmp_path: Path
) -> None:
    cli = build(model_args(configs_dir, model_config.stem, tmp_path / "data"))
    inputs, shape = _inputs(cli)
    output = cli.model.eval()(inputs)
    assert output.shape == shape, (
        f"the contract declares {tuple(shape)}, the system gives {tuple(output.shape)}"
    )
    assert torch.isfinite(output.float()).all()
    with pytest.raises(ValueError):  # one feature short: a clear error, not a size mismatch deep inside
        cli.model(inputs[..., :-1])


def test_model_every_parameter_gets_a_finite_gradient_in_a_real_training_step(
    model_config: Path, configs_dir: Path, tmp_path: Path
) -> None:
    cli = build(model_args(configs_dir, model_config.stem, tmp_path / "data"))
    check = GradientCheck()
    trainer = bare_trainer(check, max_epochs=1, limit_train_batches=1, limit_val_batches=0)
    trainer.fit(cli.model, datamodule=cli.datamodule)
    trainable = {name for name, p in cli.model.named_parameters() if p.requires_grad}
    assert set(check.stepped) >= trainable, f"never stepped: {sorted(trainable - set(check.stepped))}"
    assert all(check.stepped.values()), [name for name, ok in check.stepped.items() if not ok]


def test_model_fast_dev_run_trains_and_tests(model_config: Path, configs_dir: Path, tmp_path: Path) -> None:
    args = model_args(configs_dir, model_config.stem, tmp_path / "data")
    cli = LitzooCLI(args=["fit", *args, "--trainer.fast_dev_run=true"])
    assert cli.trainer.state.finished and cli.trainer.global_step >= 1
    metrics = cli.trainer.callback_metrics
    assert any(name.startswith("test/") for name in metrics), sorted(metrics)
    assert all(torch.isfinite(v) for v in metrics.values())


def test_model_overfits_one_batch(model_config: Path, configs_dir: Path, tmp_path: Path) -> None:
    cli = build(model_args(configs_dir, model_config.stem, tmp_path / "data"))
    bound = contract_of(cli.model, "the overfit test").overfit
    if bound is None:
        pytest.skip(f"{type(cli.model).__name__} declares that its loss need not fall (overfit: None)")
    recorder = LossRecorder()
    trainer = bare_trainer(recorder, overfit_batches=1, max_epochs=60, num_sanity_val_steps=0)
    trainer.fit(cli.model, datamodule=cli.datamodule)
    first, last = recorder.losses[0], sum(recorder.losses[-5:]) / 5
    assert last < bound * first, f"loss went {first:.4f} -> {last:.4f} (must fall below {bound:g}x)"


def test_model_checkpoint_reloads_safely_to_the_same_outputs(
    model_config: Path, configs_dir: Path, tmp_path: Path
) -> None:
    args = model_args(configs_dir, model_config.stem, tmp_path / "data")
    cli = LitzooCLI(args=["fit", *args, "--trainer.max_steps=2", "--test_after_fit=false"])
    last = Path(cli.trainer.default_root_dir) / "checkpoints" / "last.ckpt"
    loaded = type(cli.model).load_from_checkpoint(last, weights_only=True)  # tensors and primitives only
    inputs, _ = _inputs(cli)
    with torch.no_grad():
        expected, got = cli.model.eval()(inputs), loaded.eval()(inputs)
    assert torch.allclose(got, expected, atol=1e-6)


@pytest.mark.parametrize("fmt", ["onnx", "pt2"])
def test_model_exports_and_matches_pytorch(
    model_config: Path, configs_dir: Path, tmp_path: Path, fmt: str
) -> None:
    cli = build(model_args(configs_dir, model_config.stem, tmp_path / "data"))
    contract = contract_of(cli.model.eval(), "export")
    report = export(contract.net, contract.input_shape, fmt, tmp_path / f"model.{fmt}", contract.input_dtype)
    assert set(report["max_abs_difference"]) == set(BATCH_SIZES)
    assert max(report["max_abs_difference"].values()) <= TOLERANCE


def test_data_config_holds_only_what_differs_from_the_code_defaults(data_config: Path) -> None:
    spec = yaml.safe_load(data_config.read_text())
    module, name = spec["class_path"].rsplit(".", 1)
    params = inspect.signature(getattr(importlib.import_module(module), name)).parameters
    for key, value in (spec.get("init_args") or {}).items():
        assert key in params, f"{data_config.name}: {key} is not an option of {name}"
        assert value != params[key].default, (
            f"{data_config.name}: {key}: {value!r} is the code default already"
        )


def test_data_config_loads_tiny_data_that_fits_its_facts_and_trains(
    data_config: Path, configs_dir: Path, default_model: str, tmp_path: Path
) -> None:
    model = model_for(configs_dir, data_config.stem, default_model)
    args = model_args(configs_dir, model, tmp_path / "data", data_config.stem)
    cli = LitzooCLI(args=["fit", *args, "--trainer.fast_dev_run=true"])
    dm = cli.datamodule
    x, y = next(iter(dm.train_dataloader()))
    assert tuple(x.shape[1:]) == tuple(dm.input_shape) and len(y) == len(x)
    if dm.task == "classification":
        assert int(y.min()) >= 0 and int(y.max()) < dm.num_outputs
    assert cli.trainer.state.finished
    assert all(torch.isfinite(v) for v in cli.trainer.callback_metrics.values())


def _resolved(capsys: pytest.CaptureFixture, *args: str) -> dict:
    with pytest.raises(SystemExit) as exit_info:
        main(["fit", *args, "--print_config"])
    out, err = capsys.readouterr()
    assert not exit_info.value.code, err
    return yaml.safe_load(out)


def test_overlay_config_validates(
    overlay_config: Path, configs_dir: Path, default_model: str, capsys: pytest.CaptureFixture
) -> None:
    args = configs.fit_args(default_model, logger="csv", root=configs_dir)
    assert _resolved(capsys, *args, "--config", str(overlay_config))["trainer"]


def _leaves(tree: object, prefix: tuple = ()) -> list[tuple]:
    """Paths to the values a YAML sets, e.g. ``("data", "init_args", "batch_size")``."""
    if isinstance(tree, dict):
        return [leaf for key, sub in tree.items() for leaf in _leaves(sub, (*prefix, key))]
    return [prefix]


def _get(tree: dict, path: tuple) -> object:
    for key in path:
        tree = tree.get(key, {}) if isinstance(tree, dict) else {}
    return tree


def test_experiment_stacks_on_its_model_and_holds_only_what_differs(
    experiment_config: Path, configs_dir: Path, capsys: pytest.CaptureFixture
) -> None:
    exp = configs.experiment(experiment_config.stem, configs_dir)
    assert exp.targets, "an experiment says what it must reach: '# target: <metric> >= <value>'"
    assert all(t.metric.startswith("test/") for t in exp.targets)
    stack = {"logger": "csv", "root": configs_dir}
    base = _resolved(capsys, *configs.fit_args(exp.model, exp.data, **stack))
    stacked = _resolved(capsys, *configs.fit_args(exp.model, exp.data, experiment_config.stem, **stack))
    for path in _leaves(yaml.safe_load(experiment_config.read_text())):
        assert _get(stacked, path) != _get(base, path), f"{experiment_config.name} restates {'.'.join(path)}"


def test_experiment_runs_on_tiny_data(experiment_config: Path, configs_dir: Path, tmp_path: Path) -> None:
    args = experiment_args(configs_dir, experiment_config.stem, tmp_path / "data")
    cli = LitzooCLI(args=["fit", *args, "--trainer.fast_dev_run=true"])
    assert cli.trainer.state.finished and cli.trainer.global_step >= 1
    assert Path(cli.trainer.default_root_dir).parent.name == experiment_config.stem  # named as typed
