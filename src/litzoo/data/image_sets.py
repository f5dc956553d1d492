"""torchvision image sets held in memory (CIFAR-10/100, SVHN, the IDX sets), read from their own files.

Files are never downloaded: each set's files must be under ``data_dir`` as torchvision lays
them out (a CIFAR tarball there is unpacked once), and each is checked against torchvision's
MD5 before torchvision's own reader parses it.
"""

import os
import shutil
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from torchvision import datasets
from torchvision.datasets.utils import check_md5, extract_archive

from litzoo.data.base import DEFAULT_DATA_DIR
from litzoo.data.batches import Split
from litzoo.data.device import DeviceData
from litzoo.data.idx_files import file_names, raw_folder, resolve_root, write_tiny
from litzoo.data.image_files import write_cifar, write_svhn
from litzoo.data.pixels import Augment, PixelDataModule
from litzoo.errors import ConfigError, DataUnavailableError

ImageSetName = Literal["CIFAR10", "CIFAR100", "SVHN", "MNIST", "FashionMNIST", "KMNIST"]
_IDX = ("MNIST", "FashionMNIST", "KMNIST")


@dataclass(frozen=True)
class ImageSet:
    """Where one torchvision set's files lie and how its reader is called."""

    name: str
    shape: tuple[int, int, int]
    classes: int
    source: str  # what to fetch, for the message when files are missing

    @property
    def cls(self) -> type:
        return getattr(datasets, self.name)

    def folder(self, data_dir: Path) -> Path:
        if self.name in _IDX:
            return raw_folder(data_dir, self.cls)
        return data_dir / (self.cls.base_folder if self.name.startswith("CIFAR") else self.name)

    def files(self) -> list[tuple[str, str | None]]:
        """File names in ``folder`` with their MD5 (None: torchvision has none)."""
        cls = self.cls
        if self.name in _IDX:
            return [(name, None) for name in file_names(cls)]
        if self.name == "SVHN":
            return [(cls.split_list[s][1], cls.split_list[s][2]) for s in ("train", "test")]
        return [*map(tuple, cls.train_list + cls.test_list), (cls.meta["filename"], cls.meta["md5"])]


SETS = {
    "CIFAR10": ImageSet("CIFAR10", (3, 32, 32), 10, "cifar-10-python.tar.gz from https://www.cs.toronto.edu/~kriz/cifar.html"),
    "CIFAR100": ImageSet("CIFAR100", (3, 32, 32), 100, "cifar-100-python.tar.gz from https://www.cs.toronto.edu/~kriz/cifar.html"),
    "SVHN": ImageSet("SVHN", (3, 32, 32), 10, "train_32x32.mat and test_32x32.mat from http://ufldl.stanford.edu/housenumbers/"),
    **{n: ImageSet(n, (1, 28, 28), 10, f"the four IDX files of {n}") for n in _IDX},
}  # fmt: skip


def check_files(image_set: ImageSet, data_dir: Path, md5: bool) -> None:
    """Refuse a missing file, or one whose MD5 is not the set's, naming it and what to do.

    Raises:
        DataUnavailableError: one line, naming the file.
    """
    folder = image_set.folder(data_dir)
    if image_set.name in _IDX:  # gzipped files are unpacked by resolve_root
        resolve_root(data_dir, image_set.cls, download=False)
        return
    archive = data_dir / getattr(image_set.cls, "filename", "")
    if image_set.name.startswith("CIFAR") and not folder.exists() and archive.is_file():
        unpack(archive, folder, image_set.cls.tgz_md5 if md5 else None)
    for name, digest in image_set.files():
        path = folder / name
        if not path.is_file():
            raise DataUnavailableError(
                f"{image_set.name}: {path} is missing; put {image_set.source} (unpacked) in {folder}/, "
                f"or set DATA_DIR to the folder that holds {folder.name}/ (nothing is downloaded)"
            )
        if md5 and digest and not check_md5(str(path), digest):
            raise DataUnavailableError(
                f"{image_set.name}: {path} is corrupt (its MD5 is not torchvision's); fetch "
                f"{image_set.source} again, or set check_md5: false for files of your own in this format"
            )


def unpack(archive: Path, folder: Path, digest: str | None) -> None:
    """Unpack a CIFAR tarball found in the data folder into ``folder``, whole or not at all."""
    if digest and not check_md5(str(archive), digest):
        raise DataUnavailableError(f"{archive} is corrupt (its MD5 is not torchvision's): fetch it again")
    staging = folder.with_name(f"{folder.name}.{os.getpid()}.part")
    try:
        extract_archive(str(archive), str(staging))
        (staging / folder.name).replace(folder)  # atomic: a later run finds every file or none
    except (OSError, tarfile.TarError) as err:
        raise DataUnavailableError(
            f"{archive} cannot be unpacked ({err}): unpack it in {folder.parent}/"
        ) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def read_split(image_set: ImageSet, data_dir: Path, train: bool) -> Split:
    """One official split by torchvision's reader (its MD5 check left to ``check_files``).

    Returns:
        images ``(N, C, H, W)`` uint8; labels ``(N,)`` int64.
    """
    folder = image_set.folder(data_dir)
    try:
        if image_set.name in _IDX:
            ds = image_set.cls(str(resolve_root(data_dir, image_set.cls, False)), train=train)
            return ds.data.unsqueeze(1), ds.targets.long()
        if image_set.name == "SVHN":
            ds = _no_md5(image_set.cls)(str(folder), split="train" if train else "test")
            return torch.from_numpy(ds.data).contiguous(), torch.from_numpy(ds.labels).long()
        ds = _no_md5(image_set.cls)(str(data_dir), train=train)
        images = torch.from_numpy(np.ascontiguousarray(ds.data.transpose(0, 3, 1, 2)))
        return images, torch.tensor(ds.targets, dtype=torch.long)
    except DataUnavailableError:
        raise
    except Exception as err:  # pickle, scipy and numpy each raise their own kinds on a bad file
        reason = (str(err).splitlines() or [""])[0]
        raise DataUnavailableError(
            f"{image_set.name}: torchvision cannot read the files in {folder}/ "
            f"({type(err).__name__}: {reason}); fetch {image_set.source} again"
        ) from None


