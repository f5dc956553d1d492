"""Pictures a person would rather look at than a number: files in the run folder, and W&B."""

from pathlib import Path

import torch
from lightning import Callback, LightningModule, Trainer
from lightning.pytorch.loggers import WandbLogger
from PIL import Image, ImageDraw
from torchvision.utils import save_image

_CELL = 26  # pixels per confusion-matrix cell: room for a four-digit count


class Pictures(Callback):
    """Draws what each kind of system shows best, after validation epochs and after testing.

    - a classifier's confusion matrix: ``confusion_matrix/val_epoch_NNN.png`` and ``test.png``,
      and an interactive chart in W&B;
    - a reconstructing system's first validation images, each beside its reconstruction:
      ``reconstructions/epoch_NNN.png``;
    - a GAN's samples from fixed noise: ``samples/epoch_NNN.png``.

    Grids are also logged to W&B as images when a W&B logger is present. Systems only
    compute numbers; this callback is the one place that draws them.

    Args:
        num_images: images in a reconstruction or sample grid.
        every_n_epochs: draw after every n-th validation epoch (the test is always drawn).
    """

    def __init__(self, num_images: int = 16, every_n_epochs: int = 1) -> None:
        self.num_images, self.every_n_epochs = num_images, every_n_epochs
        self._inputs: torch.Tensor | None = None

    def on_validation_batch_end(
        self,
        trainer: Trainer,
        pl_module: LightningModule,
        outputs: object,
        batch: tuple[torch.Tensor, torch.Tensor],
        batch_idx: int,
        dataloader_idx: int = 0,
    ) -> None:
        if batch_idx == 0 and getattr(pl_module, "reconstruct", False):
            self._inputs = batch[0][: self.num_images].detach()

    def on_validation_epoch_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if trainer.sanity_checking or trainer.current_epoch % self.every_n_epochs:
            return
        epoch = f"epoch_{trainer.current_epoch:03d}"
        self._confusion(trainer, pl_module, "val", f"val_{epoch}")
        if not trainer.is_global_zero:
            return
        with torch.no_grad():
            if self._inputs is not None:
                inputs = self._inputs
                pairs = torch.stack([inputs, pl_module(inputs).view_as(inputs)], dim=1).flatten(0, 1)
                _save_grid(trainer, pairs, "reconstructions", epoch, nrow=2 * min(8, len(inputs)))
            if hasattr(pl_module, "generator"):
                _save_grid(trainer, pl_module(self._fixed_noise(pl_module)), "samples", epoch)

    def on_test_epoch_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self._confusion(trainer, pl_module, "test", "test")

    def _confusion(self, trainer: Trainer, pl_module: LightningModule, stage: str, name: str) -> None:
        if not hasattr(pl_module, "confusion"):
            return
        matrix = pl_module.confusion[stage].compute()  # every rank: compute syncs under DDP
        if trainer.is_global_zero:
            path = Path(trainer.default_root_dir) / "confusion_matrix" / f"{name}.png"
            draw_confusion_matrix(matrix.cpu(), path)
            _log_confusion_chart(trainer, f"{stage}/confusion_matrix", matrix)

    def _fixed_noise(self, pl_module: LightningModule) -> torch.Tensor:
        # The same noise every epoch, so the grids show how one set of samples evolves.
        g = torch.Generator().manual_seed(0)
        return torch.randn(self.num_images, pl_module.latent_dim, generator=g).to(pl_module.device)


def _save_grid(trainer: Trainer, images: torch.Tensor, folder: str, name: str, nrow: int = 8) -> Path:
    """Write ``images`` ``(N, C, H, W)`` as one PNG grid, each image scaled to [0, 1], and log it."""
    path = Path(trainer.default_root_dir) / folder / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    save_image(images.detach().float().cpu(), path, nrow=nrow, normalize=True, scale_each=True, padding=2)
    for logger in trainer.loggers:
        if isinstance(logger, WandbLogger):
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


def _log_confusion_chart(trainer: Trainer, key: str, matrix: torch.Tensor) -> None:
    """Send the matrix to each W&B logger as W&B's interactive confusion-matrix chart."""
    for logger in trainer.loggers:
        if not isinstance(logger, WandbLogger):
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
