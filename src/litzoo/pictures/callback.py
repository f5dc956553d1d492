"""Pictures a person would rather look at than a number: files in the run folder, and W&B."""

from pathlib import Path

import torch
from lightning import Callback, LightningModule, Trainer
from torchmetrics.classification import MulticlassConfusionMatrix

from litzoo.errors import ConfigError
from litzoo.pictures.draw import draw_confusion_matrix, log_confusion_chart, save_grid
from litzoo.pictures.mistakes import MistakeRecord, gather, write_classification, write_regression
from litzoo.systems.contract import Contract, contract_of, declares_contract


class Pictures(Callback):
    """Draws what each kind of system shows best, after validation epochs and after testing.

    What is drawn follows the system's declared contract (``output``):

    - ``classes``: the confusion matrix, ``confusion_matrix/val_epoch_NNN.png`` and
      ``test.png``, and an interactive chart in W&B;
    - ``reconstruction``: the first validation images, each beside its reconstruction,
      ``reconstructions/epoch_NNN.png``;
    - ``samples``: what the network draws from fixed noise, ``samples/epoch_NNN.png``.

    After testing, an error analysis (``litzoo.pictures.mistakes``): a classifier's most
    confident mistakes (``mistakes/test.png``, ``mistakes.csv``) and per-class scores
    (``per_class.csv``); a regressor's residual plot and largest errors.

    Grids are also logged to W&B as images when a W&B logger is present. Systems only
    compute numbers (their validation and test steps return the batch's ``scores``); this
    callback is the one place that draws them. A system without a contract gets no pictures.

    Args:
        num_images: images in a reconstruction or sample grid.
        every_n_epochs: draw after every n-th validation epoch (the test is always drawn).
        num_mistakes: the most confident wrong test samples drawn after a test.
    """

    def __init__(self, num_images: int = 16, every_n_epochs: int = 1, num_mistakes: int = 32) -> None:
        self.num_images, self.every_n_epochs, self.num_mistakes = num_images, every_n_epochs, num_mistakes
        self._record: MistakeRecord | None = None
        self._pairs: torch.Tensor | None = None
        self._matrix: MulticlassConfusionMatrix | None = None

    def on_validation_epoch_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self._start(pl_module)

    def on_test_epoch_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self._start(pl_module)
        contract = _contract(pl_module)
        analysed = contract is not None and contract.output in ("classes", "values")
        self._record = MistakeRecord(self.num_mistakes) if analysed else None

    def _start(self, pl_module: LightningModule) -> None:
        contract = _contract(pl_module)
        self._pairs = None
        if contract is not None and contract.output == "classes":
            # Every rank counts its share; compute() sums them under DDP.
            self._matrix = MulticlassConfusionMatrix(contract.classes, validate_args=False).to(
                pl_module.device
            )

    def on_validation_batch_end(
        self,
        trainer: Trainer,
        pl_module: LightningModule,
        outputs: object,
        batch: tuple[torch.Tensor, torch.Tensor],
        batch_idx: int,
        dataloader_idx: int = 0,
    ) -> None:
        contract = _contract(pl_module)
        if contract is None or contract.output not in ("classes", "reconstruction"):
            return
        scores = _scores(pl_module, outputs, "validation_step")
        if contract.output == "classes":
            self._matrix.update(scores.argmax(-1), batch[1])
        elif batch_idx == 0:  # inputs beside their reconstructions, interleaved
            inputs = batch[0][: self.num_images].detach()
            self._pairs = torch.stack([inputs, scores[: len(inputs)].view_as(inputs)], dim=1).flatten(0, 1)

    def on_test_batch_end(
        self,
        trainer: Trainer,
        pl_module: LightningModule,
        outputs: object,
        batch: tuple[torch.Tensor, torch.Tensor],
        batch_idx: int,
        dataloader_idx: int = 0,
    ) -> None:
        if self._matrix is not None:
            self._matrix.update(_scores(pl_module, outputs, "test_step").argmax(-1), batch[1])
        if self._record is not None:
            scores = _scores(pl_module, outputs, "test_step")
            self._record.update(batch[0], scores, batch[1], classes=self._matrix is not None)

    def on_validation_epoch_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        contract = _contract(pl_module)
        if contract is None or trainer.sanity_checking or trainer.current_epoch % self.every_n_epochs:
            return
        epoch = f"epoch_{trainer.current_epoch:03d}"
        if contract.output == "classes":
            self._confusion(trainer, "val", f"val_{epoch}")
        if not trainer.is_global_zero:
            return
        if self._pairs is not None:
            save_grid(trainer, self._pairs, "reconstructions", epoch, nrow=2 * min(8, len(self._pairs) // 2))
        if contract.output == "samples":
            with torch.no_grad():
                save_grid(trainer, contract.net(self._fixed_noise(contract, pl_module)), "samples", epoch)

    def on_test_epoch_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if self._matrix is not None:
            self._confusion(trainer, "test", "test")
        record = gather(trainer, self._record) if self._record is not None else None  # every rank
        if record is not None and record.seen and trainer.is_global_zero:
            if self._matrix is not None:
                write_classification(trainer, record, self._matrix.num_classes)
            else:
                write_regression(trainer, record)
        self._record = None

    def _confusion(self, trainer: Trainer, stage: str, name: str) -> None:
        matrix = self._matrix.compute()  # every rank: compute syncs under DDP
        if trainer.is_global_zero:
            draw_confusion_matrix(
                matrix.cpu(), Path(trainer.default_root_dir) / "confusion_matrix" / f"{name}.png"
            )
            log_confusion_chart(trainer, f"{stage}/confusion_matrix", matrix)

    def _fixed_noise(self, contract: Contract, pl_module: LightningModule) -> torch.Tensor:
        # The same noise every epoch, so the grids show how one set of samples evolves.
        return contract.example(self.num_images, torch.Generator().manual_seed(0)).to(pl_module.device)


def _contract(pl_module: LightningModule) -> Contract | None:
    return contract_of(pl_module, "pictures") if declares_contract(pl_module) else None


def _scores(pl_module: LightningModule, outputs: object, step: str) -> torch.Tensor:
    """The batch's scores a system's evaluation step returns, as its contract says it does."""
    if not isinstance(outputs, dict) or not isinstance(outputs.get("scores"), torch.Tensor):
        raise ConfigError(
            f"{type(pl_module).__name__}.{step} returns no scores: a system whose contract gives "
            "classes or reconstructions returns {'scores': <the batch's scores>} (see docs/systems.md)"
        )
    return outputs["scores"].detach()
