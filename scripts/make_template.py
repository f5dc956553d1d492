"""Build template/ (a cookiecutter) from this repository's own files: ``make template``.

A project made from the template depends on litzoo and holds only what its researcher owns:
configs, its own nets (copies of the zoo's, by starter), optionally a copy of a system to
change, its tests (litzoo's generic ones, through the plugin), a short Makefile. No module of
litzoo's machinery is copied. scripts/template/manifest.yaml says which tracked files go to
which starter and which template-only parts are added. The rest is mechanical: a copied
module's import path becomes the project's (``litzoo.nets.mlp`` -> ``<package>.nets.mlp``,
everywhere in the copied files), the Makefile loses its litzoo-only blocks, the lock gains the
pin of this litzoo, and Jinja-looking text is escaped so that it renders back to itself.
template/ is rebuilt whole, so it never holds a file the manifest no longer names.

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
PACKAGE = "{{ cookiecutter.package_name }}"
_JINJA_START = re.compile(r"\{[{%#]")
# Blocks of litzoo's Makefile that a project does not get (benchmarks, the template itself).
_LITZOO_ONLY = re.compile(r"^# litzoo-only: begin\n.*?^# litzoo-only: end\n", re.M | re.S)


def load_manifest() -> dict:
    return yaml.safe_load((SOURCE / "manifest.yaml").read_text())


def litzoo_version() -> str:
    text = (ROOT / "src" / "litzoo" / "__init__.py").read_text()
    return re.search(r'^__version__ = "([^"]+)"', text, re.M)[1]


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


def module_of(path: str) -> str | None:
    """``src/litzoo/nets/mlp.py`` -> ``litzoo.nets.mlp`` (None for a file outside the package)."""
    if not path.startswith("src/litzoo/") or not path.endswith(".py"):
        return None
    return path.removeprefix("src/").removesuffix(".py").replace("/", ".")


def renames(copied: list[str], manifest: dict) -> dict[str, str]:
    """Each copied module's import path, and the Jinja expression of its path in the project."""
    out = {}
    for path in copied:
        module = module_of(path)
        if module is None:
            continue
        inside = module.removeprefix("litzoo")
        condition = manifest.get("conditions", {}).get(path)
        own = f"{{{{ cookiecutter.package_name if {condition} else 'litzoo' }}}}" if condition else PACKAGE
        out[module] = own + inside
    return out


def escape(text: str) -> str:
    """Make every Jinja tag start in ``text`` print itself (Jinja ignores a lone ``}}``)."""
    return _JINJA_START.sub(lambda m: "{{ " + json.dumps(m[0]) + " }}", text)


def templatize(text: str, modules: dict[str, str], rules: list[list[str]], name: str) -> str:
    """Apply the exact-text rules and the module renames, then escape what is left."""
    slots: list[str] = []

    def hold(jinja: str) -> str:
        slots.append(jinja)
        return f"\x00{len(slots) - 1}\x00"

    for old, new in rules:
        if old not in text:
            sys.exit(f"make template: the rule for {name} no longer matches {old!r}: update the manifest")
        text = text.replace(old, hold(new))
    for module, jinja in modules.items():
        text = re.sub(rf"\b{re.escape(module)}\b", lambda _, jinja=jinja: hold(jinja), text)
    return re.sub("\x00(\\d+)\x00", lambda m: slots[int(m[1])], escape(text))


def project_path(path: str) -> str:
    """Where a file goes in the project: litzoo's package folder becomes the project's."""
    return path.replace("src/litzoo/", "src/{{cookiecutter.package_name}}/", 1)


def content(path: str) -> str:
    """A tracked file's text as the template starts from it."""
    text = (ROOT / path).read_text()
    if path == "Makefile":
        return _LITZOO_ONLY.sub("", text)
    if path == "requirements/lock.txt":  # a project installs this very litzoo, from its vendor/ wheel
        return text + f"litzoo=={litzoo_version()}\n    # the litzoo this project was made from (vendor/)\n"
    return text


def removals(manifest: dict, files: dict[str, list[str]]) -> dict[str, list[str]]:
    """For each starter, the project paths the post-generation hook deletes."""
    parts = {p["to"]: p.get("starters", manifest["starters"]) for p in manifest["parts"].values()}
    everything = {project_path(path): starters for path, starters in files.items()} | parts
    return {
        starter: sorted(
            path.replace("{{cookiecutter.package_name}}", PACKAGE)
            for path, starters in everything.items()
            if starter not in starters
        )
        for starter in manifest["starters"]
    }


def conditional(manifest: dict) -> str:
    """Python source of the hook's KEEP_IF: project paths kept only when a condition on the answers holds.

    Each condition is a Jinja expression; cookiecutter renders the hook, so it arrives as a boolean.
    """
    paths = {project_path(path): condition for path, condition in manifest.get("conditions", {}).items()}
    paths |= {part["to"]: part["when"] for part in manifest["parts"].values() if "when" in part}
    lines = [
        f'    "{path.replace("{{cookiecutter.package_name}}", PACKAGE)}": '
        f"\"{{{{ 'yes' if {condition} else 'no' }}}}\" == \"yes\","
        for path, condition in sorted(paths.items())
    ]
    return "{\n" + "\n".join(lines) + "\n}"


def build(out: Path) -> None:
    manifest = load_manifest()
    files: dict[str, list[str]] = {}
    for path in tracked_files():
        starters = starters_of(path, manifest)
        if starters is None:
            sys.exit(f"make template: {path} matches no pattern in scripts/template/manifest.yaml")
        if starters:
            files[path] = starters
    modules = renames(list(files), manifest)
    if out.exists():
        shutil.rmtree(out)
    project = out / PROJECT
    for path in files:
        target = project / project_path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(templatize(content(path), modules, manifest["rules"].get(path, []), path))
        shutil.copymode(ROOT / path, target)
    for source, part in manifest["parts"].items():
        target = project / part["to"]
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SOURCE / "parts" / source, target)
    shutil.copyfile(SOURCE / "local_extensions.py", out / "local_extensions.py")
    answers = (SOURCE / "cookiecutter.json").read_text()
    (out / "cookiecutter.json").write_text(answers.replace("__LITZOO_VERSION__", litzoo_version()))
    hook = (SOURCE / "hooks" / "post_gen_project.py").read_text()
    hook = hook.replace("__REMOVE__", json.dumps(removals(manifest, files), indent=4))
    hook = hook.replace("__KEEP_IF__", conditional(manifest))
    (out / "hooks").mkdir()
    (out / "hooks" / "post_gen_project.py").write_text(hook)


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
