"""The project template: built from this repository, reproduces it, renders every option, updates."""

import ast
import importlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib
import yaml
from cookiecutter.exceptions import FailedHookException
from cookiecutter.main import cookiecutter

from conftest import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import make_template  # noqa: E402

TEMPLATE = ROOT / "template"
LITZOO = yaml.safe_load((ROOT / "scripts" / "template" / "litzoo.yaml").read_text())
MANIFEST = make_template.load_manifest()

# Every pair of values of the options that change files meets in at least one bake.
COMBINATIONS = [
    dict(starter="zoo", license="MIT", ci="github", pre_commit="no", init_git="yes", python_version="3.12"),
    dict(starter="zoo", license="none", ci="none", pre_commit="yes", init_git="no", python_version="3.10"),
    dict(starter="minimal", license="Apache-2.0", ci="github", pre_commit="yes", init_git="no"),
    dict(
        starter="minimal",
        license="BSD-3-Clause",
        ci="none",
        pre_commit="no",
        init_git="yes",
        wandb_entity="lab",
    ),
    dict(starter="empty", license="MIT", ci="none", pre_commit="yes", init_git="yes", python_version="3.13"),
    dict(starter="empty", license="Apache-2.0", ci="github", pre_commit="no", init_git="no"),
    dict(
        starter="zoo", license="BSD-3-Clause", ci="github", pre_commit="yes", init_git="yes", wandb_entity="x"
    ),
    dict(
        starter="minimal", license="none", ci="github", pre_commit="no", init_git="yes", python_version="3.13"
    ),
    dict(
        starter="empty",
        license="BSD-3-Clause",
        ci="github",
        pre_commit="no",
        init_git="no",
        python_version="3.10",
    ),
    dict(
        starter="zoo", license="Apache-2.0", ci="none", pre_commit="no", init_git="no", python_version="3.11"
    ),
    dict(starter="minimal", license="MIT", ci="none", pre_commit="yes", init_git="no", python_version="3.10"),
    dict(starter="empty", license="none", ci="none", pre_commit="no", init_git="yes", python_version="3.12"),
]
# Free text that must survive TOML, YAML and Python string quoting.
AWKWARD = {"author": 'Ann "Q" O\\Brien', "description": 'Says "hi" \\ bye: {braces} # not a comment'}
LICENSE_MARKS = {
    "MIT": "MIT License",
    "Apache-2.0": "Version 2.0, January 2004",
    "BSD-3-Clause": "BSD 3-Clause License",
}


def bake(out: Path, template: Path = TEMPLATE, **answers: str) -> Path:
    return Path(cookiecutter(str(template), no_input=True, extra_context=answers, output_dir=str(out)))


def tree(folder: Path) -> dict[str, tuple[bytes, int]]:
    files = (p for p in folder.rglob("*") if p.is_file() and ".git" not in p.relative_to(folder).parts)
    return {str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mode & 0o777) for p in files}


def test_the_committed_template_is_what_make_template_builds(tmp_path: Path) -> None:
    make_template.build(tmp_path / "template")
    fresh, committed = tree(tmp_path / "template"), tree(TEMPLATE)
    stale = sorted(
        set(fresh) ^ set(committed) | {f for f in fresh.keys() & committed.keys() if fresh[f] != committed[f]}
    )
    assert not stale, f"template/ is out of date with the repository: run make template ({stale[:5]})"


def test_baking_with_litzoos_answers_reproduces_litzoo_byte_for_byte(tmp_path: Path) -> None:
    baked = bake(tmp_path, **LITZOO)
    expected = [
        p for p in make_template.tracked_files() if "zoo" in (make_template.starters_of(p, MANIFEST) or [])
    ]
    assert len(expected) > 50
    for path in expected:
        assert (baked / path).read_bytes() == (ROOT / path).read_bytes(), f"{path} differs"
        assert (baked / path).stat().st_mode == (ROOT / path).stat().st_mode, f"{path}: mode differs"


def _class_paths(tree_: object) -> list[str]:
    if isinstance(tree_, dict):
        found = [tree_["class_path"]] if isinstance(tree_.get("class_path"), str) else []
        return found + [c for value in tree_.values() for c in _class_paths(value)]
    if isinstance(tree_, list):
        return [c for value in tree_ for c in _class_paths(value)]
    return []


