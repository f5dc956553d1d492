"""Every command in the README and docs/ is run by a test or a check: an example that does not parse fails.

The commands are the lines of the pages' ```bash blocks and their inline ``ARGS="…"`` examples
(as ``make train ARGS=…``). ``make train|cv|sweep`` runs the real Makefile with ``PY`` set to a
stand-in interpreter that prints the arguments make hands to litzoo; those are parsed by the
real CLI with ``--print_config`` (every option, type and class path checked, nothing trained).
Commands that need a run folder, the network or minutes name the test that runs them, and
make's dry run must show that their target runs what that test runs.
"""

import ast
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from litzoo.workflows.sweep import spec
from litzoo.workflows.sweep.cli import _count

from conftest import ROOT, run_main

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# What a command's kind is run by (a test, or a script that runs it as it is), and the text make's
# dry run of it must show: the command that test runs. None: no test can run it here.
RUN_BY: dict[str, tuple[str | None, str]] = {
    "make test": (".ci/run", "-m pytest -q -m"),
    "make test-slow": (".ci/run", "-m pytest -q -m slow"),
    "make resume": (
        "test_resume.py::test_a_killed_run_resumes_to_the_uninterrupted_weights",
        "-m litzoo resume",
    ),
    "make eval": (
        "test_checkpoint.py::test_eval_and_predict_work_in_the_run_folder_with_its_best_checkpoint",
        "-m litzoo test --run",
    ),
    "make predict": (
        "test_checkpoint.py::test_eval_and_predict_work_in_the_run_folder_with_its_best_checkpoint",
        "-m litzoo predict --run",
    ),
    "make export": (
        "test_export.py::test_a_runs_onnx_file_runs_in_a_process_that_never_imports_litzoo",
        "-m litzoo export",
    ),
    "make generate": (
        "test_text.py::test_litzoo_generate_continues_a_prompt_from_a_run_folder",
        "-m litzoo generate --run",
    ),
    "make serve": (
        "test_serve.py::test_sigterm_stops_the_server_cleanly_and_it_writes_no_client_file",
        "-m litzoo serve",
    ),
    "make bench-serve": (
        "test_serve.py::test_bench_serve_prints_a_row_per_format_and_batching",
        "scripts/bench_serve.py",
    ),
    "make sweep RESUME": (
        "test_sweep.py::test_an_interrupted_sweep_resumes_its_trial_from_its_checkpoint",
        "-m litzoo sweep --resume",
    ),
    # An agent needs W&B online; the test checks the command it runs for each trial.
    "make agent": (
        "test_sweep.py::test_the_trial_command_is_the_one_wandbs_agent_builds",
        "-m litzoo agent",
    ),
    "make new-project": (  # cruft create itself: test_template.py's cruft tests
        "test_faults_make.py::test_a_bad_project_name_through_new_project_is_one_line_not_a_traceback",
        "scripts/new_project.py",
    ),
    "make bench": (
        "test_scripts.py::test_bench_prints_the_overhead_ratio_last",
        "scripts/bench.py --data-dir",
    ),
    "make bench-gpu": (
        "test_fast_bench.py::test_bench_gpu_code_runs_on_the_cpu_and_prints_both_loops",
        "scripts/bench_gpu.py --data-dir",
    ),
    "make lock": (None, "piptools compile"),  # resolves against the package index
    "cookiecutter": ("test_template.py::test_a_baked_project_passes_its_own_tests", ""),
    "python -m litzoo test …": ("test_guards.py::test_the_checkpoint_says_which_hyperparameters_it_sets", ""),
    "python -m litzoo fit …": ("test_cli.py::test_stacked_configs_compose", ""),
    "sbatch": ("test_cluster.py::test_train_sbatch_trains_with_one_task_per_device", ""),
    # Its fit arguments are parsed as well (below); the launch itself runs on CPU in this test:
    ".venv/bin/torchrun": (
        "test_cluster.py::test_lightning_ddp_torchrun_and_slurm_give_one_folder_one_wandb_run_and_the_same_metrics",
        "",
    ),
}
PARSED = ("make train", "make cv", "make sweep", "python -m litzoo fit")
SHELL = ("mapfile", ".venv/bin/torchrun")  # the config reader's arguments, as the README's shell passes them
RUN = ("make help", "make lint")  # quick: run as they are


def readme_commands() -> list[list[str]]:
    """Each command of the README as its words (shell quoting and comments resolved)."""
    text = "\n".join(page.read_text() for page in PAGES)
    lines = "\n".join(re.findall(r"^```bash\n(.*?)^```", text, flags=re.M | re.S))
    commands = [shlex.split(line, comments=True) for line in lines.replace("\\\n", " ").splitlines()]
    commands += [shlex.split(span) for span in re.findall(r'`(ARGS="[^`]*")`', text)]
    return [["make", "train", *c] if c[0].startswith("ARGS=") else c for c in commands if c]


def kind(command: list[str]) -> str:
    """What a command is: ``make <target>``, ``python -m <module> <subcommand>`` or its program.

    ``make sweep RESUME`` is a resumed sweep; `` …`` ends the kind of a command with a placeholder.
    """
    while re.match(r"^[A-Z_]+=", command[0]):  # MODEL=lstm sbatch …: the variables are not the command
        command = command[1:]
    if command[0] == "make":
        target = next((word for word in command[1:] if "=" not in word), "help")
        return f"make {target}" + (" RESUME" if any(w.startswith("RESUME=") for w in command) else "")
    if command[0].endswith("/litzoo"):  # the console script is python -m litzoo
        command = ["python", "-m", "litzoo", *command[1:]]
    head = "python " + " ".join(command[1:4]) if command[0].endswith("python") else command[0]
    return head + (" …" if any("…" in word for word in command) else "")


