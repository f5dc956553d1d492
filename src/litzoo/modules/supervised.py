"""The supervised system: one place for the step, metric and optimizer code."""

import torch
from lightning import LightningModule, Trainer
from lightning.pytorch.cli import LRSchedulerCallable, OptimizerCallable
from torch import nn
from torchmetrics import MeanMetric

from litzoo.modules.objectives import make_objective

Batch = tuple[torch.Tensor, torch.Tensor]
STAGES = ("train", "val", "test")


def _is_logging_step(trainer: Trainer) -> bool:
    """Whether Lightning writes to the loggers after this training step."""
    return getattr(trainer._logger_connector, "should_update_logs", True) or bool(trainer.fast_dev_run)


class SupervisedSystem(LightningModule):
    """Trains any net that maps inputs to outputs against targets.

    Named architectures subclass this and only build their net. Metrics are logged as
    ``train/…``, ``val/…`` and ``test/…``.

    Args:
        net: maps a batch of inputs ``(B, *input_shape)`` to outputs ``(B, num_outputs)``.
        task: ``"classification"`` or ``"regression"``.
        num_outputs: classes for classification, target size for regression.
        loss: loss name; ``None`` picks the task's default (cross-entropy or MSE).
        optimizer: builds the optimizer from the parameters.
        scheduler: builds an LR scheduler from the optimizer, stepped each epoch.
        monitor: metric a plateau scheduler watches.
    """

    def __init__(
        self,
        net: nn.Module,
        task: str,
        num_outputs: int,
        loss: str | None = None,
        optimizer: OptimizerCallable = torch.optim.Adam,
        scheduler: LRSchedulerCallable | None = None,
        monitor: str = "val/loss",
    ) -> None:
        super().__init__()
        self.net = net
        self.objective = make_objective(task, num_outputs, loss)
        metrics = self.objective.metrics()
        for stage in STAGES:
            setattr(self, f"{stage}_metrics", metrics.clone(prefix=f"{stage}/"))
            setattr(self, f"{stage}_loss", MeanMetric())
        self._optimizer = optimizer
        self._scheduler = scheduler
        self._monitor = monitor

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def _step(self, batch: Batch, stage: str) -> torch.Tensor:
        x, y = batch
        output = self(x)
        loss = self.objective.loss(output, y)
        # Metrics accumulate here and are logged once per epoch: each self.log call costs
        # about a millisecond on CPU, a sizeable share of a small model's step.
        getattr(self, f"{stage}_loss").update(loss.detach())
        getattr(self, f"{stage}_metrics").update(self.objective.predict(output.detach()), y)
        return loss

    def _log_epoch(self, stage: str) -> None:
        # Logged as Metric objects: Lightning computes them (synced across DDP ranks by
        # torchmetrics) and resets them at the end of the epoch.
        prog_bar = stage != "train"
        self.log(f"{stage}/loss", getattr(self, f"{stage}_loss"), prog_bar=prog_bar)
        self.log_dict(getattr(self, f"{stage}_metrics"), prog_bar=prog_bar)

    def training_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        loss = self._step(batch, "train")
        if _is_logging_step(self.trainer):
            self.log("train/loss_step", loss, prog_bar=True)
        return loss

    def on_train_epoch_end(self) -> None:
        self._log_epoch("train")

    def validation_step(self, batch: Batch, batch_idx: int) -> None:
        self._step(batch, "val")

    def on_validation_epoch_end(self) -> None:
        self._log_epoch("val")

    def test_step(self, batch: Batch, batch_idx: int) -> None:
        self._step(batch, "test")

    def on_test_epoch_end(self) -> None:
        self._log_epoch("test")

    def predict_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        return self.objective.predict(self(batch[0]))

    def configure_optimizers(self):  # noqa: ANN201 - Lightning accepts several shapes
        optimizer = self._optimizer(self.parameters())
        if self._scheduler is None:
            return optimizer
        scheduler = self._scheduler(optimizer)
        return {
            "optimizer": optimizer,
            "lr_scheduler": {"scheduler": scheduler, "monitor": self._monitor},
        }
