"""``make new-project``: ``cruft create`` from litzoo's template, a bad answer in one line.

cruft's command line (typer) prints a rich traceback of ~100 lines for a hook's refusal
("Über Net" is no Python package name); plain cookiecutter prints only its message. This
runs cruft's own command and prints cookiecutter's message alone, exit 2.

Usage: python scripts/new_project.py <cruft create arguments>
"""

import sys

import click
from cookiecutter.exceptions import CookiecutterException
from cruft._cli import app


def main(argv: list[str]) -> int:
    """Run ``cruft create <argv>``; a user error is one line and exit 2."""
    try:
        app(["create", *argv], prog_name="cruft", standalone_mode=False)
    except CookiecutterException as err:
        print(f"new-project: {err}", file=sys.stderr)
        return 2
    except click.ClickException as err:  # a bad option: click's usage line
        err.show()
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
