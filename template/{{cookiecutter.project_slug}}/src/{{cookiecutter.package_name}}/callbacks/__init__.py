"""Callbacks for what Lightning does not already do."""

from {{ cookiecutter.package_name }}.callbacks.config import LogConfig
from {{ cookiecutter.package_name }}.callbacks.guards import CheckpointOnSigterm, RestoreRNG, StopOnNonFiniteLoss
from {{ cookiecutter.package_name }}.callbacks.pictures import Pictures

__all__ = ["CheckpointOnSigterm", "LogConfig", "Pictures", "RestoreRNG", "StopOnNonFiniteLoss"]
