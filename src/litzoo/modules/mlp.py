"""Perceptron, MLP and deep MLP: the fully connected classics."""

import math

import torch
from lightning.pytorch.cli import LRSchedulerCallable, OptimizerCallable

from litzoo import nets
from litzoo.modules.objectives import LossName, Task, make_objective
from litzoo.modules.supervised import SupervisedSystem
from litzoo.nets.init import WeightInit
from litzoo.nets.layers import Activation


class Perceptron(SupervisedSystem):
    """A single linear layer over the flattened input (softmax regression for classes).

    Args:
        input_shape: shape of one sample, linked from the data.
        num_outputs: classes or regression targets, linked from the data.
        task: linked from the data.
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
        input_shape: tuple[int, ...] = (1, 28, 28),
        num_outputs: int = 10,
        task: Task = "classification",
        loss: LossName | None = None,
        l1: float = 0.0,
        weight_init: WeightInit = "default",
        optimizer: OptimizerCallable = torch.optim.Adam,
        scheduler: LRSchedulerCallable | None = None,
    ) -> None:
        objective = make_objective(task, num_outputs, loss)
        net = nets.MLP(math.prod(input_shape), objective.out_features)
        super().__init__(net, objective, l1, weight_init, optimizer, scheduler)
        self.save_hyperparameters(ignore=["optimizer", "scheduler"], logger=False)


class MLP(SupervisedSystem):
    """Fully connected network over the flattened input.

    Args:
        input_shape: shape of one sample, linked from the data.
        num_outputs: classes or regression targets, linked from the data.
        task: linked from the data.
        hidden: hidden layer sizes, any number of them.
        activation: non-linearity between layers.
        dropout: dropout after each hidden layer.
        batch_norm: batch-normalise each hidden layer.
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
        input_shape: tuple[int, ...] = (1, 28, 28),
        num_outputs: int = 10,
        task: Task = "classification",
        hidden: list[int] = [800, 800],  # noqa: B006 - jsonargparse needs a literal default
        activation: Activation = "relu",
        dropout: float = 0.2,
        batch_norm: bool = False,
        loss: LossName | None = None,
        l1: float = 0.0,
        weight_init: WeightInit = "default",
        optimizer: OptimizerCallable = torch.optim.Adam,
        scheduler: LRSchedulerCallable | None = None,
    ) -> None:
        objective = make_objective(task, num_outputs, loss)
        net = nets.MLP(
            math.prod(input_shape), objective.out_features, hidden, activation, dropout, batch_norm
        )
        super().__init__(net, objective, l1, weight_init, optimizer, scheduler)
        self.save_hyperparameters(ignore=["optimizer", "scheduler"], logger=False)


class DeepMLP(MLP):
    """A deeper MLP: four batch-normalised hidden layers by default; same options as :class:`MLP`."""

    def __init__(
        self,
        input_shape: tuple[int, ...] = (1, 28, 28),
        num_outputs: int = 10,
        task: Task = "classification",
        hidden: list[int] = [512, 512, 512, 512],  # noqa: B006 - jsonargparse needs a literal default
        activation: Activation = "relu",
        dropout: float = 0.2,
        batch_norm: bool = True,
        loss: LossName | None = None,
        l1: float = 0.0,
        weight_init: WeightInit = "kaiming",
        optimizer: OptimizerCallable = torch.optim.Adam,
        scheduler: LRSchedulerCallable | None = None,
    ) -> None:
        super().__init__(
            input_shape, num_outputs, task, hidden, activation, dropout, batch_norm, loss, l1, weight_init,
            optimizer, scheduler,
        )  # fmt: skip
