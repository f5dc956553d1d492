"""Reading an image folder: its file list and splits, decoding (torchvision.io), and the uint8 cache."""

import hashlib
import os
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import torch
from lightning.pytorch.utilities import rank_zero_info
from torchvision.io import ImageReadMode, decode_image
from torchvision.transforms.v2.functional import resize

from litzoo.errors import ConfigError, DataUnavailableError

SUFFIXES = (".png", ".jpg", ".jpeg")
SPLITS = ("train", "val", "test")
CACHE_FOLDER = ".litzoo-cache"


@dataclass(frozen=True)
class Listing:
    """Every image of a folder, in a fixed order: its file, label, and split folder ('' when none)."""

    files: list[Path]
    labels: list[int]
    tags: list[str]
    classes: list[str]

    def cut(self, val_fraction: float, test_fraction: float, seed: int) -> dict[str, torch.Tensor]:
        """Indices of ``train``, ``val`` and ``test``: the split folders, the rest cut from train, stratified.

        Raises:
            ConfigError: a split would be empty.
        """
        tags, labels = self.tags, torch.tensor(self.labels)
        pool = torch.tensor([i for i, t in enumerate(tags) if t in ("", "train")])
        wanted = {s: f for s, f in (("val", val_fraction), ("test", test_fraction)) if s not in tags}
        parts = stratified(pool, labels[pool], list(wanted.values()), seed)
        found = {s: torch.tensor([i for i, t in enumerate(tags) if t == s]) for s in SPLITS if s in tags}
        splits = {**found, **dict(zip(wanted, parts, strict=False)), "train": parts[-1]}
        for name in SPLITS:
            if len(splits[name]) == 0:
                raise ConfigError(
                    f"the image folder gives no {name} images ({len(pool)} to cut from): add a {name}/ "
                    f"folder or raise {name}_fraction" + (" or add images" if name == "train" else "")
                )
        return {name: splits[name] for name in SPLITS}


def stratified(
    indices: torch.Tensor, labels: torch.Tensor, fractions: list[float], seed: int
) -> list[torch.Tensor]:
    """``indices`` cut into one part per fraction, then the rest, each class shared out alike.

    Returns:
        ``len(fractions) + 1`` index tensors, in a seeded random order.
    """
    g = torch.Generator().manual_seed(seed)
    parts: list[list[torch.Tensor]] = [[] for _ in range(len(fractions) + 1)]
    for label in labels.unique():
        members = indices[labels == label]
        members = members[torch.randperm(len(members), generator=g)]
        sizes = [round(f * len(members)) for f in fractions]
        for part, chunk in zip(parts, members.split([*sizes, len(members) - sum(sizes)]), strict=True):
            part.append(chunk)
    return [torch.cat(chunks)[torch.randperm(sum(map(len, chunks)), generator=g)] for chunks in parts]


def scan(root: Path) -> Listing:
    """The images under ``root``, as ``[train|val|test/]<class>/**/*.png|jpg|jpeg`` lays them out.

    Raises:
        DataUnavailableError: ``root`` is missing, or holds no usable class folders.
    """
    if not root.is_dir():
        raise DataUnavailableError(
            f"image folder {root} does not exist: put one folder of images per class there "
            "(<root>/<class>/*.png|jpg), or set DATA_DIR / root to where they are"
        )
    subfolders = _folders(root)
    if "train" not in subfolders:
        return _listing({"": root}, root)
    others = sorted(set(subfolders) - set(SPLITS))
    if others:
        raise ConfigError(
            f"{root} has train/ and also {', '.join(others)}/: put every class folder under train/ val/ test/"
        )
    return _listing({s: root / s for s in SPLITS if s in subfolders}, root)


def _folders(path: Path) -> list[str]:
    return sorted(p.name for p in path.iterdir() if p.is_dir() and not p.name.startswith("."))


def _listing(splits: dict[str, Path], root: Path) -> Listing:
    classes = _folders(next(iter(splits.values())))
    if len(classes) < 2:
        raise DataUnavailableError(
            f"{next(iter(splits.values()))} needs two or more class folders, found {classes}"
        )
    files, labels, tags = [], [], []
    for tag, folder in splits.items():
        for name in _folders(folder):
            if name not in classes:
                raise ConfigError(f"{folder / name} is a class that train/ does not have: {classes}")
            found = _images_under(folder / name)
            if not found:
                raise DataUnavailableError(
                    f"class folder {folder / name} holds no {'/'.join(SUFFIXES)} images"
                )
            files += found
            labels += [classes.index(name)] * len(found)
            tags += [tag] * len(found)
    return Listing(files, labels, tags, classes)


