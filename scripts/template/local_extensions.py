"""Jinja filters for the template: answer checks that stop a bake in one line, and quoting.

cookiecutter renders ``__answers_checked`` after every other answer, before it creates any
folder; a FailedHookException raised there prints one line and leaves nothing behind.
"""

import json
import keyword
import re
import sys

from cookiecutter.exceptions import FailedHookException
from jinja2.ext import Extension

# Names a package must not take: it would shadow what the project imports or runs.
_TAKEN = {
    "torch", "torchvision", "lightning", "pytorch_lightning", "torchmetrics", "wandb",
    "jsonargparse", "yaml", "numpy", "pytest", "test", "tests", "src", "configs", "scripts",
    "setuptools", "pip", "cookiecutter", "cruft", "litzoo", "vendor",
}  # fmt: skip


def _problem(answers: dict) -> str | None:
    name = answers["package_name"]
    if not name:
        return "package_name is empty: give the project a name made of letters, digits and _"
    if not name.isascii() or not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        return (
            f"package_name {name!r} is not a Python package name: use lowercase ASCII letters, "
            "digits and _, not starting with a digit"
        )
    if keyword.iskeyword(name) or name in _TAKEN or name in sys.stdlib_module_names:
        return f"package_name {name!r} would shadow a Python keyword, module or dependency: choose another"
    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]*", answers["project_slug"]):
        return f"project_slug {answers['project_slug']!r} must be lowercase letters, digits, '.', '_' or '-'"
    if answers["email"] and not re.fullmatch(r"[^@\s]+@[^@\s]+", answers["email"]):
        return f"email {answers['email']!r} is not an email address: fix it or leave it blank"
    return None


def check_answers(answers: dict) -> str:
    """Raise a one-line FailedHookException when an answer cannot make a working project."""
    problem = _problem(answers)
    if problem:
        raise FailedHookException(f"invalid answer: {problem}")
    return "yes"


def quoted(text: object) -> str:
    """A double-quoted string that TOML and YAML both read back as ``text`` (quotes, backslashes)."""
    return json.dumps(str(text))


def pascal(name: str) -> str:
    """``my_project`` -> ``MyProject``: the prefix of the project's class names."""
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


class LitzooAnswers(Extension):
    def __init__(self, environment) -> None:  # noqa: ANN001 - Jinja's signature
        super().__init__(environment)
        environment.filters.update(check_answers=check_answers, quoted=quoted, pascal=pascal)
