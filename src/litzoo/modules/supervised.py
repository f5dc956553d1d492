"""The supervised system: one place for the step, metric and optimizer code."""

import torch
from lightning import LightningModule
from lightning.pytorch.cli import LRSchedulerCallable, OptimizerCallable
from torch import nn

from litzoo.modules.objectives import make_objective

Batch = tuple[torch.Tensor, torch.Tensor]


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
        self.train_metrics = metrics.clone(prefix="train/")
        self.val_metrics = metrics.clone(prefix="val/")
        self.test_metrics = metrics.clone(prefix="test/")
        self._optimizer = optimizer
        self._scheduler = scheduler
        self._monitor = monitor

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def _step(self, batch: Batch, stage: str, metrics: nn.Module) -> torch.Tensor:
        x, y = batch
        output = self(x)
        loss = self.objective.loss(output, y)
        metrics.update(self.objective.predict(output.detach()), y)
        is_train = stage == "train"
        self.log(f"{stage}/loss", loss, on_step=is_train, on_epoch=True, prog_bar=True)
        self.log_dict(metrics, on_step=False, on_epoch=True, prog_bar=not is_train)
        return loss

    def training_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        return self._step(batch, "train", self.train_metrics)

    def validation_step(self, batch: Batch, batch_idx: int) -> None:
        self._step(batch, "val", self.val_metrics)

    def test_step(self, batch: Batch, batch_idx: int) -> None:
        self._step(batch, "test", self.test_metrics)

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
