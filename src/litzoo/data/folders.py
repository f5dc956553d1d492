"""A folder of one's own images, ``<root>/[train|val|test/]<class>/*.png|jpg``, decoded once and cached.

In memory by default; with ``stream`` written once as LitData chunks and streamed (larger than memory).
"""

from pathlib import Path
from typing import Any, Literal

import torch

from litzoo.data.base import DEFAULT_DATA_DIR
from litzoo.data.batches import Split
from litzoo.data.device import DeviceData
from litzoo.data.folder_files import Listing, decode, load_images, scan
from litzoo.data.folder_stream import chunk_folder, read_stats, write_folder_chunks
from litzoo.data.image_files import write_folder
from litzoo.data.pixels import Augment, PixelDataModule
from litzoo.data.stream import StreamLoaders
from litzoo.errors import ConfigError


class ImageFolderDataModule(StreamLoaders, PixelDataModule):
    """Images in class folders, decoded once (then cached as uint8 beside them), held in memory.

    ``<root>/<class>/*.png|jpg|jpeg``: classes are the folder names, in sorted order. With
    ``train/``, ``val/`` and ``test/`` folders under ``root`` (each holding class folders),
    those are the splits, and a missing ``val`` or ``test`` is cut from ``train``; without
    them, the images are cut into train, validation and test by a seeded split that keeps
    each class's share (stratified).

    With ``stream``, no split is held in memory: ``prepare_data`` decodes each split once into
    LitData chunks (``<root>/.litzoo-cache/stream-<key>/<split>``, reused while no image
    changes), the training statistics come from running sums over the streamed training
    split, and the loaders are ``StreamingDataLoader``s whose uint8 batches are scaled on the
    device (docs/data-images.md, "Streaming").

    Args:
        root: the image folder; relative to ``data_dir`` (None: ``data_dir`` itself).
        data_dir: the data folder (None: the CLI's ``--data_dir``, make's ``DATA_DIR``).
        size: ``[height, width]`` every image is resized to; None: the first image's size,
            and an image of another size is refused.
        channels: 3 (RGB) or 1 (grey): every image is converted to it.
        mean: per-channel means of pixels in [0, 1]; None: computed from the training split.
        std: per-channel standard deviations; None: computed from the training split.
        normalize: scale to zero mean and unit variance (else keep pixels in [0, 1]).
        val_fraction: share of each class held out for validation (when no ``val/`` folder).
        test_fraction: share of each class held out for testing (when no ``test/`` folder).
        augment: ``crop``, ``crop_flip``, ``affine`` or ``none``, on each training batch.
        padding: pixels of padding before a random crop.
        cache: keep the decoded pixels in a file beside the images and reuse them while no
            image file changes (its key: every file's path, size and modification time).
        stream: write the splits as LitData chunks once and stream them (data larger than memory).
        stream_workers: processes that decode images into chunks and read chunks into batches.
        batch_size: images per batch.
        seed: seed of the split (and of cross-validation folds).
        device_data: keep the images on the accelerator (``auto``: when they fit; see
            ``TensorDataModule``).

    Shape:
        images ``(B, channels, *size)``; labels ``(B,)``.
    """

    def __init__(
        self,
        root: str | None = None,
        data_dir: str | None = None,
        size: tuple[int, int] | None = None,
        channels: Literal[1, 3] = 3,
        mean: list[float] | None = None,
        std: list[float] | None = None,
        normalize: bool = True,
        val_fraction: float = 0.1,
        test_fraction: float = 0.1,
        augment: Augment = "none",
        padding: int = 4,
        cache: bool = True,
        stream: bool = False,
        stream_workers: int = 2,
        batch_size: int = 128,
        seed: int = 42,
        device_data: DeviceData = "auto",
    ) -> None:
        if size is not None and (len(size) != 2 or min(size) < 1):
            raise ConfigError(f"size needs a positive [height, width], got {size}")
        if not (0 <= val_fraction < 1 and 0 <= test_fraction < 1 and val_fraction + test_fraction < 1):
            raise ConfigError(
                f"val_fraction {val_fraction} and test_fraction {test_fraction} must be in [0, 1) "
                "and leave images for training"
            )
        if stream_workers < 0:
            raise ConfigError(f"stream_workers must be zero or more processes, got {stream_workers}")
        folder = Path(data_dir or DEFAULT_DATA_DIR) / (root or "")
        self.listing: Listing = scan(folder)
        image_size = tuple(size) if size else tuple(decode(self.listing.files[0], channels).shape[1:])
        classes = len(self.listing.classes)
        shape = (channels, *image_size)
        super().__init__(
            shape, classes, mean, std, normalize, augment, padding, batch_size, seed, device_data
        )
        self.save_hyperparameters(logger=False)
        self.folder, self.resize = folder, size is not None
        self.stream_workers = stream_workers

    @classmethod
    def tiny(cls, init_args: dict[str, Any], folder: Path) -> dict[str, Any]:
        """PNG and JPEG files of three classes in ``folder/images``: 48 images, 16 pixels square."""
        channels = init_args.get("channels", 3)
        write_folder(folder / "images", {"": 48}, classes=3, channels=channels, size=16)
        return {
            "root": "images",
            "size": [16, 16],
            "val_fraction": 0.25,
            "test_fraction": 0.25,
            "batch_size": 16,
        }

    def prepare_data(self) -> None:
        # Once per node, before every rank's setup: the ranks then read the cache, not the images.
        if self.hparams.stream:
            self._write_chunks()
        elif self.hparams.cache:
            self._decoded = self._images()  # this process's setup takes it; other ranks read the cache

    def setup(self, stage: str | None = None) -> None:
        if not self.hparams.stream:
            return super().setup(stage)
        chunks = self._write_chunks()  # found finished when prepare_data wrote it
        computed = read_stats(chunks)
        mean, std = (given or found for given, found in zip(self._given, computed, strict=True))
        self.use_stats(mean, std)
        self.chunks = chunks
        return None

    def _write_chunks(self) -> Path:
        hp, shape = self.hparams, self.input_shape
        size = shape[1:] if self.resize else None
        cut = (hp.val_fraction, hp.test_fraction, hp.seed)
        folder = chunk_folder(self.folder, self.listing, shape, size, cut)
        parts = self.listing.cut(*cut)
        write_folder_chunks(folder, self.listing, parts, shape, size, max(1, self.stream_workers))
        return folder

    def load_pixels(self) -> dict[str, Split]:
        hp = self.hparams
        images = self.__dict__.pop("_decoded", None)
        images = self._images() if images is None else images
        labels = torch.tensor(self.listing.labels, dtype=torch.long)
        parts = self.listing.cut(hp.val_fraction, hp.test_fraction, hp.seed)
        return {name: (images[idx], labels[idx]) for name, idx in parts.items()}

    def _images(self) -> torch.Tensor:
        size = self.input_shape[1:] if self.resize else None
        return load_images(self.folder, self.listing, self.input_shape, size, self.hparams.cache)
