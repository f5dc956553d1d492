"""Runs that go wrong: stop a diverging run at its step; checkpoint a run that is told to stop."""

import random
import sys
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from lightning import Callback, LightningModule, Trainer
from lightning.pytorch.utilities.exceptions import SIGTERMException

from litzoo.errors import DivergedError
from litzoo.tracking.logger import is_wandb


class StopOnNonFiniteLoss(Callback):
    """Raises at the first training step whose loss is NaN or infinite, naming the step.

    Lightning would train on NaN to the end and exit 0 (and a NaN epoch could become the
    "best" checkpoint). Checkpoint callbacks run after this one, so nothing is saved from
    the bad step on: the last checkpoint holds the last good weights.

    Args:
        check_every_n_steps: look at the loss every n-th step (each look waits for the step
            to finish on a GPU; 1 checks every step).
    """

    def __init__(self, check_every_n_steps: int = 1) -> None:
        self.every = max(1, check_every_n_steps)
        self._step = 0

    def on_train_batch_start(
        self, trainer: Trainer, pl_module: LightningModule, batch: object, batch_idx: int
    ) -> None:
        self._step = trainer.global_step  # the step this batch's loss belongs to (before it steps)

    def on_train_batch_end(
        self, trainer: Trainer, pl_module: LightningModule, outputs: object, batch: object, batch_idx: int
    ) -> None:
        loss = outputs.get("loss") if isinstance(outputs, dict) else outputs
        if not isinstance(loss, torch.Tensor) or batch_idx % self.every or bool(torch.isfinite(loss).all()):
            return
        kept = getattr(trainer.checkpoint_callback, "last_model_path", "") or "none saved yet"
        raise DivergedError(
            f"the training loss became {loss.detach().flatten()[0].item()} at step {self._step} "
            f"(epoch {trainer.current_epoch}, batch {batch_idx}); last good checkpoint: {kept}. "
            "Lower the learning rate or clip gradients; TRAINER=debug_anomaly finds the operation"
        )


class CheckpointOnSigterm(Callback):
    """On SIGTERM (what SLURM and most schedulers send before a kill), save ``last.ckpt``.

    Lightning stops at the next batch and raises ``SIGTERMException``; this saves the state
    of that moment into the run's checkpoint folder and marks the W&B run as preempted. The
    CLI then exits 143, so a scheduler or a sweep does not take the run as finished.
    """

    def on_exception(self, trainer: Trainer, pl_module: LightningModule, exception: BaseException) -> None:
        if not isinstance(exception, SIGTERMException):
            return
        folder = (
            getattr(trainer.checkpoint_callback, "dirpath", None)
            or Path(trainer.default_root_dir) / "checkpoints"
        )
        path = Path(folder) / "last.ckpt"
        trainer.save_checkpoint(path)
        for logger in trainer.loggers:
            if is_wandb(logger):
                logger.experiment.mark_preempting()
        if trainer.is_global_zero:
            print(f"litzoo: SIGTERM at step {trainer.global_step}: saved {path}", file=sys.stderr, flush=True)


class RestoreRNG(Callback):
    """Keeps Python's, NumPy's and torch's random states in checkpoints and restores them.

    Lightning saves weights, optimizers and loop counters but no RNG state, so dropout and
    augmentation of a resumed run would differ from the uninterrupted one. States are stored
    as tensors and primitives (checkpoints load with ``weights_only=True``) and put back when
    training restarts, after the sanity check, which must not consume them. Under DDP every
    rank's states are kept (``{"ranks": [...]}``) and each rank gets its own back.
    """

    def __init__(self) -> None:
        self._pending: dict | None = None

    def state_dict(self) -> dict:
        state = _rng_state()
        if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
            # Only rank 0 writes the checkpoint, but ranks need not draw alike (a rank-dependent
            # augmentation, a callback on one rank): gather them all. Every rank saves together.
            ranks: list = [None] * dist.get_world_size()
            dist.all_gather_object(ranks, state)
            return {"ranks": ranks}
        return state

    def load_state_dict(self, state_dict: dict) -> None:
        self._pending = state_dict

    def on_train_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        state, self._pending = self._pending, None
        if state and "ranks" in state:  # saved under DDP; on fewer ranks than before, rank 0's
            ranks = state["ranks"]
            state = ranks[trainer.global_rank] if len(ranks) == trainer.world_size else ranks[0]
        if state:
            _set_rng_state(state)


def _rng_state() -> dict:
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    state = {
        "torch": torch.get_rng_state(),
        "numpy": {"keys": torch.from_numpy(keys.astype(np.int64)), "pos": pos, "gauss": [has_gauss, cached]},
        "python": random.getstate(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["torch"])
    numpy = state["numpy"]
    np.random.set_state(("MT19937", numpy["keys"].numpy().astype(np.uint32), numpy["pos"], *numpy["gauss"]))
    random.setstate(_as_tuples(state["python"]))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _as_tuples(value: object) -> object:
    """Python's RNG state is nested tuples; a checkpoint may hand them back as lists."""
    return tuple(_as_tuples(v) for v in value) if isinstance(value, list | tuple) else value
