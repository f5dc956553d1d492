"""A monitored metric that the system never logs: one line before training, not a traceback after."""

from lightning import Callback, LightningModule, Trainer
from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint
from lightning.pytorch.trainer.states import TrainerFn

from litzoo.errors import ConfigError


class CheckMonitors(Callback):
    """Stops a fit at its first validation (the sanity check) when a ``val/…`` monitor is not logged.

    Checks the monitors of every ``EarlyStopping`` and ``ModelCheckpoint``. Lightning finds
    out only after a whole training epoch, and EarlyStopping then raises a traceback (the GAN
    logs no ``val/loss``). The CLI puts this callback first, so it runs before the callbacks
    it checks. Monitors of ``train/…`` metrics cannot be known this early: left to Lightning.
    """

    def __init__(self) -> None:
        self._checked = False

    def on_validation_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if self._checked or trainer.state.fn != TrainerFn.FITTING:
            return
        self._checked = True
        logged = sorted(k for k in trainer.callback_metrics if k.startswith("val/"))
        for callback in trainer.callbacks:
            if not isinstance(callback, EarlyStopping | ModelCheckpoint):
                continue
            monitor = callback.monitor or ""
            if monitor.startswith("val/") and monitor not in trainer.callback_metrics:
                raise ConfigError(
                    f"{type(callback).__name__} monitors {monitor}, which {type(pl_module).__name__} "
                    f"does not log; it logs {', '.join(logged) or 'no val/ metric'}: monitor one of "
                    f"those (the callback's monitor:) or leave the {type(callback).__name__} out"
                )