def _defines(module: Path, name: str) -> bool:
    """Whether the module's top level defines or imports ``name``."""
    for node in ast.parse(module.read_text()).body:
        if isinstance(node, ast.ClassDef | ast.FunctionDef) and node.name == name:
            return True
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                return True
        if isinstance(node, ast.ImportFrom | ast.Import) and any(
            (a.asname or a.name) == name for a in node.names
        ):
            return True
    return False


def _resolves(project: Path, package: str, dotted: str, name: str | None) -> bool:
    """``package.x.y`` (and ``name`` in it) exists in the generated project's source."""
    base = project / "src" / Path(*dotted.split("."))
    module = base.with_suffix(".py") if base.with_suffix(".py").is_file() else base / "__init__.py"
    return module.is_file() and (name is None or _defines(module, name) or (base / f"{name}.py").is_file())


def check_project(project: Path, answers: dict) -> None:
    package = project.name.replace("-", "_")
    texts = {path: data.decode() for path, (data, _) in tree(project).items()}
    for path, text in texts.items():
        assert "{%" not in text and "{{" not in text and "cookiecutter." not in text, f"unrendered: {path}"
        if path != "README.md":  # the README names the template it came from
            assert "litzoo" not in text.lower(), f"litzoo left in {path}"
        if path.endswith(".py"):
            tree_ = ast.parse(text, path)
            for node in ast.walk(tree_):
                if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == package:
                    for alias in node.names:
                        assert _resolves(project, package, node.module, alias.name), f"{path}: {node.module}"
        elif path.endswith((".yaml", ".yml")):
            for class_path in _class_paths(yaml.safe_load(text)):
                module, name = class_path.rsplit(".", 1)
                if module.split(".")[0] == package:
                    assert _resolves(project, package, module, name), f"{path}: {class_path}"
                else:
                    assert hasattr(importlib.import_module(module), name), f"{path}: {class_path}"
    pyproject = tomllib.loads(texts["pyproject.toml"])
    assert pyproject["project"]["requires-python"] == f">={answers['python_version']}"
    assert pyproject["tool"]["ruff"]["target-version"] == "py" + answers["python_version"].replace(".", "")
    assert pyproject["project"]["description"] == AWKWARD["description"]
    assert pyproject["project"]["authors"][0]["name"] == AWKWARD["author"]
    wandb = yaml.safe_load(texts["configs/logger/wandb.yaml"])["trainer"]["logger"]["init_args"]
    assert wandb["project"] == project.name and wandb.get("entity") == (answers.get("wandb_entity") or None)
    license_ = answers["license"]
    assert pyproject["project"].get("license") == (None if license_ == "none" else license_)
    assert ("LICENSE" in texts) == (license_ != "none")
    if license_ != "none":
        assert LICENSE_MARKS[license_] in texts["LICENSE"] and texts["LICENSE"].endswith("\n")
    assert (".github/workflows/ci.yml" in texts) == (answers["ci"] == "github")
    if answers["ci"] == "github":
        ci = yaml.safe_load(texts[".github/workflows/ci.yml"])
        assert ci["jobs"]["test"]["steps"][1]["with"]["python-version"] == answers["python_version"]
    assert (".pre-commit-config.yaml" in texts) == (answers["pre_commit"] == "yes")
    assert (project / ".git").is_dir() == (answers["init_git"] == "yes")
    models = {Path(p).stem for p in texts if p.startswith("configs/model/")}
    expected = {"zoo": 10, "minimal": 2, "empty": 1}[answers["starter"]]
    assert len(models) == expected, models
    for word in texts["README.md"].split():
        if word.startswith("MODEL="):
            assert word.removeprefix("MODEL=") in models, f"README names {word}, which is not in the project"
    if not any(p.startswith("configs/experiment/") for p in texts):
        assert "EXPERIMENT" not in texts["README.md"] and "make results" not in texts["README.md"]
    if "scripts/bench.py" not in texts:
        assert "make bench" not in texts["README.md"] and "bench:" not in texts["Makefile"]


@pytest.mark.parametrize("combination", COMBINATIONS, ids=lambda c: "-".join(c.values()))
def test_every_option_combination_renders_a_consistent_project(tmp_path: Path, combination: dict) -> None:
    answers = {"python_version": "3.11", **combination, **AWKWARD, "project_name": "Deep Vision"}
    check_project(bake(tmp_path, **answers), answers)


