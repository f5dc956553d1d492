"""RNN, LSTM and GRU sequence models; one implementation, three cells."""

from typing import ClassVar

import torch
from lightning.pytorch.cli import LRSchedulerCallable, OptimizerCallable

from litzoo.modules.objectives import LossName, Task, make_objective
from litzoo.modules.supervised import SupervisedSystem
from litzoo.nets import RecurrentNet
from litzoo.nets.init import WeightInit
from litzoo.nets.recurrent import Cell


class RNN(SupervisedSystem):
    """Elman RNN over a sequence; its final hidden state feeds a linear head.

    The last axis of ``input_shape`` is the feature axis and the others are time,
    so MNIST images are read as 28 rows of 28 pixels.

    Args:
        input_shape: ``(T, F)`` (or ``(1, T, F)`` for images), linked from the data.
        num_outputs: classes or regression targets, linked from the data.
        task: linked from the data.
        hidden_size: width of the recurrent state.
        num_layers: stacked recurrent layers.
        dropout: dropout between stacked layers.
        bidirectional: also read the sequence backwards.
        loss: loss name, or ``None`` for the task's default.
        l1: weight of an L1 penalty on the weights.
        weight_init: weight initialisation scheme.
        optimizer: optimizer factory.
        scheduler: LR scheduler factory, or ``None``.

    Shape:
        ``(B, *input_shape)`` -> ``(B, num_outputs)``.
    """

    cell: ClassVar[Cell] = "rnn"

    def __init__(
        self,
        input_shape: tuple[int, ...] = (28, 28),
        num_outputs: int = 10,
        task: Task = "classification",
        hidden_size: int = 128,
        num_layers: int = 1,
        dropout: float = 0.0,
        bidirectional: bool = False,
        loss: LossName | None = None,
        l1: float = 0.0,
        weight_init: WeightInit = "default",
        optimizer: OptimizerCallable = torch.optim.Adam,
        scheduler: LRSchedulerCallable | None = None,
    ) -> None:
        objective = make_objective(task, num_outputs, loss)
        net = RecurrentNet(
            self.cell,
            input_shape[-1],
            objective.out_features,
            hidden_size,
            num_layers,
            dropout,
            bidirectional,
        )
        super().__init__(net, objective, l1, weight_init, optimizer, scheduler)
        self.save_hyperparameters(ignore=["optimizer", "scheduler"], logger=False)


class LSTM(RNN):
    """Long short-term memory network; same options as :class:`RNN`."""

    cell: ClassVar[Cell] = "lstm"


class GRU(RNN):
    """Gated recurrent unit network; same options as :class:`RNN`."""

    cell: ClassVar[Cell] = "gru"
