"""Run folders: ``runs/<what the user typed>/<start time>/``, one per run, shared by its ranks."""

import errno
import itertools
import os
import shutil
import sys
import time
from pathlib import Path

from jsonargparse import Namespace

from litzoo.errors import ConfigError
from litzoo.tracking.files import find_run

# The run folder is handed to DDP child processes through the environment so every rank
# agrees on it; the owner's pid tells a child (reuse it) from a second run in one process.
RUN_DIR_ENV = "LITZOO_RUN_DIR"
RUN_DIR_OWNER_ENV = "LITZOO_RUN_DIR_OWNER"
_CREATED: list[Path] = []


def claim_run_dir(config: Namespace, fingerprint: str = "") -> Path:
    """``<default_root_dir>/<run name>/<folder>``, the same on every rank of a job.

    The folder is a start time, claimed atomically, unless a scheduler may start this very run
    again: a W&B sweep trial is named by its W&B run id, a SLURM or torchrun job by the job and
    ``fingerprint`` (the run's arguments, so two runs in one job differ). Such a folder is
    reused until its run has finished, so a requeued or resumed run continues where it was.

    Raises:
        ConfigError: the folder cannot be made (a read-only place, a file in the way).
    """
    if os.environ.get(RUN_DIR_ENV) and os.environ.get(RUN_DIR_OWNER_ENV) != str(os.getpid()):
        return Path(os.environ[RUN_DIR_ENV])
    if config.get("run"):  # work in an existing run folder
        return _share(Path(config.run))
    root = Path(config.trainer.default_root_dir or "runs") / (config.get("run_name") or run_name(config))
    name = _restartable_name(fingerprint)
    try:
        return _share(_reuse(root, name) if name else claim_folder(root))
    except OSError as err:
        # mkdir makes parents top-down: the first one refused lies in the read-only folder.
        refused = err.errno in (errno.EACCES, errno.EPERM, errno.EROFS) and err.filename
        where = Path(err.filename).parent if refused else err.filename
        raise ConfigError(
            f"cannot create the run folder in {where} ({err.strerror}): choose a folder you can "
            "write with --trainer.default_root_dir=<folder>"
        ) from None


def unfinished(run_dir: Path) -> bool:
    """A run folder whose fit stopped before the end: it holds checkpoints but no results.json."""
    return not (run_dir / "results.json").exists() and bool(_checkpoints(run_dir))


def _checkpoints(run_dir: Path) -> list[Path]:
    """The run's checkpoints, and those Lightning saves on SLURM's requeue signal (hpc_ckpt_N)."""
    return [*(run_dir / "checkpoints").glob("*.ckpt"), *run_dir.glob("hpc_ckpt_*.ckpt")]


def child_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for a new run in a process of its own (a fold, a sweep trial, an agent).

    It claims its own run folder (nothing of this process's is handed down), and this
    interpreter comes first on PATH: W&B's agent runs a trial's ``${interpreter}`` as plain
    ``python``, which outside an activated venv would be whatever system Python is first.
    """
    env = dict(os.environ if env is None else env)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return {k: v for k, v in env.items() if k not in (RUN_DIR_ENV, RUN_DIR_OWNER_ENV)}


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
    data = config.get("data")
    data_file = data.get("__path__") if isinstance(data, Namespace) else None
    files += [Path(str(data_file))] if data_file else []
    return name_from_files(files, _class_name(config.get("model")), _class_name(data))


def name_from_files(files: list[Path], model: str = "model", data: str = "data") -> str:
    """A run's name from its config files: the experiment's, else ``<model>-<data>`` (the last of each).

    ``model`` and ``data`` stand in for a section no file of ``configs/model`` or ``configs/data`` gave.
    """
    stems = {p.parent.name: p.stem for p in files}  # the last file of each folder wins
    if "experiment" in stems:
        return stems["experiment"]
    return f"{stems.get('model', model)}-{stems.get('data', data)}"


def claim_folder(root: Path, prefix: str = "") -> Path:
    """Create ``root/<prefix><start time>``, or ``…-2``, ``-3``… when taken.

    mkdir is atomic, so two runs started in the same second never share a folder. Created
    folders are remembered so that a run that fails before writing anything leaves nothing.
    """
    stamp = time.strftime("%Y%m%d-%H%M%S")
    missing = [p for p in (root, *root.parents) if not p.exists()]
    root.mkdir(parents=True, exist_ok=True)
    for n in itertools.count(1):
        folder = root / (f"{prefix}{stamp}" if n == 1 else f"{prefix}{stamp}-{n}")
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


def _restartable_name(fingerprint: str) -> str | None:
    """A folder name that every rank derives alike and a restart of the same run derives again."""
    env = os.environ
    if env.get("WANDB_SWEEP_PARAM_PATH") and env.get("WANDB_RUN_ID"):  # a W&B sweep trial
        return env["WANDB_RUN_ID"]
    if env.get("SLURM_JOB_ID"):  # a requeued job keeps its id, and its steps their numbers
        job = f"slurm-{env['SLURM_JOB_ID']}.{env.get('SLURM_STEP_ID', '0')}"
    elif env.get("TORCHELASTIC_RUN_ID"):  # "none" for a static rendezvous: name it by its address
        run_id = env["TORCHELASTIC_RUN_ID"]
        job = (
            f"torchrun-{run_id}"
            if run_id != "none"
            else f"torchrun-{env.get('MASTER_ADDR')}-{env.get('MASTER_PORT')}"
        )
    else:
        return None
    return f"{job}-{fingerprint}" if fingerprint else job


def _reuse(root: Path, name: str) -> Path:
    """``root/name``, or ``name-2``, ``-3``… after runs that finished there."""
    for n in itertools.count(1):
        folder = root / (name if n == 1 else f"{name}-{n}")
        if (folder / "results.json").exists():
            continue
        missing = [p for p in (folder, *folder.parents) if not p.exists()]
        folder.mkdir(parents=True, exist_ok=True)  # every rank may get here first
        _CREATED[:] = missing
        return folder
    raise AssertionError("unreachable")


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
    # On a tie (saved at the same moment) last.ckpt wins: it is the one ModelCheckpoint keeps.
    found = sorted(_checkpoints(run_dir), key=lambda p: (p.stat().st_mtime, p.name == "last.ckpt"))
    if not found:
        raise ConfigError(
            f"{run_dir} holds no checkpoint to continue from ({run_dir / 'checkpoints'}/*.ckpt); "
            "a run folder looks like runs/<name>/<time>"
        )
    return found[-1]


def wandb_run_id(run_dir: Path) -> str | None:
    """The W&B run id of a run folder's newest W&B run, so a resumed run logs to the same run."""
    run = find_run(run_dir)
    return run.name.rsplit("-", 1)[-1] if run else None


def best_point(run_dir: Path) -> Path:
    """The checkpoint a finished run is evaluated with: its newest best-*, else its newest."""
    best = sorted((run_dir / "checkpoints").glob("best-*.ckpt"), key=lambda p: p.stat().st_mtime)
    return best[-1] if best else resume_point(run_dir)
