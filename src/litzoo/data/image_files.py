"""Tiny image files in real formats (CIFAR's pickled batches, SVHN's .mat, PNG/JPEG folders), for tests.

Every image carries its label as a bright mark whose place depends on the label, so a net
can learn the labels from the pixels.
"""

import pickle
from pathlib import Path

import numpy as np
import torch
from torchvision.datasets import CIFAR10
from torchvision.io import encode_jpeg, write_png


def marked_images(
    n: int, classes: int, shape: tuple[int, int, int], seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Dim noise with a bright 2x2 square placed by the label (row by ``label // 8``, column by the rest).

    Returns:
        images ``(n, C, H, W)`` uint8; labels ``(n,)`` int64, every class present when ``n >= classes``.
    """
    g = torch.Generator().manual_seed(seed)
    labels = torch.randperm(n, generator=g) % classes
    images = torch.randint(0, 60, (n, *shape), generator=g, dtype=torch.uint8)
    _, h, w = shape
    rows, cols = (labels // 8 * 3) % (h - 1), (labels % 8 * 3) % (w - 1)
    for dy in (0, 1):
        for dx in (0, 1):
            images[torch.arange(n), :, rows + dy, cols + dx] = 255
    return images, labels


def write_cifar(root: Path, dataset: type[CIFAR10], n_train: int = 96, n_test: int = 32) -> Path:
    """``root/<base_folder>``: pickled batches and meta, as CIFAR-10's or CIFAR-100's tarball has them."""
    folder = root / dataset.base_folder
    folder.mkdir(parents=True, exist_ok=True)
    classes = 100 if dataset.meta["key"] == "fine_label_names" else 10
    label_key = "fine_labels" if classes == 100 else "labels"
    names = [name for name, _ in dataset.train_list]
    per_file = -(-n_train // len(names))
    images, labels = marked_images(per_file * len(names) + n_test, classes, (3, 32, 32))
    for i, name in enumerate([*names, dataset.test_list[0][0]]):
        part = slice(i * per_file, (i + 1) * per_file) if i < len(names) else slice(-n_test, None)
        batch = {
            "data": images[part].reshape(len(images[part]), -1).numpy(),
            label_key: labels[part].tolist(),
        }
        if classes == 100:
            batch["coarse_labels"] = (labels[part] // 5).tolist()
        (folder / name).write_bytes(pickle.dumps({"batch_label": name, **batch}, protocol=2))
    meta = {dataset.meta["key"]: [f"class_{i}" for i in range(classes)]}
    (folder / dataset.meta["filename"]).write_bytes(pickle.dumps(meta, protocol=2))
    return folder


def write_svhn(folder: Path, n_train: int = 96, n_test: int = 32) -> Path:
    """``folder/train_32x32.mat`` and ``test_32x32.mat``: ``X`` (32, 32, 3, N) uint8, ``y`` (N, 1) 1..10."""
    from scipy.io import savemat  # SVHN's own reader (torchvision) needs scipy too

    folder.mkdir(parents=True, exist_ok=True)
    for name, n, seed in (("train", n_train, 0), ("test", n_test, 1)):
        images, labels = marked_images(n, 10, (3, 32, 32), seed)
        y = np.where(labels.numpy() == 0, 10, labels.numpy())[:, None]  # SVHN writes digit 0 as 10
        savemat(folder / f"{name}_32x32.mat", {"X": images.permute(2, 3, 1, 0).numpy(), "y": y})
    return folder


def write_folder(
    root: Path, splits: dict[str, int], classes: int = 3, channels: int = 3, size: int = 16
) -> Path:
    """``root/[<split>/]<class>/<i>.png|jpg``: PNGs, and every third image a JPEG.

    Args:
        root: the image folder.
        splits: images per split folder (``train``, ``val``, ``test``); ``{"": n}`` for no split folders.
        classes: class folders.
        channels: 1 (grey) or 3 (RGB).
        size: height and width.
    """
    from litzoo.data.folder_files import quiet_torchvision_io

    for seed, (split, n) in enumerate(splits.items()):
        images, labels = marked_images(n, classes, (channels, size, size), seed)
        for i, (image, label) in enumerate(zip(images, labels.tolist(), strict=True)):
            folder = root / split / f"class_{label}"
            folder.mkdir(parents=True, exist_ok=True)
            with quiet_torchvision_io():
                if i % 3 == 2:
                    (folder / f"{i}.jpg").write_bytes(encode_jpeg(image, quality=95).numpy().tobytes())
                else:
                    write_png(image, str(folder / f"{i}.png"))
    return root
