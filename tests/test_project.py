"""A project made from the template, used as its researcher would: their own net, system and data
module added from the docs' examples alone, its own fresh environment, and an upgrade of litzoo."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from litzoo import __version__
from litzoo.data.idx_files import write_tiny
from test_template import bake, make_template_build_files, project_env

from conftest import ROOT

DOCS = ("nets.md", "systems.md", "data.md")
# A fenced block whose first line names its file: "# src/my_project/nets/lenet.py".
BLOCK = re.compile(r"^```(?:python|yaml)\n# ((?:src|configs)/\S+)\n(.*?)^```", re.M | re.S)


def doc_files() -> dict[str, str]:
    """The files the docs' examples say to add, by path (package ``my_project``)."""
    found = {}
    for doc in DOCS:
        for path, body in BLOCK.findall((ROOT / "docs" / doc).read_text()):
            found[path] = body
    return found


def make(
    project: Path, *words: str, env: dict[str, str], python: str = sys.executable
) -> subprocess.CompletedProcess:
    """``make`` in the project with this interpreter (``-o``: its own environment is not built here)."""
    line = [
        "make",
        "--no-print-directory",
        "-C",
        str(project),
        "-o",
        ".venv/.installed",
        f"PY={python}",
        *words,
    ]
    return subprocess.run(
        line, env=env, capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return bake(tmp_path / "out", project_name="My Project", starter="empty", init_git="no")


def test_the_docs_name_a_net_a_system_and_a_data_module_to_add() -> None:
    paths = set(doc_files())
    assert {"src/my_project/nets/lenet.py", "configs/model/lenet.yaml"} <= paths
    assert {"src/my_project/systems/vae.py", "configs/model/vae.yaml"} <= paths
    assert {"src/my_project/data/points.py", "configs/data/points.yaml"} <= paths


@pytest.mark.slow
def test_the_docs_examples_added_to_a_project_train_and_pass_the_generic_tests(
    project: Path, tmp_path: Path
) -> None:
    for path, body in doc_files().items():
        (project / path).write_text(body)  # one file and one YAML each, and nothing else
    env = {**project_env(project), "HOME": str(tmp_path), "CI": "true", "WANDB_MODE": "offline"}
    mnist = write_tiny(tmp_path / "data", __import__("torchvision").datasets.MNIST)
    tiny = "--trainer.max_epochs=1 --data.init_args.val_size=32 --data.init_args.batch_size=32"
    for model in ("lenet", "vae"):
        result = make(
            project, "train", f"MODEL={model}", "LOGGER=csv", f"DATA_DIR={mnist}", f"ARGS={tiny}", env=env
        )
        assert result.returncode == 0, result.stderr[-3000:]
        assert "litzoo: run finished" in result.stdout
    assert list((project / "runs" / "vae-mnist").glob("*/samples/epoch_000.png"))
    wrong = make(project, "train", "MODEL=lenet", "DATA=adding", "LOGGER=csv", env=env)
    assert wrong.returncode == 2 and "Traceback" not in wrong.stderr, wrong.stderr[-3000:]
    errors = [line for line in wrong.stderr.splitlines() if line.startswith("litzoo: error:")]
    assert len(errors) == 1 and "LeNet5 reads images" in errors[0]
    assert not (project / "runs" / "lenet-adding").exists(), "the refused run left a folder"
    points = tmp_path / "points"
    points.mkdir()
    make_points(project, points)
    result = make(project, "train", "DATA=points", "LOGGER=csv", f"DATA_DIR={points}", env=env)
    assert result.returncode == 0 and "test/acc=" in result.stdout, result.stderr[-3000:]
    tests = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", "lenet or vae or points"]
    result = subprocess.run(tests, cwd=project, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:]
    ran = int(re.search(r"(\d+) passed", result.stdout)[1])
    assert ran >= 16, result.stdout[-1000:]  # 7 per model config, and the data config's own


def make_points(project: Path, folder: Path) -> Path:
    """The points CSV the data module's own ``tiny`` writes: what a user would bring."""
    code = "from pathlib import Path; from my_project.data.points import PointsDataModule as P; "
    code += f"P.tiny({{}}, Path({str(folder)!r}))"
    subprocess.run([sys.executable, "-c", code], env=project_env(project), check=True)
    return folder / "points.csv"


@pytest.mark.slow
def test_a_project_trains_and_tests_from_its_own_fresh_venv_and_upgrades_litzoo_by_its_pin(
    project: Path, tmp_path: Path
) -> None:
    # The README's two commands, as on a fresh machine: make builds .venv from the lock and vendor/.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LITZOO", "PYTEST", "VIRTUAL_ENV"))}
    env |= {"HOME": str(tmp_path), "CI": "true", "PIP_CACHE_DIR": str(Path.home() / ".cache" / "pip")}
    run = lambda *words: subprocess.run(  # noqa: E731
        ["make", "--no-print-directory", "-C", str(project), *words],
        env=env, capture_output=True, text=True, timeout=1200, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    tested = run("test")
    assert tested.returncode == 0, tested.stdout[-3000:] + tested.stderr[-3000:]
    trained = run("train", "ARGS=--trainer.max_epochs=1")
    assert trained.returncode == 0 and "litzoo: run finished" in trained.stdout, trained.stderr[-3000:]
    python = project / ".venv" / "bin" / "python"
    assert _version(python) == __version__
    # Upgrading litzoo is changing its pin (and putting that litzoo's wheel in vendor/).
    newer = _bumped_wheel(tmp_path, project / "vendor", "99.0.0")
    lock = project / "requirements" / "lock.txt"
    lock.write_text(lock.read_text().replace(f"\nlitzoo=={__version__}\n", "\nlitzoo==99.0.0\n"))
    helped = run("lint")  # any target of the environment: the changed lock re-installs first
    assert helped.returncode == 0, helped.stderr[-3000:]
    assert _version(python) == "99.0.0" and newer.is_file()


def _version(python: Path) -> str:
    out = subprocess.run([str(python), "-c", "import litzoo; print(litzoo.__version__)"], capture_output=True)
    return out.stdout.decode().strip()


def _bumped_wheel(tmp_path: Path, vendor: Path, version: str) -> Path:
    source = tmp_path / "newer"
    source.mkdir()
    for name in make_template_build_files():
        (shutil.copytree if (ROOT / name).is_dir() else shutil.copyfile)(ROOT / name, source / name)
    init = source / "src" / "litzoo" / "__init__.py"
    init.write_text(init.read_text().replace(f'"{__version__}"', f'"{version}"'))
    command = [
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "-q",
        "--no-deps",
        "--no-build-isolation",
        "-w",
        str(vendor),
    ]
    subprocess.run([*command, str(source)], check=True, capture_output=True)
    return next(vendor.glob(f"litzoo-{version}-*.whl"))
