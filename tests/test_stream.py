"""Streaming (stream: true): LitData chunks written once, batches equal to memory's, resume, DDP."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from lightning import Callback

from litzoo.data import ImageFolderDataModule, folder_files
from litzoo.data.image_files import write_folder
from litzoo.errors import DataUnavailableError
from litzoo.run.cli import LitzooCLI

from conftest import ROOT, every_step_trainer, model_args

litdata = pytest.importorskip("litdata")


def _module(root: Path, **settings: object) -> ImageFolderDataModule:
    dm = ImageFolderDataModule(
        data_dir=str(root), val_fraction=0.2, test_fraction=0.2, batch_size=8, **settings
    )
    dm.prepare_data()
    dm.setup()
    return dm


def _streamed(dm: ImageFolderDataModule, split: str) -> tuple[torch.Tensor, torch.Tensor]:
    batches = [dm.on_after_batch_transfer(b, 0) for b in getattr(dm, f"{split}_dataloader")()]
    return torch.cat([x for x, _ in batches]), torch.cat([y for _, y in batches])


def _rows(images: torch.Tensor, labels: torch.Tensor) -> list[tuple]:
    """Each sample as a sortable tuple: the same set of samples, in any order, gives the same list."""
    return sorted((int(y), *x.flatten().tolist()) for x, y in zip(images, labels, strict=True))


def test_streamed_batches_are_the_in_memory_samples_scaled_alike(tmp_path: Path) -> None:
    write_folder(tmp_path, {"": 60}, classes=3)
    memory, stream = _module(tmp_path), _module(tmp_path, stream=True)
    assert stream.stats == memory.stats and not stream.splits  # running sums give channel_stats's figures
    for split in ("train", "val", "test"):
        images, labels = _streamed(stream, split)
        assert images.dtype == torch.float32 and images.shape[1:] == (3, 16, 16)
        assert _rows(images, labels) == _rows(*memory.splits[split]), split
    first = next(iter(stream.train_dataloader()))
    assert first[0].dtype == torch.uint8  # scaled on the device, not in the loader
    stats = json.loads((stream.chunks / "stats.json").read_text())
    assert stats == memory.stats and stream.state_dict() == memory.stats


def test_chunks_are_reused_until_an_image_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_folder(tmp_path, {"": 24}, classes=2)
    calls = []
    optimize = litdata.optimize
    monkeypatch.setattr(litdata, "optimize", lambda **kw: calls.append(kw["output_dir"]) or optimize(**kw))
    first = _module(tmp_path, stream=True).chunks
    assert [Path(c).name for c in calls] == ["train", "val", "test"]
    assert first.parent == tmp_path / ".litzoo-cache" and first.name.startswith("stream-")
    assert _module(tmp_path, stream=True).chunks == first and len(calls) == 3  # found: not written again
    os.utime(next(tmp_path.rglob("*.png")), ns=(0, 10**9))  # a new modification time: another key
    again = _module(tmp_path, stream=True).chunks
    assert again != first and len(calls) == 6
    assert _module(tmp_path, stream=True, seed=1).chunks not in (first, again)  # another split


def test_an_interrupted_optimize_leaves_nothing_that_looks_finished(tmp_path: Path) -> None:
    write_folder(tmp_path, {"": 24}, classes=2)
    broken = tmp_path / "class_1" / "zz_broken.png"
    broken.write_bytes(b"\x89PNG not really")
    with pytest.raises(DataUnavailableError) as err:
        _module(tmp_path, stream=True)
    assert f"{broken} cannot be decoded as an image" in str(err.value) and "\n" not in str(err.value)
    cache = tmp_path / ".litzoo-cache"
    assert not [p for p in cache.iterdir() if p.name.startswith("stream-")]
    # A writer killed mid-optimize (SIGKILL: no clean-up) leaves its temporary folder only.
    broken.unlink()
    target = _module(tmp_path, stream=True).chunks
    shutil.rmtree(target)
    dead = int(
        subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True).stdout
    )
    for pid in (dead, 1):  # a writer gone, and one still at work (pid 1 lives)
        (target.with_name(f"{target.name}.part-{pid}") / "train").mkdir(parents=True)
    stream = _module(tmp_path, stream=True)
    assert stream.chunks == target and (target / "stats.json").is_file()
    assert [p.name for p in cache.glob("stream-*.part-*")] == [f"{target.name}.part-1"]


def test_a_read_only_folder_streams_from_the_user_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_folder(tmp_path / "images", {"": 24}, classes=2)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(folder_files.os, "access", lambda path, mode: False)
    chunks = _module(root, stream=True).chunks
    assert not (root / ".litzoo-cache").exists()
    assert chunks.parent.parent == tmp_path / "cache" / "litzoo" / "folders" and (chunks / "train").is_dir()


def test_a_fit_with_stream_trains_to_a_checkpoint_that_holds_the_loader_position(tmp_path: Path) -> None:
    args = model_args("mlp", tmp_path / "data", "image_folder")
    args += [
        "--data.init_args.stream=true",
        "--trainer.max_epochs=4",
        f"--trainer.default_root_dir={tmp_path}",
    ]
    cli = LitzooCLI(args=["fit", *args, "--test_after_fit=false"])
    run = Path(cli.trainer.default_root_dir)
    losses = [float(r["val/loss"]) for r in _metrics(run) if r.get("val/loss")]
    assert len(losses) == 4 and losses[-1] < 0.5 * losses[0], losses
    ckpt = torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)
    (loader,) = ckpt["loops"]["fit_loop"]["state_dict"]["combined_loader"]
    assert loader["current_epoch"] == 4 and loader["dataset"]["shuffle"]
    assert ckpt["ImageFolderDataModule"] == cli.datamodule.stats


def _metrics(run: Path) -> list[dict[str, str]]:
    import csv

    with next(run.rglob("metrics.csv")).open() as f:
        return list(csv.DictReader(f))


class BatchLog(Callback):
    """Appends each training batch's step, labels and per-image pixel sums to ``<path>.<rank>``."""

    def __init__(self, path: str) -> None:
        self.path = path

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:  # noqa: ANN001
        with open(f"{self.path}.{trainer.global_rank}", "a") as f:
            sums = [round(float(x.sum()), 3) for x in batch[0]]
            f.write(f"{trainer.global_step} {batch[1].tolist()} {sums}\n")


