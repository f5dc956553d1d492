"""Data larger than memory, on LitData: each split written once as chunks on local disk, then streamed.

``write_chunks`` runs ``litdata.optimize`` into a temporary folder and renames it when every
split is written, so a folder that exists is whole. ``StreamLoaders`` makes a data module's
loaders ``StreamingDataLoader``s over those chunks: shuffled by the run's seed, each DDP rank
given its share by LitData, and their position saved in Lightning's checkpoints (the fit
loop stores any loader with ``state_dict``), so a run resumes mid-epoch.
"""

import multiprocessing
import os
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import torch
from lightning.fabric.utilities.seed import _collect_rng_states, _set_rng_states
from torch.utils.data import DataLoader

from litzoo import errors
from litzoo.errors import ConfigError

# LitData asks PyPI for its newest version when imported: nothing here may wait on the network.
os.environ.setdefault("LITDATA_DISABLE_VERSION_CHECK", "1")


def litdata() -> ModuleType:
    """LitData, imported only when a data module streams (an optional extra)."""
    try:
        import litdata as ld
    except ImportError:
        raise ConfigError("stream: true needs LitData: pip install 'litzoo[stream]'") from None
    return ld


def write_chunks(
    folder: Path,
    splits: dict[str, Sequence[Any]],
    fn: Callable[[Any], Any],
    workers: int,
    chunk_bytes: str = "64MB",
    finish: Callable[[Path], None] | None = None,
) -> bool:
    """Each split's inputs through ``fn`` into ``folder/<split>`` chunks, unless ``folder`` exists.

    Args:
        folder: where the finished chunks go; it exists only once every split is written.
        splits: each split's inputs (e.g. ``(path, label)`` pairs), one sample each.
        fn: one input to one sample (picklable: LitData's worker processes call it).
        workers: processes that run ``fn``.
        chunk_bytes: size of one chunk file.
        finish: writes more files into the temporary folder before it is renamed.

    Returns:
        whether the chunks were written now (False: found finished).
    """
    if folder.is_dir():
        return False
    # Writing may draw random numbers (LitData, the statistics' loader): a run that writes the
    # chunks then trains as one that found them, and as its resumed self (checkpoints keep the RNG).
    rng = _collect_rng_states(include_cuda=False)
    try:
        _write(folder, splits, fn, workers, chunk_bytes, finish)
    finally:
        _set_rng_states(rng)
    return True


def _write(
    folder: Path,
    splits: dict[str, Sequence[Any]],
    fn: Callable[[Any], Any],
    workers: int,
    chunk_bytes: str,
    finish: Callable[[Path], None] | None,
) -> None:
    _remove_abandoned(folder)
    ld = litdata()
    part = folder.with_name(f"{folder.name}.part-{os.getpid()}")
    shutil.rmtree(part, ignore_errors=True)
    try:
        for split, inputs in splits.items():
            _optimize(ld, fn, inputs, part / split, workers, chunk_bytes)
        if finish is not None:
            finish(part)
    except RuntimeError as err:
        shutil.rmtree(part, ignore_errors=True)
        raise _worker_error(err) from None
    except BaseException:  # Ctrl-C, or an error of our own: no half-written chunks stay behind
        shutil.rmtree(part, ignore_errors=True)
        raise
    try:
        part.rename(folder)  # atomic: interrupted before this, nothing looks finished
    except OSError:  # another process (a rank of another node sharing the disk) finished first
        shutil.rmtree(part, ignore_errors=True)


def _optimize(
    ld: ModuleType, fn: Callable, inputs: Sequence[Any], output: Path, workers: int, chunk_bytes: str
) -> None:
    ld.optimize(
        fn=fn,
        inputs=list(inputs),
        output_dir=str(output),
        chunk_bytes=chunk_bytes,
        num_workers=max(1, min(workers, len(inputs))),
        reorder_files=False,
        verbose=False,
        # optimize sets the start method for the whole process (its default: spawn): keep ours.
        start_method=multiprocessing.get_start_method(),
    )


def _worker_error(err: RuntimeError) -> Exception:
    """The litzoo error an optimize worker raised (LitData hands back its traceback as text), else ``err``."""
    for line in reversed(str(err).splitlines()):
        name, _, message = line.partition(": ")
        kind = (
            getattr(errors, name.removeprefix("litzoo.errors."), None) if "litzoo.errors." in name else None
        )
        if isinstance(kind, type) and issubclass(kind, errors.LitzooError):
            return kind(message)
    return err


def _remove_abandoned(folder: Path) -> None:
    """Temporary folders of writers that are gone (killed mid-optimize): they would only take disk."""
    for part in folder.parent.glob(f"{folder.name}.part-*"):
        pid = part.name.rsplit("-", 1)[1]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(part, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        pass
    return True


def stream_loader(
    folder: Path, batch_size: int, workers: int, shuffle: bool, seed: int = 0, whole: bool = False
) -> DataLoader:
    """A ``StreamingDataLoader`` over one split's chunks; under DDP, this rank's share of them.

    Training (``shuffle``) drops the last samples that would give ranks unequal shares, as
    LitData does by default under DDP; evaluation keeps every sample. ``whole``: every
    sample, on any rank (statistics of a split).
    """
    ld = litdata()
    from litzoo.data.stream_loader import StreamLoader  # subclasses LitData's loader: imported after it

    drop_last = None if shuffle else False
    dataset = ld.StreamingDataset(str(folder), shuffle=shuffle, seed=seed, drop_last=drop_last)
    if whole:  # LitData takes its share from torch.distributed; it has no option for "all of it"
        from litdata.utilities.env import _DistributedEnv

        dataset.distributed_env = _DistributedEnv(world_size=1, global_rank=0, num_nodes=1)
    return StreamLoader(dataset, batch_size, workers)


class StreamLoaders:
    """Mixin of a ``TensorDataModule``: with ``chunks`` set (by the module's setup), loaders stream.

    ``chunks`` is a folder holding ``train``, ``val`` and ``test`` chunk folders; None keeps
    the in-memory loaders (and their own mid-epoch skip, which a streaming loader replaces by
    its saved position).
    """

    chunks: Path | None = None
    stream_workers: int = 0
    batch_size: int

    def train_dataloader(self) -> DataLoader:
        if self.chunks is None:
            return super().train_dataloader()
        # torch.initial_seed() is seed_everything's seed, the same on every rank and in a resumed run.
        seed = torch.initial_seed() % 2**32
        return stream_loader(self.chunks / "train", self.batch_size, self.stream_workers, True, seed)

    def val_dataloader(self) -> DataLoader:
        return self._streamed("val") if self.chunks else super().val_dataloader()

    def test_dataloader(self) -> DataLoader:
        return self._streamed("test") if self.chunks else super().test_dataloader()

    def predict_dataloader(self) -> DataLoader:
        return self._streamed("test") if self.chunks else super().predict_dataloader()

    def _streamed(self, split: str) -> DataLoader:
        return stream_loader(self.chunks / split, self.batch_size, self.stream_workers, False)

    def use_folds(self, folds: int, fold: int) -> None:
        if getattr(self, "hparams", {}).get("stream"):
            raise ConfigError("cross-validation cuts folds in memory: set --data.init_args.stream=false")
        super().use_folds(folds, fold)
