"""LightningDataModules that keep their data in memory as tensors."""

from litzoo.data.base import TensorBatchDataset, TensorDataModule
from litzoo.data.images import ImageDataModule
from litzoo.data.sequences import SequenceDataModule

__all__ = ["ImageDataModule", "SequenceDataModule", "TensorBatchDataset", "TensorDataModule"]
