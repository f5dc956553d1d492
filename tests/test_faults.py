"""Faults a new user meets: damaged data, a diverging loss, Ctrl-C, a full disk (issue 19)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from lightning import Callback

from litzoo import configs

from conftest import CONFIGS, make_idx_dataset, run_main, signal_a_training_fit

RAW = "MNIST/raw"
TINY = ["--data.init_args.val_size=32", "--data.init_args.batch_size=32", "--data.init_args.download=false"]


def _fit(capsys: pytest.CaptureFixture, data_dir: Path, runs: Path, *extra: str) -> tuple[int, str, str]:
    """A small MLP fit on the MNIST files in ``data_dir`` as they are (tiny() would rewrite them)."""
    args = configs.fit_args("mlp", "mnist", logger="csv", data_dir=str(data_dir), root=CONFIGS)
    args += [*TINY, "--model.init_args.net.init_args.hidden=[16]", f"--trainer.default_root_dir={runs}"]
    return run_main(capsys, "fit", *args, *extra)


def _damage(raw: Path, case: str) -> tuple[Path, str]:
    """Damage one tiny MNIST file as a user might; (the file named, what the line says)."""
    images = raw / "train-images-idx3-ubyte"
    if case == "truncated .gz":
        packed = images.with_name(images.name + ".gz")
        packed.write_bytes(packed.read_bytes()[:-40])
        return packed, "is damaged (truncated .gz)"
    if case == "labels as images":
        images.write_bytes((raw / "train-labels-idx1-ubyte").read_bytes())
        return images, "is not an IDX image file (a 1-d IDX file)"
    if case == "truncated":
        images.write_bytes(images.read_bytes()[:-100])
        return images, "is truncated"
    labels = raw / "train-labels-idx1-ubyte"  # "mismatched": 96 images, 80 labels
    from litzoo.data.idx_files import write_idx

    write_idx(labels, torch.zeros(80, dtype=torch.uint8))
    return images, "holds 96 images but"


@pytest.mark.parametrize("case", ["truncated .gz", "labels as images", "truncated", "mismatched"])
def test_a_damaged_data_file_is_one_line_exit_2_and_no_run_folder(
    capsys: pytest.CaptureFixture, tmp_path: Path, case: str
) -> None:
    data = make_idx_dataset(tmp_path / "data", compress=case == "truncated .gz")
    named, says = _damage(data / RAW, case)
    code, out, err = _fit(capsys, data, tmp_path / "runs")
    assert code == 2 and "Traceback" not in err, err[-2000:]
    line = err.strip().splitlines()[-1]
    assert line.startswith(f"litzoo: error: {named} {says}"), err[-2000:]
    assert not any((tmp_path / "runs").rglob("*")), "a run folder was left"
    assert not list((data / RAW).glob("*.part")), "a half-unpacked file was left in raw/"


def test_a_repaired_gz_is_read_again_not_its_stale_unpacked_copy(tmp_path: Path) -> None:
    from torchvision.datasets import MNIST

    from litzoo.data.idx_files import resolve_root
    from litzoo.errors import DataFileError

    good = make_idx_dataset(tmp_path / "good", compress=True) / RAW
    data = make_idx_dataset(tmp_path / "data", compress=True)
    raw = data / RAW
    labels = raw / "train-labels-idx1-ubyte.gz"
    labels.write_bytes((raw / "t10k-labels-idx1-ubyte.gz").read_bytes())  # 32 labels for 96 images
    with pytest.raises(DataFileError, match="holds 96 images but"):
        resolve_root(data, MNIST, download=False)  # unpacked, and the mismatch found
    time.sleep(0.01)
    labels.write_bytes((good / "train-labels-idx1-ubyte.gz").read_bytes())
    assert resolve_root(data, MNIST, download=False) == data  # the repaired .gz is unpacked again
    assert len(MNIST(str(data), train=True).targets) == 96


def test_a_finite_loss_that_explodes_stops_the_run_at_its_step(
    capsys: pytest.CaptureFixture, tmp_path: Path
) -> None:
    data = make_idx_dataset(tmp_path / "data")
    lr = ["--model.init_args.optimizer.init_args.lr=1e8", "--trainer.max_epochs=5"]
    code, out, err = _fit(capsys, data, tmp_path / "runs", *lr)
    assert code == 2 and "Traceback" not in err, err[-2000:]
    line = err.strip().splitlines()[-1]
    assert "the training loss grew past 1000 x its first" in line and " at step " in line, line
    assert "last good checkpoint:" in line and "divergence_factor=null" in line
    assert "run finished" not in out
    code, _, err = _fit(capsys, data, tmp_path / "off", *lr, "--stop_on_nonfinite.divergence_factor=null")
    assert "grew past" not in err  # off by one option (lr 1e8 may still reach inf: then that stops it)


class CtrlC(Callback):
    """Sends this process SIGINT during training step ``step``, as a Ctrl-C in the terminal does."""

    def __init__(self, step: int = 3) -> None:
        self.step = step

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:  # noqa: ANN001
        if trainer.global_step == self.step:
            os.kill(os.getpid(), signal.SIGINT)


def test_ctrl_c_saves_last_ckpt_at_the_next_step_says_how_to_resume_and_exits_130(
    capsys: pytest.CaptureFixture, tmp_path: Path
) -> None:
    data = make_idx_dataset(tmp_path / "data")
    before = signal.getsignal(signal.SIGINT)
    stop = ["--trainer.max_epochs=50", "--trainer.callbacks+=test_faults.CtrlC"]
    code, out, err = _fit(capsys, data, tmp_path / "runs", *stop)
    assert code == 130 and "Traceback" not in err, err[-2000:]
    assert signal.getsignal(signal.SIGINT) is before, "the Ctrl-C handler stayed installed"
    run = next((tmp_path / "runs").glob("*/*"))
    assert f"litzoo: interrupted (Ctrl-C) at step 4: saved {run}/checkpoints/last.ckpt" in err
    assert f"continue it with: make resume RUN={run}" in err
    assert torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)["global_step"] == 4


LIMITED = """import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG, as on a full disk
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv.pop(1)),) * 2)
from litzoo.__main__ import main
main(sys.argv[1:])
"""


@pytest.mark.slow  # a fresh interpreter under a file-size limit (a fork of pytest would hang): ~25 s
def test_a_full_disk_while_checkpointing_is_one_line_keeps_the_last_checkpoint_and_resumes(
    capsys: pytest.CaptureFixture, tmp_path: Path
) -> None:
    data = make_idx_dataset(tmp_path / "data")
    code, _, err = _fit(capsys, data, tmp_path / "runs", "--trainer.max_epochs=1", "--test_after_fit=false")
    run = next((tmp_path / "runs").glob("*/*"))
    (run / "results.json").unlink()  # as if killed after epoch 1: an unfinished run
    last = run / "checkpoints" / "last.ckpt"
    size = last.stat().st_size
    env = {k: v for k, v in os.environ.items() if not k.startswith("LITZOO")}
    limited = subprocess.run(
        [sys.executable, "-c", LIMITED, str(size // 2), "resume", str(run), "--trainer.max_epochs=2"],
        env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert limited.returncode == 2 and "Traceback" not in limited.stderr, limited.stderr[-3000:]
    line = limited.stderr.strip().splitlines()[-1]
    assert line.startswith(f"litzoo: error: {run / 'checkpoints'}: best-epoch=01.ckpt (about "), line
    assert "is larger than the file-size limit allows" in line and line.endswith(f"make resume RUN={run}")
    assert torch.load(last, weights_only=True)["global_step"] == 2  # the previous one, whole
    assert not [p.name for p in run.rglob("*partial*")], "a temporary file was left"
    code, _, err = run_main(capsys, "resume", str(run), "--trainer.max_epochs=2")  # space freed
    assert code == 0, err[-2000:]
    assert torch.load(last, weights_only=True)["global_step"] == 4 and (run / "results.json").is_file()


def test_an_interrupted_sweep_names_its_folder_and_puts_sigterm_back(
    capsys: pytest.CaptureFixture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from litzoo.workflows.sweep import offline

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(offline, "run_sweep", interrupted)
    before = signal.getsignal(signal.SIGTERM)
    fit = configs.fit_args(sweep_name="mlp_mnist", data_dir=str(tmp_path), root=CONFIGS)
    sweep = [str(CONFIGS / "sweep" / "mlp_mnist.yaml"), "--count", "1"]
    code, _, err = run_main(capsys, "sweep", *sweep, "--", *fit, f"--trainer.default_root_dir={tmp_path}")
    folder = next((tmp_path / "mlp_mnist").glob("sweep-*"))
    assert code == 130 and f"litzoo sweep: interrupted; continue it with make sweep RESUME={folder}" in err
    assert signal.getsignal(signal.SIGTERM) is before, "the sweep's SIGTERM handler stayed installed"


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks a machine without a GPU")
@pytest.mark.parametrize("trainer", ["gpu", "ddp"])
def test_a_gpu_trainer_without_a_gpu_is_one_line_and_no_run_folder(
    capsys: pytest.CaptureFixture, tmp_path: Path, trainer: str
) -> None:
    data = make_idx_dataset(tmp_path / "data")
    code, _, err = _fit(
        capsys, data, tmp_path / "runs", "--config", str(CONFIGS / "trainer" / f"{trainer}.yaml")
    )
    assert code == 2 and err.strip().splitlines()[-1] == (
        "litzoo: error: no GPU here (trainer.accelerator=gpu); use TRAINER=default, which takes a GPU "
        "when there is one"
    )
    assert not any((tmp_path / "runs").rglob("*"))


def test_resume_of_a_finished_run_says_so_and_how_to_train_it_further(
    capsys: pytest.CaptureFixture, tmp_path: Path
) -> None:
    data = make_idx_dataset(tmp_path / "data")
    code, _, _ = _fit(capsys, data, tmp_path / "runs", "--trainer.max_epochs=1")
    run = next((tmp_path / "runs").glob("*/*"))
    files = {p: p.stat().st_mtime for p in run.rglob("*")}
    code, out, err = run_main(capsys, "resume", str(run))
    assert code == 0 and out.strip() == (
        f"litzoo: {run} is finished (1 epoch, results in {run / 'results.json'}); nothing to continue. "
        f'Train it further: make resume RUN={run} ARGS="--trainer.max_epochs=11"; '
        f"test it again: make eval RUN={run}"
    )
    assert {p: p.stat().st_mtime for p in run.rglob("*")} == files, "it was tested or trained again"
    code, _, err = run_main(capsys, "resume", str(run), "--trainer.max_epochs=2")  # what the line says
    assert code == 0 and torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)["global_step"] == 4


def test_a_full_disk_behind_any_write_is_one_line_naming_the_folder(tmp_path: Path) -> None:
    import errno

    from litzoo.run.entry import user_error

    cause = OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "results.json"))
    try:
        try:
            raise cause
        except OSError:
            raise RuntimeError(
                "[enforce fail at inline_container.cc:672] unexpected pos 704 vs 598"
            ) from None
    except RuntimeError as err:
        error = user_error(err)
    assert error is not None and str(error).startswith(
        f"{tmp_path} is full (No space left on device): writing results.json, "
    )
    assert "free there" in str(error) and error.keeps_run  # the run's checkpoints are kept


@pytest.mark.slow
def test_a_real_ctrl_c_saves_says_how_to_resume_and_exits_130(tmp_path: Path) -> None:
    data = make_idx_dataset(tmp_path / "data")
    args = configs.fit_args("mlp", "mnist", logger="csv", data_dir=str(data), root=CONFIGS)
    args += [*TINY, "--trainer.max_epochs=100000"]
    returncode, err = signal_a_training_fit(args, tmp_path / "runs", signal.SIGINT)
    assert returncode == 130 and "Traceback" not in err, err[-2000:]
    folder = next((tmp_path / "runs").glob("*/*"))
    assert f"continue it with: make resume RUN={folder}" in err
    step = int(err.split("interrupted (Ctrl-C) at step ")[1].split(":")[0])
    assert torch.load(folder / "checkpoints" / "last.ckpt", weights_only=True)["global_step"] == step > 2


def test_a_full_disk_during_a_checkpoint_save_names_the_folder_and_the_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    from litzoo.errors import DiskFullError
    from litzoo.run import checkpoints

    io = checkpoints.AtomicCheckpointIO()
    path = tmp_path / "run" / "checkpoints" / "last.ckpt"
    io.save_checkpoint({"state_dict": {"w": torch.ones(3)}, "global_step": 1}, path)

    def disk_full(obj: object, file: object) -> None:  # what torch raises when a write fails
        file.write(b"PK\x03\x04 half a zip")
        try:
            raise OSError(errno.ENOSPC, "No space left on device")
        except OSError:
            raise RuntimeError(
                "[enforce fail at inline_container.cc:672] . unexpected pos 704 vs 598"
            ) from None

    monkeypatch.setattr(checkpoints.torch, "save", disk_full)
    with pytest.raises(DiskFullError) as caught:
        io.save_checkpoint({"state_dict": {"w": torch.zeros(1000)}, "global_step": 2}, path)
    assert str(caught.value).startswith(
        f"{path.parent} is full (No space left on device): writing last.ckpt needs about 4.0 kB, "
    )
    assert str(caught.value).endswith(f"make resume RUN={tmp_path / 'run'}")
    assert torch.load(path, weights_only=True)["global_step"] == 1
    assert [p.name for p in path.parent.iterdir()] == ["last.ckpt"]  # no partial file left