def _log(path: Path, rank: int = 0) -> dict[int, str]:
    lines = Path(f"{path}.{rank}").read_text().splitlines()
    return {int(line.split(" ", 1)[0]): line.split(" ", 1)[1] for line in lines}  # a step's last batch


# Measured: a killed run resumes at the batch after its checkpoint's (LitData's saved position),
# sees the uninterrupted run's batches and ends at its very weights (docs/data-images.md).
RESUME_GAP = 0.0


@pytest.mark.slow
@pytest.mark.parametrize(
    "kill_after", ["step-0000004.ckpt", "step-0000003.ckpt"], ids=["mid-epoch", "epoch-end"]
)
def test_a_streamed_run_killed_mid_epoch_resumes_to_the_uninterrupted_batches_and_weights(
    tmp_path: Path, kill_after: str
) -> None:
    from test_resume import STEPS, kill_and_resume

    # 36 training images in batches of 16, 16 and 4: three steps an epoch, step 4 in the middle of
    # epoch 1, step 3 its start (the short batch is where LitData's own count went past the end).
    args = model_args("mlp", tmp_path / "data", "image_folder")
    base = [*args[:2], *every_step_trainer(tmp_path), *args[2:], "--data.init_args.stream=true"]
    base += ["--data.init_args.val_fraction=0.125", "--data.init_args.test_fraction=0.125"]
    base += ["--data.init_args.augment=crop_flip", "--model.init_args.net.init_args.dropout=0.2"]
    base += ["--model.init_args.net.init_args.hidden=[32]", "--trainer.max_epochs=3", *STEPS]
    base += ["--trainer.callbacks+=test_stream.BatchLog"]
    whole_log, killed_log = (
        f"--trainer.callbacks.init_args.path={tmp_path / n}" for n in ("whole.log", "killed.log")
    )
    whole_run, run = kill_and_resume([*base, whole_log], [*base, killed_log], tmp_path, kill_after)
    whole, again = _log(tmp_path / "whole.log"), _log(tmp_path / "killed.log")
    assert whole == again, [s for s in whole if whole[s] != again.get(s)]  # the same batches, step by step
    # The newest periodic checkpoints, the last step's: last.ckpt is the last *best* save's when
    # val/loss stops improving (ModelCheckpoint's save_last), which the two runs need not share.
    (a, a_step), (b, b_step) = (_final(r) for r in (whole_run, run))
    assert a_step == b_step == 9
    gap = max(float((a[k] - b[k]).abs().max()) for k in a)
    print(f"streamed resume after {kill_after}: max |weights - uninterrupted| = {gap:.3g}")
    assert gap <= RESUME_GAP


