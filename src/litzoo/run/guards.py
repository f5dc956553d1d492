"""Runs that go wrong: stop a diverging run at its step; checkpoint a run that is told to stop."""

import math
import random
import signal
import sys
import threading
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from jsonargparse import Namespace
from lightning import Callback, LightningModule, Trainer
from lightning.pytorch.utilities.exceptions import SIGTERMException

from litzoo.errors import ConfigError, DivergedError, RunInterruptedError
from litzoo.tracking.logger import is_wandb


def check_accelerator(trainer: Namespace) -> None:
    """Refuse a GPU accelerator on a machine without one, before anything is built.

    Lightning says only "No supported gpu backend found!" (TRAINER=gpu or ddp on a laptop).
    """
    accelerator = str(trainer.get("accelerator"))
    mps = accelerator == "gpu" and torch.backends.mps.is_available()
    if accelerator in ("gpu", "cuda") and not torch.cuda.is_available() and not mps:
        raise ConfigError(
            f"no GPU here (trainer.accelerator={accelerator}); use TRAINER=default, which takes a GPU "
            "when there is one"
        )


class StopOnNonFiniteLoss(Callback):
    """Raises for the first training step whose loss is NaN, infinite or diverging, naming the step.

    Lightning would train on NaN to the end and exit 0 (and a NaN epoch could become the
    "best" checkpoint); a loss that explodes but stays finite (1e24) would do the same.
    Every step's loss is kept on the device and read back in one go every
    ``check_every_n_steps`` steps, at the end of each epoch and before any checkpoint is
    written (``state_dict`` is the first thing a save asks for), so the steps in between
    never wait for the device, yet no checkpoint holds weights from the bad step on: the
    last checkpoint holds the last good ones. Lightning's ``EarlyStopping(divergence_threshold)``
    does not fit: its bound is absolute (no one bound suits every loss), it looks only at epoch
    ends, and it stops the run as finished (exit 0).

    Args:
        check_every_n_steps: read the losses back every n steps (None: every
            ``trainer.log_every_n_steps``, when Lightning reads the device to log anyway;
            1 stops at the bad step itself, waiting for every step on a GPU).
        divergence_factor: stop when ``|loss|`` grows past this many times the first step's
            ``|loss|`` (the untrained model's); None turns the divergence check off.
    """

    def __init__(
        self, check_every_n_steps: int | None = None, divergence_factor: float | None = 1000.0
    ) -> None:
        self.every = check_every_n_steps
        self.factor = divergence_factor
        self.first: float | None = None  # kept in checkpoints: a resumed run keeps its bound
        self._step = 0
        self._held: list[tuple[int, int, int, torch.Tensor]] = []  # (step, epoch, batch, loss) not read yet
        self._trainer: Trainer | None = None

    def setup(self, trainer: Trainer, pl_module: LightningModule, stage: str) -> None:
        self._trainer = trainer

    def state_dict(self) -> dict:
        self._read()  # a save is about to be written: never from a bad step
        return {"first": self.first}

    def load_state_dict(self, state_dict: dict) -> None:
        self.first = state_dict.get("first")

    def on_train_batch_start(
        self, trainer: Trainer, pl_module: LightningModule, batch: object, batch_idx: int
    ) -> None:
        self._step = trainer.global_step  # the step this batch's loss belongs to (before it steps)

    def on_train_batch_end(
        self, trainer: Trainer, pl_module: LightningModule, outputs: object, batch: object, batch_idx: int
    ) -> None:
        loss = outputs.get("loss") if isinstance(outputs, dict) else outputs
        if isinstance(loss, torch.Tensor):
            self._held.append((self._step, trainer.current_epoch, batch_idx, loss.detach().reshape(-1)[:1]))
        every = self.every or trainer.log_every_n_steps  # 0 (no logging): at epoch ends and saves only
        if every and len(self._held) >= every:
            self._read()

    def on_train_epoch_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self._read()

    def on_train_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self._read()

    def _read(self) -> None:
        held, self._held = self._held, []
        if not held:
            return
        values = torch.cat([loss for *_, loss in held]).tolist()  # one wait for the device, not one a step
        for (step, epoch, batch_idx, _), value in zip(held, values, strict=True):
            if not math.isfinite(value) or self._diverged(value):
                raise DivergedError(self._message(value, step, epoch, batch_idx))

    def _message(self, value: float, step: int, epoch: int, batch_idx: int) -> str:
        checkpoint = getattr(self._trainer, "checkpoint_callback", None)
        kept = getattr(checkpoint, "last_model_path", "") or "none saved yet"
        finite = math.isfinite(value)
        what = f"grew past {self.factor:g} x its first {self.first:.4g}:" if finite else "became"
        off = "; --stop_on_nonfinite.divergence_factor=null turns this check off" if finite else ""
        return (
            f"the training loss {what} {value:.4g} at step {step} "
            f"(epoch {epoch}, batch {batch_idx}); last good checkpoint: {kept}. "
            f"Lower the learning rate or clip gradients; TRAINER=debug_anomaly finds the operation{off}"
        )

    def _diverged(self, value: float) -> bool:
        if self.factor is None:
            return False
        if self.first is None:
            self.first = abs(value)
        return self.first > 0 and abs(value) > self.factor * self.first


