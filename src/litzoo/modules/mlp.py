"""Perceptron and MLP: the fully connected classics."""

import math

import torch
from lightning.pytorch.cli import LRSchedulerCallable, OptimizerCallable

from litzoo import nets
from litzoo.modules.objectives import LossName, Task
from litzoo.modules.supervised import SupervisedSystem
from litzoo.nets.layers import Activation


class Perceptron(SupervisedSystem):
    """A single linear layer over the flattened input (softmax regression for classes).

    Args:
        input_shape: shape of one sample, linked from the data.
        num_outputs: classes or regression targets, linked from the data.
        task: linked from the data.
        loss: loss name, or ``None`` for the task's default.
        optimizer: optimizer factory.
        scheduler: LR scheduler factory, or ``None``.

    Shape:
        ``(B, *input_shape)`` -> ``(B, num_outputs)``.
    """

    def __init__(
        self,
        input_shape: tuple[int, ...] = (1, 28, 28),
        num_outputs: int = 10,
        task: Task = "classification",
        loss: LossName | None = None,
        optimizer: OptimizerCallable = torch.optim.Adam,
        scheduler: LRSchedulerCallable | None = None,
    ) -> None:
        net = nets.MLP(math.prod(input_shape), num_outputs)
        super().__init__(net, task, num_outputs, loss, optimizer, scheduler)
        self.save_hyperparameters(ignore=["optimizer", "scheduler"], logger=False)


class MLP(SupervisedSystem):
    """Fully connected network over the flattened input.

    Args:
        input_shape: shape of one sample, linked from the data.
        num_outputs: classes or regression targets, linked from the data.
        task: linked from the data.
        hidden: hidden layer sizes.
        activation: non-linearity between layers.
        dropout: dropout after each hidden layer.
        loss: loss name, or ``None`` for the task's default.
        optimizer: optimizer factory.
        scheduler: LR scheduler factory, or ``None``.

    Shape:
        ``(B, *input_shape)`` -> ``(B, num_outputs)``.
    """

    def __init__(
        self,
        input_shape: tuple[int, ...] = (1, 28, 28),
        num_outputs: int = 10,
        task: Task = "classification",
        hidden: list[int] = [1024, 1024],  # noqa: B006 - jsonargparse needs a literal default
        activation: Activation = "relu",
        dropout: float = 0.2,
        loss: LossName | None = None,
        optimizer: OptimizerCallable = torch.optim.Adam,
        scheduler: LRSchedulerCallable | None = None,
    ) -> None:
        net = nets.MLP(math.prod(input_shape), num_outputs, hidden, activation, dropout)
        super().__init__(net, task, num_outputs, loss, optimizer, scheduler)
        self.save_hyperparameters(ignore=["optimizer", "scheduler"], logger=False)