def _final(run: Path) -> tuple[dict[str, torch.Tensor], int]:
    """The weights and step of a run's newest periodic checkpoint (step-<7 digits>: names sort)."""
    ckpt = torch.load(sorted((run / "checkpoints").glob("step-*.ckpt"))[-1], weights_only=True)
    return ckpt["state_dict"], ckpt["global_step"]


@pytest.mark.slow
def test_ddp_on_two_cpu_processes_streams_disjoint_shares(tmp_path: Path) -> None:
    args = model_args("mlp", tmp_path / "data", "image_folder")
    args += ["--data.init_args.stream=true", "--trainer.max_epochs=2", "--data.init_args.batch_size=4"]
    args += ["--trainer.accelerator=cpu", "--trainer.devices=2", "--trainer.strategy=ddp"]
    args += [
        "--trainer.callbacks+=test_stream.BatchLog",
        f"--trainer.callbacks.init_args.path={tmp_path / 'b'}",
    ]
    result = subprocess.run(
        [sys.executable, "-m", "litzoo", "fit", *args, f"--trainer.default_root_dir={tmp_path / 'runs'}"],
        env={**os.environ, "PYTHONPATH": str(ROOT / "tests")}, stdin=subprocess.DEVNULL,
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert "litzoo: run finished" in result.stdout and "test/acc=" in result.stdout
    # 24 training images: 12 a rank, 3 steps of 4 an epoch; each epoch the ranks share them out.
    shares = [_log(tmp_path / "b", rank) for rank in (0, 1)]
    assert [sorted(s) for s in shares] == [[0, 1, 2, 3, 4, 5]] * 2
    for epoch in (0, 1):
        seen = [
            [x for step in range(3 * epoch, 3 * epoch + 3) for x in json.loads(s[step].split("] ")[1])]
            for s in shares
        ]
        assert len(seen[0]) == len(seen[1]) == 12 and not set(seen[0]) & set(seen[1])
        assert len(set(seen[0] + seen[1])) == 24


def test_without_litdata_stream_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    from litzoo.data import stream
    from litzoo.errors import ConfigError

    assert os.environ["LITDATA_DISABLE_VERSION_CHECK"] == "1"  # set before LitData is imported
    monkeypatch.setitem(sys.modules, "litdata", None)  # as if it were not installed
    with pytest.raises(ConfigError, match=r"^stream: true needs LitData: pip install 'litzoo\[stream\]'$"):
        stream.litdata()


def test_cross_validation_folds_are_refused_when_streaming(tmp_path: Path) -> None:
    from litzoo.errors import ConfigError

    write_folder(tmp_path, {"": 12}, classes=2)
    dm = ImageFolderDataModule(data_dir=str(tmp_path), stream=True)
    with pytest.raises(ConfigError, match="stream=false"):
        dm.use_folds(3, 0)


@pytest.mark.slow
def test_bench_stream_prints_both_figures_and_the_ratio_last(tmp_path: Path) -> None:
    bench = [sys.executable, str(ROOT / "scripts" / "bench_stream.py"), "--data-dir", str(tmp_path)]
    bench += ["--images", "80", "--batch-size", "16", "--epochs", "1"]  # no MNIST there: generated digits
    result = subprocess.run(bench, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.strip().splitlines()
    assert "80 PNG files (generated marked noise)" in lines[0] and "load average" in lines[-2]
    assert lines[-1].startswith("stream_ratio=") and float(lines[-1].split("=")[1]) > 0
    assert any(line.startswith("memory_s_per_epoch=") for line in lines)
