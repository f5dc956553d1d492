"""A full disk, a quota or a file-size limit while a run writes: one line naming the folder.

torch reports a failed checkpoint write as ``RuntimeError: [enforce fail at inline_container.cc]
unexpected pos``; the ``OSError`` that says why (no space, quota, file too large) is only in
its context. These helpers find it and say what a user can act on.
"""

import errno
import shutil
from pathlib import Path

import torch

from litzoo.errors import DiskFullError

FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


def full_cause(err: BaseException | None) -> OSError | None:
    """The "disk full" ``OSError`` behind ``err`` (itself, or in its cause/context chain), if any."""
    seen: set[int] = set()
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        if isinstance(err, OSError) and err.errno in FULL:
            return err
        err = err.__cause__ or err.__context__
    return None


def payload_bytes(obj: object) -> int:
    """About how many bytes ``torch.save(obj)`` writes: the sum of its tensors' sizes."""
    if isinstance(obj, torch.Tensor):
        return obj.nelement() * obj.element_size()
    if isinstance(obj, dict):
        return sum(payload_bytes(v) for v in obj.values())
    if isinstance(obj, list | tuple):
        return sum(payload_bytes(v) for v in obj)
    return 0


def disk_full_error(cause: OSError, folder: Path, writing: str, needed: int | None = None) -> DiskFullError:
    """The one line for a write into ``folder`` that ``cause`` stopped.

    Args:
        cause: the ``OSError`` (ENOSPC, EDQUOT or EFBIG).
        folder: where the file was being written.
        writing: what was being written (a file name).
        needed: bytes the write needed, when known.
    """
    try:
        free = f"{_size(shutil.disk_usage(folder).free)} free there"
    except OSError:
        free = "its free space unknown"
    need = f" needs about {_size(needed)}," if needed else ","
    limit = " (a file-size limit: ulimit -f)" if cause.errno == errno.EFBIG else ""
    run = folder.parent if folder.name == "checkpoints" else folder
    return DiskFullError(
        f"{folder} is full ({cause.strerror}{limit}): writing {writing}{need} {free}. Free some space "
        f"or raise the quota, then continue the run from its last checkpoint: make resume RUN={run}"
    )


def error_for(err: BaseException) -> DiskFullError | None:
    """A full-disk ``DiskFullError`` for any error whose chain holds one, else None."""
    cause = full_cause(err)
    if cause is None:
        return None
    path = Path(cause.filename) if cause.filename else None
    folder = path.parent if path is not None else Path.cwd()
    return disk_full_error(cause, folder, path.name if path is not None else "a file")


def _size(n: int) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n} TB"