@pytest.mark.parametrize(
    "answers, message",
    [
        ({"project_name": ""}, "package_name is empty"),
        ({"project_name": "3D Vision"}, "not starting with a digit"),
        ({"package_name": "class"}, "would shadow a Python keyword"),
        ({"package_name": "my pkg"}, "is not a Python package name"),
        ({"package_name": "café"}, "is not a Python package name"),
        ({"package_name": "torch"}, "would shadow"),
        ({"package_name": "wandb"}, "would shadow"),
        ({"package_name": "test"}, "would shadow"),
        ({"package_name": "json"}, "would shadow"),
        ({"email": "not an address"}, "is not an email address"),
    ],
    ids=lambda v: str(v),
)
def test_invalid_answers_stop_before_anything_is_written(tmp_path: Path, answers: dict, message: str) -> None:
    with pytest.raises(FailedHookException, match=message):
        bake(tmp_path, **answers)
    assert list(tmp_path.iterdir()) == []


def test_an_invalid_answer_on_the_command_line_is_one_line_and_exit_1(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "cookiecutter", "--no-input", str(TEMPLATE), "project_name=3D Vision"]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and list(tmp_path.iterdir()) == []
    assert result.stdout.strip().splitlines() == [
        "invalid answer: package_name '3d_vision' is not a Python package name: use lowercase ASCII "
        "letters, digits and _, not starting with a digit"
    ]


def _git(folder: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t"}
    env["GIT_COMMITTER_EMAIL"] = "t@t"
    return subprocess.run(
        ["git", *args], cwd=folder, env=env, capture_output=True, text=True, check=True
    ).stdout


def test_a_generated_project_pulls_a_later_template_change_with_cruft(tmp_path: Path) -> None:
    upstream = tmp_path / "upstream"
    shutil.copytree(TEMPLATE, upstream / "template")
    _git(upstream, "init", "-q")
    _git(upstream, "add", "-A")
    _git(upstream, "commit", "-q", "-m", "template, state A")
    context = json.dumps({"project_name": "Deep Vision", "starter": "minimal", "init_git": "yes"})
    cruft = [str(Path(sys.executable).parent / "cruft")]
    create = [
        *cruft,
        "create",
        str(upstream),
        "--directory",
        "template",
        "--no-input",
        "--extra-context",
        context,
    ]
    subprocess.run([*create, "--output-dir", str(tmp_path / "out")], check=True, capture_output=True)
    project = tmp_path / "out" / "deep-vision"
    _git(project, "add", ".cruft.json")
    _git(project, "commit", "-q", "--amend", "--no-edit")
    makefile = upstream / "template" / "{{cookiecutter.project_slug}}" / "Makefile"
    makefile.write_text(
        makefile.read_text() + "\nhello:  ## a target added to the template later\n\t@echo hi\n"
    )
    (makefile.parent / "NOTES.md").write_text("# Notes for {{ cookiecutter.project_name }}\n")
    _git(upstream, "add", "-A")
    _git(upstream, "commit", "-q", "-m", "template, state B")
    update = subprocess.run(
        [*cruft, "update", "--skip-apply-ask"], cwd=project, capture_output=True, text=True
    )
    assert update.returncode == 0, update.stderr
    assert "hello:  ## a target added to the template later" in (project / "Makefile").read_text(), update
    assert (project / "NOTES.md").read_text() == "# Notes for Deep Vision\n"
    for path, (data, _) in tree(project).items():  # the tool's own "clean" is not trusted: look
        assert not path.endswith((".rej", ".orig")), path
        assert b"<<<<<<<" not in data and b">>>>>>>" not in data, f"conflict markers in {path}"
    subprocess.run([*cruft, "check"], cwd=project, check=True, capture_output=True)


@pytest.mark.slow
@pytest.mark.parametrize("starter", ["zoo", "minimal", "empty"])
def test_a_baked_project_passes_its_own_tests(tmp_path: Path, starter: str) -> None:
    project = bake(tmp_path, project_name=f"Bake {starter}", starter=starter, init_git="yes")
    env = {**os.environ, "PYTHONPATH": str(project / "src"), "PYTHONDONTWRITEBYTECODE": "1"}
    env = {k: v for k, v in env.items() if not k.startswith(("LITZOO", "PYTEST"))}
    command = [sys.executable, "-m", "pytest", "-q", "-x", "-m", "not slow", "-p", "no:cacheprovider"]
    result = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:]
    assert " passed" in result.stdout.splitlines()[-1]
