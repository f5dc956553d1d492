"""Checkpoints: checking one a user names before anything is built, and writing them atomically."""

import os
from pathlib import Path
from typing import Any

import torch
from jsonargparse import Namespace
from lightning.fabric.plugins.io.torch_io import TorchCheckpointIO

from litzoo.errors import ConfigError
from litzoo.run.disk import disk_full_error, full_cause, payload_bytes

# Words Lightning itself resolves to a checkpoint, not paths.
SPECIAL_PATHS = {"last", "best", "hpc", "registry"}


def load_hyperparameters(path: str) -> dict[str, Any]:
    """The hyperparameters of a Lightning checkpoint, read safely (``weights_only=True``).

    Raises:
        ConfigError: the file is missing, unreadable, truncated or not a Lightning checkpoint.
    """
    if not Path(path).is_file():
        raise ConfigError(
            f"checkpoint {path} does not exist; runs keep theirs in runs/<name>/<time>/checkpoints/"
        )
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True, mmap=False)
    except Exception as err:  # torch raises UnpicklingError, RuntimeError, EOFError... for a bad file
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ConfigError(
            f"checkpoint {path} cannot be read ({reason}): is it a complete .ckpt file?"
        ) from None
    if not isinstance(checkpoint, dict) or "state_dict" not in checkpoint:
        raise ConfigError(f"{path} is not a Lightning checkpoint (it has no state_dict)")
    return dict(checkpoint.get("hyper_parameters") or {})


def _architecture(model: dict[str, Any]) -> tuple[str | None, str | None]:
    """(system class, net class) of a model config or of checkpoint hyperparameters."""
    system = model.get("class_path") or model.get("_class_path")
    args = model.get("init_args") or model
    net = args.get("net") if isinstance(args, dict) else None
    return system, net.get("class_path") if isinstance(net, dict) else None


def check_same_architecture(path: str, hyperparameters: dict[str, Any], model: Namespace | None) -> None:
    """Refuse a checkpoint of another system or net than the config builds: it could not load."""
    if model is None or not hyperparameters:
        return
    wanted = _architecture(model.as_dict())
    found = _architecture(hyperparameters)
    for kind, want, got in zip(("system", "net"), wanted, found, strict=True):
        if want and got and want.rsplit(".", 1)[-1] != got.rsplit(".", 1)[-1]:
            raise ConfigError(
                f"checkpoint {path} holds a {got.rsplit('.', 1)[-1]} {kind}, but the config builds a "
                f"{want.rsplit('.', 1)[-1]}; pass the config it was trained with (--config <run>/config.yaml)"
            )


def changed(before: object, after: object, prefix: str = "model") -> list[str]:
    """Dotted keys whose values differ between two model configs, as ``key: old -> new``."""
    if isinstance(before, Namespace) and isinstance(after, Namespace):
        keys = set(before.keys()) | set(after.keys())
        return [
            c for key in sorted(keys) for c in changed(before.get(key), after.get(key), f"{prefix}.{key}")
        ]
    return [] if before == after else [f"{prefix}: {before!r} -> {after!r}"]


class AtomicCheckpointIO(TorchCheckpointIO):
    """Writes each checkpoint beside its target, fsyncs it, then renames it into place.

    A rename within one folder is atomic, so a checkpoint path always holds a complete file:
    a kill or a full disk during a save leaves the previous checkpoint as it was (a full disk
    raises ``DiskFullError``, naming the folder and the size needed). Lightning's own writer
    stages the file in $TMPDIR (atomic only on the same filesystem) and never fsyncs.
    """

    def save_checkpoint(self, checkpoint: dict[str, Any], path: Any, storage_options: Any = None) -> None:
        target = Path(path)
        if "://" in str(path) or storage_options is not None:  # remote storage: Lightning's way
            return super().save_checkpoint(checkpoint, path, storage_options)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
        try:
            with open(partial, "wb") as file:
                torch.save(checkpoint, file)
                file.flush()
                os.fsync(file.fileno())
            os.replace(partial, target)
        except Exception as err:  # torch's "unexpected pos" hides a full disk in its context
            cause = full_cause(err)
            if cause is None:
                raise
            raise disk_full_error(cause, target.parent, target.name, payload_bytes(checkpoint)) from None
        finally:
            partial.unlink(missing_ok=True)
        folder = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(folder)  # the rename itself survives a crash
        finally:
            os.close(folder)
