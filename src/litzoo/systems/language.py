"""The language-model system: a net trained to predict the next character, and text generated from it."""

import math
from typing import Any

import torch
import torch.nn.functional as F
from lightning import Callback, LightningModule
from lightning.pytorch.cli import LRSchedulerCallable, OptimizerCallable
from torchmetrics import MeanMetric

from litzoo.data.text import Vocabulary
from litzoo.errors import ConfigError
from litzoo.nets.facts import NetFactory, build_net
from litzoo.nets.layers import check_input
from litzoo.systems.contract import Contract
from litzoo.systems.optim import build_optimizers

Batch = tuple[torch.Tensor, torch.Tensor]
STAGES = ("train", "val", "test")


class LanguageModel(LightningModule):
    """Trains a net to predict the next token at every position (cross-entropy per token).

    Logs ``<stage>/loss`` (nats per character) and ``<stage>/bpc`` (bits per character, the
    loss over ln 2). The vocabulary comes from the data module (``vocabulary``) when training
    starts and is saved in the checkpoint, so a loaded checkpoint generates text on its own.
    After each validation epoch ``litzoo.pictures.text.TextSamples`` writes a sample.

    Args:
        net: any ``nn.Module`` class reading token ids ``(B, T)`` and giving logits
            ``(B, T, V)``, e.g. ``litzoo.nets.language.CausalTransformer``.
        input_shape: ``(block_size,)``, from the data.
        num_outputs: the vocabulary size, from the data.
        task: ``classification`` (of the next token), from the data.
        net_facts: net argument -> fact, for a net whose arguments have other names.
        optimizer: builds the optimizer from the parameters.
        scheduler: builds an LR scheduler from the optimizer, or ``None``.
        sample_prompt: the text each epoch's sample continues.
        sample_tokens: characters generated per sample (0: none).
        sample_temperature: sampling temperature of the samples.

    Shape:
        ``(B, block_size)`` int64 token ids -> ``(B, block_size, num_outputs)`` logits.
    """

    def __init__(
        self,
        net: NetFactory,
        input_shape: tuple[int, ...],
        num_outputs: int,
        task: str = "classification",
        net_facts: dict[str, str] | None = None,
        optimizer: OptimizerCallable = torch.optim.AdamW,
        scheduler: LRSchedulerCallable | None = None,
        sample_prompt: str = "\n",
        sample_tokens: int = 300,
        sample_temperature: float = 0.8,
    ) -> None:
        super().__init__()
        if task != "classification" or len(input_shape) != 1:
            raise ConfigError(
                f"LanguageModel trains on token sequences (a text data module), got {task} data "
                f"shaped {tuple(input_shape)}"
            )
        self.save_hyperparameters(logger=False)
        self.input_shape, self.num_outputs = tuple(input_shape), num_outputs
        self.net = build_net(net, self.input_shape, num_outputs, net_facts)
        for stage in STAGES:
            setattr(self, f"{stage}_loss", MeanMetric())
        self.vocabulary: Vocabulary | None = None
        self._optimizer, self._scheduler = optimizer, scheduler

    def contract(self) -> Contract:
        """The net reads token ids and gives next-token logits at every position."""
        return Contract(
            self.net,
            self.input_shape,
            (*self.input_shape, self.num_outputs),
            "tokens",
            scores=lambda logits: logits.softmax(dim=-1),
            classes=self.num_outputs,
            overfit=0.5,
            input_dtype=torch.long,
        )

    def configure_callbacks(self) -> list[Callback]:
        from litzoo.pictures.text import TextSamples  # the callback reads this module: import late

        return [TextSamples()] if self.hparams.sample_tokens else []

    def setup(self, stage: str) -> None:
        data = self.trainer.datamodule if self.trainer is not None else None
        vocabulary = getattr(data, "vocabulary", None)
        if not isinstance(vocabulary, Vocabulary):
            raise ConfigError(
                f"LanguageModel trains on data with a vocabulary (litzoo.data.text.TextDataModule), "
                f"not {type(data).__name__}"
            )
        self.vocabulary = vocabulary

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(self.net, x, self.input_shape)  # a clear error, not a size mismatch deep in a layer
        return self.net(x)

    def _step(self, batch: Batch, stage: str) -> torch.Tensor:
        x, y = batch
        logits = self(x)
        loss = F.cross_entropy(logits.flatten(0, 1), y.flatten())
        getattr(self, f"{stage}_loss").update(loss.detach())
        return loss

    def _log_epoch(self, stage: str) -> None:
        metric = getattr(self, f"{stage}_loss")
        loss = metric.compute()  # synced across DDP ranks by torchmetrics
        self.log(f"{stage}/loss", loss, prog_bar=stage != "train")
        self.log(f"{stage}/bpc", loss / math.log(2), prog_bar=stage != "train")
        metric.reset()

    def training_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        loss = self._step(batch, "train")
        self.log("train/loss_step", loss, prog_bar=True)
        return loss

    def on_train_epoch_end(self) -> None:
        self._log_epoch("train")

    def validation_step(self, batch: Batch, batch_idx: int) -> None:
        self._step(batch, "val")

    def on_validation_epoch_end(self) -> None:
        self._log_epoch("val")

    def test_step(self, batch: Batch, batch_idx: int) -> None:
        self._step(batch, "test")

    def on_test_epoch_end(self) -> None:
        self._log_epoch("test")

    def predict_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        """Next-character probabilities ``(B, T, V)`` at every position."""
        return self(batch[0]).softmax(dim=-1)

    def configure_optimizers(self):  # noqa: ANN201 - Lightning accepts several shapes
        return build_optimizers(self, self._optimizer, self._scheduler)

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        if self.vocabulary is not None:
            checkpoint["vocabulary"] = self.vocabulary.chars

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        if "vocabulary" in checkpoint:
            self.vocabulary = Vocabulary(checkpoint["vocabulary"])

    @torch.no_grad()
    def generate(
        self,
        prompt: str,
        max_new_tokens: int,
        temperature: float = 1.0,
        top_k: int | None = None,
        generator: torch.Generator | None = None,
    ) -> str:
        """The prompt followed by ``max_new_tokens`` characters sampled one at a time.

        Args:
            prompt: text to continue (characters outside the vocabulary read as its fallback);
                an empty prompt starts from the fallback character.
            max_new_tokens: characters to add.
            temperature: divides the logits; 0 picks the likeliest character every time.
            top_k: sample only among the ``top_k`` likeliest characters (None: all).
            generator: the random source (None: the global one), e.g. fixed for repeatable samples.

        Raises:
            ConfigError: no vocabulary (neither trained nor loaded), or a setting out of range.
        """
        if self.vocabulary is None:
            raise ConfigError("this LanguageModel has no vocabulary: train it, or load it from a checkpoint")
        if max_new_tokens < 0 or temperature < 0 or (top_k is not None and top_k < 1):
            raise ConfigError(
                f"generate needs max_new_tokens >= 0, temperature >= 0 and top_k >= 1 (or None); got "
                f"{max_new_tokens}, {temperature}, {top_k}"
            )
        was_training = self.training
        self.eval()
        ids = self.vocabulary.encode(prompt) if prompt else torch.tensor([self.vocabulary.fallback])
        ids = ids.to(self.device).unsqueeze(0)
        new = []
        for _ in range(max_new_tokens):
            logits = self.net(ids[:, -self.input_shape[0] :])[0, -1].float()
            new.append(int(_sample(logits, temperature, top_k, generator)))
            ids = torch.cat([ids, ids.new_tensor([[new[-1]]])], dim=1)
        self.train(was_training)
        return prompt + self.vocabulary.decode(new)


def _sample(
    logits: torch.Tensor, temperature: float, top_k: int | None, generator: torch.Generator | None
) -> torch.Tensor:
    """One token id from next-token logits ``(V,)``."""
    if temperature == 0:
        return logits.argmax()
    if top_k is not None and top_k < len(logits):
        logits = logits.masked_fill(logits < logits.topk(top_k).values[-1], float("-inf"))
    probs = (logits / temperature).softmax(-1).cpu()  # sampled on the CPU: one generator for every device
    return torch.multinomial(probs, 1, generator=generator)[0]
