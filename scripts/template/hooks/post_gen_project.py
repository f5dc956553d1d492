"""After the bake: keep what the answers chose, then make the first local commit if asked.

``make template`` fills in REMOVE (per starter) from scripts/template/manifest.yaml.
"""

import shutil
import subprocess
import sys
from pathlib import Path

STARTER = "{{ cookiecutter.starter }}"
REMOVE: dict[str, list[str]] = __REMOVE__
OPTIONAL = {
    "LICENSE": "{{ cookiecutter.license }}" != "none",
    ".github": "{{ cookiecutter.ci }}" == "github",
    ".pre-commit-config.yaml": "{{ cookiecutter.pre_commit }}" == "yes",
}


def remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()
    for parent in path.parents:  # folders the removal left empty go too
        if parent == Path(".") or any(parent.iterdir()):
            break
        parent.rmdir()


def first_commit() -> None:
    """``git init`` and one local commit of everything; never a remote, never a push."""
    name, email = {{cookiecutter.author | quoted}}, {{(cookiecutter.email or "nobody@localhost") | quoted}}
    who = ["-c", f"user.name={name}", "-c", f"user.email={email}"]
    message = "Initial commit from the litzoo template"
    for command in (["init", "-q"], ["add", "-A"], [*who, "commit", "-q", "-m", message]):
        result = subprocess.run(["git", *command], capture_output=True, text=True)
        if result.returncode:
            print(f"note: the project is made, but git failed: {result.stderr.strip()}", file=sys.stderr)
            return


for name in REMOVE[STARTER]:
    remove(Path(name))
for name, keep in OPTIONAL.items():
    if not keep:
        remove(Path(name))
if "{{ cookiecutter.init_git }}" == "yes":
    first_commit()
