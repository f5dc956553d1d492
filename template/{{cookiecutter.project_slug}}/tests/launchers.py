"""Start {{ cookiecutter.package_name }} as cluster launchers do: Lightning's own DDP, torchrun, a SLURM job's tasks.

Processes write to log files (two ranks on pipes could block each other) and each starts a
session of its own, so that a test can kill a whole launch, children included, as a failing
node would be killed.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from conftest import ROOT

FIT = [sys.executable, "-m", "{{ cookiecutter.package_name }}", "fit"]
TORCHRUN = str(Path(sys.executable).with_name("torchrun"))
# What a launcher or scheduler sets; pytest itself may run inside one.
LAUNCH_VARIABLES = ("{{ cookiecutter.package_name.upper() }}", "SLURM_", "TORCHELASTIC", "MASTER_", "WORLD_SIZE", "RANK", "LOCAL_", "GROUP_")


def clean_env(**extra: str) -> dict[str, str]:
    """This environment with no launcher's variables, and tests/ importable (conftest.Slow)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(LAUNCH_VARIABLES)}
    return env | {"PYTHONPATH": str(ROOT / "tests"), "PYTHONUNBUFFERED": "1"} | extra


def free_port() -> int:
    """A TCP port no one listens on now (the OS picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def slurm_env(job: int, procid: int, tasks_per_node: int, nodes: int = 1, port: int = 0) -> dict[str, str]:
    """What srun gives task ``procid`` of a job on ``nodes`` nodes, all of them this machine.

    ``MASTER_PORT`` (which Lightning's SLURMEnvironment honours) replaces the port it would
    derive from the job id, which another test might be using.
    """
    env = {
        "SLURM_JOB_ID": str(job),
        "SLURM_STEP_ID": "0",
        "SLURM_JOB_NAME": "{{ cookiecutter.package_name }}",  # not "bash" or "interactive": Lightning takes it for SLURM
        "SLURM_NTASKS": str(tasks_per_node * nodes),
        "SLURM_NTASKS_PER_NODE": str(tasks_per_node),
        "SLURM_NNODES": str(nodes),
        "SLURM_NODELIST": "127.0.0.1",
        "SLURM_PROCID": str(procid),
        "SLURM_LOCALID": str(procid % tasks_per_node),
        "SLURM_NODEID": str(procid // tasks_per_node),
    }
    return env | ({"MASTER_PORT": str(port)} if port else {})


class Launch:
    """Processes started together; ``wait`` returns their exit codes, killing all on a timeout."""

    def __init__(self, logs: Path) -> None:
        self.logs, self.processes = logs, []
        logs.mkdir(parents=True, exist_ok=True)

    def start(self, command: list[str], env: dict[str, str]) -> subprocess.Popen:
        n = len(self.processes)
        with open(self.logs / f"{n}.out", "w") as out, open(self.logs / f"{n}.err", "w") as err:
            process = subprocess.Popen(
                command, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err, start_new_session=True
            )
        self.processes.append(process)
        return process

    def wait(self, timeout: float = 300) -> list[int]:
        deadline = time.monotonic() + timeout
        try:
            return [p.wait(timeout=max(1.0, deadline - time.monotonic())) for p in self.processes]
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"timed out after {timeout} s:\n{self.stderr()[-3000:]}") from None

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Send ``sig`` to every process and its children."""
        for process in self.processes:
            with contextlib.suppress(ProcessLookupError):  # it has ended, and so have its children
                os.killpg(process.pid, sig)

    def stdout(self, n: int = 0) -> str:
        return (self.logs / f"{n}.out").read_text()

    def stderr(self, n: int | None = None) -> str:
        ns = range(len(self.processes)) if n is None else [n]
        return "".join((self.logs / f"{i}.err").read_text() for i in ns)
