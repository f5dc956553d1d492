"""A killed run continues in place to the very weights of a run that was never interrupted."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from conftest import ROOT, every_step_trainer, make_idx_dataset, model_args, wait_for
from launchers import FIT, Launch, clean_env

# Dropout and augmentation draw random numbers; a checkpoint every step; slow enough to kill.
STEPS = ["--trainer.callbacks+=conftest.Slow", "--trainer.callbacks.init_args.seconds=0.4"]
ARGS = ["--data.init_args.augment=true", "--model.init_args.net.init_args.dropout=0.2"]
ARGS += ["--model.init_args.net.init_args.hidden=[32]", "--trainer.max_epochs=3"]


def litzoo(*args: str, wait: bool = True) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LITZOO")}
    env["PYTHONPATH"] = str(ROOT / "tests")  # conftest.Slow
    process = subprocess.Popen(
        [sys.executable, "-m", "litzoo", "fit", *args], env=env, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    if wait:
        _, err = process.communicate(timeout=300)
        assert process.returncode == 0, err[-3000:]
    return process


def fit_and_kill(whole: list[str], killed: list[str], folder: Path, kill_after: str) -> tuple[Path, Path]:
    """Fit ``whole`` to its end; fit ``killed`` and SIGKILL it once ``kill_after`` is saved.

    Returns:
        the uninterrupted run's folder and the killed one's (under ``folder/whole``, ``folder/killed``).
    """
    litzoo(*whole, f"--trainer.default_root_dir={folder / 'whole'}")
    process = litzoo(*killed, f"--trainer.default_root_dir={folder / 'killed'}", wait=False)
    wait_for(folder / "killed", kill_after)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=60)
    return next((folder / "whole").glob("*/*")), killed_run(folder / "killed")


def killed_run(folder: Path) -> Path:
    """The one run folder under ``folder``, which must not have finished."""
    run = next(folder.glob("*/*"))
    assert not (run / "results.json").exists(), "the run finished before it was killed"
    return run


def kill_and_resume(whole: list[str], killed: list[str], folder: Path, kill_after: str) -> tuple[Path, Path]:
    """``fit_and_kill``, then ``litzoo resume`` the killed run; both runs' folders."""
    uninterrupted, run = fit_and_kill(whole, killed, folder, kill_after)
    resumed = subprocess.run(
        [sys.executable, "-m", "litzoo", "resume", str(run)],
        env={**os.environ, "PYTHONPATH": str(ROOT / "tests")}, stdin=subprocess.DEVNULL,
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    return uninterrupted, run


def final_weights(run: Path) -> dict[str, torch.Tensor]:
    return torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)["state_dict"]


@pytest.mark.slow
@pytest.mark.parametrize(
    "kill_after", ["step-0000003.ckpt", "step-0000004.ckpt"], ids=["mid-epoch", "epoch-end"]
)
def test_a_killed_run_resumes_to_the_uninterrupted_weights(
    data_dir: Path, tmp_path: Path, kill_after: str
) -> None:
    # Two steps an epoch: step 3 is the middle of epoch 1, step 4 its end.
    every_step = every_step_trainer(tmp_path)
    base = [*model_args("mlp", data_dir)[:2], *every_step, *model_args("mlp", data_dir)[2:], *ARGS, *STEPS]
    whole, run = fit_and_kill(base, base, tmp_path, kill_after)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LITZOO")}
    env["PYTHONPATH"] = str(ROOT / "tests")
    make = ["make", "--no-print-directory", "-C", str(ROOT), "resume", f"RUN={run}"]
    result = subprocess.run(
        make, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert sorted(p.name for p in (tmp_path / "killed").glob("*/*")) == [run.name], "resume made a new folder"
    a, b = final_weights(whole), final_weights(run)
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a), max(float((a[k] - b[k]).abs().max()) for k in a)


# Under DDP: each of two ranks trains on 32 of the 64 tiny training images, 4 batches of 8 an
# epoch, and draws random numbers of its own (conftest.RankSkew), so every rank's RNG matters.
DDP = ["--trainer.accelerator=cpu", "--trainer.devices=2", "--trainer.strategy=ddp"]
DDP += ["--data.init_args.batch_size=8", "--trainer.callbacks+=conftest.RankSkew"]


@pytest.fixture(scope="module")
def whole_ddp_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], Path]:
    """The fit arguments of a 2-process run, and the folder of that run never interrupted."""
    folder = tmp_path_factory.mktemp("ddp")
    args = model_args("mlp", make_idx_dataset(folder / "data"))
    base = [*args[:2], *every_step_trainer(folder), *args[2:], *ARGS, *STEPS, *DDP]
    launch = Launch(folder / "logs")
    launch.start([*FIT, *base, f"--trainer.default_root_dir={folder / 'whole'}"], clean_env())
    assert launch.wait() == [0], launch.stderr()[-3000:]
    return base, next((folder / "whole").glob("*/*"))


@pytest.mark.slow
@pytest.mark.parametrize(
    "kill_after", ["step-0000006.ckpt", "step-0000008.ckpt"], ids=["mid-epoch", "epoch-end"]
)
def test_a_killed_ddp_run_resumes_to_the_uninterrupted_weights(
    whole_ddp_run: tuple[list[str], Path], tmp_path: Path, kill_after: str
) -> None:
    base, whole = whole_ddp_run
    killed = Launch(tmp_path / "logs")
    killed.start([*FIT, *base, f"--trainer.default_root_dir={tmp_path / 'killed'}"], clean_env())
    wait_for(tmp_path / "killed", kill_after)
    killed.kill()  # both ranks at once, as when the node goes down
    killed.wait()
    run = killed_run(tmp_path / "killed")

    make = ["make", "--no-print-directory", "-C", str(ROOT), "resume", f"RUN={run}"]
    result = subprocess.run(
        make, env=clean_env(), stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert sorted(p.name for p in (tmp_path / "killed").glob("*/*")) == [run.name], "resume made a new folder"
    a, b = final_weights(whole), final_weights(run)
    gap = max(float((a[k] - b[k]).abs().max()) for k in a)
    print(f"DDP resume after {kill_after}: max |weights - uninterrupted| = {gap:.3g}")
    assert a.keys() == b.keys() and gap <= 1e-6
