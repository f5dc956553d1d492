"""The GAN system: a generator and a discriminator trained against each other."""

from collections.abc import Callable

import torch
import torch.nn.functional as F
from lightning import LightningModule
from lightning.pytorch.cli import OptimizerCallable
from torch import nn
from torchmetrics import MeanMetric

from litzoo.errors import ConfigError
from litzoo.systems.contract import Contract
from litzoo.systems.judge import Judge
from litzoo.systems.optim import make_optimizer
from litzoo.systems.supervised import Batch

# (latent_dim, image_shape) -> generator; image_shape -> discriminator.
GeneratorFactory = Callable[[int, tuple[int, ...]], nn.Module]
DiscriminatorFactory = Callable[[tuple[int, ...]], nn.Module]


class GANSystem(LightningModule):
    """Adversarial training with manual optimization: one discriminator step, then one generator step.

    Needs images with pixels in [0, 1] (``DATA=mnist_pixels``). Logs ``train/d_loss``,
    ``train/g_loss`` and, on validation and test, how often the discriminator calls real
    images real (``d_real_acc``) and fakes fake (``d_fake_acc``). Given ``judge`` (a litzoo
    classifier checkpoint) it scores samples: ``judge_confidence`` (mean top-class
    probability, high when samples look like clear digits) and ``judge_spread`` (entropy of
    the predicted classes over log(classes): 1 when every class appears equally, 0 on mode
    collapse).

    Args:
        generator: builds the generator from ``(latent_dim, image_shape)``.
        discriminator: builds the discriminator from ``image_shape``.
        input_shape: image shape, from the data.
        latent_dim: size of the noise vector.
        judge: path to a trained litzoo classifier checkpoint, or ``None``.
        judge_samples: samples the judge scores per validation epoch.
        optimizer: optimizer factory, used for both networks.

    Shape:
        ``forward``: noise ``(B, latent_dim)`` -> images ``(B, *input_shape)``.
    """

    def __init__(
        self,
        generator: GeneratorFactory,
        discriminator: DiscriminatorFactory,
        input_shape: tuple[int, ...],
        latent_dim: int = 64,
        judge: str | None = None,
        judge_samples: int = 1000,
        optimizer: OptimizerCallable = torch.optim.Adam,
    ) -> None:
        super().__init__()
        self.save_hyperparameters(logger=False)
        self.automatic_optimization = False
        self.latent_dim = latent_dim
        self.generator = generator(latent_dim, tuple(input_shape))
        self.discriminator = discriminator(tuple(input_shape))
        self.judge = Judge(judge) if judge else None
        self.d_loss, self.g_loss = MeanMetric(), MeanMetric()
        self.real_right, self.fake_right = MeanMetric(), MeanMetric()
        self._optimizer = optimizer

    def contract(self) -> Contract:
        """The generator is what is exported and served: noise in, images out; no loss must fall."""
        shape = tuple(self.hparams.input_shape)
        return Contract(self.generator, (self.latent_dim,), shape, "samples", takes="noise", overfit=None)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.generator(z)

    def _noise(self, n: int) -> torch.Tensor:
        return torch.randn(n, self.latent_dim, device=self.device)

    def training_step(self, batch: Batch, batch_idx: int) -> dict[str, torch.Tensor]:
        real = batch[0]
        if self.global_step == 0 and (real.min() < 0 or real.max() > 1):
            raise ConfigError(
                "the GAN's generator draws pixels in [0, 1], but the data's lie outside it; "
                "use DATA=mnist_pixels (or --data.init_args.normalize=false)"
            )
        opt_g, opt_d = self.optimizers()
        fake = self(self._noise(len(real)))
        real_logit, fake_logit = self.discriminator(real), self.discriminator(fake.detach())
        d_loss = F.binary_cross_entropy_with_logits(real_logit, torch.ones_like(real_logit))
        d_loss = d_loss + F.binary_cross_entropy_with_logits(fake_logit, torch.zeros_like(fake_logit))
        opt_d.zero_grad(set_to_none=True)
        self.manual_backward(d_loss)
        # The non-saturating generator loss goes through the discriminator: take G's
        # gradients before D steps, with D frozen, so both see the same discriminator.
        self.discriminator.requires_grad_(False)
        g_logit = self.discriminator(fake)
        g_loss = F.binary_cross_entropy_with_logits(g_logit, torch.ones_like(g_logit))
        opt_g.zero_grad(set_to_none=True)
        self.manual_backward(g_loss)
        self.discriminator.requires_grad_(True)
        opt_d.step()
        opt_g.step()
        self.d_loss.update(d_loss.detach())
        self.g_loss.update(g_loss.detach())
        return {"loss": (d_loss + g_loss).detach()}  # for callbacks (a non-finite loss stops the run)

    def on_train_epoch_end(self) -> None:
        self.log_dict({"train/d_loss": self.d_loss, "train/g_loss": self.g_loss}, prog_bar=True)

    def _evaluate(self, batch: Batch) -> None:
        real = batch[0]
        self.real_right.update((self.discriminator(real) > 0).float().mean())
        self.fake_right.update((self.discriminator(self(self._noise(len(real)))) < 0).float().mean())

    def _log_quality(self, stage: str) -> None:
        self.log_dict({f"{stage}/d_real_acc": self.real_right, f"{stage}/d_fake_acc": self.fake_right})
        if self.judge is not None:
            scores = self.judge.score(self(self._noise(self.hparams.judge_samples)))
            self.log_dict({f"{stage}/judge_{k}": v for k, v in scores.items()}, prog_bar=True)

    def validation_step(self, batch: Batch, batch_idx: int) -> None:
        self._evaluate(batch)

    def on_validation_epoch_end(self) -> None:
        self._log_quality("val")

    def test_step(self, batch: Batch, batch_idx: int) -> None:
        self._evaluate(batch)

    def on_test_epoch_end(self) -> None:
        self._log_quality("test")

    def predict_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        return self(self._noise(len(batch[0])))

    def configure_optimizers(self):  # noqa: ANN201 - Lightning accepts several shapes
        return [
            make_optimizer(self._optimizer, self.generator.parameters()),
            make_optimizer(self._optimizer, self.discriminator.parameters()),
        ]
