"""The CLI and the Makefile: help, composition, and one clear message for each bad input."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from litzoo.run.cli import LitzooCLI

from conftest import CONFIGS, ROOT, run_main


def test_help_lists_typed_options(capsys: pytest.CaptureFixture) -> None:
    code, out, _ = run_main(capsys, "fit", "--help")
    assert code == 0
    for option in ("--trainer.max_epochs", "--model", "--data", "--test_after_fit", "--print_config"):
        assert option in out


def test_model_help_shows_its_hyperparameters(capsys: pytest.CaptureFixture) -> None:
    code, out, _ = run_main(capsys, "fit", "--model.help", "litzoo.systems.supervised.SupervisedSystem")
    assert code == 0
    assert "--model.net" in out and "--model.reconstruct" in out
    model = ["--config", str(CONFIGS / "model" / "lstm.yaml")]
    code, out, _ = run_main(capsys, "fit", *model, "--model.net.help", "litzoo.nets.recurrent.RecurrentNet")
    assert code == 0
    flat = " ".join(out.split())
    assert "--net.hidden_size HIDDEN_SIZE width of the recurrent state. (type: int, default: 128)" in flat
    assert "--net.cell {rnn,lstm,gru}" in flat


def test_stacked_configs_compose(capsys: pytest.CaptureFixture) -> None:
    configs = ["--config", str(CONFIGS / "trainer" / "default.yaml")]
    configs += ["--config", str(CONFIGS / "model" / "lstm.yaml")]
    configs += ["--data", str(CONFIGS / "data" / "mnist.yaml"), "--trainer.max_epochs=3"]
    code, out, _ = run_main(capsys, "fit", *configs, "--print_config")
    config = yaml.safe_load(out)
    assert code == 0
    net = config["model"]["init_args"]["net"]
    assert net["class_path"] == "litzoo.nets.recurrent.RecurrentNet"
    assert net["init_args"]["cell"] == "lstm" and net["init_args"]["hidden_size"] == 128
    assert config["data"]["class_path"] == "litzoo.data.ImageDataModule"
    assert config["data"]["init_args"]["normalize"] is True
    assert config["trainer"]["max_epochs"] == 3


def test_a_data_file_replaces_the_data_section_instead_of_inheriting_from_it(
    capsys: pytest.CaptureFixture,
) -> None:
    # mnist_pixels keeps pixels in [0, 1] at batch 128: a data file after it must not inherit that.
    configs = ["--config", str(CONFIGS / "model" / "mlp.yaml")]
    configs += ["--data", str(CONFIGS / "data" / "mnist_pixels.yaml")]
    configs += ["--data", str(CONFIGS / "data" / "mnist.yaml")]
    _, out, _ = run_main(capsys, "fit", *configs, "--data.init_args.seed=7", "--print_config")
    data = yaml.safe_load(out)["data"]["init_args"]
    assert (data["normalize"], data["batch_size"], data["seed"]) == (True, 512, 7)


@pytest.mark.parametrize(
    "files, expected",
    [
        (["model/mlp.yaml", "--data", "data/mnist_pixels.yaml"], "mlp-mnist_pixels"),
        (["model/lstm.yaml"], "lstm-adding"),  # the model's default data
    ],
)
def test_run_folders_are_named_as_typed(files: list[str], expected: str) -> None:
    from litzoo.run.folders import run_name

    args = [a if a.startswith("--") else str(CONFIGS / a) for a in files]
    cli = LitzooCLI(args=["--config", *args, "--trainer.logger=false"], run=False)
    assert run_name(cli.config) == expected


def make(tmp_path: Path, *variables: str, args: str = "") -> subprocess.CompletedProcess:
    """Run ``make train`` as a user would: no terminal, no W&B credentials, CI=true."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WANDB", "LITZOO"))}
    env.update(HOME=str(tmp_path), CI="true", PYTHONUNBUFFERED="1")
    args = f"{args} --trainer.default_root_dir={tmp_path / 'runs'}"
    command = ["make", "--no-print-directory", "-C", str(ROOT), "train", *variables, f"ARGS={args}"]
    return subprocess.run(
        command, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300
    )


