"""The system contract: what litzoo's workflows and generic tests need from a training system.

A system is any ``LightningModule``; to be exported, served, drawn and tested by the generic
tests it declares a :class:`Contract` from ``contract()`` (as timm declares a model's
``default_cfg`` beside it). Nothing here is guessed with ``hasattr``.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import torch
from lightning import LightningModule
from torch import nn

from litzoo.errors import ConfigError

# What a system's network gives: class logits, regression values, its input again, new samples,
# or next-token logits at every position (a language model).
Output = Literal["classes", "values", "reconstruction", "samples", "tokens"]


def _same(output: torch.Tensor) -> torch.Tensor:
    return output


@dataclass(frozen=True)
class Contract:
    """What a system declares about itself.

    Attributes:
        net: the trained network that export and serving run (a GAN's generator).
        input_shape: one input of ``net``: it takes ``(B, *input_shape)``.
        output_shape: one output of ``net``: it gives ``(B, *output_shape)``.
        output: ``classes`` (logits), ``values`` (regression), ``reconstruction`` (the input
            again, an autoencoder), ``samples`` (new data drawn from noise, a generator) or
            ``tokens`` (next-token logits ``(T, V)`` at every position, a language model).
        takes: ``data`` when ``net`` reads data samples, ``noise`` when it reads latent vectors.
        scores: turns ``net``'s outputs into what a person reads: class probabilities
            ``(B, C)``, values, reconstructions.
        classes: the number of classes of a classifier, else None.
        overfit: the generic test's bound: trained on one batch, the loss must fall below this
            fraction of its first value; None where it need not fall (adversarial training).
        input_dtype: the dtype of ``net``'s inputs (token ids are ``torch.long``).
    """

    net: nn.Module
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    output: Output
    takes: Literal["data", "noise"] = "data"
    scores: Callable[[torch.Tensor], torch.Tensor] = _same
    classes: int | None = None
    overfit: float | None = 0.3
    input_dtype: torch.dtype = torch.float32

    def example(self, batch_size: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """A random input batch for ``net``: ``(batch_size, *input_shape)``."""
        if self.input_dtype.is_floating_point:
            return torch.randn(batch_size, *self.input_shape, generator=generator)
        # Token ids: any id below the vocabulary size (``classes``) is valid.
        high = self.classes or 2
        return torch.randint(
            0, high, (batch_size, *self.input_shape), generator=generator, dtype=self.input_dtype
        )


def contract_of(system: LightningModule, needed_by: str) -> Contract:
    """The contract ``system`` declares, or one clear error saying who needs it.

    Raises:
        ConfigError: the system declares no contract, or ``contract()`` returns something else.
    """
    declare = getattr(type(system), "contract", None)
    if not callable(declare):
        raise ConfigError(
            f"{type(system).__name__} declares no contract(), which {needed_by} needs: add "
            "`def contract(self) -> litzoo.systems.Contract` (see docs/systems.md)"
        )
    contract = system.contract()
    if not isinstance(contract, Contract):
        raise ConfigError(
            f"{type(system).__name__}.contract() returned a {type(contract).__name__}, "
            "not a litzoo.systems.Contract (see docs/systems.md)"
        )
    return contract


def declares_contract(system: LightningModule) -> bool:
    """Whether a system declares a contract (a plain LightningModule trains without one)."""
    return callable(getattr(type(system), "contract", None))
