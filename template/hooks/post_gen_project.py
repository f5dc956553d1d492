"""After the bake: keep what the answers chose, then make the first local commit if asked.

``make template`` fills in REMOVE (per starter) from scripts/template/manifest.yaml.
"""

import shutil
import subprocess
import sys
from pathlib import Path

STARTER = "{{ cookiecutter.starter }}"
REMOVE: dict[str, list[str]] = {
    "zoo": [
        "configs/model/my_model.yaml",
        "src/{{ cookiecutter.package_name }}/nets/my_model.py"
    ],
    "minimal": [
        "configs/experiment/autoencoder.yaml",
        "configs/experiment/cnn.yaml",
        "configs/experiment/conv_autoencoder.yaml",
        "configs/experiment/deep_mlp.yaml",
        "configs/experiment/gan.yaml",
        "configs/experiment/gru_adding.yaml",
        "configs/experiment/gru_forecast.yaml",
        "configs/experiment/lstm_adding.yaml",
        "configs/experiment/lstm_mnist.yaml",
        "configs/experiment/mlp.yaml",
        "configs/experiment/perceptron.yaml",
        "configs/experiment/rnn_adding.yaml",
        "configs/experiment/transformer_mnist.yaml",
        "configs/model/autoencoder.yaml",
        "configs/model/cnn.yaml",
        "configs/model/deep_mlp.yaml",
        "configs/model/gan.yaml",
        "configs/model/gru.yaml",
        "configs/model/my_model.yaml",
        "configs/model/perceptron.yaml",
        "configs/model/rnn.yaml",
        "configs/model/transformer.yaml",
        "scripts/results.py",
        "src/{{ cookiecutter.package_name }}/modules/gan.py",
        "src/{{ cookiecutter.package_name }}/modules/judge.py",
        "src/{{ cookiecutter.package_name }}/nets/autoencoder.py",
        "src/{{ cookiecutter.package_name }}/nets/cnn.py",
        "src/{{ cookiecutter.package_name }}/nets/gan.py",
        "src/{{ cookiecutter.package_name }}/nets/my_model.py",
        "src/{{ cookiecutter.package_name }}/nets/transformer.py",
        "tests/test_systems.py"
    ],
    "empty": [
        "configs/experiment/autoencoder.yaml",
        "configs/experiment/cnn.yaml",
        "configs/experiment/conv_autoencoder.yaml",
        "configs/experiment/deep_mlp.yaml",
        "configs/experiment/gan.yaml",
        "configs/experiment/gru_adding.yaml",
        "configs/experiment/gru_forecast.yaml",
        "configs/experiment/lstm_adding.yaml",
        "configs/experiment/lstm_mnist.yaml",
        "configs/experiment/mlp.yaml",
        "configs/experiment/perceptron.yaml",
        "configs/experiment/rnn_adding.yaml",
        "configs/experiment/transformer_mnist.yaml",
        "configs/model/autoencoder.yaml",
        "configs/model/cnn.yaml",
        "configs/model/deep_mlp.yaml",
        "configs/model/gan.yaml",
        "configs/model/gru.yaml",
        "configs/model/lstm.yaml",
        "configs/model/mlp.yaml",
        "configs/model/perceptron.yaml",
        "configs/model/rnn.yaml",
        "configs/model/transformer.yaml",
        "configs/sweep/mlp_mnist.yaml",
        "configs/sweep/mlp_mnist_bayes.yaml",
        "configs/sweep/recurrent_adding.yaml",
        "scripts/bench.py",
        "scripts/results.py",
        "src/{{ cookiecutter.package_name }}/modules/gan.py",
        "src/{{ cookiecutter.package_name }}/modules/judge.py",
        "src/{{ cookiecutter.package_name }}/nets/autoencoder.py",
        "src/{{ cookiecutter.package_name }}/nets/cnn.py",
        "src/{{ cookiecutter.package_name }}/nets/gan.py",
        "src/{{ cookiecutter.package_name }}/nets/mlp.py",
        "src/{{ cookiecutter.package_name }}/nets/recurrent.py",
        "src/{{ cookiecutter.package_name }}/nets/transformer.py",
        "tests/launchers.py",
        "tests/test_checkpoint.py",
        "tests/test_cli.py",
        "tests/test_cluster.py",
        "tests/test_cv.py",
        "tests/test_distributed.py",
        "tests/test_export.py",
        "tests/test_guards.py",
        "tests/test_knobs.py",
        "tests/test_pictures.py",
        "tests/test_probes.py",
        "tests/test_resume.py",
        "tests/test_scripts.py",
        "tests/test_sweep.py",
        "tests/test_systems.py",
        "tests/test_tracking.py"
    ]
}
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
