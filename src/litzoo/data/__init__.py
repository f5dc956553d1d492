"""Data modules: the data contract, and litzoo's in-memory data (image sets, synthetic sequences)."""

from litzoo.data.base import TensorDataModule
from litzoo.data.batches import TensorBatchDataset
from litzoo.data.contract import DataFacts, facts_of
from litzoo.data.folders import ImageFolderDataModule
from litzoo.data.image_sets import ImageSetDataModule
from litzoo.data.images import ImageDataModule
from litzoo.data.sequences import SequenceDataModule

__all__ = [
    "DataFacts",
    "ImageDataModule",
    "ImageFolderDataModule",
    "ImageSetDataModule",
    "SequenceDataModule",
    "TensorBatchDataset",
    "TensorDataModule",
    "facts_of",
]
