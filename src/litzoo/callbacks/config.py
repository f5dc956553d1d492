"""Save the run's full config beside it and log it, nested, to every logger."""

import yaml
from lightning import LightningModule, Trainer
from lightning.pytorch.cli import SaveConfigCallback


class LogConfig(SaveConfigCallback):
    """LightningCLI's config saver that also sends the nested config to the loggers."""

    def save_config(self, trainer: Trainer, pl_module: LightningModule, stage: str) -> None:
        config = yaml.safe_load(self.parser.dump(self.config))
        config.pop("config", None)  # the list of YAML paths, not a setting
        for logger in trainer.loggers:
            logger.log_hyperparams(config)
