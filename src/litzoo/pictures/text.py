"""Text a language model writes after each validation epoch: files in the run folder, and W&B."""

from pathlib import Path

import torch
from lightning import Callback, LightningModule, Trainer

from litzoo.tracking.logger import is_wandb


class TextSamples(Callback):
    """Writes ``samples/epoch_N_step_S.txt`` (and a W&B table row) from the system's ``generate``.

    The system (``litzoo.systems.language.LanguageModel``) adds this callback itself and sets
    what to generate (``sample_prompt``, ``sample_tokens``, ``sample_temperature``). Sampling
    draws from its own seeded generator: the same seed every epoch, so the samples show how one
    text evolves, and the global random state (which a resumed run restores) is left untouched.
    Debug runs (``fast_dev_run``, ``overfit_batches``) write none.
    """

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self._rows: list[list] = []

    def on_validation_epoch_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        debugging = trainer.sanity_checking or trainer.fast_dev_run or trainer.overfit_batches
        if debugging or not trainer.is_global_zero or pl_module.vocabulary is None:
            return
        hp = pl_module.hparams
        text = pl_module.generate(
            hp.sample_prompt,
            hp.sample_tokens,
            hp.sample_temperature,
            generator=torch.Generator().manual_seed(self.seed),
        )
        # An epoch may validate more than once (val_check_interval): the step tells them apart.
        name = f"epoch_{trainer.current_epoch}_step_{trainer.global_step}.txt"
        path = Path(trainer.default_root_dir) / "samples" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        # A W&B table is immutable once logged: log every epoch's row so far, so the newest has them all.
        self._rows.append([trainer.current_epoch, trainer.global_step, text])
        for logger in trainer.loggers:
            if is_wandb(logger):
                logger.log_text(key="samples", columns=["epoch", "step", "text"], data=list(self._rows))
