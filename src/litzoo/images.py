"""Pictures a person would rather look at: image grids saved as PNG and sent to W&B."""

from pathlib import Path

import torch
from lightning import Trainer
from lightning.pytorch.loggers import WandbLogger
from torchvision.utils import save_image


def save_and_log_grid(trainer: Trainer, images: torch.Tensor, name: str, nrow: int = 8) -> Path:
    """Write ``images`` ``(N, C, H, W)`` as one PNG grid under the run folder and log it.

    Each image is scaled to its own [0, 1] range, so normalised data displays as is.
    Returns the PNG's path, ``<run folder>/<name>/epoch_<NNN>.png``.
    """
    path = Path(trainer.default_root_dir) / name / f"epoch_{trainer.current_epoch:03d}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    save_image(images.detach().float().cpu(), path, nrow=nrow, normalize=True, scale_each=True, padding=2)
    for logger in trainer.loggers:
        if isinstance(logger, WandbLogger):
            logger.log_image(key=name, images=[str(path)], step=trainer.global_step)
    return path
