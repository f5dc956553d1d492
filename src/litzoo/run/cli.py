"""LightningCLI with litzoo's data-to-model links, run folders and end-of-fit test."""

import hashlib
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Lightning 2.6 still calls jsonargparse APIs deprecated in 4.49: nothing a user can act on.
os.environ.setdefault("JSONARGPARSE_DEPRECATION_WARNINGS", "off")

from jsonargparse import Namespace  # noqa: E402
from lightning import LightningDataModule, LightningModule, Trainer
from lightning.fabric.utilities.rank_zero import rank_zero_only
from lightning.pytorch.cli import LightningArgumentParser, LightningCLI, SaveConfigCallback

from litzoo.data.base import DEFAULT_DATA_DIR, TensorDataModule
from litzoo.data.contract import facts_of
from litzoo.errors import ConfigError, LitzooError
from litzoo.pictures import Pictures
from litzoo.run.checkpoints import SPECIAL_PATHS, changed, check_same_architecture, load_hyperparameters
from litzoo.run.config_log import LogConfig
from litzoo.run.folders import best_point, claim_run_dir, resume_point, run_name, unfinished, wandb_run_id
from litzoo.run.guards import (
    CheckpointOnInterrupt,
    CheckpointOnSigterm,
    RestoreRNG,
    StopOnNonFiniteLoss,
    check_accelerator,
)
from litzoo.run.launch import check_cluster, check_precision
from litzoo.run.monitors import CheckMonitors
from litzoo.run.parser import LitzooParser
from litzoo.run.report import fit_stats, print_run_summary, save_predictions, write_results
from litzoo.tracking.logger import choose_wandb_mode, is_wandb


