"""Every config under configs/model builds, runs, and learns: no per-model test code."""

from pathlib import Path

import pytest
import torch
from lightning import Callback, Trainer

from litzoo.cli import LitzooCLI

from conftest import CONFIGS, MODEL_CONFIGS, tiny_data_args

TRAINER = str(CONFIGS / "trainer" / "default.yaml")


def build(config: Path, data_dir: Path, *extra: str) -> LitzooCLI:
    args = ["--config", TRAINER, "--config", str(config), *tiny_data_args(config, data_dir)]
    return LitzooCLI(args=[*args, "--trainer.logger=false", *extra], run=False)


def first_batch(cli: LitzooCLI) -> tuple[torch.Tensor, torch.Tensor]:
    cli.datamodule.prepare_data()
    cli.datamodule.setup("fit")
    return next(iter(cli.datamodule.train_dataloader()))


def expected_output_shape(cli: LitzooCLI, x: torch.Tensor) -> tuple[torch.Size, torch.Tensor]:
    """What each kind of system's forward takes and gives."""
    model = cli.model
    if hasattr(model, "objective"):  # supervised: one row of outputs per sample
        return torch.Size((len(x), model.objective.out_features)), x
    if hasattr(model, "generator"):  # GAN: noise in, images out
        return x.shape, torch.randn(len(x), model.hparams.latent_dim)
    return x.shape, x  # autoencoder: reconstructions shaped like the input


@pytest.mark.parametrize("config", MODEL_CONFIGS, ids=lambda p: p.stem)
def test_forward_shape_and_every_parameter_learns(config: Path, mnist_dir: Path) -> None:
    cli = build(config, mnist_dir)
    x, y = first_batch(cli)
    shape, inputs = expected_output_shape(cli, x)
    output = cli.model(inputs)
    assert output.shape == shape
    assert torch.isfinite(output).all()
    sum(cli.model.losses((x, y)).values()).backward()
    for name, param in cli.model.named_parameters():
        assert param.grad is not None, f"{name} gets no gradient"
        assert torch.isfinite(param.grad).all(), f"{name} has a non-finite gradient"


@pytest.mark.parametrize("config", MODEL_CONFIGS, ids=lambda p: p.stem)
def test_fast_dev_run_trains_and_tests(config: Path, mnist_dir: Path) -> None:
    args = ["--config", TRAINER, "--config", str(config), *tiny_data_args(config, mnist_dir)]
    logger = ["--config", str(CONFIGS / "logger" / "csv.yaml")]
    cli = LitzooCLI(args=["fit", *args, *logger, "--trainer.fast_dev_run=true"])
    assert cli.trainer.state.finished
    assert cli.trainer.global_step >= 1  # one batch (one step per optimizer), validation, test
    metrics = cli.trainer.callback_metrics
    assert any(name.startswith("test/") for name in metrics)
    assert all(torch.isfinite(v) for v in metrics.values())


class LossRecorder(Callback):
    def __init__(self) -> None:
        self.losses: list[float] = []

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:  # noqa: ANN001
        self.losses.append(float(outputs["loss"]))


@pytest.mark.parametrize("config", MODEL_CONFIGS, ids=lambda p: p.stem)
def test_overfits_one_batch(config: Path, mnist_dir: Path) -> None:
    cli = build(config, mnist_dir)
    if not cli.model.automatic_optimization:
        pytest.skip("adversarial training has no loss that must fall; see test_systems.py")
    if getattr(cli.model, "_scheduler", None) is not None:
        cli.model._scheduler = None  # each epoch is one batch here: an epoch-wise decay would stall it
    recorder = LossRecorder()
    trainer = Trainer(
        overfit_batches=1,
        max_epochs=60,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        callbacks=[recorder],
    )
    trainer.fit(cli.model, datamodule=cli.datamodule)
    first, last = recorder.losses[0], sum(recorder.losses[-5:]) / 5
    assert last < 0.3 * first, f"loss went {first:.4f} -> {last:.4f}"
