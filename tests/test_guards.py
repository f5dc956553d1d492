"""Nothing is lost to a bad step or a bad file: divergence stops loudly, bad checkpoints are one line."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from litzoo.errors import DivergedError
from litzoo.run.cli import LitzooCLI
from litzoo.run.guards import StopOnNonFiniteLoss
from litzoo.run.report import write_results

from conftest import model_args, run_main, signal_a_training_fit


def test_a_nan_loss_stops_the_run_at_its_step_and_keeps_the_last_good_checkpoint(
    capsys: pytest.CaptureFixture, data_dir: Path, tmp_path: Path
) -> None:
    # 96 - 32 tiny training images in batches of 32: two steps an epoch, so step 3 is in epoch 1.
    args = [*model_args("mlp", data_dir), "--model.init_args.net.init_args.hidden=[16]"]
    args += ["--trainer.max_epochs=5", "--trainer.callbacks+=conftest.PoisonWeights"]
    args += ["--trainer.callbacks.init_args.step=3", f"--trainer.default_root_dir={tmp_path / 'runs'}"]
    code, out, err = run_main(capsys, "fit", *args)
    assert code == 2 and "Traceback" not in err
    assert "the training loss became nan at step 3 (epoch 1, batch 1)" in err
    last = next((tmp_path / "runs").rglob("last.ckpt"))
    assert str(last) in err
    weights = torch.load(last, weights_only=True)["state_dict"]
    assert all(torch.isfinite(w).all() for w in weights.values()), "the kept checkpoint holds NaN"
    assert "run finished" not in out


def test_results_json_stays_valid_json_when_a_metric_is_nan(tmp_path: Path) -> None:
    trainer = SimpleNamespace(default_root_dir=str(tmp_path))
    path = write_results(trainer, {"test/loss": float("nan"), "test/acc": 0.5}, {"epochs": 1}, None)
    assert json.loads(path.read_text(), parse_constant=lambda c: pytest.fail(f"bare {c}"))["test"] == {
        "test/loss": None,
        "test/acc": 0.5,
    }


@pytest.fixture
def trained(data_dir: Path) -> tuple[Path, Path]:
    """A finished one-epoch MLP run: its config.yaml and last.ckpt."""
    args = [*model_args("mlp", data_dir), "--model.init_args.net.init_args.hidden=[16]"]
    cli = LitzooCLI(args=["fit", *args, "--trainer.max_epochs=1", "--test_after_fit=false"])
    run = Path(cli.trainer.default_root_dir)
    return run / "config.yaml", run / "checkpoints" / "last.ckpt"


def _bad_files(tmp_path: Path, last: Path) -> dict[str, tuple[Path, str]]:
    truncated = tmp_path / "truncated.ckpt"
    truncated.write_bytes(last.read_bytes()[: last.stat().st_size // 2])
    text = tmp_path / "notes.ckpt"
    text.write_text("not a checkpoint\n")
    return {
        "missing": (tmp_path / "nope.ckpt", "does not exist"),
        "truncated": (truncated, "cannot be read"),
        "text": (text, "cannot be read"),
    }


@pytest.mark.parametrize("case", ["missing", "truncated", "text"])
def test_a_bad_checkpoint_is_one_line_exit_2_and_leaves_nothing(
    capsys: pytest.CaptureFixture, trained: tuple[Path, Path], tmp_path: Path, case: str
) -> None:
    config, last = trained
    path, message = _bad_files(tmp_path, last)[case]
    before = sorted(p for p in (tmp_path / "runs").rglob("*"))
    code, _, err = run_main(capsys, "test", "--config", str(config), "--ckpt_path", str(path))
    assert code == 2 and "Traceback" not in err
    assert err.startswith(f"litzoo: error: checkpoint {path}") and message in err
    assert sorted(p for p in (tmp_path / "runs").rglob("*")) == before, "a failed run left files behind"


def test_a_checkpoint_of_another_net_is_refused(
    capsys: pytest.CaptureFixture, trained: tuple[Path, Path], data_dir: Path
) -> None:
    _, last = trained
    lstm = model_args("lstm", data_dir)
    code, _, err = run_main(capsys, "test", *lstm, "--ckpt_path", str(last))
    assert code == 2 and "holds a MLP net, but the config builds a RecurrentNet" in err


def test_the_checkpoint_says_which_hyperparameters_it_sets(
    capsys: pytest.CaptureFixture, trained: tuple[Path, Path]
) -> None:
    config, last = trained
    LitzooCLI(args=["test", "--config", str(config), "--ckpt_path", str(last), "--model.net.hidden=[64]"])
    err = capsys.readouterr().err
    assert "the checkpoint's hyperparameters win: model.init_args.net.init_args.hidden: [64] -> [16]" in err


def test_a_save_interrupted_mid_write_leaves_the_previous_checkpoint_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from litzoo.run import checkpoints

    io = checkpoints.AtomicCheckpointIO()
    path = tmp_path / "checkpoints" / "last.ckpt"
    io.save_checkpoint({"state_dict": {"w": torch.ones(3)}, "global_step": 1}, path)

    def killed_mid_write(obj: object, file: object) -> None:
        file.write(b"PK\x03\x04 half a zip")  # what a kill during torch.save leaves
        raise KeyboardInterrupt

    monkeypatch.setattr(checkpoints.torch, "save", killed_mid_write)
    with pytest.raises(KeyboardInterrupt):
        io.save_checkpoint({"state_dict": {"w": torch.zeros(3)}, "global_step": 2}, path)
    assert torch.load(path, weights_only=True)["global_step"] == 1
    assert [p.name for p in path.parent.iterdir()] == ["last.ckpt"]  # no partial file left


@pytest.mark.slow
def test_sigterm_checkpoints_and_exits_143(data_dir: Path, tmp_path: Path) -> None:
    args = [*model_args("mlp", data_dir), "--model.init_args.net.init_args.hidden=[16]"]
    args += ["--trainer.max_epochs=100000"]
    returncode, err = signal_a_training_fit(args, tmp_path / "runs", signal.SIGTERM)
    assert returncode == 143, err[-2000:]
    assert "litzoo: SIGTERM at step" in err and "Traceback" not in err
    step = int(err.split("SIGTERM at step ")[1].split(":")[0])
    last = next((tmp_path / "runs").rglob("last.ckpt"))
    assert torch.load(last, weights_only=True)["global_step"] == step > 2


def test_a_setting_torch_refuses_is_one_line_and_leaves_no_run_folder(
    capsys: pytest.CaptureFixture, data_dir: Path, tmp_path: Path
) -> None:
    args = [*model_args("mlp", data_dir), "--model.init_args.optimizer.init_args.lr=-1"]
    code, _, err = run_main(capsys, "fit", *args, f"--trainer.default_root_dir={tmp_path / 'runs'}")
    assert code == 2 and "Traceback" not in err
    assert "litzoo: error: the optimizer refuses its settings: Invalid learning rate: -1" in err
    assert not (tmp_path / "runs").exists()


def test_the_summary_names_what_was_saved_and_a_disabled_wandb(
    capsys: pytest.CaptureFixture, data_dir: Path
) -> None:
    args = [*model_args("mlp", data_dir), "--model.init_args.net.init_args.hidden=[16]"]
    LitzooCLI(args=["fit", *args, "--trainer.fast_dev_run=true"])
    assert "checkpoints/last.ckpt (tested the final weights)" in capsys.readouterr().out
    # W&B keeps its mode for the whole process: a disabled run gets a process of its own.
    wandb = ["--config", str(Path(__file__).parents[1] / "configs" / "logger" / "wandb.yaml")]
    env = {k: v for k, v in os.environ.items() if not k.startswith("LITZOO")} | {"WANDB_MODE": "disabled"}
    command = [sys.executable, "-m", "litzoo", "fit", *args, *wandb, "--trainer.max_epochs=1"]
    result = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "W&B:           disabled (WANDB_MODE=disabled): nothing was logged" in result.stdout
    assert "W&B run files" not in result.stdout


def _feed(guard: StopOnNonFiniteLoss, losses: list[float], start: int = 0, log_every: int = 50) -> None:
    """Hand ``losses`` to the guard as the training steps of epoch 0 from step ``start`` on."""
    trainer = SimpleNamespace(current_epoch=0, log_every_n_steps=log_every, checkpoint_callback=None)
    guard.setup(trainer, None, "fit")  # type: ignore[arg-type]
    for step, loss in enumerate(losses, start):
        trainer.global_step = step
        guard.on_train_batch_start(trainer, None, None, step)  # type: ignore[arg-type]
        guard.on_train_batch_end(trainer, None, {"loss": torch.tensor(loss)}, None, step)  # type: ignore[arg-type]


def test_the_loss_guard_reads_the_losses_every_n_steps_and_names_the_first_bad_one() -> None:
    guard = StopOnNonFiniteLoss(check_every_n_steps=4)
    _feed(guard, [2.0, 1.5, float("nan")])  # held, not read: these steps never wait for the device
    with pytest.raises(DivergedError, match=r"became nan at step 2 \(epoch 0, batch 2\)"):
        _feed(guard, [1.0], start=3)  # the fourth step reads all four
    guard = StopOnNonFiniteLoss()  # None: read every log_every_n_steps steps
    _feed(guard, [2.0, 1.5, float("inf")], log_every=50)
    with pytest.raises(DivergedError, match="became inf at step 2"):
        guard.on_train_epoch_end(None, None)  # type: ignore[arg-type]


def test_the_loss_guard_reads_held_losses_before_a_checkpoint_is_written() -> None:
    guard = StopOnNonFiniteLoss()
    _feed(guard, [2.0, 2.5])
    assert guard.state_dict() == {"first": 2.0}  # read: the bound is the first step's loss
    _feed(guard, [3.0, 2.0e4], start=2)  # past 1000 x the first loss, not read yet
    with pytest.raises(DivergedError, match=r"grew past 1000 x its first 2: 2e\+04 at step 3"):
        guard.state_dict()  # what a save asks for first: raising here writes nothing
