"""The data contract: the facts a data module declares, from which systems and nets are built.

A data module (any ``LightningDataModule``) declares in ``__init__``, before any data is
loaded: ``input_shape`` (one sample), ``num_outputs`` (classes, or regression targets) and
``task`` (``classification`` or ``regression``). The CLI reads them as soon as the data module
is made and hands them to the system, so they cannot wait for ``setup``.
"""

import math
from dataclasses import dataclass
from typing import Literal

from lightning import LightningDataModule

from litzoo.errors import ConfigError

Task = Literal["classification", "regression"]
TASKS = ("classification", "regression")


@dataclass(frozen=True)
class DataFacts:
    """What a system and its net are built from: one sample's shape, the outputs, the task."""

    input_shape: tuple[int, ...]
    num_outputs: int
    task: Task


def facts_of(data: LightningDataModule) -> DataFacts:
    """The facts ``data`` declares, checked.

    Raises:
        ConfigError: a fact is missing (set only in ``setup``, or never) or cannot be right.
    """
    name = type(data).__name__
    missing = [fact for fact in ("input_shape", "num_outputs", "task") if getattr(data, fact, None) is None]
    if missing:
        raise ConfigError(
            f"{name} does not declare {', '.join(missing)}: a data module sets input_shape, "
            "num_outputs and task in __init__, before any data is loaded, because the model is "
            "built from them (see docs/data.md)"
        )
    shape, outputs, task = tuple(data.input_shape), data.num_outputs, data.task
    if not shape or not all(isinstance(s, int) and s > 0 for s in shape):
        raise ConfigError(
            f"{name}.input_shape must be positive whole numbers, one sample's shape; got {shape}"
        )
    if not isinstance(outputs, int) or outputs < 1:
        raise ConfigError(f"{name}.num_outputs must be a positive whole number, got {outputs!r}")
    if task not in TASKS:
        raise ConfigError(f"{name}.task must be one of {', '.join(TASKS)}, got {task!r}")
    if task == "classification" and outputs < 2:
        raise ConfigError(f"{name} is a classification with {outputs} class: it needs at least two")
    return DataFacts(shape, outputs, task)


def input_size(facts: DataFacts) -> int:
    """Numbers in one sample (``prod(input_shape)``)."""
    return math.prod(facts.input_shape)
