"""MNIST held in memory as normalised tensors; torchvision parses and downloads."""

from pathlib import Path

import torch
from torchvision.datasets import MNIST

from litzoo.data.base import TensorDataModule
from litzoo.data.mnist_files import resolve_mnist_root
from litzoo.errors import ConfigError

# Mean and std of the MNIST training pixels in [0, 1].
MEAN, STD = 0.1307, 0.3081


def load_mnist(data_dir: str | Path, train: bool, download: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """Read one MNIST split as normalised float images and labels.

    Returns:
        images ``(N, 1, 28, 28)`` float32, normalised; labels ``(N,)`` int64.
    """
    root = resolve_mnist_root(Path(data_dir), download)
    ds = MNIST(str(root), train=train, download=False)
    images = ds.data.unsqueeze(1).float().div_(255).sub_(MEAN).div_(STD)
    return images, ds.targets.long()


class MNISTDataModule(TensorDataModule):
    """MNIST digits, loaded once and batched by indexing.

    The 60k training images are split into train and validation by a seeded
    permutation; the official 10k test images are the test set.

    Args:
        data_dir: folder holding ``MNIST/raw`` as torchvision lays it out.
        val_size: training images held out for validation.
        batch_size: images per batch.
        seed: seed of the train/validation split.
        download: fetch the files when they are missing (needs network).

    Shape:
        images ``(B, 1, 28, 28)``; labels ``(B,)``.
    """

    input_shape = (1, 28, 28)
    num_outputs = 10
    task = "classification"

    def __init__(
        self,
        data_dir: str = "./data",
        val_size: int = 5000,
        batch_size: int = 128,
        seed: int = 42,
        download: bool = True,
    ) -> None:
        super().__init__(batch_size)
        if val_size < 1:
            raise ConfigError(f"val_size must be positive, got {val_size}")
        self.save_hyperparameters(logger=False)

    def prepare_data(self) -> None:
        # Runs once per node before setup: download here so ranks do not race.
        resolve_mnist_root(Path(self.hparams.data_dir), self.hparams.download)

    def setup(self, stage: str | None = None) -> None:
        if self.splits:
            return
        hp = self.hparams
        images, labels = load_mnist(hp.data_dir, train=True, download=False)
        if hp.val_size >= len(images):
            raise ConfigError(f"val_size {hp.val_size} leaves no training images of {len(images)}")
        order = torch.randperm(len(images), generator=torch.Generator().manual_seed(hp.seed))
        val, train = order[: hp.val_size], order[hp.val_size :]
        self.splits["train"] = images[train], labels[train]
        self.splits["val"] = images[val], labels[val]
        self.splits["test"] = load_mnist(hp.data_dir, train=False, download=False)
