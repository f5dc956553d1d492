"""Finding a torchvision IDX data set's files: extracted, gzipped (possibly read-only), or downloaded.

MNIST, FashionMNIST and KMNIST share torchvision's ``MNIST`` class and file layout:
``<root>/<ClassName>/raw/`` holding four IDX files (train/test images and labels).
"""

import gzip
import math
import os
import shutil
import socket
import struct
import zlib
from pathlib import Path

import torch
from torchvision.datasets import MNIST

from litzoo.errors import DataFileError, DataUnavailableError

DOWNLOAD_TIMEOUT_S = 10.0


def file_names(dataset: type[MNIST]) -> list[str]:
    """The four IDX file names of a torchvision MNIST-style class, without ``.gz``."""
    return [url.rsplit("/", 1)[-1].removesuffix(".gz") for url, _ in dataset.resources]


def raw_folder(root: Path, dataset: type[MNIST]) -> Path:
    return root / dataset.__name__ / "raw"


def _has(root: Path, dataset: type[MNIST], suffix: str = "") -> bool:
    return all((raw_folder(root, dataset) / f"{name}{suffix}").is_file() for name in file_names(dataset))


def _stale(root: Path, dataset: type[MNIST]) -> bool:
    """Some unpacked file is older than its ``.gz`` (the ``.gz`` was repaired or replaced)."""
    raw = raw_folder(root, dataset)
    packed = [(raw / name, raw / f"{name}.gz") for name in file_names(dataset)]
    return any(gz.is_file() and gz.stat().st_mtime > file.stat().st_mtime for file, gz in packed)


def _cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "litzoo"


def _extract(src_root: Path, dst_root: Path, dataset: type[MNIST]) -> Path:
    """Decompress the four ``.gz`` files; write each atomically so none is half-written.

    A ``.gz`` newer than its unpacked copy (a repaired or replaced file) is unpacked again.

    Raises:
        DataFileError: a ``.gz`` is truncated or not gzip; nothing of it is left unpacked.
    """
    dst = raw_folder(dst_root, dataset)
    dst.mkdir(parents=True, exist_ok=True)
    for name in file_names(dataset):
        target, packed = dst / name, raw_folder(src_root, dataset) / f"{name}.gz"
        if target.is_file() and target.stat().st_mtime >= packed.stat().st_mtime:
            continue
        tmp = target.with_suffix(".part")
        try:
            with gzip.open(packed) as src, open(tmp, "wb") as out:
                shutil.copyfileobj(src, out)
        except BaseException as err:
            tmp.unlink(missing_ok=True)  # no half-unpacked file left in raw/
            if isinstance(err, EOFError | gzip.BadGzipFile | zlib.error):
                raise DataFileError(f"{packed} is damaged ({_gzip_reason(err)}): {_AGAIN}") from None
            raise
        tmp.replace(target)
    return dst_root


_AGAIN = "download it again, or delete it to let litzoo download it"


def _gzip_reason(err: Exception) -> str:
    return "truncated .gz" if isinstance(err, EOFError) else f"not a gzip file: {err}"


def check_files(root: Path, dataset: type[MNIST]) -> None:
    """Check that the four IDX files are what their names say, before torchvision reads them.

    Raises:
        DataFileError: a file is truncated, not an IDX file of its kind (3-d uint8 images,
            1-d uint8 labels), or its images and labels differ in number.
    """
    raw = raw_folder(root, dataset)
    names = file_names(dataset)  # train images, train labels, test images, test labels
    for images_name, labels_name in (names[:2], names[2:]):
        n_images = _idx_length(raw / images_name, 3, "image")
        n_labels = _idx_length(raw / labels_name, 1, "label")
        if n_images != n_labels:
            raise DataFileError(
                f"{raw / images_name} holds {n_images} images but {raw / labels_name} holds {n_labels} "
                "labels: the two files come from different sets; put the matching pair there"
            )


def _idx_length(path: Path, dims: int, kind: str) -> int:
    """The number of items in one uint8 IDX file of ``dims`` dimensions, checked against its size."""
    size = path.stat().st_size
    with open(path, "rb") as file:
        head = file.read(4 + 4 * dims)
    if len(head) < 4 or head[:3] != b"\x00\x00\x08" or head[3] != dims:
        found = f"a {head[3]}-d IDX file" if len(head) >= 4 and head[:3] == b"\x00\x00\x08" else "not IDX"
        raise DataFileError(f"{path} is not an IDX {kind} file ({found}): {_AGAIN}")
    shape = struct.unpack(f">{dims}I", head[4:]) if len(head) == 4 + 4 * dims else (0,)
    expected = len(head) + math.prod(shape)
    if len(head) < 4 + 4 * dims or size < expected:
        raise DataFileError(f"{path} is truncated ({size} of {expected} bytes): {_AGAIN}")
    return shape[0]


