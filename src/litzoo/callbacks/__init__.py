"""Callbacks for what Lightning does not already do."""

from litzoo.callbacks.config import LogConfig
from litzoo.callbacks.guards import CheckpointOnSigterm, RestoreRNG, StopOnNonFiniteLoss
from litzoo.callbacks.pictures import Pictures

__all__ = ["CheckpointOnSigterm", "LogConfig", "Pictures", "RestoreRNG", "StopOnNonFiniteLoss"]