class LitzooCLI(LightningCLI):
    """``python -m litzoo fit|validate|test|predict`` over any module and data module."""

    def __init__(self, args: list[str] | None = None, run: bool = True) -> None:
        super().__init__(
            LightningModule,
            LightningDataModule,
            subclass_mode_model=True,
            subclass_mode_data=True,
            parser_class=LitzooParser,
            save_config_callback=LogConfig,
            auto_configure_optimizers=False,
            args=args,
            run=run,
        )

    def add_arguments_to_parser(self, parser: LightningArgumentParser) -> None:
        # The data contract: the facts the data module declares reach the system arguments
        # that take them (a link to an argument the system lacks is skipped).
        for fact in ("input_shape", "num_outputs", "task"):
            parser.link_arguments("data", f"model.init_args.{fact}", _fact(fact), apply_on="instantiate")
        # Always on; options under pictures.* and stop_on_nonfinite.*
        parser.add_lightning_class_args(Pictures, "pictures")
        parser.add_lightning_class_args(StopOnNonFiniteLoss, "stop_on_nonfinite")
        parser.add_lightning_class_args(CheckpointOnSigterm, "checkpoint_on_sigterm")
        parser.add_lightning_class_args(CheckpointOnInterrupt, "checkpoint_on_interrupt")
        parser.add_lightning_class_args(RestoreRNG, "restore_rng")
        parser.add_argument(
            "--run",
            type=str | None,
            default=None,
            help="An existing run folder (runs/<name>/<time>) to work in, with its config (--config "
            "<folder>/config.yaml) and W&B run: fit continues it from its newest checkpoint; "
            "validate, test and predict use its best checkpoint and write their results there.",
        )
        parser.add_argument(
            "--run_name",
            type=str | None,
            default=None,
            help="Folder of this run's time-stamped run folders (default: the experiment, or "
            "<model>-<data>, from the names of the config files given).",
        )
        parser.add_argument(
            "--data_dir",
            type=str,
            default=DEFAULT_DATA_DIR,
            help="Folder of data files (make's DATA_DIR), for a data module whose data_dir is not set.",
        )
        parser.add_argument("--folds", type=int | None, default=None, help="k-fold cross-validation: folds.")
        parser.add_argument(
            "--fold", type=int, default=0, help="k-fold cross-validation: the fold that validates."
        )
        parser.add_argument(
            "--test_after_fit",
            type=bool,
            default=True,
            help="After fit, test the best checkpoint and print where the run was written.",
        )

    def parse_arguments(self, parser: LightningArgumentParser, args: Any) -> None:
        if isinstance(args, (dict, Namespace)):
            return super().parse_arguments(parser, args)
        argv = fresh_data_files(sys.argv[1:] if args is None else args)
        # Tells two runs in one SLURM or torchrun job apart, and a restart of one run from another.
        self._fingerprint = hashlib.sha1("\0".join(argv).encode()).hexdigest()[:8]
        self.config = parser.parse_args(argv)

    def _parse_ckpt_path(self) -> None:
        # Lightning loads the checkpoint here to take its hyperparameters: check it first, so
        # a bad path or file is one line, and say what the checkpoint sets over the config.
        config = self.config.get(self.config.get("subcommand") or "")
        path = config.get("ckpt_path") if isinstance(config, Namespace) else None
        if not path or path in SPECIAL_PATHS:
            return super()._parse_ckpt_path()
        check_same_architecture(path, load_hyperparameters(path), config.get("model"))
        before = config.get("model")
        super()._parse_ckpt_path()
        after = self.config[self.config.subcommand].get("model")
        for change in changed(before, after) if before is not None else []:
            print(f"litzoo: the checkpoint's hyperparameters win: {change}", file=sys.stderr)

    def before_instantiate_classes(self) -> None:
        config = self.config[self.subcommand] if self.subcommand else self.config
        config.run_name = config.run_name or run_name(config)
        _fill_data_dir(config)
        check_accelerator(config.trainer)
        check_precision(config.trainer)
        # config.yaml keeps the folders as given, so that running it again starts a new run
        # folder beside this one instead of writing into it.
        self._config_as_given = config.clone()
        self._config_as_given.run = None
        run_dir = claim_run_dir(config, getattr(self, "_fingerprint", ""))
        # A requeued job or a resumed sweep trial finds its own unfinished folder: it goes on.
        continuing = bool(config.get("run")) or (self.subcommand == "fit" and unfinished(run_dir))
        if continuing and not config.get("ckpt_path"):
            point = resume_point if self.subcommand == "fit" else best_point
            config.ckpt_path = str(point(run_dir))
            if not config.get("run") and rank_zero_only.rank == 0:
                print(f"litzoo: continuing the unfinished run in {run_dir} from {config.ckpt_path}")
        _write_into(config, run_dir, continuing)

    def instantiate_trainer(self, **kwargs: Any) -> Trainer:
        try:
            trainer = super().instantiate_trainer(**kwargs)
            check_cluster(trainer)
        except (ValueError, RuntimeError) as err:  # e.g. devices/num_nodes that the cluster does not have
            raise ConfigError(f"the Trainer refuses its settings: {err}") from None
        for callback in trainer.callbacks:
            if isinstance(callback, SaveConfigCallback):
                callback.config = self._config_as_given
        trainer.callbacks.insert(0, CheckMonitors())  # first: before the callbacks it checks
        return trainer

    def instantiate_classes(self) -> None:
        try:
            super().instantiate_classes()
        except ValueError as err:  # jsonargparse wraps errors raised inside __init__
            cause = _litzoo_cause(err)
            if cause is None:
                raise
            raise cause from None
        config = self.config[self.subcommand] if self.subcommand else self.config
        if config.get("folds") is not None:
            _use_folds(self.datamodule, config.folds, config.fold)

    def before_fit(self) -> None:
        self._fit_started = time.perf_counter()

    def after_fit(self) -> None:
        config = self.config[self.subcommand]
        if self.trainer.interrupted:
            return
        stats = fit_stats(self.trainer, time.perf_counter() - self._fit_started)
        checkpoint = self.trainer.checkpoint_callback
        best = getattr(checkpoint, "best_model_path", "") or None
        score = getattr(checkpoint, "best_model_score", None)
        if score is not None and checkpoint.monitor:  # what the best checkpoint was chosen by
            stats["best"] = {"monitor": checkpoint.monitor, "score": float(score)}
        results = []
        if config.test_after_fit:
            results = self.trainer.test(
                self.model, datamodule=self.datamodule, ckpt_path=best, weights_only=True
            )
        if self.trainer.is_global_zero:  # results.json also marks the fit as finished
            metrics = results[0] if results else {}
            write_results(self.trainer, metrics, stats, best)
            if config.test_after_fit:
                print_run_summary(self.trainer, metrics, best)

    def after_validate(self) -> None:
        self._report("validate")

    def after_test(self) -> None:
        self._report("test")

    def _report(self, stage: str) -> None:
        """validate/test from a saved run report like fit: metrics printed and in <stage>.json."""
        prefix = "val/" if stage == "validate" else "test/"
        metrics = {k: float(v) for k, v in self.trainer.callback_metrics.items() if k.startswith(prefix)}
        if self.trainer.is_global_zero:
            checkpoint = self.config[self.subcommand].get("ckpt_path")
            write_results(self.trainer, metrics, {}, checkpoint, name=f"{stage}.json")
            print_run_summary(self.trainer, metrics, checkpoint)

    def after_predict(self) -> None:
        if self.trainer.is_global_zero:
            save_predictions(self.trainer)


