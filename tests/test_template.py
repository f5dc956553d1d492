"""The project template: built from this repository, renders every option into a project that holds
only its own code, depends on this litzoo, updates with cruft, and passes its own tests."""

import ast
import importlib.util
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

from litzoo import __version__

from conftest import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import make_template  # noqa: E402

TEMPLATE = ROOT / "template"
MANIFEST = make_template.load_manifest()
# Every pair of values of the options that change files meets in at least one bake.
COMBINATIONS = [
    dict(starter="zoo", license="MIT", ci="github", pre_commit="no", init_git="yes", own_system="no"),
    dict(starter="zoo", license="none", ci="none", pre_commit="yes", init_git="no", own_system="yes"),
    dict(
        starter="minimal", license="Apache-2.0", ci="github", pre_commit="yes", init_git="no", own_system="no"
    ),
    dict(
        starter="minimal",
        license="BSD-3-Clause",
        ci="none",
        pre_commit="no",
        init_git="yes",
        own_system="yes",
    ),
    dict(starter="empty", license="MIT", ci="none", pre_commit="yes", init_git="yes", own_system="yes"),
    dict(starter="empty", license="Apache-2.0", ci="github", pre_commit="no", init_git="no", own_system="no"),
    dict(
        starter="zoo", license="BSD-3-Clause", ci="github", pre_commit="yes", init_git="yes", wandb_entity="x"
    ),
    dict(starter="minimal", license="none", ci="github", pre_commit="no", python_version="3.13"),
    dict(starter="empty", license="BSD-3-Clause", ci="github", init_git="no", python_version="3.10"),
    dict(
        starter="zoo", license="Apache-2.0", ci="none", init_git="no", python_version="3.12", own_system="yes"
    ),
    dict(
        starter="minimal",
        license="MIT",
        ci="none",
        pre_commit="yes",
        python_version="3.10",
        wandb_entity="lab",
    ),
    dict(starter="empty", license="none", ci="none", init_git="yes", python_version="3.12"),
]
# Free text that must survive TOML, YAML and Python string quoting.
AWKWARD = {"author": 'Ann "Q" O\\Brien', "description": 'Says "hi" \\ bye: {braces} # not a comment'}
LICENSE_MARKS = {
    "MIT": "MIT License",
    "Apache-2.0": "Version 2.0, January 2004",
    "BSD-3-Clause": "BSD 3-Clause",
}
NETS = {
    "zoo": {"mlp", "recurrent", "cnn", "transformer", "autoencoder", "gan"},
    "minimal": {"mlp", "recurrent"},
}
PACKAGES = ("__init__.py", "nets/__init__.py", "systems/__init__.py", "data/__init__.py")
MAKE_TARGETS = ("train", "test", "test-slow", "sweep", "agent", "cv", "resume", "eval", "predict", "export")
MAKE_TARGETS += ("lint", "lock", "help")


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This litzoo as a wheel, built once: bakes copy it (LITZOO_WHEEL) instead of building their own."""
    out = tmp_path_factory.mktemp("wheel")
    source = out / "src-copy"
    source.mkdir()
    for name in make_template_build_files():
        (shutil.copytree if (ROOT / name).is_dir() else shutil.copyfile)(ROOT / name, source / name)
    command = [
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "-q",
        "--no-deps",
        "--no-build-isolation",
        "-w",
        str(out),
    ]
    subprocess.run([*command, str(source)], check=True, capture_output=True)
    return next(out.glob(f"litzoo-{__version__}-*.whl"))


def make_template_build_files() -> tuple[str, ...]:
    hook = (ROOT / "scripts" / "template" / "hooks" / "post_gen_project.py").read_text()
    return ast.literal_eval(hook.split("BUILD_FILES = ", 1)[1].splitlines()[0])


@pytest.fixture(autouse=True)
def prebuilt_wheel(wheel: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LITZOO_WHEEL", str(wheel))


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
    assert not stale, (
        "template/ is out of date with the repository (a net, config or Makefile changed): "
        f"run make template and commit it ({stale[:5]})"
    )


def test_the_zoo_starter_holds_litzoos_own_nets_and_configs_with_only_their_package_renamed(
    tmp_path: Path,
) -> None:
    project = bake(tmp_path, project_name="Deep Vision", starter="zoo", init_git="no")
    copied = [
        p for p in make_template.tracked_files() if "zoo" in (make_template.starters_of(p, MANIFEST) or [])
    ]
    copied = [
        p for p in copied if p.startswith(("src/litzoo/nets/", "configs/model/", "configs/experiment/"))
    ]
    assert len(copied) > 25
    for path in copied:
        baked = project / make_template.project_path(path).replace(
            "{{cookiecutter.package_name}}", "deep_vision"
        )
        assert baked.read_text().replace("deep_vision.nets.", "litzoo.nets.") == (ROOT / path).read_text(), (
            path
        )


def _class_paths(tree_: object) -> list[str]:
    if isinstance(tree_, dict):
        found = [tree_["class_path"]] if isinstance(tree_.get("class_path"), str) else []
        return found + [c for value in tree_.values() for c in _class_paths(value)]
    if isinstance(tree_, list):
        return [c for value in tree_ for c in _class_paths(value)]
    return []


def _resolves(project: Path, package: str, dotted: str) -> bool:
    """``dotted`` (a module, or a name in one) exists in the project's source or in the installed litzoo."""
    if dotted.split(".")[0] != package:
        module, _, name = dotted.rpartition(".")
        try:
            if importlib.util.find_spec(dotted) is not None:
                return True
        except ModuleNotFoundError:  # a name in a module, not a module
            pass
        return hasattr(importlib.import_module(module), name)
    base = project / "src" / Path(*dotted.split("."))
    if base.with_suffix(".py").is_file() or (base / "__init__.py").is_file():
        return True
    module = base.parent.with_suffix(".py")
    return module.is_file() and f"class {base.name}" in module.read_text()


