"""MNIST held in memory as normalised tensors; torchvision parses and downloads."""

from pathlib import Path

import torch
from torchvision.datasets import MNIST

from litzoo.data.augment import random_affine
from litzoo.data.base import Split, TensorDataModule
from litzoo.data.mnist_files import resolve_mnist_root
from litzoo.errors import ConfigError

# Mean and std of the MNIST training pixels in [0, 1].
MEAN, STD = 0.1307, 0.3081
BACKGROUND = -MEAN / STD  # a black pixel after normalisation


def load_mnist(data_dir: str | Path, train: bool, download: bool, normalize: bool = True) -> Split:
    """Read one MNIST split as float images and labels.

    Returns:
        images ``(N, 1, 28, 28)`` float32, in [0, 1] or normalised to zero mean and unit
        variance; labels ``(N,)`` int64.
    """
    root = resolve_mnist_root(Path(data_dir), download)
    ds = MNIST(str(root), train=train, download=False)
    images = ds.data.unsqueeze(1).float().div_(255)
    if normalize:
        images.sub_(MEAN).div_(STD)
    return images, ds.targets.long()


class MNISTDataModule(TensorDataModule):
    """MNIST digits, loaded once and batched by indexing.

    By default 60k training images are split into train and validation by a seeded
    permutation and the official 10k test images are the test set; ``split`` instead
    pools all 70k and cuts them by ratios.

    Args:
        data_dir: folder holding ``MNIST/raw`` as torchvision lays it out.
        val_size: training images held out for validation (when ``split`` is unset).
        split: train/val/test fractions of all 70k images, e.g. ``[0.7, 0.15, 0.15]``.
        digits: keep only these digits, relabelled 0..k-1 (``[3, 8]`` is a binary task).
        augment: randomly rotate (±10°) and shift (±2 px) training batches.
        normalize: scale pixels to zero mean and unit variance (else keep them in [0, 1]).
        batch_size: images per batch.
        seed: seed of the split.
        download: fetch the files when they are missing (needs network).

    Shape:
        images ``(B, 1, 28, 28)``; labels ``(B,)``.
    """

    input_shape = (1, 28, 28)
    task = "classification"

    def __init__(
        self,
        data_dir: str = "./data",
        val_size: int = 5000,
        split: list[float] | None = None,
        digits: list[int] | None = None,
        augment: bool = False,
        normalize: bool = True,
        batch_size: int = 512,
        seed: int = 42,
        download: bool = True,
    ) -> None:
        super().__init__(batch_size)
        if val_size < 1:
            raise ConfigError(f"val_size must be positive, got {val_size}")
        if split is not None and (len(split) != 3 or min(split) <= 0 or abs(sum(split) - 1) > 1e-6):
            raise ConfigError(f"split needs three positive fractions that sum to 1, got {split}")
        if digits is not None and (len(set(digits)) < 2 or not set(digits) <= set(range(10))):
            raise ConfigError(f"digits needs at least two distinct digits from 0-9, got {digits}")
        self.save_hyperparameters(logger=False)
        self.num_outputs = len(digits) if digits else 10

    def prepare_data(self) -> None:
        # Runs once per node before setup: download here so ranks do not race.
        resolve_mnist_root(Path(self.hparams.data_dir), self.hparams.download)

    def setup(self, stage: str | None = None) -> None:
        if self.splits:
            return
        hp = self.hparams
        train, test = (load_mnist(hp.data_dir, flag, False, hp.normalize) for flag in (True, False))
        if hp.digits:
            train, test = _select(train, hp.digits), _select(test, hp.digits)
        g = torch.Generator().manual_seed(hp.seed)
        if hp.split:
            images, labels = (torch.cat(parts) for parts in zip(train, test, strict=True))
            sizes = [int(f * len(images)) for f in hp.split[:2]]
            cuts = torch.randperm(len(images), generator=g).split([*sizes, len(images) - sum(sizes)])
        else:
            if hp.val_size >= len(train[0]):
                raise ConfigError(f"val_size {hp.val_size} leaves no training images of {len(train[0])}")
            images, labels = train
            order = torch.randperm(len(images), generator=g)
            cuts = (order[hp.val_size :], order[: hp.val_size])
        for name, idx in zip(("train", "val", "test"), cuts, strict=False):
            self.splits[name] = images[idx], labels[idx]
        self.splits.setdefault("test", test)

    def on_after_batch_transfer(self, batch: Split, dataloader_idx: int) -> Split:
        if self.hparams.augment and self.trainer is not None and self.trainer.training:
            images, labels = batch
            background = BACKGROUND if self.hparams.normalize else 0.0
            return random_affine(images, max_degrees=10, max_shift=2, background=background), labels
        return batch


def _select(split: Split, digits: list[int]) -> Split:
    """Keep the given digits, relabelled by their position in ``digits``."""
    images, labels = split
    lookup = torch.full((10,), -1, dtype=torch.long)
    lookup[torch.tensor(digits)] = torch.arange(len(digits))
    keep = lookup[labels] >= 0
    return images[keep], lookup[labels[keep]]
