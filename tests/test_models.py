"""Every config under configs/model builds, runs, and learns: no per-model test code."""

from pathlib import Path

import pytest
import torch
from lightning import Callback, LightningModule, Trainer

from litzoo.run.cli import LitzooCLI
from litzoo.systems.contract import contract_of

from conftest import MODEL_CONFIGS, model_args


def build(config: Path, data_dir: Path, *extra: str) -> LitzooCLI:
    args = model_args(config.stem, data_dir)
    return LitzooCLI(args=[*args, "--trainer.logger=false", *extra], run=False)


def first_batch(cli: LitzooCLI) -> tuple[torch.Tensor, torch.Tensor]:
    cli.datamodule.prepare_data()
    cli.datamodule.setup("fit")
    return next(iter(cli.datamodule.train_dataloader()))


def forward_contract(model: LightningModule, x: torch.Tensor) -> tuple[torch.Tensor, torch.Size]:
    """What a system's forward takes, and the shape it must give, as its contract declares."""
    contract = contract_of(model, "the model tests")
    inputs = x if contract.takes == "data" else contract.example(len(x))
    return inputs, torch.Size((len(x), *contract.output_shape))


@pytest.mark.parametrize("config", MODEL_CONFIGS, ids=lambda p: p.stem)
def test_forward_shape_and_a_clear_error_for_a_wrong_shape(config: Path, data_dir: Path) -> None:
    cli = build(config, data_dir)
    x, _ = first_batch(cli)
    inputs, shape = forward_contract(cli.model.eval(), x)
    output = cli.model(inputs)
    assert output.shape == shape
    assert torch.isfinite(output).all()
    with pytest.raises(ValueError, match="was built for samples shaped"):
        cli.model(inputs[..., :-1])  # one feature short: the net names the shape it expects


def bare_trainer(callback: Callback, **settings: object) -> Trainer:
    """A Trainer with no logger, checkpoints or progress output: only what the test measures."""
    quiet = {"logger": False, "enable_checkpointing": False, "enable_progress_bar": False}
    return Trainer(**quiet, enable_model_summary=False, callbacks=[callback], **settings)


class GradientCheck(Callback):
    """Records, at every optimizer step the Trainer takes, which parameters have a gradient."""

    def __init__(self) -> None:
        self.stepped: dict[str, bool] = {}

    def on_before_optimizer_step(self, trainer, pl_module, optimizer) -> None:  # noqa: ANN001
        names = {id(p): n for n, p in pl_module.named_parameters()}
        for group in optimizer.param_groups:
            for p in group["params"]:
                ok = p.grad is not None and bool(torch.isfinite(p.grad).all())
                self.stepped[names[id(p)]] = ok


@pytest.mark.parametrize("config", MODEL_CONFIGS, ids=lambda p: p.stem)
def test_every_parameter_gets_a_finite_gradient_in_a_real_training_step(config: Path, data_dir: Path) -> None:
    cli = build(config, data_dir)
    check = GradientCheck()
    trainer = bare_trainer(check, max_epochs=1, limit_train_batches=1, limit_val_batches=0)
    trainer.fit(cli.model, datamodule=cli.datamodule)
    every = {name for name, _ in cli.model.named_parameters()}
    assert set(check.stepped) == every, f"never stepped: {sorted(every - set(check.stepped))}"
    assert all(check.stepped.values()), [n for n, ok in check.stepped.items() if not ok]


@pytest.mark.parametrize("config", MODEL_CONFIGS, ids=lambda p: p.stem)
def test_fast_dev_run_trains_and_tests(config: Path, data_dir: Path) -> None:
    cli = LitzooCLI(args=["fit", *model_args(config.stem, data_dir), "--trainer.fast_dev_run=true"])
    assert cli.trainer.state.finished
    assert cli.trainer.global_step >= 1  # one batch (one step per optimizer), validation, test
    metrics = cli.trainer.callback_metrics
    assert any(name.startswith("test/") for name in metrics)
    assert all(torch.isfinite(v) for v in metrics.values())


class LossRecorder(Callback):
    def __init__(self) -> None:
        self.losses: list[float] = []

    def on_train_start(self, trainer, pl_module) -> None:  # noqa: ANN001
        # Each epoch is one batch here: an epoch-wise decay would stall it, whatever the system.
        trainer.strategy.lr_scheduler_configs = []

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:  # noqa: ANN001
        self.losses.append(float(outputs["loss"]))


@pytest.mark.parametrize("config", MODEL_CONFIGS, ids=lambda p: p.stem)
def test_overfits_one_batch(config: Path, data_dir: Path) -> None:
    cli = build(config, data_dir)
    bound = contract_of(cli.model, "the overfit test").overfit
    if bound is None:
        pytest.skip(f"{type(cli.model).__name__} declares that its loss need not fall (overfit: None)")
    recorder = LossRecorder()
    trainer = bare_trainer(recorder, overfit_batches=1, max_epochs=60, num_sanity_val_steps=0)
    trainer.fit(cli.model, datamodule=cli.datamodule)
    first, last = recorder.losses[0], sum(recorder.losses[-5:]) / 5
    assert last < bound * first, f"loss went {first:.4f} -> {last:.4f}"
