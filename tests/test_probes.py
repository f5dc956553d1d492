"""Bad input found by probing as a new user would: one line, exit code 2, no traceback, no folder."""

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import CONFIGS, model_args, run_main

WANDB = ["--config", str(CONFIGS / "logger" / "wandb.yaml")]


def one_error_line(err: str) -> str:
    """The one ``litzoo: error:`` line of a failed run's stderr, which holds no traceback."""
    assert "Traceback" not in err, err[-3000:]
    lines = [line for line in err.splitlines() if line.startswith("litzoo: error: ")]
    assert len(lines) == 1, err[-3000:]
    return lines[0]


def litzoo(
    args: list[str],
    env: dict[str, str] | None = None,
    prefix: list[str] | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess:
    """``python -m litzoo`` in a process of its own (after ``prefix``), as a user without a terminal."""
    env = {k: v for k, v in (env or os.environ).items() if not k.startswith("LITZOO")}
    return subprocess.run(
        [*(prefix or []), sys.executable, "-m", "litzoo", *args],
        env=env, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def unprivileged() -> list[str]:
    """A command prefix under which file permissions hold: root ignores them otherwise."""
    if os.geteuid() != 0:
        return []
    if not shutil.which("setpriv"):
        pytest.skip("running as root without setpriv: a read-only folder cannot be made")
    return ["setpriv", "--inh-caps=-dac_override", "--bounding-set=-dac_override"]


@pytest.mark.slow
@pytest.mark.parametrize("case", ["default_root_dir inside a read-only folder", "a read-only runs/"])
def test_a_read_only_output_folder_is_one_line_naming_it(data_dir: Path, tmp_path: Path, case: str) -> None:
    locked = tmp_path / ("locked" if case.startswith("default_root_dir") else "runs")
    locked.mkdir()
    locked.chmod(0o555)
    args = [*model_args("mlp", data_dir), "--trainer.max_epochs=1"]
    if locked.name == "locked":
        args.append(f"--trainer.default_root_dir={locked / 'runs'}")
    result = litzoo(["fit", *args], prefix=unprivileged(), cwd=tmp_path)
    locked.chmod(0o755)  # so that pytest can clean up
    assert result.returncode == 2, result.stderr[-3000:]
    where = locked if locked.name == "locked" else Path("runs")
    assert one_error_line(result.stderr) == (
        f"litzoo: error: cannot create the run folder in {where} (Permission denied): "
        "choose a folder you can write with --trainer.default_root_dir=<folder>"
    )
    assert list(locked.iterdir()) == []


@pytest.fixture
def no_wandb_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No WANDB_API_KEY and a home whose .netrc (and $NETRC) does not exist."""
    for name in ("WANDB_API_KEY", "WANDB_IDENTITY_TOKEN_FILE", "WANDB_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "home").mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("NETRC", str(tmp_path / "home" / ".netrc"))


def test_online_wandb_without_credentials_is_one_line(
    capsys: pytest.CaptureFixture, data_dir: Path, no_wandb_credentials: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from litzoo.tracking import logger as tracking

    monkeypatch.setenv("WANDB_MODE", "online")
    monkeypatch.setattr(tracking, "_reachable", lambda *a, **kw: pytest.fail("probed the network"))
    code, _, err = run_main(capsys, "fit", *model_args("mlp", data_dir), *WANDB)
    assert code == 2
    assert one_error_line(err) == (
        "litzoo: error: WANDB_MODE=online needs W&B credentials: set WANDB_API_KEY or run `wandb "
        "login`, or unset WANDB_MODE to log offline (wandb sync uploads later)"
    )
    assert not Path("runs").exists()


def test_online_wandb_that_cannot_reach_its_server_is_one_line(
    capsys: pytest.CaptureFixture, data_dir: Path, no_wandb_credentials: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import wandb

    from litzoo.tracking import logger as tracking

    monkeypatch.setenv("WANDB_MODE", "online")
    monkeypatch.setenv("WANDB_API_KEY", "0" * 40)  # a key of the right form; W&B would wait ~100 s
    probed: list[str] = []

    monkeypatch.setattr(tracking, "_reachable", lambda url, timeout_s=3.0: probed.append(url) or False)
    code, _, err = run_main(capsys, "fit", *model_args("mlp", data_dir), *WANDB)
    assert code == 2 and probed == [wandb.Settings().base_url]  # the server wandb.init would use
    assert one_error_line(err) == (
        f"litzoo: error: WANDB_MODE=online, but the W&B server {probed[0]} cannot be reached: "
        "check the network, or unset WANDB_MODE to log offline (wandb sync uploads later)"
    )
    assert not Path("runs").exists()


def _closed_port() -> int:
    """A local port nothing listens on: a W&B server that cannot be reached, off the network."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.slow
def test_online_wandb_with_a_key_and_no_server_fails_fast_in_a_real_process(
    data_dir: Path, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WANDB")}
    port = _closed_port()
    env |= {"WANDB_MODE": "online", "WANDB_API_KEY": "0" * 40, "HOME": str(tmp_path / "home")}
    env |= {"WANDB_BASE_URL": f"http://127.0.0.1:{port}"}  # a self-hosted server that is down
    started = time.monotonic()
    result = litzoo(["fit", *model_args("mlp", data_dir), *WANDB], env)
    assert time.monotonic() - started < 60, "it waited for W&B"
    assert result.returncode == 2
    assert f"the W&B server http://127.0.0.1:{port} cannot be reached" in one_error_line(result.stderr)
    assert not (tmp_path / "runs").exists()


def test_more_validation_samples_than_training_images_is_one_line(
    capsys: pytest.CaptureFixture, data_dir: Path
) -> None:
    args = [*model_args("mlp", data_dir), "--data.init_args.val_size=70000"]
    code, _, err = run_main(capsys, "fit", *args)
    assert code == 2
    assert one_error_line(err) == "litzoo: error: val_size 70000 leaves no training images of 96"
    assert not Path("runs").exists()


def test_a_wandb_login_counts_as_credentials(no_wandb_credentials: None) -> None:
    import wandb
    from wandb.sdk.lib.wbauth import write_netrc_auth

    from litzoo.tracking import logger as tracking

    url = wandb.Settings().base_url
    assert not tracking._has_credentials(url)
    write_netrc_auth(host=url, api_key="0" * 40)  # what `wandb login` writes, for wandb's own server
    assert tracking._has_credentials(url)