def _images_under(folder: Path) -> list[Path]:
    """Image files at any depth under ``folder``, sorted, hidden ones left out (os.walk: no stat per file)."""
    found = []
    for top, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found += [Path(top, f) for f in files if f.lower().endswith(SUFFIXES) and not f.startswith(".")]
    return sorted(found)


def decode(path: Path, channels: int) -> torch.Tensor:
    """One image file as ``(channels, H, W)`` uint8, upright as its EXIF says.

    Raises:
        DataUnavailableError: the file is not an image torchvision can decode (one line naming it).
    """
    mode = ImageReadMode.RGB if channels == 3 else ImageReadMode.GRAY
    try:
        with quiet_torchvision_io():
            return decode_image(str(path), mode=mode, apply_exif_orientation=True)
    except (RuntimeError, ValueError, OSError) as err:
        reason = (str(err).splitlines() or [type(err).__name__])[0]
        raise DataUnavailableError(
            f"{path} cannot be decoded as an image ({reason}): replace or delete it"
        ) from None


@contextmanager
def quiet_torchvision_io() -> Iterator[None]:
    """Silence torchvision 0.29's notice that torchcodec will take over image decoding (once per image)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "The image decoding and encoding", DeprecationWarning)
        yield


def load_images(
    root: Path, listing: Listing, shape: tuple[int, ...], size: tuple[int, int] | None, cache: bool
) -> torch.Tensor:
    """Every listed image as one ``(N, *shape)`` uint8 tensor, from the cache while no file has changed.

    Args:
        root: the image folder (the cache lives in it, else under ``~/.cache/litzoo``).
        listing: the files, in order.
        shape: ``(C, H, W)`` of every image.
        size: resize every image to it; None: refuse an image not shaped ``shape``.
        cache: read and write the cache.
    """
    key = listing_key(root, listing, shape, size)
    path = _cache_path(root, shape)
    if cache and path.is_file():
        cached = torch.load(path, weights_only=True)
        if cached.get("key") == key:
            return cached["images"]
    start = time.perf_counter()
    images = torch.stack([fit_size(decode(f, shape[0]), f, shape, size) for f in listing.files])
    note = f"decoded {len(images)} images in {time.perf_counter() - start:.1f} s"
    if cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.part")  # ranks may write at once: each its own
        torch.save({"key": key, "images": images}, tmp)
        tmp.replace(path)  # atomic: a cache is whole or absent
        note += f", cached in {path}"
    rank_zero_info(note)
    return images


def fit_size(
    image: torch.Tensor, path: Path, shape: tuple[int, ...], size: tuple[int, int] | None
) -> torch.Tensor:
    """``image`` as ``shape``: resized to ``size``, or refused when no size is set (one line naming it)."""
    if tuple(image.shape) == tuple(shape):
        return image
    if size is None:
        raise ConfigError(
            f"{path} is {image.shape[1]}x{image.shape[2]}, the first image {shape[1]}x{shape[2]}: "
            "set size: [height, width] to resize every image"
        )
    return resize(image, list(size), antialias=True)


def listing_key(root: Path, listing: Listing, shape: tuple[int, ...], size: tuple[int, int] | None) -> str:
    """A digest of every file's path, size and modification time, and of the shape (an edit changes it)."""
    digest = hashlib.sha256(f"{shape} {size}\n".encode())
    skip = len(str(root)) + 1  # paths relative to the folder: a moved folder keeps its cache
    for file in map(str, listing.files):
        stat = os.stat(file)
        digest.update(f"{file[skip:]}\t{stat.st_size}\t{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _cache_path(root: Path, shape: tuple[int, ...]) -> Path:
    return cache_folder(root) / f"pixels-{'x'.join(map(str, shape))}.pt"


def cache_folder(root: Path) -> Path:
    """``<root>/.litzoo-cache``, or a folder under ``~/.cache/litzoo`` when ``root`` is read-only."""
    if os.access(root, os.W_OK):
        return root / CACHE_FOLDER
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    slug = str(root.resolve()).strip("/").replace("/", "_")
    return base / "litzoo" / "folders" / slug
