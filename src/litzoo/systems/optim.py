"""Optimizer and LR scheduler set-up shared by every system."""

from collections.abc import Iterable
from typing import Any

from lightning import LightningModule
from lightning.pytorch.cli import LRSchedulerCallable, OptimizerCallable
from torch.optim import Optimizer

from litzoo.errors import ConfigError


def build_optimizers(
    module: LightningModule,
    optimizer: OptimizerCallable,
    scheduler: LRSchedulerCallable | None,
    monitor: str = "val/loss",
    parameters: Iterable | None = None,
) -> Any:
    """Return what ``configure_optimizers`` returns for one optimizer and scheduler.

    A scheduler that takes ``total_steps`` (OneCycleLR) gets the run's number of
    optimizer steps and is stepped every batch; any other is stepped every epoch, and
    a plateau scheduler watches ``monitor``. ``parameters`` (param groups) default to the module's.
    """
    opt = make_optimizer(optimizer, module.parameters() if parameters is None else parameters)
    if scheduler is None:
        return opt
    # jsonargparse gives a functools.partial whose keywords hold the configured arguments.
    configured = getattr(scheduler, "keywords", {})
    if "total_steps" in configured and configured["total_steps"] is None and not configured.get("epochs"):
        steps = int(module.trainer.estimated_stepping_batches)
        return {
            "optimizer": opt,
            "lr_scheduler": {
                "scheduler": _checked("the LR scheduler", scheduler, opt, total_steps=steps),
                "interval": "step",
            },
        }
    return {
        "optimizer": opt,
        "lr_scheduler": {"scheduler": _checked("the LR scheduler", scheduler, opt), "monitor": monitor},
    }


def make_optimizer(optimizer: OptimizerCallable, parameters: Iterable) -> Optimizer:
    """Build an optimizer; a value torch refuses (``lr=-1``) is a config error, not a traceback."""
    return _checked("the optimizer", optimizer, parameters)


def _checked(what: str, factory: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return factory(*args, **kwargs)
    except (ValueError, TypeError) as err:
        raise ConfigError(f"{what} refuses its settings: {err}") from None
