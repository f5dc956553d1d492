"""Two first ``make`` commands at once in a fresh clone: the environment is made once, neither fails."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# A stand-in for python3 that makes a venv slowly: bin/python appears at once, pip only 2 s
# later (as a real venv does while it installs pip). Every call is logged.
FAKE_PYTHON = """#!/bin/bash
echo "python3 $*" >> calls.log
[ "$1 $2" = "-m venv" ] || exit 1
mkdir -p "$3/bin"
cat > "$3/bin/python" <<'PY'
#!/bin/bash
echo "venv-python $*" >> calls.log
if [ "$1 $2" = "-m pip" ] && [ ! -e .venv/bin/pip ]; then echo "No such file: .venv/bin/pip" >&2; exit 1; fi
exit 0
PY
chmod +x "$3/bin/python"
sleep 2
touch "$3/bin/pip"
"""


def test_two_first_make_commands_at_once_make_the_venv_once_and_both_succeed(tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    (clone / "requirements").mkdir(parents=True)
    for name in ("Makefile", "pyproject.toml", "requirements/lock.txt"):
        shutil.copy(ROOT / name, clone / name)
    fake = tmp_path / "python3"
    fake.write_text(FAKE_PYTHON)
    fake.chmod(0o755)
    command = ["make", "-s", "resume", "RUN=runs/x", f"PYTHON={fake}"]
    pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}
    runs = [subprocess.Popen(command, cwd=clone, **pipes) for _ in range(2)]
    results = [run.communicate(timeout=60) for run in runs]
    for run, (out, err) in zip(runs, results, strict=True):
        assert run.returncode == 0, out + err
    calls = (clone / "calls.log").read_text().splitlines()
    assert sum(c.startswith("python3 -m venv") for c in calls) == 1, calls
    assert sum(c.endswith("-e .[dev]") for c in calls) == 1, calls  # the second found it installed
    assert sum(c == "venv-python -m litzoo resume runs/x" for c in calls) == 2, calls


def test_a_bad_project_name_through_new_project_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    answers = '{"project_name": "Über Net"}'
    command = [sys.executable, str(ROOT / "scripts" / "new_project.py"), str(ROOT), "--directory", "template"]
    command += ["--output-dir", str(tmp_path), "--no-input", "--extra-context", answers]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr[-2000:]
    assert result.stderr.strip().splitlines() == [
        "new-project: invalid answer: package_name 'über_net' is not a Python package name: "
        "use lowercase ASCII letters, digits and _, not starting with a digit"
    ]
    assert not list(tmp_path.iterdir()), "a half-made project was left"