COMMANDS = readme_commands()


def test_the_readme_has_the_commands_it_is_known_for() -> None:
    kinds = {kind(command) for command in COMMANDS}
    assert {"make train", "make cv", "make sweep", "make test", "python -m litzoo fit"} <= kinds
    assert set(RUN_BY) <= kinds, f"{__name__}.RUN_BY names commands the README and docs no longer have"


@pytest.mark.parametrize("command", COMMANDS, ids=shlex.join)
def test_every_readme_command_is_checked(
    command: list[str], capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A folder with a space: make must pass it on as one argument.
    command = [word.replace("/path/to/data", str(tmp_path / "data dir")) for word in command]
    what = kind(command)
    monkeypatch.chdir(ROOT)  # the README's paths are relative to the repository, as make's are
    if what in RUN_BY:
        where, shown = RUN_BY[what]
        assert_run_by(where, shlex.join(command))
        if command[0] == "make":
            assert shown in make(tmp_path, command[1:], dry_run=True)
    if what in SHELL:
        parse(["-m", "litzoo", *fit_of(command)], capsys)
    elif what in RUN:
        make(tmp_path, command[1:], python=sys.executable)
    elif what in PARSED:
        parse(launched(tmp_path, command[1:]) if command[0] == "make" else command[1:], capsys)
    elif what not in RUN_BY:
        pytest.fail(f"README command {shlex.join(command)!r} is checked by nothing: add it to {__name__}")


def fit_of(command: list[str]) -> list[str]:
    """The ``litzoo fit`` arguments of the README's ``mapfile`` and torchrun lines.

    ``mapfile -t argv < <(… -m litzoo.configs fit-args …)`` is the config reader's answer, which
    the torchrun lines pass as ``"${argv[@]}"``: it is asked here for real.
    """
    mapfile = next(c for c in COMMANDS if c[0] == "mapfile")
    question = [w.removesuffix(")") for w in mapfile[mapfile.index("litzoo.configs") + 1 :]]
    answer = subprocess.run(
        [sys.executable, "-m", "litzoo.configs", *question],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    if command[0] == "mapfile":
        return ["fit", *answer]
    words = [w for word in command for w in (answer if word == "${argv[@]}" else [word])]
    return ["fit", *words[words.index("fit") + 1 :]]


def assert_run_by(where: str | None, command: str) -> None:
    """The test named ``file::name`` exists, or the script ``where`` runs ``command`` as it is."""
    if where is None:
        return
    if "::" not in where:
        assert command in (ROOT / where).read_text().splitlines(), f"{where} does not run {command}"
        return
    file, name = where.split("::")
    tree = ast.parse((ROOT / "tests" / file).read_text())
    names = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    assert name in names, f"{command} is said to be run by {where}, which does not exist"


def make(tmp_path: Path, words: list[str], dry_run: bool = False, python: str | None = None) -> str:
    """Run make (``dry_run``: ``-n``, only print) from the README's words; its stdout.

    ``PY`` is ``python`` or else a stand-in that runs the config reader for real and prints the
    arguments of anything else as a JSON list, instead of running it.
    """
    if python is None:
        python = str(tmp_path / "python")
        real = shlex.quote(sys.executable)
        Path(python).write_text(
            "#!/bin/sh\n"
            f'[ "$2" = litzoo.configs ] && exec {real} "$@"\n'
            f"exec {real} -c 'import json, sys; print(json.dumps(sys.argv[1:]))' \"$@\"\n"
        )
        Path(python).chmod(0o755)
    mode = "-n" if dry_run else "-s"
    # -o: the environment is not (re)installed for this, whatever its stamp says.
    line = ["make", "--no-print-directory", mode, "-C", str(ROOT), "-o", ".venv/.installed", f"PY={python}"]
    result = subprocess.run(
        [*line, *words], capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def launched(tmp_path: Path, words: list[str]) -> list[str]:
    """The arguments ``make <words>`` starts Python with: ``-m <module> …``."""
    return json.loads(make(tmp_path, words).splitlines()[-1])


def parse(argv: list[str], capsys: pytest.CaptureFixture) -> None:
    """Parse what make runs (``-m litzoo <command> …``) as that command would, without training."""
    module, command, args = argv[1], argv[2], argv[3:]
    assert module == "litzoo", f"make runs {module}: teach {__name__} to parse it"
    cut = args.index("--") if "--" in args else len(args)
    options, fit_args = args[:cut], args[cut + 1 :]
    if command == "sweep":
        config = spec.load(Path(options[0]))
        _count(options[options.index("--count") + 1], config["method"])
        spec.check_against_cli(config["parameters"], fit_args)
        return
    if command == "cv":
        folds = int(options[options.index("--folds") + 1])
        assert folds >= 2
        args = ["fit", *fit_args, f"--folds={folds}", "--fold=0"]
    else:
        args = [command, *args]
    shown = "--help" in args or "--print_config" in args
    code, _, err = run_main(capsys, *args, *([] if shown else ["--print_config"]))
    assert code == 0, err
