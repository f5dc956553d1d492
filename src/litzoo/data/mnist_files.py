"""Finding the MNIST files: extracted, gzipped (possibly read-only), or downloaded."""

import gzip
import os
import shutil
import socket
from pathlib import Path

from torchvision.datasets import MNIST

from litzoo.errors import DataUnavailableError

FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
DOWNLOAD_TIMEOUT_S = 10.0


def _raw(root: Path) -> Path:
    return root / "MNIST" / "raw"


def _has(root: Path, suffix: str = "") -> bool:
    return all((_raw(root) / f"{name}{suffix}").is_file() for name in FILES)


def _cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "litzoo"


def _extract(src_root: Path, dst_root: Path) -> Path:
    """Decompress the four ``.gz`` files; write each atomically so none is half-written."""
    _raw(dst_root).mkdir(parents=True, exist_ok=True)
    for name in FILES:
        target = _raw(dst_root) / name
        if target.is_file():
            continue
        tmp = target.with_suffix(".part")
        with gzip.open(_raw(src_root) / f"{name}.gz") as src, open(tmp, "wb") as dst:
            shutil.copyfileobj(src, dst)
        tmp.replace(target)
    return dst_root


def _download(root: Path) -> None:
    """Download with torchvision; on failure remove what was created and explain."""
    created = _first_missing(_raw(root))
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_S)  # fail in seconds, never hang, when offline
    try:
        MNIST(str(root), train=True, download=True)
    except Exception as err:  # torchvision raises RuntimeError, URLError or OSError
        if created is not None:  # leave nothing half-written behind
            shutil.rmtree(created, ignore_errors=True)
        raise DataUnavailableError(_missing_message(root, err)) from None
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


def _missing_message(root: Path, err: Exception) -> str:
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    reason = lines[-1] if lines else type(err).__name__
    return (
        f"MNIST is not in DATA_DIR={root} and could not be downloaded ({reason}).\n"
        f"Put these four files, or their .gz, in {_raw(root)}/:\n  "
        + "\n  ".join(FILES)
        + "\nor set DATA_DIR to a folder whose MNIST/raw/ holds them (make train DATA_DIR=...)."
    )


def resolve_mnist_root(root: Path, download: bool) -> Path:
    """Return a root under which torchvision's ``MNIST(download=False)`` finds the files.

    Raises:
        DataUnavailableError: the files are absent and ``download`` is off or failed.
    """
    if _has(root):
        return root
    if _has(root, ".gz"):
        writable = os.access(_raw(root), os.W_OK)
        return _extract(root, root if writable else _cache_root() / "mnist" / _slug(root))
    if not download:
        raise DataUnavailableError(_missing_message(root, FileNotFoundError("download=false")))
    _download(root)
    return root


def _slug(root: Path) -> str:
    """A cache folder name unique to one read-only source folder."""
    return str(root.resolve()).strip("/").replace("/", "_") or "root"