def check_sources(project: Path, package: str, answers: dict) -> None:
    """The project's own Python is the starter's nets (and the system it asked for) and nothing else."""
    own = {f"nets/{n}.py" for n in NETS.get(answers["starter"], {"my_model"})} | set(PACKAGES)
    if answers.get("own_system") == "yes":
        own.add("systems/supervised.py")
    found = {str(p.relative_to(project / "src" / package)) for p in (project / "src").rglob("*.py")}
    assert found == own, f"src/{package} holds {sorted(found ^ own)} beyond or short of its own code"
    lines = sum(len(p.read_text().splitlines()) for p in (project / "src").rglob("*.py"))
    assert lines < {"empty": 300, "minimal": 600}.get(answers["starter"], 1500), lines


def check_project(project: Path, answers: dict) -> None:
    package = project.name.replace("-", "_")
    texts = {
        path: data.decode() for path, (data, _) in tree(project).items() if not path.startswith("vendor/")
    }
    for path, text in texts.items():
        assert "{%" not in text and "{{" not in text and "cookiecutter." not in text, f"unrendered: {path}"
        if path.endswith(".py"):
            for node in ast.walk(ast.parse(text, path)):
                if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    for alias in node.names:
                        target = node.module if alias.name == "*" else f"{node.module}.{alias.name}"
                        assert _resolves(project, package, target), f"{path}: {node.module}"
        elif path.endswith((".yaml", ".yml")):
            for class_path in _class_paths(yaml.safe_load(text)):
                assert _resolves(project, package, class_path), f"{path}: {class_path}"
    check_sources(project, package, answers)
    pyproject = tomllib.loads(texts["pyproject.toml"])
    assert pyproject["project"]["requires-python"] == f">={answers['python_version']}"
    assert pyproject["tool"]["ruff"]["target-version"] == "py" + answers["python_version"].replace(".", "")
    assert pyproject["project"]["description"] == AWKWARD["description"]
    assert pyproject["project"]["authors"][0]["name"] == AWKWARD["author"]
    assert any(d.startswith("litzoo[") for d in pyproject["project"]["dependencies"])
    assert f"\nlitzoo=={__version__}\n" in texts["requirements/lock.txt"]
    assert (project / "vendor" / f"litzoo-{__version__}-py3-none-any.whl").is_file()
    wandb = yaml.safe_load(texts["configs/logger/wandb.yaml"])["trainer"]["logger"]["init_args"]
    assert wandb["project"] == project.name and wandb.get("entity") == (answers.get("wandb_entity") or None)
    license_ = answers.get("license", "MIT")
    assert pyproject["project"].get("license") == (None if license_ == "none" else license_)
    assert ("LICENSE" in texts) == (license_ != "none")
    if license_ != "none":
        assert LICENSE_MARKS[license_] in texts["LICENSE"] and texts["LICENSE"].endswith("\n")
    assert (".github/workflows/ci.yml" in texts) == (answers.get("ci", "github") == "github")
    assert (".pre-commit-config.yaml" in texts) == (answers.get("pre_commit", "yes") == "yes")
    assert (project / ".git").is_dir() == (answers.get("init_git", "yes") == "yes")
    models = {Path(p).stem for p in texts if p.startswith("configs/model/")}
    zoo = {p.stem for p in (ROOT / "configs" / "model").glob("*.yaml")}  # the zoo starter copies every one
    assert models == {"zoo": zoo, "minimal": {"mlp", "lstm"}}.get(answers["starter"], models), models
    assert len(models) == {"zoo": len(zoo), "minimal": 2, "empty": 1}[answers["starter"]], models
    for word in texts["README.md"].split():
        if word.startswith("MODEL="):
            assert word.removeprefix("MODEL=").strip("`") in models, (
                f"README names {word}, not in the project"
            )
    if not any(p.startswith("configs/experiment/") for p in texts):
        assert "EXPERIMENT=" not in texts["README.md"] and "make results" not in texts["README.md"]
    for lint in (["check"], ["format", "--check"]):  # its own ruff settings pass on what it was given
        ruff = subprocess.run(
            [sys.executable, "-m", "ruff", *lint, "src", "tests"], cwd=project, capture_output=True
        )
        assert ruff.returncode == 0, ruff.stdout.decode()[-2000:]
    makefile = texts["Makefile"]
    assert "litzoo-only" not in makefile and "\ntemplate:" not in makefile and "\nbench:" not in makefile
    assert all(f"\n{target}:" in makefile for target in MAKE_TARGETS)


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
        ({"package_name": "litzoo"}, "would shadow"),
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


