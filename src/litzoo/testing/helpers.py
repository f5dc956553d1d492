"""What the generic tests build runs from: a project's configs stacked as make does, data made tiny."""

from pathlib import Path

import torch
from lightning import Callback, Trainer

from litzoo import configs
from litzoo.run.cli import LitzooCLI
from litzoo.testing.tiny import tiny_args


def model_args(configs_dir: Path, model: str, folder: Path, data: str | None = None) -> list[str]:
    """``litzoo fit`` arguments of a model on its default (or the given) data made tiny, CSV logger."""
    data = data or configs.default_data(model, configs_dir)
    args = configs.fit_args(model, data, logger="csv", data_dir=str(folder), root=configs_dir)
    return [*args, *tiny_args(configs_dir / "data" / f"{data}.yaml", folder)]


def experiment_args(configs_dir: Path, name: str, folder: Path) -> list[str]:
    """An experiment stacked on its model and data configs, as make train does, made tiny."""
    exp = configs.experiment(name, configs_dir)
    args = configs.fit_args(exp.model, exp.data, name, logger="csv", data_dir=str(folder), root=configs_dir)
    return [*args, *tiny_args(configs_dir / "data" / f"{exp.data}.yaml", folder)]


def model_for(configs_dir: Path, data: str, default: str) -> str:
    """The model that trains a data config: the first whose default data it is, else ``default``."""
    for model in configs.names("model", configs_dir):
        if configs.default_data(model, configs_dir) == data:
            return model
    return default


def build(args: list[str]) -> LitzooCLI:
    """The CLI's model and data module for ``args``, without running anything or logging."""
    return LitzooCLI(args=[*args, "--trainer.logger=false"], run=False)


def first_batch(cli: LitzooCLI) -> tuple[torch.Tensor, torch.Tensor]:
    cli.datamodule.prepare_data()
    cli.datamodule.setup("fit")
    return next(iter(cli.datamodule.train_dataloader()))


def bare_trainer(callback: Callback, **settings: object) -> Trainer:
    """A Trainer with no logger, checkpoints or progress output: only what the test measures."""
    quiet = {"logger": False, "enable_checkpointing": False, "enable_progress_bar": False}
    return Trainer(**quiet, enable_model_summary=False, callbacks=[callback], **settings)


class GradientCheck(Callback):
    """Records, at every optimizer step the Trainer takes, which parameters have a finite gradient."""

    def __init__(self) -> None:
        self.stepped: dict[str, bool] = {}

    def on_before_optimizer_step(self, trainer, pl_module, optimizer) -> None:  # noqa: ANN001
        names = {id(p): n for n, p in pl_module.named_parameters()}
        for group in optimizer.param_groups:
            for p in group["params"]:
                ok = p.grad is not None and bool(torch.isfinite(p.grad).all())
                self.stepped[names[id(p)]] = ok


class LossRecorder(Callback):
    """The training loss of every step; learning-rate schedules off (each epoch is one batch here)."""

    def __init__(self) -> None:
        self.losses: list[float] = []

    def on_train_start(self, trainer, pl_module) -> None:  # noqa: ANN001
        # An epoch-wise decay would stall a run of 60 one-batch epochs, whatever the system.
        trainer.strategy.lr_scheduler_configs = []

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:  # noqa: ANN001
        self.losses.append(float(outputs["loss"]))
