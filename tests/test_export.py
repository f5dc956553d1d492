"""A run exports from its folder, and the file runs without litzoo (every model exports: test_generic)."""

import subprocess
import sys
from pathlib import Path

import pytest

from litzoo.__main__ import main
from litzoo.run.cli import LitzooCLI

from conftest import model_args


def test_a_runs_onnx_file_runs_in_a_process_that_never_imports_litzoo(data_dir: Path) -> None:
    args = [*model_args("mlp", data_dir), "--model.init_args.net.init_args.hidden=[16]"]
    run = Path(LitzooCLI(args=["fit", *args, "--trainer.max_epochs=1"]).trainer.default_root_dir)
    # As a user runs it: a process of its own, which has imported no system yet.
    exported = subprocess.run(
        [sys.executable, "-m", "litzoo", "export", str(run)], capture_output=True, text=True, timeout=300
    )
    assert exported.returncode == 0, exported.stderr[-2000:]
    onnx = (run / "export" / "model.onnx").resolve()
    check = (
        "import sys, numpy, onnxruntime\n"
        f"s = onnxruntime.InferenceSession({str(onnx)!r}, providers=['CPUExecutionProvider'])\n"
        "out = s.run(None, {s.get_inputs()[0].name: numpy.zeros((5, 1, 28, 28), numpy.float32)})[0]\n"
        "assert out.shape == (5, 10), out.shape\n"
        "assert not any(m.startswith('litzoo') for m in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", check], cwd="/", capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]


def test_exporting_a_folder_that_is_no_run_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as failed:
        main(["export", str(tmp_path / "nowhere")])
    err = capsys.readouterr().err
    assert failed.value.code == 2 and err.count("\n") == 1
    assert err.startswith("litzoo: error: ") and "holds no checkpoint" in err
