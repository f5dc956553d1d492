"""After the bake: keep what the answers chose, put litzoo's wheel in vendor/, then the first commit.

``make template`` fills in REMOVE (per starter) and KEEP_IF from scripts/template/manifest.yaml.
The project installs litzoo from vendor/ (litzoo is not on a package index): the wheel is built
here from the litzoo source the template came from, whose version the lock pins.
"""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

STARTER = "{{ cookiecutter.starter }}"
VERSION = "{{ cookiecutter._litzoo_version }}"
REMOVE: dict[str, list[str]] = {
    "zoo": [
        "configs/model/my_model.yaml",
        "src/{{ cookiecutter.package_name }}/nets/my_model.py"
    ],
    "minimal": [
        "configs/data/tinyshakespeare.yaml",
        "configs/experiment/autoencoder.yaml",
        "configs/experiment/char_lstm.yaml",
        "configs/experiment/char_transformer.yaml",
        "configs/experiment/cnn.yaml",
        "configs/experiment/cnn_fast.yaml",
        "configs/experiment/conv_autoencoder.yaml",
        "configs/experiment/deep_mlp.yaml",
        "configs/experiment/gan.yaml",
        "configs/experiment/gru_adding.yaml",
        "configs/experiment/gru_forecast.yaml",
        "configs/experiment/lstm_adding.yaml",
        "configs/experiment/lstm_mnist.yaml",
        "configs/experiment/mlp.yaml",
        "configs/experiment/mlp_penguins.yaml",
        "configs/experiment/mnist_fast.yaml",
        "configs/experiment/perceptron.yaml",
        "configs/experiment/rnn_adding.yaml",
        "configs/experiment/transformer_mnist.yaml",
        "configs/model/autoencoder.yaml",
        "configs/model/char_lstm.yaml",
        "configs/model/char_transformer.yaml",
        "configs/model/cnn.yaml",
        "configs/model/deep_mlp.yaml",
        "configs/model/gan.yaml",
        "configs/model/gru.yaml",
        "configs/model/my_model.yaml",
        "configs/model/perceptron.yaml",
        "configs/model/resnet18.yaml",
        "configs/model/rnn.yaml",
        "configs/model/timm_resnet10t.yaml",
        "configs/model/transformer.yaml",
        "src/{{ cookiecutter.package_name }}/nets/autoencoder.py",
        "src/{{ cookiecutter.package_name }}/nets/cnn.py",
        "src/{{ cookiecutter.package_name }}/nets/gan.py",
        "src/{{ cookiecutter.package_name }}/nets/my_model.py",
        "src/{{ cookiecutter.package_name }}/nets/transformer.py"
    ],
    "empty": [
        "configs/data/tinyshakespeare.yaml",
        "configs/experiment/autoencoder.yaml",
        "configs/experiment/char_lstm.yaml",
        "configs/experiment/char_transformer.yaml",
        "configs/experiment/cnn.yaml",
        "configs/experiment/cnn_fast.yaml",
        "configs/experiment/conv_autoencoder.yaml",
        "configs/experiment/deep_mlp.yaml",
        "configs/experiment/gan.yaml",
        "configs/experiment/gru_adding.yaml",
        "configs/experiment/gru_forecast.yaml",
        "configs/experiment/lstm_adding.yaml",
        "configs/experiment/lstm_mnist.yaml",
        "configs/experiment/mlp.yaml",
        "configs/experiment/mlp_penguins.yaml",
        "configs/experiment/mnist_fast.yaml",
        "configs/experiment/perceptron.yaml",
        "configs/experiment/rnn_adding.yaml",
        "configs/experiment/transformer_mnist.yaml",
        "configs/model/autoencoder.yaml",
        "configs/model/char_lstm.yaml",
        "configs/model/char_transformer.yaml",
        "configs/model/cnn.yaml",
        "configs/model/deep_mlp.yaml",
        "configs/model/gan.yaml",
        "configs/model/gru.yaml",
        "configs/model/lstm.yaml",
        "configs/model/mlp.yaml",
        "configs/model/perceptron.yaml",
        "configs/model/resnet18.yaml",
        "configs/model/rnn.yaml",
        "configs/model/timm_resnet10t.yaml",
        "configs/model/transformer.yaml",
        "configs/sweep/mlp_mnist.yaml",
        "configs/sweep/mlp_mnist_bayes.yaml",
        "configs/sweep/recurrent_adding.yaml",
        "src/{{ cookiecutter.package_name }}/nets/autoencoder.py",
        "src/{{ cookiecutter.package_name }}/nets/cnn.py",
        "src/{{ cookiecutter.package_name }}/nets/gan.py",
        "src/{{ cookiecutter.package_name }}/nets/mlp.py",
        "src/{{ cookiecutter.package_name }}/nets/recurrent.py",
        "src/{{ cookiecutter.package_name }}/nets/transformer.py"
    ]
}
KEEP_IF: dict[str, bool] = {
    "src/{{ cookiecutter.package_name }}/systems/supervised.py": "{{ 'yes' if cookiecutter.own_system == 'yes' else 'no' }}" == "yes",
}
OPTIONAL = {
    "LICENSE": "{{ cookiecutter.license }}" != "none",
    ".github": "{{ cookiecutter.ci }}" == "github",
    ".pre-commit-config.yaml": "{{ cookiecutter.pre_commit }}" == "yes",
}
# Where the template came from: cookiecutter says where it read it (a clone of a git URL, too);
# cruft gives the path or URL it was asked for, and the commit.
REPO_DIR = "{{ cookiecutter.get('_repo_dir', '') }}"
TEMPLATE = "{{ cookiecutter._template }}"
COMMIT = "{{ cookiecutter.get('_commit', '') }}"
BUILD_FILES = ("pyproject.toml", "README.md", "LICENSE", "src")


def remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()
    for parent in path.parents:  # folders the removal left empty go too
        if parent == Path(".") or any(parent.iterdir()):
            break
        parent.rmdir()


def litzoo_source() -> Path | None:
    """The litzoo checkout the template lives in (template/ is one of its folders), if on this disk.

    cookiecutter runs this hook in the new project's folder; a relative template path is relative
    to where cookiecutter was started, which the shell's PWD still names.
    """
    started = Path(os.environ.get("PWD", "."))
    for given in (str(Path(REPO_DIR).parent) if REPO_DIR else "", TEMPLATE):
        candidate = started / given if given else None  # an absolute path stays as it is
        if candidate is not None and (candidate / "src" / "litzoo" / "__init__.py").is_file():
            return candidate.resolve()
    return None


def build_wheel(vendor: Path) -> None:
    """``vendor/litzoo-<version>-py3-none-any.whl``: from the source on this disk, else the git URL.

    ``LITZOO_WHEEL=<a wheel of this version>`` in the environment is copied instead of built.
    """
    vendor.mkdir(exist_ok=True)
    given = os.environ.get("LITZOO_WHEEL")
    if given and Path(given).name.startswith(f"litzoo-{VERSION}-"):
        shutil.copy(given, vendor)
        return
    source = litzoo_source()
    with tempfile.TemporaryDirectory() as tmp:
        if source is not None:  # build from a clean copy: nothing of the build lands in the checkout
            for name in BUILD_FILES:
                copy = shutil.copytree if (source / name).is_dir() else shutil.copyfile
                copy(source / name, Path(tmp) / name)
            target = tmp
        else:
            target = f"git+{TEMPLATE}" + (f"@{COMMIT}" if COMMIT else "")
        command = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(vendor), target]
        result = subprocess.run(command, capture_output=True, text=True)
    wheels = sorted(vendor.glob(f"litzoo-{VERSION}-*.whl"))
    if result.returncode or not wheels:
        print(
            f"note: the project is made, but litzoo's wheel could not be built from {source or target} "
            f"({result.stderr.strip().splitlines()[-1:] or 'no wheel of ' + VERSION}); put "
            f"litzoo-{VERSION}-py3-none-any.whl in vendor/ (see README.md, 'litzoo')",
            file=sys.stderr,
        )


def link_docs(readme: Path) -> None:
    """Point the README at litzoo's docs: in the checkout the template came from, or at its URL."""
    source = litzoo_source()
    where = str(source / "docs") if source is not None else f"{TEMPLATE} (docs/, at {COMMIT or 'its head'})"
    readme.write_text(readme.read_text().replace("LITZOO_DOCS", where))


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
for name, keep in {**KEEP_IF, **OPTIONAL}.items():
    if not keep:
        remove(Path(name))
build_wheel(Path("vendor"))
link_docs(Path("README.md"))
if "{{ cookiecutter.init_git }}" == "yes":
    first_commit()
