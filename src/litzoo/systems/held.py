"""Metric updates held back and fed in together: torchmetrics' fixed cost per call, once per many steps."""

from collections.abc import Callable

import torch
from torchmetrics import MeanMetric, MetricCollection


class HeldUpdates:
    """The batches of one stage that have not yet updated its loss and metric objects.

    A torchmetrics ``update`` costs about 0.1-0.3 ms of Python per call and metric (and
    ``MeanMetric``'s NaN check waits for the device), as much as a sizeable share of a small
    model's step. The states these metrics keep are counts and sums, so they come out the
    same when the held batches arrive concatenated in one call; the outputs become what the
    metrics read (probabilities, classes) then too, once for all of them.

    Args:
        read: turns net outputs ``(N, ...)`` into what the metrics read (the objective's scores
            or predicted classes).
        max_elements: ``add`` says it is time to flush once the held outputs reach this many
            elements (16 MiB of float32), which bounds the memory held.
    """

    def __init__(self, read: Callable[[torch.Tensor], torch.Tensor], max_elements: int = 2**22) -> None:
        self.read, self.max_elements = read, max_elements
        self.losses: list[torch.Tensor] = []
        self.outputs: list[torch.Tensor] = []
        self.targets: list[torch.Tensor] = []
        self._elements = 0

    def add(self, loss: torch.Tensor, output: torch.Tensor, target: torch.Tensor) -> bool:
        """Hold one batch's scalar loss, outputs ``(B, ...)`` and targets ``(B, ...)``, detached.

        Returns:
            Whether the held outputs reached ``max_elements`` (time to ``flush``).
        """
        self.losses.append(loss.detach())
        self.outputs.append(output.detach())
        self.targets.append(target)
        self._elements += output.numel()
        return self._elements >= self.max_elements

    def flush(self, loss: MeanMetric, metrics: MetricCollection) -> None:
        """Update ``loss`` with every held loss and ``metrics`` with every held batch, then forget them."""
        if not self.losses:
            return
        loss.update(torch.stack(self.losses))
        metrics.update(self.read(torch.cat(self.outputs)), torch.cat(self.targets))
        self.losses, self.outputs, self.targets, self._elements = [], [], [], 0