def _write_into(config: Namespace, run_dir: Path, continuing: bool) -> None:
    """Point the Trainer, its loggers and its checkpoint callbacks at the run folder."""
    config.trainer.default_root_dir = str(run_dir)
    for logger in _as_list(config.trainer.logger):
        if not isinstance(logger, Namespace):
            continue
        if is_wandb(logger):
            choose_wandb_mode()  # only a W&B run needs the reachability probe
            if continuing:  # the same W&B run goes on
                logger.init_args.id = wandb_run_id(run_dir) or logger.init_args.get("id")
        if "save_dir" in logger.get("init_args", {}):
            # Absolute: W&B's service process writes the run file from a working directory of its own.
            logger.init_args.save_dir = str(run_dir.absolute())
    for callback in _as_list(config.trainer.callbacks):
        args = callback.get("init_args") if isinstance(callback, Namespace) else None
        if args is not None and "dirpath" in args and args.dirpath is None:
            args.dirpath = str(run_dir / "checkpoints")


def _fact(name: str) -> Callable[[LightningDataModule], object]:
    """Reads one fact of the data contract from the data module, checked (one clear error)."""
    return lambda data: getattr(facts_of(data), name)


def _fill_data_dir(config: Namespace) -> None:
    """A data module that reads files and was given no folder gets ``--data_dir`` (make's DATA_DIR)."""
    data = config.get("data")
    args = data.get("init_args") if isinstance(data, Namespace) else None
    if isinstance(args, Namespace) and "data_dir" in args and args.data_dir is None:
        args.data_dir = config.data_dir


def _use_folds(data: LightningDataModule, folds: int, fold: int) -> None:
    if not isinstance(data, TensorDataModule):
        raise ConfigError(
            f"k-fold cross-validation cuts the splits of a litzoo.data.TensorDataModule; "
            f"{type(data).__name__} is not one"
        )
    data.use_folds(folds, fold)


def _litzoo_cause(err: BaseException | None) -> LitzooError | None:
    while err is not None and not isinstance(err, LitzooError):
        err = err.__cause__ or err.__context__
    return err


def _as_list(value: object) -> list:
    if value is None or isinstance(value, bool):
        return []
    return list(value) if isinstance(value, list) else [value]


def fresh_data_files(args: list[str]) -> list[str]:
    """Make each ``--data <file>`` replace the data section instead of merging into it.

    jsonargparse merges a data config into the one before it when both name the same
    class, so ``DATA=mnist`` after the GAN's ``mnist_pixels`` would keep ``normalize: false``.
    A ``--data=null`` before each data file starts the section afresh; ``--data.<option>=…``
    still edits the current one.
    """
    out: list[str] = []
    for i, arg in enumerate(args):
        given = arg.removeprefix("--data=") if arg.startswith("--data=") else None
        if arg == "--data" and i + 1 < len(args):
            given = args[i + 1]
        if given is not None and given.endswith((".yaml", ".yml")):
            out.append("--data=null")
        out.append(arg)
    return out
