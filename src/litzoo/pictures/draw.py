"""Drawing: image grids and confusion matrices as PNG files in the run folder, and to W&B."""

from pathlib import Path

import torch
from lightning import Trainer
from PIL import Image, ImageDraw
from torchvision.utils import save_image

from litzoo.tracking.logger import is_wandb

_CELL = 26  # pixels per confusion-matrix cell: room for a four-digit count


def save_grid(trainer: Trainer, images: torch.Tensor, folder: str, name: str, nrow: int = 8) -> Path:
    """Write ``images`` ``(N, C, H, W)`` as one PNG grid, each image scaled to [0, 1], and log it."""
    path = Path(trainer.default_root_dir) / folder / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    save_image(images.detach().float().cpu(), path, nrow=nrow, normalize=True, scale_each=True, padding=2)
    for logger in trainer.loggers:
        if is_wandb(logger):
            logger.log_image(key=folder, images=[str(path)], step=trainer.global_step)
    return path


def draw_confusion_matrix(matrix: torch.Tensor, path: Path) -> None:
    """Save a ``(C, C)`` count matrix (rows: true class, columns: predicted) as a PNG heat map.

    Each cell is shaded by its share of its row and shows its count.
    """
    classes = len(matrix)
    size = _CELL * (classes + 1)
    image = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(image)
    share = matrix.float() / matrix.sum(dim=1, keepdim=True).clamp(min=1)
    for i in range(classes):
        draw.text((_CELL * (i + 1) + 8, 6), str(i), fill="black")  # predicted class
        draw.text((8, _CELL * (i + 1) + 6), str(i), fill="black")  # true class
        for j in range(classes):
            shade = int(255 * (1 - float(share[i, j])))
            x, y = _CELL * (j + 1), _CELL * (i + 1)
            draw.rectangle([x, y, x + _CELL - 1, y + _CELL - 1], fill=(shade, shade, 255), outline="grey")
            text = "white" if shade < 128 else "black"
            draw.text((x + 2, y + 6), str(int(matrix[i, j])), fill=text)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)


def log_confusion_chart(trainer: Trainer, key: str, matrix: torch.Tensor) -> None:
    """Send the matrix to each W&B logger as W&B's interactive confusion-matrix chart."""
    for logger in trainer.loggers:
        if not is_wandb(logger):
            continue
        import wandb

        true, pred = torch.nonzero(matrix >= 0, as_tuple=True)
        counts = matrix[true, pred].long().cpu()
        chart = wandb.plot.confusion_matrix(
            y_true=true.repeat_interleave(counts).tolist(),
            preds=pred.repeat_interleave(counts).tolist(),
            title=key,
        )
        logger.log_metrics({key: chart}, step=trainer.global_step)
