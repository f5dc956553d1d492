"""LightningDataModules that keep their data in memory as tensors."""

from litzoo.data.base import TensorBatchDataset, TensorDataModule
from litzoo.data.mnist import MNISTDataModule
from litzoo.data.sequences import SequenceDataModule

__all__ = ["MNISTDataModule", "SequenceDataModule", "TensorBatchDataset", "TensorDataModule"]
