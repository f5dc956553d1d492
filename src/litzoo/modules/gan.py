"""The GAN system: a generator and a discriminator trained against each other."""

import torch
import torch.nn.functional as F
from lightning import LightningModule
from lightning.pytorch.cli import OptimizerCallable
from torchmetrics import MeanMetric

from litzoo.errors import ConfigError
from litzoo.images import save_and_log_grid
from litzoo.modules.judge import Judge
from litzoo.modules.supervised import Batch
from litzoo.nets.gan import Discriminator, Generator


class GAN(LightningModule):
    """A fully connected GAN with manual optimization: one discriminator step, then one generator step.

    Needs images with pixels in [0, 1] (``normalize: false`` for MNIST). Logs
    ``train/d_loss``, ``train/g_loss`` and, on validation, how often the discriminator
    calls real images real and fakes fake. After each validation epoch it saves a PNG grid
    of samples from fixed noise. Given ``judge`` (a litzoo classifier checkpoint), it
    scores the samples: ``val/judge_confidence`` (mean top-class probability, high when
    samples look like clear digits) and ``val/judge_spread`` (entropy of the predicted
    classes over log(classes): 1 when every class appears equally, 0 on mode collapse).

    Args:
        input_shape: image shape, linked from the data.
        num_outputs: linked from the data; unused.
        task: linked from the data; unused.
        latent_dim: size of the noise vector.
        generator_hidden: generator layer widths.
        discriminator_hidden: discriminator layer widths.
        judge: path to a trained litzoo classifier checkpoint, or ``None``.
        judge_samples: samples the judge scores per validation epoch.
        num_images: samples in the PNG grid.
        optimizer: optimizer factory, used for both networks.

    Shape:
        ``forward``: noise ``(B, latent_dim)`` -> images ``(B, *input_shape)``.
    """

    def __init__(
        self,
        input_shape: tuple[int, ...] = (1, 28, 28),
        num_outputs: int = 10,
        task: str = "classification",
        latent_dim: int = 64,
        generator_hidden: list[int] = [256, 512, 1024],  # noqa: B006 - jsonargparse needs a literal default
        discriminator_hidden: list[int] = [512, 256],  # noqa: B006
        judge: str | None = None,
        judge_samples: int = 1000,
        num_images: int = 64,
        optimizer: OptimizerCallable = torch.optim.Adam,
    ) -> None:
        super().__init__()
        if len(input_shape) != 3:
            raise ConfigError(
                f"the GAN generates images (C, H, W), but the data gives {tuple(input_shape)}; "
                "use DATA=mnist_pixels"
            )
        self.save_hyperparameters(ignore=["optimizer"], logger=False)
        self.automatic_optimization = False
        self.generator = Generator(latent_dim, input_shape, generator_hidden)
        self.discriminator = Discriminator(input_shape, discriminator_hidden)
        self.judge = Judge(judge) if judge else None
        noise = torch.randn(num_images, latent_dim, generator=torch.Generator().manual_seed(0))
        self.register_buffer("fixed_noise", noise)
        self.d_loss, self.g_loss = MeanMetric(), MeanMetric()
        self.real_right, self.fake_right = MeanMetric(), MeanMetric()
        self._optimizer = optimizer

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.generator(z)

    def _noise(self, n: int) -> torch.Tensor:
        return torch.randn(n, self.hparams.latent_dim, device=self.device)

    def losses(self, batch: Batch) -> dict[str, torch.Tensor]:
        """Discriminator and generator objectives (non-saturating) for one batch."""
        real = batch[0]
        fake = self(self._noise(len(real)))
        real_logit, fake_logit = self.discriminator(real), self.discriminator(fake.detach())
        d_loss = F.binary_cross_entropy_with_logits(real_logit, torch.ones_like(real_logit))
        d_loss = d_loss + F.binary_cross_entropy_with_logits(fake_logit, torch.zeros_like(fake_logit))
        g_logit = self.discriminator(fake)
        g_loss = F.binary_cross_entropy_with_logits(g_logit, torch.ones_like(g_logit))
        return {"discriminator": d_loss, "generator": g_loss}

    def training_step(self, batch: Batch, batch_idx: int) -> None:
        if self.global_step == 0 and (batch[0].min() < 0 or batch[0].max() > 1):
            raise ConfigError(
                "the GAN's generator draws pixels in [0, 1], but the data's lie outside it; "
                "use DATA=mnist_pixels (or --data.init_args.normalize=false)"
            )
        opt_g, opt_d = self.optimizers()
        losses = self.losses(batch)
        # The generator loss goes through the discriminator: step D only after G's
        # gradients are taken, so both see the same discriminator.
        opt_d.zero_grad(set_to_none=True)
        self.manual_backward(losses["discriminator"])
        opt_g.zero_grad(set_to_none=True)
        self.discriminator.requires_grad_(False)
        self.manual_backward(losses["generator"])
        self.discriminator.requires_grad_(True)
        opt_d.step()
        opt_g.step()
        self.d_loss.update(losses["discriminator"].detach())
        self.g_loss.update(losses["generator"].detach())

    def on_train_epoch_end(self) -> None:
        self.log_dict({"train/d_loss": self.d_loss, "train/g_loss": self.g_loss}, prog_bar=True)

    def _evaluate(self, batch: Batch) -> None:
        real = batch[0]
        self.real_right.update((self.discriminator(real) > 0).float().mean())
        self.fake_right.update((self.discriminator(self(self._noise(len(real)))) < 0).float().mean())

    def _log_quality(self, stage: str) -> None:
        self.log_dict({f"{stage}/d_real_acc": self.real_right, f"{stage}/d_fake_acc": self.fake_right})
        if self.judge is not None:
            samples = self(self._noise(self.hparams.judge_samples))
            scores = self.judge.score(samples)
            self.log_dict({f"{stage}/judge_{k}": v for k, v in scores.items()}, prog_bar=True)

    def validation_step(self, batch: Batch, batch_idx: int) -> None:
        self._evaluate(batch)

    def on_validation_epoch_end(self) -> None:
        self._log_quality("val")
        if self.trainer.is_global_zero and not self.trainer.sanity_checking:
            save_and_log_grid(self.trainer, self(self.fixed_noise), "samples")

    def test_step(self, batch: Batch, batch_idx: int) -> None:
        self._evaluate(batch)

    def on_test_epoch_end(self) -> None:
        self._log_quality("test")

    def predict_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        return self(self._noise(len(batch[0])))

    def configure_optimizers(self):  # noqa: ANN201 - Lightning accepts several shapes
        return [
            self._optimizer(self.generator.parameters()),
            self._optimizer(self.discriminator.parameters()),
        ]