def _download(root: Path, dataset: type[MNIST]) -> None:
    """Download with torchvision; on failure remove what was created and explain."""
    created = _first_missing(raw_folder(root, dataset))
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_S)  # fail in seconds, never hang, when offline
    try:
        dataset(str(root), train=True, download=True)
    except Exception as err:  # torchvision raises RuntimeError, URLError or OSError
        if created is not None:  # leave nothing half-written behind
            shutil.rmtree(created, ignore_errors=True)
        raise DataUnavailableError(_missing_message(root, dataset, err)) from None
    finally:
        socket.setdefaulttimeout(previous)


def _first_missing(path: Path) -> Path | None:
    """The outermost folder of ``path`` that does not exist yet, if any."""
    missing = None
    for folder in (path, *path.parents):
        if folder.exists():
            break
        missing = folder
    return missing


def _missing_message(root: Path, dataset: type[MNIST], err: Exception) -> str:
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    reason = lines[-1] if lines else type(err).__name__
    return (
        f"{dataset.__name__} is not in DATA_DIR={root} and could not be downloaded ({reason}).\n"
        f"Put these four files, or their .gz, in {raw_folder(root, dataset)}/:\n  "
        + "\n  ".join(file_names(dataset))
        + f"\nor set DATA_DIR to a folder whose {dataset.__name__}/raw/ holds them (make train DATA_DIR=...)."
    )


def resolve_root(root: Path, dataset: type[MNIST], download: bool) -> Path:
    """Return a root under which ``dataset(root, download=False)`` finds the files.

    Raises:
        DataUnavailableError: the files are absent and ``download`` is off or failed.
        DataFileError: a file is damaged, of the wrong kind, or its pair does not match.
    """
    if _has(root, dataset) and not _stale(root, dataset):
        found = root
    elif _has(root, dataset, ".gz"):  # unpacked here or in the cache; again when a .gz is newer
        writable = os.access(raw_folder(root, dataset), os.W_OK)
        cache = _cache_root() / dataset.__name__.lower() / _slug(root)
        found = _extract(root, root if writable else cache, dataset)
    elif not download:
        raise DataUnavailableError(_missing_message(root, dataset, FileNotFoundError("download=false")))
    else:
        _download(root, dataset)
        found = root
    check_files(found, dataset)
    return found


def _slug(root: Path) -> str:
    """A cache folder name unique to one read-only source folder."""
    return str(root.resolve()).strip("/").replace("/", "_") or "root"


def write_idx(path: Path, array: torch.Tensor, compress: bool = False) -> Path:
    """Write a uint8 tensor in the IDX format MNIST uses (big-endian header); ``.gz`` when ``compress``.

    Returns:
        The file written.
    """
    header = struct.pack(">HBB", 0, 0x08, array.dim()) + struct.pack(f">{array.dim()}I", *array.shape)
    payload = header + array.to(torch.uint8).numpy().tobytes()
    if compress:
        path = path.with_name(path.name + ".gz")
        payload = gzip.compress(payload)
    path.write_bytes(payload)
    return path


def write_tiny(root: Path, dataset: type[MNIST], n_train: int = 96, n_test: int = 32) -> Path:
    """``root/<dataset>/raw`` with tiny random images whose labels are learnable from the pixels.

    Real IDX files, as torchvision reads them: what the generic tests train on.
    """
    raw = raw_folder(root, dataset)
    raw.mkdir(parents=True, exist_ok=True)
    g = torch.Generator().manual_seed(0)
    names = file_names(dataset)  # train images, train labels, test images, test labels
    for (images_name, labels_name), n in zip((names[:2], names[2:]), (n_train, n_test), strict=True):
        labels = torch.randint(0, 10, (n,), generator=g)
        images = torch.randint(0, 60, (n, 28, 28), generator=g)
        images[torch.arange(n), labels * 2 + 4, 4:24] = 255  # a bright row that encodes the label
        write_idx(raw / images_name, images)
        write_idx(raw / labels_name, labels)
    return root
