"""LightningDataModules that keep their data in memory as tensors."""

from {{ cookiecutter.package_name }}.data.base import TensorBatchDataset, TensorDataModule
from {{ cookiecutter.package_name }}.data.images import ImageDataModule
from {{ cookiecutter.package_name }}.data.sequences import SequenceDataModule

__all__ = ["ImageDataModule", "SequenceDataModule", "TensorBatchDataset", "TensorDataModule"]
