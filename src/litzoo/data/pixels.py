"""Images decoded to uint8: per-channel statistics, scaling to floats, and batch augmentation."""

from typing import Any, Literal

import torch
from lightning.pytorch.utilities import rank_zero_info

from litzoo.data.augment import random_affine, random_crop_flip
from litzoo.data.base import TensorDataModule
from litzoo.data.batches import Split
from litzoo.data.device import DeviceData
from litzoo.errors import ConfigError

# none; random crop after padding (digits, house numbers); crop and horizontal flip (photos);
# rotation and shift (grey digits).
Augment = Literal["none", "crop", "crop_flip", "affine"]


def channel_stats(images: torch.Tensor) -> tuple[list[float], list[float]]:
    """Mean and standard deviation of each channel, of pixels scaled to [0, 1].

    Args:
        images: ``(N, C, H, W)`` uint8.

    Returns:
        ``C`` means and ``C`` standard deviations.
    """
    std, mean = [], []
    for channel in images.unbind(1):  # one channel at a time: a float copy of one, not of all
        s, m = torch.std_mean(channel.float().div_(255))
        std.append(round(s.item(), 4))
        mean.append(round(m.item(), 4))
    return mean, std


class PixelDataModule(TensorDataModule):
    """Base of image data modules whose files decode to uint8 ``(N, C, H, W)`` pixels.

    A subclass implements ``load_pixels`` (the three splits as uint8 images and int64
    labels); this base scales them to floats, normalised by per-channel statistics that are
    given or else computed from the training split, and augments training batches after
    they reach the device.

    Args:
        input_shape: ``(C, H, W)`` of one image.
        num_classes: number of labels.
        mean: per-channel means of pixels in [0, 1] (one value, or one per channel); None:
            computed from the training split.
        std: per-channel standard deviations, as ``mean``.
        normalize: scale to zero mean and unit variance (else keep pixels in [0, 1]).
        augment: what to do to each training batch (see ``Augment``).
        padding: pixels of padding before a random crop.
        batch_size: images per batch.
        seed: seed of the split (and of cross-validation folds).
        device_data: keep the images on the accelerator (``auto``: when they fit; see
            ``TensorDataModule``).
    """

    task = "classification"

    def __init__(
        self,
        input_shape: tuple[int, int, int],
        num_classes: int,
        mean: list[float] | None,
        std: list[float] | None,
        normalize: bool,
        augment: Augment,
        padding: int,
        batch_size: int,
        seed: int,
        device_data: DeviceData = "auto",
    ) -> None:
        super().__init__(batch_size, seed, device_data)
        channels = input_shape[0]
        for name, value in (("mean", mean), ("std", std)):
            if value is not None and len(value) not in (1, channels):
                raise ConfigError(f"{name} needs 1 or {channels} values (one per channel), got {value}")
        if std is not None and min(std) <= 0:
            raise ConfigError(f"std must be positive, got {std}")
        if padding < 0:
            raise ConfigError(f"padding must be zero or more pixels, got {padding}")
        self.input_shape, self.num_outputs = tuple(input_shape), num_classes
        self._given = (mean, std)
        self._augment, self._padding, self._normalize = augment, padding, normalize
        # The statistics the pixels were scaled by (given, or computed in setup), each (1, C, 1, 1).
        self.mean = self.std = torch.zeros(0)
        self.stats: dict[str, list[float]] = {}

    def load_pixels(self) -> dict[str, Split]:
        """``train``, ``val`` and ``test``: images ``(N, C, H, W)`` uint8, labels ``(N,)`` int64."""
        raise NotImplementedError(f"{type(self).__name__} must implement load_pixels()")

    def load(self) -> dict[str, Split]:
        splits = self.load_pixels()
        mean, std = self._given
        if mean is None or std is None:
            computed = channel_stats(splits["train"][0])
            mean, std = mean or computed[0], std or computed[1]
            rank_zero_info(
                f"{type(self).__name__}: training split's mean {mean}, std {std} (fix them with mean, std)"
            )
        self.use_stats(mean, std)
        return {name: (self._scale(images), labels) for name, (images, labels) in splits.items()}

    def use_stats(self, mean: list[float], std: list[float]) -> None:
        """Scale by these statistics (one value or one per channel) from now on, and save them."""
        channels = self.input_shape[0]
        mean, std = (list(v) * (channels // len(v)) for v in (mean, std))  # one value: every channel's
        self.stats = {"mean": mean, "std": std}
        self.mean, self.std = (torch.tensor(v).reshape(1, -1, 1, 1) for v in (mean, std))

    def state_dict(self) -> dict[str, list[float]]:
        """The statistics the pixels were scaled by, saved in each checkpoint (to scale new images alike)."""
        return dict(self.stats)

    def load_state_dict(self, state_dict: dict[str, list[float]]) -> None:
        """Take back a checkpoint's statistics, to scale new images (serving, predicting) alike."""
        channels = self.input_shape[0]
        self.mean, self.std = (
            torch.tensor(state_dict[key]).expand(channels).reshape(1, -1, 1, 1) for key in ("mean", "std")
        )

    def encode_images(self, images: list[Any]) -> torch.Tensor:
        """PIL images as this data's inputs, converted, resized and scaled as in training.

        Shape: ``(N, *input_shape)``.
        """
        from PIL import Image
        from torchvision.transforms.functional import pil_to_tensor

        channels, height, width = self.input_shape
        if not self.mean.numel():  # no checkpoint statistics: the given ones
            self.load_state_dict(dict(zip(("mean", "std"), self._given, strict=True)))
        mode = "L" if channels == 1 else "RGB"
        resized = [image.convert(mode).resize((width, height), Image.Resampling.BILINEAR) for image in images]
        return self._scale(torch.stack([pil_to_tensor(image) for image in resized]))

    def _scale(self, images: torch.Tensor) -> torch.Tensor:
        floats = images.float().div_(255)
        if not self._normalize:
            return floats
        return floats.sub_(self.mean.to(floats.device)).div_(self.std.to(floats.device))

    def on_after_batch_transfer(self, batch: Split, dataloader_idx: int) -> Split:
        images, labels = batch
        if images.dtype == torch.uint8:  # streamed batches stay uint8 until they reach the device
            batch = images, labels = self._scale(images), labels
        if self._augment == "none" or self.trainer is None or not self.trainer.training:
            return batch
        # Padding and uncovered pixels are black, whatever the normalisation made of black.
        black = (-self.mean / self.std).to(images) if self._normalize else 0.0
        if self._augment == "affine":
            return random_affine(images, max_degrees=10, max_shift=2, background=black), labels
        return random_crop_flip(images, self._padding, self._augment == "crop_flip", black), labels
