"""Weights & Biases: a set-up that never prompts and never hangs, and checkpoints as artifacts."""

import netrc
import os
import socket
from pathlib import Path

from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.loggers import WandbLogger as _LightningWandbLogger

WANDB_HOST = "api.wandb.ai"


def _has_credentials() -> bool:
    if os.environ.get("WANDB_API_KEY"):
        return True
    try:
        path = os.environ.get("NETRC") or Path.home() / ".netrc"
        return netrc.netrc(path).authenticators(WANDB_HOST) is not None
    except (OSError, netrc.NetrcParseError):
        return False


def _reachable(host: str, timeout_s: float = 3.0) -> bool:
    try:
        with socket.create_connection((host, 443), timeout=timeout_s):
            return True
    except OSError:
        return False


def choose_wandb_mode() -> str:
    """Set ``WANDB_MODE`` to offline unless credentials exist and W&B is reachable.

    An explicit ``WANDB_MODE`` is respected. Returns the mode in force.
    """
    if "WANDB_MODE" not in os.environ:
        online = _has_credentials() and _reachable(WANDB_HOST)
        os.environ["WANDB_MODE"] = "online" if online else "offline"
    return os.environ["WANDB_MODE"]


class WandbLogger(_LightningWandbLogger):
    """Lightning's W&B logger; with ``log_model: true`` it logs the best and the last checkpoint.

    Lightning logs, when a fit ends, the checkpoints of every ``ModelCheckpoint`` as versions
    of one ``model-<run id>`` artifact, aliased ``best`` and ``latest``. The periodic step
    checkpoints (``every_n_train_steps``) exist to bound what a kill loses: logged too, they
    would take the ``best`` alias (they are ranked by step) and add versions without bound.
    """

    def after_save_checkpoint(self, checkpoint_callback: ModelCheckpoint) -> None:
        if getattr(checkpoint_callback, "_every_n_train_steps", 0):
            return
        super().after_save_checkpoint(checkpoint_callback)
