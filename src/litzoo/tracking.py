"""Weights & Biases set-up that never prompts and never hangs."""

import netrc
import os
import socket
from pathlib import Path

import torch
from lightning.pytorch.loggers import Logger, WandbLogger

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


def log_confusion_matrix(loggers: list[Logger], key: str, matrix: torch.Tensor, step: int) -> None:
    """Send a ``(C, C)`` count matrix (rows: true class) to each W&B logger as a chart."""
    for logger in loggers:
        if not isinstance(logger, WandbLogger):
            continue
        import wandb

        true, pred = torch.nonzero(matrix >= 0, as_tuple=True)
        counts = matrix[true, pred].long().cpu()
        y_true = true.repeat_interleave(counts).tolist()
        preds = pred.repeat_interleave(counts).tolist()
        chart = wandb.plot.confusion_matrix(y_true=y_true, preds=preds, title=key)
        logger.log_metrics({key: chart}, step=step)