def _upstream(folder: Path) -> Path:
    """A git repository holding the template and the litzoo source it builds the project's wheel from."""
    shutil.copytree(TEMPLATE, folder / "template")
    for name in make_template_build_files():
        (shutil.copytree if (ROOT / name).is_dir() else shutil.copyfile)(ROOT / name, folder / name)
    _git(folder, "init", "-q")
    _git(folder, "add", "-A")
    _git(folder, "commit", "-q", "-m", "template, state A")
    return folder


def test_a_generated_project_pulls_a_later_template_change_with_cruft(tmp_path: Path) -> None:
    upstream = _upstream(tmp_path / "upstream")
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
    assert (project / "vendor" / f"litzoo-{__version__}-py3-none-any.whl").is_file()
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


def project_env(project: Path) -> dict[str, str]:
    """The project's own source first on the path (this interpreter has litzoo), nothing of this run's."""
    env = {**os.environ, "PYTHONPATH": str(project / "src"), "PYTHONDONTWRITEBYTECODE": "1"}
    return {k: v for k, v in env.items() if not k.startswith(("LITZOO", "PYTEST"))}


@pytest.mark.slow
@pytest.mark.parametrize("starter", ["zoo", "minimal", "empty"])
def test_a_baked_project_passes_its_own_tests(tmp_path: Path, starter: str) -> None:
    project = bake(tmp_path, project_name=f"Bake {starter}", starter=starter, init_git="yes")
    command = [sys.executable, "-m", "pytest", "-q", "-x", "-m", "not slow", "-p", "no:cacheprovider"]
    result = subprocess.run(command, cwd=project, env=project_env(project), capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:]
    assert " passed" in result.stdout.splitlines()[-1]
