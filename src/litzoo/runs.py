"""Run folders: ``runs/<what the user typed>/<start time>/``, one per run, shared by its ranks."""

import itertools
import os
import shutil
import time
from pathlib import Path

from jsonargparse import Namespace

from litzoo.errors import ConfigError

# The run folder is handed to DDP child processes through the environment so every rank
# agrees on it; the owner's pid tells a child (reuse it) from a second run in one process.
RUN_DIR_ENV = "LITZOO_RUN_DIR"
RUN_DIR_OWNER_ENV = "LITZOO_RUN_DIR_OWNER"
_CREATED: list[Path] = []


def claim_run_dir(config: Namespace) -> Path:
    """``<default_root_dir>/<run name>/<time>``, the same on every rank of a job."""
    if os.environ.get(RUN_DIR_ENV) and os.environ.get(RUN_DIR_OWNER_ENV) != str(os.getpid()):
        return Path(os.environ[RUN_DIR_ENV])
    root = Path(config.trainer.default_root_dir or "runs") / (config.get("run_name") or run_name(config))
    job = _job_id()
    if config.get("run"):  # work in an existing run folder
        return _share(Path(config.run))
    return _share(root / job if job else _claim(root))


def _share(run_dir: Path) -> Path:
    """Hand the run folder to child processes (DDP ranks) through the environment."""
    os.environ[RUN_DIR_ENV] = str(run_dir)
    os.environ[RUN_DIR_OWNER_ENV] = str(os.getpid())
    return run_dir


def run_name(config: Namespace) -> str:
    """What the user chose, as they typed it: the experiment, else ``<model>-<data>``.

    Names come from the config files given (``configs/model/lstm.yaml`` -> ``lstm``) and fall
    back to class names when a section came from elsewhere.
    """
    files = [Path(str(p)) for p in config.get("config") or []]
    stems = {p.parent.name: p.stem for p in files}  # the last file of each folder wins
    if "experiment" in stems:
        return stems["experiment"]
    model = stems.get("model") or _class_name(config.get("model"))
    data = config.get("data")
    data_file = data.get("__path__") if isinstance(data, Namespace) else None
    return f"{model}-{Path(str(data_file)).stem if data_file else _class_name(data)}"


def _claim(root: Path) -> Path:
    """Create ``root/<start time>``, or ``<start time>-2``, ``-3``… when taken.

    mkdir is atomic, so two runs started in the same second never share a folder. Created
    folders are remembered so that a run that fails before writing anything leaves nothing.
    """
    stamp = time.strftime("%Y%m%d-%H%M%S")
    missing = [p for p in (root, *root.parents) if not p.exists()]
    root.mkdir(parents=True, exist_ok=True)
    for n in itertools.count(1):
        folder = root / (stamp if n == 1 else f"{stamp}-{n}")
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        _CREATED[:] = [folder, *missing]
        return folder
    raise AssertionError("unreachable")


def discard_unused() -> None:
    """Remove what this process made for a run that failed before it trained anything.

    A run folder goes when it holds no checkpoint (only its config or logger files), and the
    folders above it when that leaves them empty.
    """
    run_dir, *parents = _CREATED or [None]
    if run_dir is not None and run_dir.is_dir() and not any(run_dir.rglob("*.ckpt")):
        shutil.rmtree(run_dir)
    for folder in parents:  # another run may have started beside this one: only if empty
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    _CREATED.clear()


def _job_id() -> str | None:
    """An id every rank of a SLURM step or a torchrun job shares, when there is one."""
    if os.environ.get("SLURM_JOB_ID"):
        return f"slurm-{os.environ['SLURM_JOB_ID']}.{os.environ.get('SLURM_STEP_ID', '0')}"
    run_id = os.environ.get("TORCHELASTIC_RUN_ID")
    return f"torchrun-{run_id}" if run_id and run_id != "none" else None


def _class_name(section: object) -> str:
    """``litzoo.data.SequenceDataModule`` -> ``sequencedatamodule``; ``none`` when unset."""
    if not (isinstance(section, Namespace) and section.get("class_path")):
        return "none"
    return section.class_path.rsplit(".", 1)[-1].lower()


def resume_point(run_dir: Path) -> Path:
    """The checkpoint a run continues from: its newest (periodic ones are newer than last.ckpt).

    Raises:
        ConfigError: the folder is not a run folder or holds no checkpoint yet.
    """
    folder = run_dir / "checkpoints"
    # On a tie (saved at the same moment) last.ckpt wins: it is the one ModelCheckpoint keeps.
    found = sorted(folder.glob("*.ckpt"), key=lambda p: (p.stat().st_mtime, p.name == "last.ckpt"))
    if not found:
        raise ConfigError(
            f"{run_dir} holds no checkpoint to continue from ({folder}/*.ckpt); "
            "a run folder looks like runs/<name>/<time>"
        )
    return found[-1]


def wandb_run_id(run_dir: Path) -> str | None:
    """The W&B run id of a run folder's newest W&B run, so a resumed run logs to the same run."""
    runs = sorted((run_dir / "wandb").glob("*run-*-*"), key=lambda p: p.stat().st_mtime)
    return runs[-1].name.rsplit("-", 1)[-1] if runs else None


def best_point(run_dir: Path) -> Path:
    """The checkpoint a finished run is evaluated with: its newest best-*, else its newest."""
    best = sorted((run_dir / "checkpoints").glob("best-*.ckpt"), key=lambda p: p.stat().st_mtime)
    return best[-1] if best else resume_point(run_dir)
