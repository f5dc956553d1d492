"""Convolutional classifier for images."""

import torch
from lightning.pytorch.cli import LRSchedulerCallable, OptimizerCallable

from litzoo.errors import ConfigError
from litzoo.modules.objectives import LossName, Task, make_objective
from litzoo.modules.supervised import SupervisedSystem
from litzoo.nets import ConvNet
from litzoo.nets.init import WeightInit
from litzoo.nets.layers import Activation


class CNN(SupervisedSystem):
    """Conv blocks then a fully connected head; needs image data ``(C, H, W)``.

    Args:
        input_shape: ``(C, H, W)`` of one image, linked from the data.
        num_outputs: classes or regression targets, linked from the data.
        task: linked from the data.
        channels: output channels per conv block (each block halves H and W).
        hidden: width of the fully connected layer.
        activation: non-linearity.
        dropout: dropout in the head.
        loss: loss name, or ``None`` for the task's default.
        l1: weight of an L1 penalty on the weights.
        weight_init: weight initialisation scheme.
        optimizer: optimizer factory.
        scheduler: LR scheduler factory, or ``None``.

    Shape:
        ``(B, C, H, W)`` -> ``(B, num_outputs)``.
    """

    def __init__(
        self,
        input_shape: tuple[int, ...] = (1, 28, 28),
        num_outputs: int = 10,
        task: Task = "classification",
        channels: list[int] = [32, 64],  # noqa: B006 - jsonargparse needs a literal default
        hidden: int = 128,
        activation: Activation = "relu",
        dropout: float = 0.25,
        loss: LossName | None = None,
        l1: float = 0.0,
        weight_init: WeightInit = "default",
        optimizer: OptimizerCallable = torch.optim.Adam,
        scheduler: LRSchedulerCallable | None = None,
    ) -> None:
        if len(input_shape) != 3:
            raise ConfigError(
                f"CNN needs image data shaped (channels, height, width), but the data gives "
                f"samples shaped {tuple(input_shape)}; use image data such as DATA=mnist"
            )
        c, h, w = input_shape
        objective = make_objective(task, num_outputs, loss)
        net = ConvNet(c, (h, w), objective.out_features, channels, hidden, activation, dropout)
        super().__init__(net, objective, l1, weight_init, optimizer, scheduler)
        self.save_hyperparameters(ignore=["optimizer", "scheduler"], logger=False)
