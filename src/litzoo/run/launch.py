"""Settings a launch cannot run with, refused before anything trains: precision, cluster size."""

import os

import torch
from jsonargparse import Namespace
from lightning import Trainer
from lightning.fabric.plugins.environments import TorchElasticEnvironment

from litzoo.errors import ConfigError


def check_precision(trainer: Namespace) -> None:
    """float16 autocast needs a GPU; Lightning would swap in bf16 with only a warning."""
    precision, accelerator = str(trainer.get("precision")), str(trainer.get("accelerator"))
    on_cpu = accelerator == "cpu" or (accelerator == "auto" and not torch.cuda.is_available())
    if precision.startswith("16") and on_cpu:
        raise ConfigError(
            f"precision={precision} needs a GPU (float16 autocast); on a CPU use "
            "--trainer.precision=bf16-mixed, or TRAINER=gpu on a machine with one"
        )


def check_cluster(trainer: Trainer) -> None:
    """Refuse devices/num_nodes other than the processes SLURM or torchrun started.

    Lightning checks only when a DDP fit starts (a traceback) and never for one device, where
    each process would train alone into one run folder. Raises ``ValueError``, with a hint.
    """
    environment = trainer._accelerator_connector.cluster_environment
    try:
        environment.validate_settings(trainer.num_devices, trainer.num_nodes)
    except ValueError as err:
        if not isinstance(environment, TorchElasticEnvironment):  # SLURM's message has its hint
            raise
        per_node = int(os.environ.get("LOCAL_WORLD_SIZE", 1))
        raise ValueError(
            f"{err} HINT: Set `devices={per_node}` and `num_nodes={environment.world_size() // per_node}` "
            "(torchrun's --nproc-per-node and --nnodes)."
        ) from None
