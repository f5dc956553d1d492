"""Bad input found by probing as a new user would: one line, exit code 2, no traceback, no folder."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import model_args


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
