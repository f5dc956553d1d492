"""What a supervised task means: its loss, its metrics, and how outputs become predictions."""

from typing import Literal, Protocol

import torch
import torch.nn.functional as F
from torchmetrics import Accuracy, MeanSquaredError, MetricCollection, R2Score

from litzoo.errors import ConfigError

Task = Literal["classification", "regression"]
LossName = Literal["cross_entropy", "mse", "l1", "smooth_l1"]

_LOSSES = {
    "cross_entropy": F.cross_entropy,
    "mse": F.mse_loss,
    "l1": F.l1_loss,
    "smooth_l1": F.smooth_l1_loss,
}
_DEFAULT_LOSS = {"classification": "cross_entropy", "regression": "mse"}
_VALID_LOSSES = {"classification": {"cross_entropy"}, "regression": {"mse", "l1", "smooth_l1"}}


class Objective(Protocol):
    """Loss, metrics and prediction rule of one kind of supervised task."""

    def loss(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor: ...
    def metrics(self) -> MetricCollection: ...
    def predict(self, output: torch.Tensor) -> torch.Tensor: ...


class Classification:
    """Logits ``(B, C)`` against integer labels ``(B,)``; accuracy as the metric."""

    def __init__(self, num_classes: int, loss: str = "cross_entropy") -> None:
        self.num_classes = num_classes
        self._loss = _LOSSES[loss]

    def loss(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return self._loss(output, target)

    def metrics(self) -> MetricCollection:
        # Predictions are argmax indices, so the per-step input checks are skipped (they cost time).
        acc = Accuracy(task="multiclass", num_classes=self.num_classes, validate_args=False)
        return MetricCollection({"acc": acc})

    def predict(self, output: torch.Tensor) -> torch.Tensor:
        return output.argmax(dim=-1)


class Regression:
    """Outputs ``(B, D)`` against targets ``(B,)`` when ``D == 1``, else ``(B, D)``; MSE and R²."""

    def __init__(self, num_outputs: int, loss: str = "mse") -> None:
        self.num_outputs = num_outputs
        self._loss = _LOSSES[loss]

    def loss(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return self._loss(self.predict(output), target)

    def metrics(self) -> MetricCollection:
        return MetricCollection({"mse": MeanSquaredError(), "r2": R2Score()})

    def predict(self, output: torch.Tensor) -> torch.Tensor:
        return output.squeeze(-1) if self.num_outputs == 1 else output


def make_objective(task: str, num_outputs: int, loss: str | None = None) -> Objective:
    """Build the objective for ``task``, checking that ``loss`` suits it."""
    if task not in _DEFAULT_LOSS:
        raise ConfigError(f"unknown task {task!r}; expected one of {sorted(_DEFAULT_LOSS)}")
    loss = loss or _DEFAULT_LOSS[task]
    if loss not in _VALID_LOSSES[task]:
        raise ConfigError(
            f"loss {loss!r} does not fit a {task} task; use one of {sorted(_VALID_LOSSES[task])}"
        )
    if task == "classification":
        return Classification(num_outputs, loss)
    return Regression(num_outputs, loss)
