"""The repository itself: nothing the product needs may be hidden by .gitignore."""

import shutil
import subprocess

import pytest

from conftest import ROOT

FOLDERS = ["src", "configs", "tests", "scripts"]


@pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(), reason="not a git checkout")
def test_no_source_or_config_file_is_git_ignored() -> None:
    listing = subprocess.run(
        ["git", "ls-files", "--others", "--ignored", "--exclude-standard", *FOLDERS],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    hidden = [p for p in listing if "__pycache__" not in p and ".ruff_cache/" not in p]
    hidden = [p for p in hidden if not p.endswith((".pyc", ".egg-info"))]
    hidden = [p for p in hidden if ".egg-info/" not in p]
    assert not hidden, f"ignored by .gitignore, so missing from every clone: {hidden}"
