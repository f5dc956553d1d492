"""Image data sets in torchvision's IDX layout, held in memory as tensors."""

from pathlib import Path
from typing import Any, Literal

import torch
from torchvision import datasets

from litzoo.data.augment import random_affine
from litzoo.data.base import DEFAULT_DATA_DIR, Split, TensorDataModule
from litzoo.data.device import DeviceData
from litzoo.data.idx_files import resolve_root, write_tiny
from litzoo.errors import ConfigError

# torchvision classes that parse the same four-file IDX layout; the name is the folder too.
ImageDataset = Literal["MNIST", "FashionMNIST", "KMNIST"]


def load_split(dataset: ImageDataset, data_dir: str | Path, train: bool, download: bool = False) -> Split:
    """Read one split as float images in [0, 1] and int64 labels.

    Returns:
        images ``(N, 1, 28, 28)`` float32; labels ``(N,)`` int64.
    """
    cls = getattr(datasets, dataset)
    ds = cls(str(resolve_root(Path(data_dir), cls, download)), train=train, download=False)
    return ds.data.unsqueeze(1).float().div_(255), ds.targets.long()


class ImageDataModule(TensorDataModule):
    """A torchvision IDX image data set (MNIST by default), loaded once and batched by indexing.

    By default the official training images are split into train and validation by a
    seeded permutation and the official test images are the test set; ``split`` instead
    pools all of them and cuts them by ratios.

    Args:
        dataset: torchvision class, which is also the folder under ``data_dir``.
        data_dir: folder holding ``<dataset>/raw`` as torchvision lays it out (None: the
            CLI's ``--data_dir``, make's ``DATA_DIR``).
        mean: mean of the training pixels in [0, 1] (used when ``normalize``).
        std: standard deviation of the training pixels in [0, 1].
        normalize: scale pixels to zero mean and unit variance (else keep them in [0, 1]).
        val_size: training images held out for validation (when ``split`` is unset).
        split: train/val/test fractions of all images, e.g. ``[0.7, 0.15, 0.15]``.
        classes: keep only these labels, relabelled 0..k-1 (``[3, 8]`` is a binary task).
        augment: randomly rotate (±10°) and shift (±2 px) training batches.
        batch_size: images per batch.
        seed: seed of the split (and of cross-validation folds).
        download: fetch the files when they are missing (needs network).
        device_data: keep the images on the accelerator (``auto``: when they fit; see
            ``TensorDataModule``).

    Shape:
        images ``(B, 1, 28, 28)``; labels ``(B,)``.
    """

    task = "classification"

    def __init__(
        self,
        dataset: ImageDataset = "MNIST",
        data_dir: str | None = None,
        mean: float = 0.1307,
        std: float = 0.3081,
        normalize: bool = True,
        val_size: int = 5000,
        split: list[float] | None = None,
        classes: list[int] | None = None,
        augment: bool = False,
        batch_size: int = 512,
        seed: int = 42,
        download: bool = True,
        device_data: DeviceData = "auto",
    ) -> None:
        super().__init__(batch_size, seed, device_data)
        if val_size < 1:
            raise ConfigError(f"val_size must be positive, got {val_size}")
        if split is not None and (len(split) != 3 or min(split) <= 0 or abs(sum(split) - 1) > 1e-6):
            raise ConfigError(f"split needs three positive fractions that sum to 1, got {split}")
        if classes is not None and (len(set(classes)) < 2 or not set(classes) <= set(range(10))):
            raise ConfigError(f"classes needs at least two distinct labels from 0-9, got {classes}")
        if std <= 0:
            raise ConfigError(f"std must be positive, got {std}")
        self.save_hyperparameters(logger=False)
        self.data_dir = Path(data_dir or DEFAULT_DATA_DIR)
        self.input_shape = (1, 28, 28)
        self.num_outputs = len(classes) if classes else 10

    @classmethod
    def tiny(cls, init_args: dict[str, Any], folder: Path) -> dict[str, Any]:
        """Real IDX files of 96 training and 32 test images in ``folder``."""
        write_tiny(folder, getattr(datasets, init_args.get("dataset", "MNIST")))
        return {"val_size": 32, "batch_size": 32, "download": False}

    def prepare_data(self) -> None:
        # Runs once per node before setup: download here so ranks do not race.
        hp = self.hparams
        resolve_root(self.data_dir, getattr(datasets, hp.dataset), hp.download)

    def load(self) -> dict[str, Split]:
        hp = self.hparams
        train, test = (self._load(train) for train in (True, False))
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
        splits = {
            name: (images[idx], labels[idx])
            for name, idx in zip(("train", "val", "test"), cuts, strict=False)
        }
        return splits if "test" in splits else {**splits, "test": test}

    def _load(self, train: bool) -> Split:
        hp = self.hparams
        images, labels = load_split(hp.dataset, self.data_dir, train)
        if hp.normalize:
            images.sub_(hp.mean).div_(hp.std)
        return _select((images, labels), hp.classes) if hp.classes else (images, labels)

    def encode_images(self, images: list[Any]) -> torch.Tensor:
        """PIL images as this data's inputs (serving, predicting on files), scaled as in training.

        Shape: ``(N, 1, 28, 28)``: grey, resized to ``input_shape``.
        """
        from PIL import Image
        from torchvision.transforms.functional import pil_to_tensor

        size = self.input_shape[1:]
        grey = [image.convert("L").resize(size[::-1], Image.Resampling.BILINEAR) for image in images]
        x = torch.stack([pil_to_tensor(image) for image in grey]).float() / 255
        hp = self.hparams
        return x.sub_(hp.mean).div_(hp.std) if hp.normalize else x

    def on_after_batch_transfer(self, batch: Split, dataloader_idx: int) -> Split:
        if self.hparams.augment and self.trainer is not None and self.trainer.training:
            images, labels = batch
            hp = self.hparams
            background = -hp.mean / hp.std if hp.normalize else 0.0  # a black pixel
            return random_affine(images, max_degrees=10, max_shift=2, background=background), labels
        return batch


def _select(split: Split, classes: list[int]) -> Split:
    """Keep the given labels, relabelled by their position in ``classes``."""
    images, labels = split
    lookup = torch.full((10,), -1, dtype=torch.long)
    lookup[torch.tensor(classes)] = torch.arange(len(classes))
    keep = lookup[labels] >= 0
    return images[keep], lookup[labels[keep]]
