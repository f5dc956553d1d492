"""Save the run's full config in its run folder and log it, nested, to every logger."""

from pathlib import Path

import yaml
from lightning import LightningModule, Trainer
from lightning.pytorch.cli import SaveConfigCallback


class LogConfig(SaveConfigCallback):
    """LightningCLI's config saver, writing ``<run folder>/config.yaml`` whatever the logger.

    Lightning would save into the logger's own folder (``csv/version_0`` for the CSV logger),
    so the file's place would depend on the logger; here it is always beside the checkpoints.
    The nested config also goes to the loggers (W&B shows it as the run's config).
    """

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003 - SaveConfigCallback's signature
        super().__init__(*args, **{**kwargs, "save_to_log_dir": False})

    def save_config(self, trainer: Trainer, pl_module: LightningModule, stage: str) -> None:
        path = Path(trainer.default_root_dir) / self.config_filename
        path.parent.mkdir(parents=True, exist_ok=True)
        # validate/test/predict in an existing run folder keep the config that trained it.
        if stage == "fit" or not path.exists():
            self.parser.save(
                self.config, str(path), skip_none=False, overwrite=True, multifile=self.multifile
            )
        config = yaml.safe_load(self.parser.dump(self.config))
        config.pop("config", None)  # the list of YAML paths, not a setting
        for logger in trainer.loggers:
            logger.log_hyperparams(config)
