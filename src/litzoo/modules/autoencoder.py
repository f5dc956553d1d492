"""The autoencoder system: learn to reconstruct the input through a small code."""

from typing import Literal

import torch
import torch.nn.functional as F
from lightning import LightningModule
from lightning.pytorch.cli import LRSchedulerCallable, OptimizerCallable
from torchmetrics import MeanAbsoluteError, MeanMetric

from litzoo.errors import ConfigError
from litzoo.images import save_and_log_grid
from litzoo.modules.optim import build_optimizers
from litzoo.modules.supervised import STAGES, Batch
from litzoo.nets.autoencoder import ConvAutoencoder, MLPAutoencoder


class Autoencoder(LightningModule):
    """An MLP or convolutional autoencoder trained on mean squared reconstruction error.

    Logs ``{stage}/loss`` (MSE) and ``{stage}/recon_mae``; after each validation epoch it
    saves a PNG grid where each validation input sits beside its reconstruction.

    Args:
        input_shape: shape of one sample, linked from the data.
        num_outputs: linked from the data; unused (labels are ignored).
        task: linked from the data; unused.
        variant: ``mlp`` (any data) or ``conv`` (images whose sides divide by 4).
        latent_dim: size of the code.
        hidden: MLP encoder hidden sizes (the decoder mirrors them).
        channels: conv channels of the two stride-2 stages.
        num_images: validation images in the PNG grid.
        optimizer: optimizer factory.
        scheduler: LR scheduler factory, or ``None``.

    Shape:
        ``(B, *input_shape)`` -> ``(B, *input_shape)``.
    """

    def __init__(
        self,
        input_shape: tuple[int, ...] = (1, 28, 28),
        num_outputs: int = 10,
        task: str = "classification",
        variant: Literal["mlp", "conv"] = "mlp",
        latent_dim: int = 32,
        hidden: list[int] = [512, 256],  # noqa: B006 - jsonargparse needs a literal default
        channels: list[int] = [32, 64],  # noqa: B006
        num_images: int = 16,
        optimizer: OptimizerCallable = torch.optim.Adam,
        scheduler: LRSchedulerCallable | None = None,
    ) -> None:
        super().__init__()
        self.save_hyperparameters(ignore=["optimizer", "scheduler"], logger=False)
        if variant == "conv":
            if len(input_shape) != 3 or input_shape[1] % 4 or input_shape[2] % 4:
                raise ConfigError(
                    f"the conv autoencoder needs images (C, H, W) with H and W divisible by 4, got "
                    f"samples shaped {tuple(input_shape)}; use variant: mlp or DATA=mnist"
                )
            self.net = ConvAutoencoder(input_shape, latent_dim, channels)
        else:
            self.net = MLPAutoencoder(input_shape, latent_dim, hidden)
        for stage in STAGES:
            setattr(self, f"{stage}_loss", MeanMetric())
            setattr(self, f"{stage}_mae", MeanAbsoluteError())
        self._optimizer, self._scheduler = optimizer, scheduler
        self._shown: torch.Tensor | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def losses(self, batch: Batch) -> dict[str, torch.Tensor]:
        """The training objective for one batch, by name."""
        x = batch[0]
        return {"reconstruction": F.mse_loss(self(x), x)}

    def _step(self, batch: Batch, stage: str) -> torch.Tensor:
        x = batch[0]
        recon = self(x)
        loss = F.mse_loss(recon, x)
        getattr(self, f"{stage}_loss").update(loss.detach())
        getattr(self, f"{stage}_mae").update(recon.detach(), x)
        return loss

    def _log_epoch(self, stage: str) -> None:
        self.log(f"{stage}/loss", getattr(self, f"{stage}_loss"), prog_bar=stage != "train")
        self.log(f"{stage}/recon_mae", getattr(self, f"{stage}_mae"))

    def training_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        return self._step(batch, "train")

    def on_train_epoch_end(self) -> None:
        self._log_epoch("train")

    def validation_step(self, batch: Batch, batch_idx: int) -> None:
        self._step(batch, "val")
        if batch_idx == 0:
            self._shown = batch[0][: self.hparams.num_images]

    def on_validation_epoch_end(self) -> None:
        self._log_epoch("val")
        if self._shown is not None and self.trainer.is_global_zero and not self.trainer.sanity_checking:
            with torch.no_grad():
                recon = self(self._shown)
            rows = torch.stack([self._shown, recon], dim=1).flatten(0, 1)  # input, recon, input, ...
            save_and_log_grid(self.trainer, rows, "reconstructions", nrow=2 * min(8, len(self._shown)))

    def test_step(self, batch: Batch, batch_idx: int) -> None:
        self._step(batch, "test")

    def on_test_epoch_end(self) -> None:
        self._log_epoch("test")

    def predict_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        return self.net.encode(batch[0])

    def configure_optimizers(self):  # noqa: ANN201 - Lightning accepts several shapes
        return build_optimizers(self, self._optimizer, self._scheduler)
