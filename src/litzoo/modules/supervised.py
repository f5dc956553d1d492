"""The supervised system: one place for the step, metric and optimizer code."""

import torch
from lightning import LightningModule, Trainer
from lightning.pytorch.cli import LRSchedulerCallable, OptimizerCallable
from torch import nn
from torchmetrics import MeanMetric
from torchmetrics.classification import MulticlassConfusionMatrix

from litzoo.modules.objectives import Classification, Objective
from litzoo.modules.optim import build_optimizers
from litzoo.nets.init import init_weights
from litzoo.tracking import log_confusion_matrix

Batch = tuple[torch.Tensor, torch.Tensor]
STAGES = ("train", "val", "test")


def _is_logging_step(trainer: Trainer) -> bool:
    """Whether Lightning writes to the loggers after this training step."""
    return getattr(trainer._logger_connector, "should_update_logs", True) or bool(trainer.fast_dev_run)


class SupervisedSystem(LightningModule):
    """Trains any net that maps inputs to outputs against targets.

    Named architectures subclass this and only build their net. Metrics are logged as
    ``train/…``, ``val/…`` and ``test/…``; a classifier's confusion matrix goes to W&B.

    Args:
        net: maps inputs ``(B, *input_shape)`` to outputs ``(B, objective.out_features)``.
        objective: the task's loss, metrics and prediction rule.
        l1: weight of an L1 penalty on all weight matrices (L2: the optimizer's weight_decay).
        weight_init: re-initialise the net's weights (``default`` keeps PyTorch's).
        optimizer: builds the optimizer from the parameters.
        scheduler: builds an LR scheduler from the optimizer.
        monitor: metric a plateau scheduler watches.
    """

    def __init__(
        self,
        net: nn.Module,
        objective: Objective,
        l1: float = 0.0,
        weight_init: str = "default",
        optimizer: OptimizerCallable = torch.optim.Adam,
        scheduler: LRSchedulerCallable | None = None,
        monitor: str = "val/loss",
    ) -> None:
        super().__init__()
        init_weights(net, weight_init)
        self.net, self.objective, self.l1 = net, objective, l1
        for stage in STAGES:
            setattr(self, f"{stage}_metrics", objective.metrics(stage))
            setattr(self, f"{stage}_loss", MeanMetric())
        if isinstance(objective, Classification):
            self.confusion = nn.ModuleDict(
                {s: MulticlassConfusionMatrix(objective.num_classes, validate_args=False) for s in STAGES[1:]}
            )
        self._optimizer, self._scheduler, self._monitor = optimizer, scheduler, monitor

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def losses(self, batch: Batch) -> dict[str, torch.Tensor]:
        """The training objective for one batch, by name."""
        x, y = batch
        return {"task": self.objective.loss(self(x), y) + self._penalty()}

    def _step(self, batch: Batch, stage: str) -> torch.Tensor:
        x, y = batch
        output = self(x)
        loss = self.objective.loss(output, y)
        # Metrics accumulate here and are logged once per epoch: each self.log call costs
        # about a millisecond on CPU, a sizeable share of a small model's step.
        getattr(self, f"{stage}_loss").update(loss.detach())
        scores = self.objective.scores(output.detach())
        getattr(self, f"{stage}_metrics").update(scores, y)
        if stage != "train" and hasattr(self, "confusion"):
            self.confusion[stage].update(scores.argmax(-1), y)
        return loss

    def _log_epoch(self, stage: str) -> None:
        # Logged as Metric objects: Lightning computes them (synced across DDP ranks by
        # torchmetrics) and resets them at the end of the epoch.
        prog_bar = stage != "train"
        self.log(f"{stage}/loss", getattr(self, f"{stage}_loss"), prog_bar=prog_bar)
        self.log_dict(getattr(self, f"{stage}_metrics"), prog_bar=prog_bar)
        if stage != "train" and hasattr(self, "confusion"):
            matrix = self.confusion[stage].compute()
            self.confusion[stage].reset()
            if self.trainer.is_global_zero and not self.trainer.sanity_checking:
                log_confusion_matrix(self.loggers, f"{stage}/confusion_matrix", matrix, self.global_step)

    def _penalty(self) -> torch.Tensor | float:
        if not self.l1:
            return 0.0
        return self.l1 * sum(p.abs().sum() for p in self.net.parameters() if p.dim() > 1)

    def training_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        loss = self._step(batch, "train") + self._penalty()
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
        return build_optimizers(self, self._optimizer, self._scheduler, self._monitor)