class CheckpointOnSigterm(Callback):
    """On SIGTERM (what SLURM and most schedulers send before a kill), save ``last.ckpt``.

    Lightning stops at the next batch and raises ``SIGTERMException``; this saves the state
    of that moment into the run's checkpoint folder and marks the W&B run as preempted. The
    CLI then exits 143, so a scheduler or a sweep does not take the run as finished.
    """

    def on_exception(self, trainer: Trainer, pl_module: LightningModule, exception: BaseException) -> None:
        if not isinstance(exception, SIGTERMException):
            return
        path = save_last(trainer)
        for logger in trainer.loggers:
            if is_wandb(logger):
                logger.experiment.mark_preempting()
        if trainer.is_global_zero:
            print(f"litzoo: SIGTERM at step {trainer.global_step}: saved {path}", file=sys.stderr, flush=True)


class CheckpointOnInterrupt(Callback):
    """Ctrl-C during training: finish the step, save ``last.ckpt``, say how to resume, exit 130.

    Lightning's own answer to a KeyboardInterrupt stops mid-step and saves nothing (exit 1).
    This takes SIGINT over while training: the first Ctrl-C stops after the current step,
    like SIGTERM; a second one interrupts at once. Only in a single process: the ranks of a
    DDP run would see the signal at different steps and could not save together.
    """

    def __init__(self) -> None:
        self._asked = False
        self._previous: object = None

    def on_train_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if trainer.world_size == 1 and threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._ask)

    def _ask(self, signum: int, frame: object) -> None:
        if self._asked:  # a second Ctrl-C: do not wait for the step
            raise KeyboardInterrupt
        self._asked = True

    def on_train_batch_end(
        self, trainer: Trainer, pl_module: LightningModule, outputs: object, batch: object, batch_idx: int
    ) -> None:
        if not self._asked:
            return
        self._restore()
        path = save_last(trainer)
        run = Path(trainer.default_root_dir)
        print(
            f"\nlitzoo: interrupted (Ctrl-C) at step {trainer.global_step}: saved {path}; "
            f"continue it with: make resume RUN={run}",
            file=sys.stderr,
            flush=True,
        )
        raise RunInterruptedError(str(run))

    def on_train_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self._restore()

    def on_exception(self, trainer: Trainer, pl_module: LightningModule, exception: BaseException) -> None:
        self._restore()

    def _restore(self) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None


def save_last(trainer: Trainer) -> Path:
    """Save the trainer's state now as ``last.ckpt`` in the run's checkpoint folder."""
    folder = getattr(trainer.checkpoint_callback, "dirpath", None)
    path = Path(folder or Path(trainer.default_root_dir) / "checkpoints") / "last.ckpt"
    trainer.save_checkpoint(path)
    return path


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