def _no_md5(cls: type) -> type:
    """``cls`` with its MD5s left out: files present are read (``check_files`` checked them)."""
    if cls.__name__ == "SVHN":
        return type(
            cls.__name__, (cls,), {"split_list": {k: [u, f, None] for k, (u, f, _) in cls.split_list.items()}}
        )
    plain = {
        "train_list": [[n, None] for n, _ in cls.train_list],
        "test_list": [[n, None] for n, _ in cls.test_list],
    }
    return type(cls.__name__, (cls,), {**plain, "meta": {**cls.meta, "md5": None}})


class ImageSetDataModule(PixelDataModule):
    """A torchvision image set (CIFAR-10 by default) read from its files, held in memory, batched by indexing.

    The official training images are split into train and validation by a seeded
    permutation; the official test images are the test set.

    Args:
        dataset: the torchvision class; its files lie under ``data_dir`` as torchvision
            lays them out (``cifar-10-batches-py/``, ``cifar-100-python/``, ``SVHN/``, ``MNIST/raw/``).
        data_dir: folder holding them (None: the CLI's ``--data_dir``, make's ``DATA_DIR``).
        mean: per-channel means of pixels in [0, 1]; None: computed from the training split.
        std: per-channel standard deviations; None: computed from the training split.
        normalize: scale to zero mean and unit variance (else keep pixels in [0, 1]).
        val_size: training images held out for validation.
        augment: ``crop`` (random crop after padding), ``crop_flip`` (and a horizontal flip),
            ``affine`` (rotate and shift), or ``none``, on each training batch.
        padding: pixels of padding before a random crop.
        check_md5: check each file against torchvision's MD5 first (off for files of your own).
        batch_size: images per batch.
        seed: seed of the split (and of cross-validation folds).
        device_data: keep the images on the accelerator (``auto``: when they fit; see
            ``TensorDataModule``).

    Shape:
        images ``(B, C, H, W)`` (``(B, 3, 32, 32)`` for CIFAR and SVHN); labels ``(B,)``.
    """

    def __init__(
        self,
        dataset: ImageSetName = "CIFAR10",
        data_dir: str | None = None,
        mean: list[float] | None = None,
        std: list[float] | None = None,
        normalize: bool = True,
        val_size: int = 5000,
        augment: Augment = "none",
        padding: int = 4,
        check_md5: bool = True,
        batch_size: int = 512,
        seed: int = 42,
        device_data: DeviceData = "auto",
    ) -> None:
        image_set = SETS[dataset]
        shape, classes = image_set.shape, image_set.classes
        super().__init__(
            shape, classes, mean, std, normalize, augment, padding, batch_size, seed, device_data
        )
        if val_size < 1:
            raise ConfigError(f"val_size must be positive, got {val_size}")
        self.save_hyperparameters(logger=False)
        self.image_set, self.data_dir = image_set, Path(data_dir or DEFAULT_DATA_DIR)

    @classmethod
    def tiny(cls, init_args: dict[str, Any], folder: Path) -> dict[str, Any]:
        """Tiny files in the set's real format in ``folder``: 96 training and 32 test images."""
        image_set = SETS[init_args.get("dataset", "CIFAR10")]
        if image_set.name in _IDX:
            write_tiny(folder, image_set.cls)
        elif image_set.name == "SVHN":
            write_svhn(image_set.folder(folder))
        else:
            write_cifar(folder, image_set.cls)
        return {"val_size": 32, "batch_size": 32, "check_md5": False}

    def prepare_data(self) -> None:
        check_files(self.image_set, self.data_dir, self.hparams.check_md5)

    def load_pixels(self) -> dict[str, Split]:
        check_files(self.image_set, self.data_dir, md5=False)  # present (prepare_data checked the MD5s)
        (images, labels), test = (read_split(self.image_set, self.data_dir, train) for train in (True, False))
        if self.hparams.val_size >= len(images):
            raise ConfigError(f"val_size {self.hparams.val_size} leaves no training images of {len(images)}")
        order = torch.randperm(len(images), generator=torch.Generator().manual_seed(self.hparams.seed))
        train, val = order[self.hparams.val_size :], order[: self.hparams.val_size]
        return {"train": (images[train], labels[train]), "val": (images[val], labels[val]), "test": test}