BAD_INPUTS = {
    "unknown model": (["MODEL=nope"], "", ["unknown MODEL 'nope'", "lstm", "mlp"]),
    "unknown data": (["DATA=nope"], "", ["unknown DATA 'nope'", "mnist", "adding"]),
    "config typo": ([], "--model.init_args.hiden=3", ["'hiden' is not accepted"]),
    "wrong type": ([], "--model.init_args.net.init_args.dropout=abc", ["dropout", "float"]),
    "trainer settings clash": ([], "--trainer.enable_progress_bar=false", ["enable_progress_bar=False"]),
    "loss does not fit the task": ([], "--model.init_args.loss=mse", ["does not fit a classification task"]),
    "mnist absent": (["DATA_DIR=/nonexistent/litzoo"], "--data.init_args.download=false", ["t10k-labels"]),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", BAD_INPUTS, ids=str)
def test_bad_input_gets_one_clear_message(tmp_path: Path, case: str) -> None:
    variables, args, expected = BAD_INPUTS[case]
    result = make(tmp_path, "LOGGER=csv", *variables, args=args)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    for text in expected:
        assert text in result.stderr
    assert not (tmp_path / "runs").exists(), "a failed run left files behind"


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="make is POSIX")
def test_make_train_lstm_end_to_end_with_offline_wandb(tmp_path: Path) -> None:
    from wandb_log import offline_run, read_run

    sizes = "--data.init_args.train_size=256 --data.init_args.val_size=64 --data.init_args.test_size=64"
    result = make(
        tmp_path, "MODEL=lstm", args=f"--trainer.max_epochs=2 --trainer.log_every_n_steps=1 {sizes}"
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "litzoo: run finished" in result.stdout and "test/mse=" in result.stdout
    run_dir = next((tmp_path / "runs" / "lstm-adding").iterdir())
    assert sorted(p.name for p in (run_dir / "checkpoints").iterdir())[-1] == "last.ckpt"
    assert (run_dir / "config.yaml").is_file()
    config, history = read_run(offline_run(run_dir))
    assert config["model"]["init_args"]["net"]["init_args"]["cell"] == "lstm"
    assert config["data"]["init_args"]["train_size"] == 256
    assert config["trainer"]["max_epochs"] == 2
    logged = set().union(*history)
    expected = {"train/loss_step", "train/loss", "train/r2", "val/loss", "val/r2", "test/mse", "lr-Adam"}
    assert expected <= logged
    assert {row["epoch"] for row in history if "val/loss" in row} == {0, 1}


def test_run_folder_is_shared_with_child_ranks_but_new_for_each_run(monkeypatch: pytest.MonkeyPatch) -> None:
    from jsonargparse import Namespace

    from litzoo.run import folders as runs

    config = Namespace(
        config=[CONFIGS / "trainer" / "default.yaml", CONFIGS / "model" / "lstm.yaml"],
        model=Namespace(class_path="litzoo.systems.supervised.SupervisedSystem", init_args=Namespace()),
        data=Namespace(
            class_path="litzoo.data.SequenceDataModule", __path__=CONFIGS / "data" / "adding.yaml"
        ),
        trainer=Namespace(default_root_dir=None),
    )
    monkeypatch.setattr(runs.time, "strftime", lambda fmt: "T1")
    first = runs.claim_run_dir(config)
    assert first == Path("runs/lstm-adding/T1")
    monkeypatch.setenv(runs.RUN_DIR_OWNER_ENV, "another-process")  # as a DDP child sees it
    assert runs.claim_run_dir(config) == first
    monkeypatch.setattr(runs.time, "strftime", lambda fmt: "T2")
    monkeypatch.setenv(runs.RUN_DIR_OWNER_ENV, str(os.getpid()))  # a second run in this process
    assert runs.claim_run_dir(config) == Path("runs/lstm-adding/T2")
    monkeypatch.setenv(runs.RUN_DIR_OWNER_ENV, str(os.getpid()))
    assert runs.claim_run_dir(config) == Path("runs/lstm-adding/T2-2")  # same second: its own folder
    monkeypatch.delenv(runs.RUN_DIR_ENV)
    monkeypatch.setenv("SLURM_JOB_ID", "42")
    monkeypatch.setenv("SLURM_STEP_ID", "3")
    assert runs.claim_run_dir(config) == Path("runs/lstm-adding/slurm-42.3")


@pytest.mark.parametrize("logger, probed", [("csv", False), ("wandb", True)])
def test_wandb_reachability_is_probed_only_for_a_wandb_logger(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, logger: str, probed: bool
) -> None:
    import wandb

    from litzoo.tracking import logger as tracking

    calls: list[str] = []
    monkeypatch.setattr(tracking, "_reachable", lambda host, **kw: calls.append(host) or False)
    monkeypatch.delenv("WANDB_MODE")
    monkeypatch.setenv("WANDB_API_KEY", "x" * 40)  # credentials exist: only the network is in question
    run_main(capsys, "fit", "--help")
    assert calls == [], "--help probed W&B"
    configs = ["--config", str(CONFIGS / "trainer" / "default.yaml")]
    configs += ["--config", str(CONFIGS / "logger" / f"{logger}.yaml")]
    configs += ["--config", str(CONFIGS / "model" / "mlp.yaml")]
    # No MNIST here: the run stops at the data, after the loggers are set up.
    no_data = ["--data.init_args.download=false", "--data.init_args.data_dir=/nonexistent/litzoo"]
    code, _, err = run_main(capsys, "fit", *configs, *no_data)
    assert code == 2 and "MNIST" in err
    assert calls == ([wandb.Settings().base_url] if probed else [])
    assert os.environ.get("WANDB_MODE") == ("offline" if probed else None)


def test_runs_started_together_each_get_their_own_folder(tmp_path: Path) -> None:
    claim = "import sys; from pathlib import Path; from litzoo.run import folders as runs; "
    claim += "runs.time.strftime = lambda fmt: 'T'; print(runs.claim_folder(Path(sys.argv[1])))"
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", claim, str(tmp_path / "runs")], stdout=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    folders = [racer.communicate(timeout=300)[0].strip() for racer in racers]
    assert sorted(Path(f).name for f in folders) == ["T", "T-2", "T-3", "T-4"]
