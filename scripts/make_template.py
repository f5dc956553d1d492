"""Build template/ (a cookiecutter) from this repository's own files: ``make template``.

scripts/template/manifest.yaml says which tracked files go in and for which starter, which
exact texts become template expressions, and which template-only parts are added. The rest
is mechanical: "litzoo" becomes the package name in paths and text, and Jinja-looking text
in a copied file is escaped so that it renders back to itself. template/ is rebuilt whole,
so it never holds a file the manifest no longer names.

Usage: python scripts/make_template.py [--out DIR]   (default: template/)
"""

import argparse
import fnmatch
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "scripts" / "template"
PROJECT = "{{cookiecutter.project_slug}}"
_JINJA_START = re.compile(r"\{[{%#]")


def load_manifest() -> dict:
    return yaml.safe_load((SOURCE / "manifest.yaml").read_text())


def tracked_files() -> list[str]:
    command = ["git", "ls-files", "--cached", "--others", "--exclude-standard"]
    out = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return sorted(line for line in out.splitlines() if (ROOT / line).is_file())


def starters_of(path: str, manifest: dict) -> list[str] | None:
    """The starters that get ``path``: its first matching pattern's, or None if none matches."""
    for pattern, starters in manifest["files"].items():
        if fnmatch.fnmatch(path, pattern):
            return list(starters)
    return None


def escape(text: str) -> str:
    """Make every Jinja tag start in ``text`` print itself (Jinja ignores a lone ``}}``)."""
    return _JINJA_START.sub(lambda m: "{{ " + json.dumps(m[0]) + " }}", text)


def templatize(text: str, package: str, rules: list[list[str]], name: str) -> str:
    """Apply the exact-text rules, then the package name, then escape what is left."""
    slots: list[str] = []

    def hold(jinja: str) -> str:
        slots.append(jinja)
        return f"\x00{len(slots) - 1}\x00"

    for old, new in rules:
        if old not in text:
            sys.exit(f"make template: the rule for {name} no longer matches {old!r}: update the manifest")
        text = text.replace(old, hold(new))
    names = {
        package.upper(): "{{ cookiecutter.package_name.upper() }}",
        package.capitalize(): "{{ cookiecutter.package_name | pascal }}",
        package: "{{ cookiecutter.package_name }}",
    }
    for old, new in names.items():
        text = text.replace(old, hold(new))
    return re.sub("\x00(\\d+)\x00", lambda m: slots[int(m[1])], escape(text))


def project_path(path: str, package: str) -> str:
    return "/".join("{{cookiecutter.package_name}}" if part == package else part for part in path.split("/"))


def removals(manifest: dict, files: dict[str, list[str]]) -> dict[str, list[str]]:
    """For each starter, the project paths the post-generation hook deletes."""
    parts = {p["to"]: p.get("starters", manifest["starters"]) for p in manifest["parts"].values()}
    everything = {**files, **parts}
    return {
        starter: sorted(
            project_path(path, manifest["package"]).replace(
                "{{cookiecutter.package_name}}", "{{ cookiecutter.package_name }}"
            )
            for path, starters in everything.items()
            if starter not in starters
        )
        for starter in manifest["starters"]
    }


def build(out: Path) -> None:
    manifest = load_manifest()
    package = manifest["package"]
    files: dict[str, list[str]] = {}
    for path in tracked_files():
        starters = starters_of(path, manifest)
        if starters is None:
            sys.exit(f"make template: {path} matches no pattern in scripts/template/manifest.yaml")
        if starters:
            files[path] = starters
    replaced = {part.get("replaces") for part in manifest["parts"].values()}
    if out.exists():
        shutil.rmtree(out)
    project = out / PROJECT
    for path in files:
        if path in replaced:
            continue
        target = project / project_path(path, package)
        target.parent.mkdir(parents=True, exist_ok=True)
        rules = manifest["rules"].get(path, [])
        target.write_text(templatize((ROOT / path).read_text(), package, rules, path))
        shutil.copymode(ROOT / path, target)
    for source, part in manifest["parts"].items():
        target = project / project_path(part["to"], package)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SOURCE / "parts" / source, target)
    for name in ("cookiecutter.json", "local_extensions.py"):
        shutil.copyfile(SOURCE / name, out / name)
    hook = (SOURCE / "hooks" / "post_gen_project.py").read_text()
    remove = json.dumps(removals(manifest, files), indent=4)
    (out / "hooks").mkdir()
    (out / "hooks" / "post_gen_project.py").write_text(hook.replace("__REMOVE__", remove))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=ROOT / "template", help="where to write the cookiecutter")
    args = parser.parse_args()
    build(args.out)
    print(f"template written to {args.out}")


if __name__ == "__main__":
    main()
