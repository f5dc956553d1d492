"""Transformer encoder classifier or regressor over sequences."""

import math

import torch
from lightning.pytorch.cli import LRSchedulerCallable, OptimizerCallable

from litzoo.modules.objectives import LossName, Task, make_objective
from litzoo.modules.supervised import SupervisedSystem
from litzoo.nets.init import WeightInit
from litzoo.nets.transformer import Pooling, Positional, TransformerNet


class Transformer(SupervisedSystem):
    """A Transformer encoder over a sequence (MNIST rows or a synthetic problem).

    Args:
        input_shape: ``(T, F)`` (or ``(1, T, F)`` for images), linked from the data.
        num_outputs: classes or regression targets, linked from the data.
        task: linked from the data.
        d_model: width of the token vectors.
        nhead: attention heads.
        num_layers: encoder layers.
        dim_feedforward: width of the feed-forward blocks.
        dropout: dropout inside the encoder.
        pooling: ``mean``, ``cls`` or ``last``.
        positional: ``sinusoidal`` or ``learned`` position encoding.
        loss: loss name, or ``None`` for the task's default.
        l1: weight of an L1 penalty on the weights.
        weight_init: weight initialisation scheme.
        optimizer: optimizer factory.
        scheduler: LR scheduler factory, or ``None``.

    Shape:
        ``(B, *input_shape)`` -> ``(B, num_outputs)``.
    """

    def __init__(
        self,
        input_shape: tuple[int, ...] = (28, 28),
        num_outputs: int = 10,
        task: Task = "classification",
        d_model: int = 64,
        nhead: int = 4,
        num_layers: int = 2,
        dim_feedforward: int = 128,
        dropout: float = 0.1,
        pooling: Pooling = "mean",
        positional: Positional = "sinusoidal",
        loss: LossName | None = None,
        l1: float = 0.0,
        weight_init: WeightInit = "default",
        optimizer: OptimizerCallable = torch.optim.AdamW,
        scheduler: LRSchedulerCallable | None = None,
    ) -> None:
        objective = make_objective(task, num_outputs, loss)
        seq_len = math.prod(input_shape[:-1])
        net = TransformerNet(
            input_shape[-1], seq_len, objective.out_features, d_model, nhead, num_layers,
            dim_feedforward, dropout, pooling, positional,
        )  # fmt: skip
        super().__init__(net, objective, l1, weight_init, optimizer, scheduler)
        self.save_hyperparameters(ignore=["optimizer", "scheduler"], logger=False)
