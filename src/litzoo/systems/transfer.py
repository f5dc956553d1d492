"""Transfer learning: a net started from weights trained elsewhere, its head kept or new, parts frozen.

``SupervisedSystem(transfer=Transfer(...))`` (``model.init_args.transfer`` in a config). The
weights are read when training starts, so loading or resuming a checkpoint of the fine-tuned
run never needs the file again.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from litzoo.errors import ConfigError
from litzoo.nets.adapters import adapt_kernels, head_name


@dataclass
class Transfer:
    """Where a net's weights start, what of them is new, and what trains.

    Args:
        init_from: a litzoo checkpoint (``.ckpt``: its net's weights) or a state dict file
            (``torch.save(net.state_dict(), …)``, or ``.safetensors``) to start the net from.
        head: module name of the net's head, e.g. ``fc``, ``classifier.1``, ``head.5``
            (None: timm's declared classifier, else the net's last ``nn.Linear``).
        keep_head: load the head's weights too (same shape needed); by default the head
            starts fresh, for new classes.
        train_only: modules that train, all others frozen (``head`` names the head), e.g.
            ``[head]`` or ``[layer4, head]``; None trains everything. Frozen BatchNorm layers
            keep their statistics.
        backbone_lr: learning rate of the parameters outside the head (None: the optimizer's
            ``lr``, which the head always has).
    """

    init_from: str | None = None
    head: str | None = None
    keep_head: bool = False
    train_only: list[str] | None = None
    backbone_lr: float | None = None

    def prepare(self, net: nn.Module) -> None:
        """Check the names against the net and freeze what does not train (before the optimizer)."""
        modules = dict(net.named_modules())
        try:
            self._head = self.head or head_name(net)
        except ValueError as err:
            raise ConfigError(f"transfer: {err}; name it with transfer.head") from None
        for name in [self._head, *self._trained()]:
            if name not in modules or not name:
                raise ConfigError(
                    f"transfer: {type(net).__name__} has no module {name!r}; its top-level modules: "
                    f"{', '.join(n for n in modules if n and '.' not in n)}"
                )
        if self.backbone_lr is not None and self.backbone_lr < 0:
            raise ConfigError(f"transfer.backbone_lr must be >= 0, got {self.backbone_lr}")
        for name, p in net.named_parameters():
            p.requires_grad_(self._trains(name))

    def hold_frozen(self, net: nn.Module) -> None:
        """Put frozen BatchNorm layers in eval mode: they normalise with their learnt statistics."""
        for name, module in net.named_modules():
            if isinstance(module, _BatchNorm) and not self._trains(name):
                module.eval()

    def load(self, net: nn.Module) -> None:
        """Copy ``init_from``'s weights into the net (the head too with ``keep_head``).

        Raises:
            ConfigError: the file is missing or unreadable, or its weights are not this net's.
        """
        if self.init_from is None:
            return
        weights = read_weights(self.init_from)
        own = net.state_dict()
        wanted = [key for key in own if self.keep_head or not _under(key, self._head)]
        missing = [key for key in wanted if key not in weights]
        if missing:
            raise ConfigError(
                f"transfer.init_from: {self.init_from} has no weights for {len(missing)} of the net's "
                f"{len(wanted)} (first: {', '.join(missing[:3])}); is it a checkpoint of this net?"
            )
        own.update({key: _fitted(key, weights[key], own[key], self) for key in wanted})
        net.load_state_dict(own)

    def param_groups(self, net: nn.Module) -> list[dict[str, Any]]:
        """The trained parameters: one group, or the backbone's (at ``backbone_lr``) and the head's."""
        trained = [(name, p) for name, p in net.named_parameters() if p.requires_grad]
        if self.backbone_lr is None:
            return [{"params": [p for _, p in trained]}]
        head = [p for name, p in trained if _under(name, self._head)]
        backbone = [p for name, p in trained if not _under(name, self._head)]
        groups = [{"params": backbone, "lr": self.backbone_lr}] if backbone else []
        return [*groups, {"params": head}] if head else groups

    def _trained(self) -> list[str]:
        return [self._head if name == "head" else name for name in self.train_only or []]

    def _trains(self, name: str) -> bool:
        return self.train_only is None or any(_under(name, module) for module in self._trained())


def read_weights(path: str) -> dict[str, torch.Tensor]:
    """The net weights in a litzoo checkpoint (its ``net.`` entries) or a state dict file."""
    file = Path(path)
    if not file.is_file():
        raise ConfigError(f"transfer.init_from: {path} is not a file (a litzoo .ckpt or a state dict)")
    try:
        if file.suffix == ".safetensors":
            from safetensors.torch import load_file

            return load_file(file)
        saved = torch.load(file, map_location="cpu", weights_only=True)
    except Exception as err:  # a truncated or foreign file: say which, not a pickle traceback
        raise ConfigError(f"transfer.init_from: cannot read {path}: {err}") from None
    if isinstance(saved, dict) and isinstance(saved.get("state_dict"), dict):  # a Lightning checkpoint
        return {key[4:]: value for key, value in saved["state_dict"].items() if key.startswith("net.")}
    if isinstance(saved, dict) and all(isinstance(v, torch.Tensor) for v in saved.values()):
        return saved
    raise ConfigError(f"transfer.init_from: {path} holds no state dict (tensors by name)")


def _fitted(key: str, given: torch.Tensor, own: torch.Tensor, transfer: Transfer) -> torch.Tensor:
    """``given`` for the net's ``key``; RGB stem kernels adapt to the net's channels."""
    if given.shape == own.shape:
        return given
    if given.dim() == 4 and given.shape[0] == own.shape[0] and given.shape[2:] == own.shape[2:]:
        return adapt_kernels(given, own.shape[1])  # the adapted first convolution (nets/adapters.py)
    hint = " (the head: drop keep_head for new classes)" if _under(key, transfer._head) else ""
    raise ConfigError(
        f"transfer.init_from: {key} is {tuple(given.shape)} in {transfer.init_from}, "
        f"{tuple(own.shape)} in the net{hint}"
    )


def _under(name: str, module: str) -> bool:
    """Whether parameter or module ``name`` belongs to ``module``."""
    return name == module or name.startswith(f"{module}.")
