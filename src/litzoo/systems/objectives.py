"""What a supervised task means: its loss, its metrics, and how outputs become predictions."""

import math
from typing import Literal, Protocol

import torch
import torch.nn.functional as F
from torchmetrics import MeanAbsoluteError, MeanSquaredError, MetricCollection, R2Score
from torchmetrics.classification import AUROC, Accuracy, F1Score, Precision, Recall

from litzoo.errors import ConfigError

Task = Literal["classification", "regression"]
LossName = Literal["cross_entropy", "bce", "mse", "l1", "smooth_l1"]

_REGRESSION_LOSSES = {"mse": F.mse_loss, "l1": F.l1_loss, "smooth_l1": F.smooth_l1_loss}
_VALID = {
    "classification": ("cross_entropy", "bce"),
    "regression": tuple(_REGRESSION_LOSSES),
    "reconstruction": tuple(_REGRESSION_LOSSES),
}


class Objective(Protocol):
    """Loss, metrics and prediction rule of one kind of supervised task."""

    out_features: int

    def loss(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor: ...
    def scores(self, output: torch.Tensor) -> torch.Tensor: ...
    def metrics(self, stage: str) -> MetricCollection: ...
    def predict(self, output: torch.Tensor) -> torch.Tensor: ...


class Classification:
    """Integer labels ``(B,)`` from logits ``(B, C)``, or one logit ``(B, 1)`` with ``bce``.

    Training tracks accuracy only (cheap per step); validation and test add macro
    precision, recall, F1 and AUROC, all computed from class probabilities.
    """

    def __init__(self, num_classes: int, loss: str = "cross_entropy") -> None:
        if loss == "bce" and num_classes != 2:
            raise ConfigError(
                f"binary cross-entropy needs a two-class task, but the data has {num_classes} "
                "classes; use loss: cross_entropy"
            )
        self.num_classes, self.binary = num_classes, loss == "bce"
        self.out_features = 1 if self.binary else num_classes

    def loss(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if self.binary:
            return F.binary_cross_entropy_with_logits(output.squeeze(-1), target.float())
        return F.cross_entropy(output, target)

    def scores(self, output: torch.Tensor) -> torch.Tensor:
        """Class probabilities ``(B, C)``."""
        if self.binary:
            p = torch.sigmoid(output.squeeze(-1))
            return torch.stack([1 - p, p], dim=-1)
        return output.softmax(dim=-1)

    def metrics(self, stage: str) -> MetricCollection:
        # Inputs are well-formed probabilities, so torchmetrics' per-call checks are skipped.
        kw = {"task": "multiclass", "num_classes": self.num_classes, "validate_args": False}
        metrics = {"acc": Accuracy(**kw)}
        if stage != "train":
            metrics |= {
                "precision": Precision(average="macro", **kw),
                "recall": Recall(average="macro", **kw),
                "f1": F1Score(average="macro", **kw),
                "auroc": AUROC(average="macro", **kw),
            }
        return MetricCollection(metrics, prefix=f"{stage}/")

    def predict(self, output: torch.Tensor) -> torch.Tensor:
        """Class indices ``(B,)``: the largest logit is the largest probability, so no softmax."""
        if self.binary:
            return (output.squeeze(-1) > 0).long()
        return output.argmax(dim=-1)


class Regression:
    """Real-valued targets shaped ``target_shape`` per sample, predicted by a flat output.

    ``()`` is one number per sample (outputs ``(B, 1)``, targets ``(B,)``); ``(D,)`` is ``D``
    of them; a reconstruction's targets are its inputs, ``(B, *input_shape)``.
    """

    def __init__(self, target_shape: tuple[int, ...], loss: str = "mse") -> None:
        self.target_shape = tuple(target_shape)
        self.out_features = math.prod(self.target_shape)
        self._loss = _REGRESSION_LOSSES[loss]

    def loss(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return self._loss(self.predict(output), target)

    def scores(self, output: torch.Tensor) -> torch.Tensor:
        return self.predict(output)

    def metrics(self, stage: str) -> MetricCollection:
        metrics = {"mse": MeanSquaredError(), "mae": MeanAbsoluteError()}
        if len(self.target_shape) <= 1:  # R² is defined per output column, not per pixel
            metrics["r2"] = R2Score()
        return MetricCollection(metrics, prefix=f"{stage}/")

    def predict(self, output: torch.Tensor) -> torch.Tensor:
        return output.reshape(len(output), *self.target_shape)


def make_objective(
    task: str, num_outputs: int, loss: str | None = None, input_shape: tuple[int, ...] = ()
) -> Objective:
    """Build the objective for ``task``; ``loss=None`` picks cross-entropy or MSE.

    ``reconstruction`` regresses the input itself (an autoencoder's objective).

    Raises:
        ConfigError: the task is unknown or the loss does not fit it.
    """
    if task not in _VALID:
        raise ConfigError(f"unknown task {task!r}; expected one of {sorted(_VALID)}")
    loss = loss or _VALID[task][0]
    if loss not in _VALID[task]:
        raise ConfigError(f"loss {loss!r} does not fit a {task} task; use one of {list(_VALID[task])}")
    if task == "classification":
        return Classification(num_outputs, loss)
    if task == "reconstruction":
        return Regression(input_shape, loss)
    return Regression(() if num_outputs == 1 else (num_outputs,), loss)
