"""The supervised system: any net trained against targets, or against its own input."""

import torch
from lightning import LightningModule, Trainer
from lightning.pytorch.cli import LRSchedulerCallable, OptimizerCallable
from torchmetrics import MeanMetric

from litzoo.nets.facts import NetFactory, build_net
from litzoo.nets.init import WeightInit, init_weights
from litzoo.nets.layers import check_input
from litzoo.systems.contract import Contract
from litzoo.systems.held import HeldUpdates
from litzoo.systems.objectives import Classification, LossName, Task, make_objective
from litzoo.systems.optim import build_optimizers
from litzoo.systems.speed import CompileMode, as_channels_last, speed_up
from litzoo.systems.transfer import Transfer

Batch = tuple[torch.Tensor, torch.Tensor]
STAGES = ("train", "val", "test")


def _is_logging_step(trainer: Trainer) -> bool:
    """Whether Lightning writes to the loggers after this training step."""
    return getattr(trainer._logger_connector, "should_update_logs", True) or bool(trainer.fast_dev_run)


class SupervisedSystem(LightningModule):
    """Trains a net to map inputs to targets: classification, regression or reconstruction.

    Metrics go to ``train/…``, ``val/…`` and ``test/…``. Validation and test steps return
    the batch's scores (class probabilities, values, reconstructions), from which
    ``litzoo.pictures.Pictures`` draws.

    Args:
        net: the architecture: any ``nn.Module`` class, e.g. ``{{ cookiecutter.package_name }}.nets.mlp.MLP`` or
            ``torchvision.models.ResNet``; built here, its arguments that take a data fact
            (``input_shape``, ``num_outputs``, ``num_classes``, ``in_chans``…) filled in.
        input_shape: shape of one sample, from the data.
        num_outputs: classes or regression targets, from the data.
        task: ``classification`` or ``regression``, from the data.
        net_facts: net argument -> fact, for a net whose arguments have other names (e.g.
            ``{n_classes: num_outputs}``); facts: input_shape, num_outputs, channels, height, width.
        reconstruct: learn to reproduce the input (an autoencoder) instead of the targets.
        loss: loss name, or ``None`` for the task's default (cross-entropy or MSE).
        l1: weight of an L1 penalty on all weight matrices (L2: the optimizer's weight_decay).
        weight_init: re-initialise the net's weights (``default`` keeps PyTorch's).
        transfer: start the net from a file's weights, freeze parts of it, give the backbone
            its own learning rate (``litzoo.systems.transfer.Transfer``; docs/models.md).
        optimizer: builds the optimizer from the parameters.
        scheduler: builds an LR scheduler from the optimizer, or ``None``.
        compile: ``torch.compile`` the net for training in this mode (``default``,
            ``reduce-overhead``, ...), or ``None`` to run it eagerly.

    Shape:
        ``(B, *input_shape)`` -> ``(B, num_outputs)`` logits or values; a reconstruction
        gives ``(B, *input_shape)``.
    """

    def __init__(
        self,
        net: NetFactory,
        input_shape: tuple[int, ...],
        num_outputs: int,
        task: Task,
        net_facts: dict[str, str] | None = None,
        reconstruct: bool = False,
        loss: LossName | None = None,
        l1: float = 0.0,
        weight_init: WeightInit = "default",
        transfer: Transfer | None = None,
        optimizer: OptimizerCallable = torch.optim.Adam,
        scheduler: LRSchedulerCallable | None = None,
        compile: CompileMode | None = None,
    ) -> None:
        super().__init__()
        # Under LightningCLI this saves the config as given (primitives only), so a
        # checkpoint rebuilds net, optimizer and scheduler with weights_only=True.
        self.save_hyperparameters(logger=False)
        objective_task = "reconstruction" if reconstruct else task
        self.objective = make_objective(objective_task, num_outputs, loss, tuple(input_shape))
        self.input_shape = tuple(input_shape)
        self.net = build_net(net, self.input_shape, self.objective.out_features, net_facts)
        init_weights(self.net, weight_init)
        self.transfer = transfer
        if transfer is not None:
            transfer.prepare(self.net)
        self.l1, self.reconstruct = l1, reconstruct
        for stage in STAGES:
            setattr(self, f"{stage}_metrics", self.objective.metrics(stage))
            setattr(self, f"{stage}_loss", MeanMetric())
        # Training tracks accuracy (or errors) only: predicted classes do, where probabilities,
        # a softmax of every output, serve the AUROC of validation and test.
        read = {"train": self.objective.predict, "val": self.objective.scores, "test": self.objective.scores}
        self._held = {stage: HeldUpdates(read[stage]) for stage in STAGES}
        self._optimizer, self._scheduler = optimizer, scheduler
        self._channels_last = False

    def contract(self) -> Contract:
        """The net, what it reads and gives, and how its outputs become scores."""
        classes = self.objective.num_classes if isinstance(self.objective, Classification) else None
        output = "reconstruction" if self.reconstruct else "classes" if classes else "values"
        shape = self.input_shape if self.reconstruct else (self.objective.out_features,)
        return Contract(
            self.net, self.input_shape, shape, output, scores=self.objective.scores, classes=classes
        )

    def setup(self, stage: str) -> None:
        # Read when training starts, not here in __init__: loading or resuming this run's
        # checkpoint never needs the file (a resumed fit's checkpoint overwrites it anyway).
        if stage != "fit":
            return
        if self.transfer is not None:
            if self.trainer.ckpt_path is None:
                self.transfer.load(self.net)
            self.train()  # Lightning never calls train() in fit: frozen BatchNorm goes to eval here
        # Before Lightning moves the net to the device: compiled once, for training and what follows.
        device = self.trainer.strategy.root_device
        self._channels_last = speed_up(self.net, device, self.hparams.get("compile"))

    def train(self, mode: bool = True) -> "SupervisedSystem":
        super().train(mode)
        if self.transfer is not None:
            self.transfer.hold_frozen(self.net)
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(self.net, x, self.input_shape)  # a clear error, not a size mismatch deep in a layer
        return self.net(as_channels_last(x) if self._channels_last else x)

    def _step(self, batch: Batch, stage: str) -> tuple[torch.Tensor, torch.Tensor]:
        """The batch's loss and the net's outputs; the metrics get the batch later (``HeldUpdates``)."""
        x, y = batch
        target = x if self.reconstruct else y
        output = self(x)
        loss = self.objective.loss(output, target)
        # Metrics are logged once per epoch (a self.log call costs about a millisecond on CPU),
        # and fed a batch of steps at once: the same figures, a fraction of the calls.
        if self._held[stage].add(loss, output, target):
            self._flush(stage)
        return loss, output

    def _flush(self, stage: str) -> None:
        self._held[stage].flush(getattr(self, f"{stage}_loss"), getattr(self, f"{stage}_metrics"))

    def _log_epoch(self, stage: str) -> None:
        # Logged as Metric objects: Lightning computes them (synced across DDP ranks by
        # torchmetrics) and resets them at the end of the epoch.
        self._flush(stage)
        prog_bar = stage != "train"
        self.log(f"{stage}/loss", getattr(self, f"{stage}_loss"), prog_bar=prog_bar)
        self.log_dict(getattr(self, f"{stage}_metrics"), prog_bar=prog_bar)

    def _penalty(self) -> torch.Tensor | float:
        if not self.l1:
            return 0.0
        return self.l1 * sum(p.abs().sum() for p in self.net.parameters() if p.dim() > 1)

    def training_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        loss = self._step(batch, "train")[0] + self._penalty()
        if _is_logging_step(self.trainer):
            # A host copy: Lightning reads every progress-bar value at every step (.item()), which
            # on a GPU would wait for the device each step; the copy waits once, now, as logging does.
            self.log("train/loss_step", loss.detach().cpu(), prog_bar=True)
            self._flush("train")  # the held batches go in now too
        return loss

    def on_train_epoch_end(self) -> None:
        self._log_epoch("train")

    def validation_step(self, batch: Batch, batch_idx: int) -> dict[str, torch.Tensor]:
        output = self._step(batch, "val")[1]
        return {"scores": self.objective.scores(output.detach())}

    def on_validation_epoch_end(self) -> None:
        self._log_epoch("val")

    def test_step(self, batch: Batch, batch_idx: int) -> dict[str, torch.Tensor]:
        output = self._step(batch, "test")[1]
        return {"scores": self.objective.scores(output.detach())}

    def on_test_epoch_end(self) -> None:
        self._log_epoch("test")

    def predict_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        """Class probabilities ``(B, C)``, values ``(B,)``/``(B, D)``, or reconstructions."""
        return self.objective.scores(self(batch[0]))

    def configure_optimizers(self):  # noqa: ANN201 - Lightning accepts several shapes
        groups = self.transfer.param_groups(self.net) if self.transfer is not None else None
        return build_optimizers(self, self._optimizer, self._scheduler, parameters=groups)
