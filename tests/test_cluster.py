"""Many processes, many nodes: Lightning's DDP, torchrun and a SLURM job agree, and say what is wrong.

Every launch here is real: two processes that find each other over gloo on 127.0.0.1, the
SLURM tasks with the variables srun gives them. Only the nodes are one machine.
"""

import json
import signal
import time
from pathlib import Path

import pytest
import torch

from conftest import CONFIGS, ROOT, data_args, run_main
from launchers import FIT, TORCHRUN, Launch, clean_env, free_port, slurm_env
from wandb_log import offline_run, run_summary

CPU_DDP = ["--trainer.accelerator=cpu", "--trainer.strategy=ddp"]


def tiny_mlp(data_dir: Path, root: Path, logger: str = "wandb") -> list[str]:
    """A 32-unit MLP, 2 epochs of 64 tiny MNIST images in batches of 16, logged to ``logger``."""
    configs = [CONFIGS / "trainer" / "default.yaml", CONFIGS / "logger" / f"{logger}.yaml"]
    args = [a for c in [*configs, CONFIGS / "model" / "mlp.yaml"] for a in ("--config", str(c))]
    args += [*data_args("mnist", data_dir), "--data.init_args.batch_size=16"]
    args += ["--model.init_args.net.init_args.hidden=[32]", "--trainer.max_epochs=2"]
    if logger == "wandb":
        args.append("--trainer.logger.init_args.log_model=false")
    return [*args, f"--trainer.default_root_dir={root}"]


def lightning_ddp(args: list[str], logs: Path) -> Launch:
    """``--trainer.devices=2``: Lightning starts the second process itself."""
    launch = Launch(logs)
    launch.start([*FIT, *args, *CPU_DDP, "--trainer.devices=2"], clean_env())
    return launch


def torchrun_two_nodes(args: list[str], logs: Path) -> Launch:
    """Two torchrun launchers, node ranks 0 and 1, one process each: static rendezvous."""
    launch, port = Launch(logs), free_port()
    for node in range(2):
        rendezvous = [f"--node-rank={node}", "--master-addr=127.0.0.1", f"--master-port={port}"]
        command = [TORCHRUN, "--nnodes=2", "--nproc-per-node=1", *rendezvous, "-m", "litzoo", "fit"]
        launch.start([*command, *args, *CPU_DDP, "--trainer.devices=1", "--trainer.num_nodes=2"], clean_env())
    return launch


def slurm_job(args: list[str], logs: Path) -> Launch:
    """The two tasks srun starts for ``--nodes=1 --ntasks-per-node=2``, as train.sbatch runs them."""
    launch, port = Launch(logs), free_port()
    for rank in range(2):
        command = [*FIT, *args, *CPU_DDP, "--trainer.devices=2", "--trainer.num_nodes=1"]
        launch.start(command, clean_env(**slurm_env(4242, rank, 2, port=port)))
    return launch


LAUNCHERS = {"lightning": lightning_ddp, "torchrun": torchrun_two_nodes, "slurm": slurm_job}


@pytest.mark.slow
def test_lightning_ddp_torchrun_and_slurm_give_one_folder_one_wandb_run_and_the_same_metrics(
    data_dir: Path, tmp_path: Path
) -> None:
    metrics, weights = {}, {}
    for name, launcher in LAUNCHERS.items():
        root = tmp_path / name
        launch = launcher(tiny_mlp(data_dir, root), tmp_path / f"{name}-logs")
        assert launch.wait() == [0] * len(launch.processes), launch.stderr()[-3000:]
        folders = list((root / "mlp-mnist").iterdir())
        assert len(folders) == 1, f"{name}: the ranks made {folders}"
        run = folders[0]
        summary = run_summary(offline_run(run))  # exactly one W&B run, and it finished
        metrics[name] = json.loads((run / "results.json").read_text())["test"]
        assert summary["summary"]["test/acc"] == pytest.approx(metrics[name]["test/acc"])
        weights[name] = torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)["state_dict"]
        print(f"{name}: {run.name} {metrics[name]}")
    assert next((tmp_path / "torchrun" / "mlp-mnist").iterdir()).name.startswith("torchrun-127.0.0.1-")
    assert next((tmp_path / "slurm" / "mlp-mnist").iterdir()).name.startswith("slurm-4242.0-")
    for name in ("torchrun", "slurm"):
        assert metrics[name] == pytest.approx(metrics["lightning"], abs=1e-6), name
        gap = max(float((weights[name][k] - weights["lightning"][k]).abs().max()) for k in weights[name])
        print(f"{name}: max |weights - lightning's| = {gap:.3g}")
        assert gap <= 1e-6


def only_error_line(stderr: str) -> str:
    """The one ``litzoo: error:`` line of a process's error output, which holds no traceback."""
    errors = [line for line in stderr.splitlines() if line.startswith("litzoo: error:")]
    assert len(errors) == 1 and "Traceback" not in stderr, stderr[-3000:]
    return errors[0]


@pytest.mark.slow
def test_devices_that_torchrun_did_not_start_are_one_line_per_worker(data_dir: Path, tmp_path: Path) -> None:
    # Two processes on this node, but the Trainer is told one device each.
    logs = tmp_path / "torchrun-logs"
    command = [TORCHRUN, "--standalone", "--nproc-per-node=2", "--redirects=3", f"--log-dir={logs}"]
    launch = Launch(tmp_path / "logs")
    args = [*tiny_mlp(data_dir, tmp_path / "runs", "csv"), *CPU_DDP, "--trainer.devices=1"]
    launch.start([*command, "-m", "litzoo", "fit", *args], clean_env())
    assert launch.wait() == [1]  # torchrun's own exit code for failed workers
    # torchrun reports its workers' exit codes in a summary of its own; each worker said one line.
    assert launch.stderr().count("exitcode  : 2") >= 1
    workers = sorted(logs.rglob("stderr.log"))
    assert len(workers) == 2
    for worker in workers:
        line = only_error_line(worker.read_text())
        print(line)
        assert "`devices=1` and `num_nodes=1`" in line and "world size (2)" in line
        assert "HINT: Set `devices=2` and `num_nodes=1`" in line
    assert not (tmp_path / "runs").exists(), "a refused run left a folder"


@pytest.mark.slow
def test_nodes_that_slurm_did_not_give_are_one_line_and_exit_2(data_dir: Path, tmp_path: Path) -> None:
    # One node with two tasks, but the Trainer is told two nodes.
    args = [*tiny_mlp(data_dir, tmp_path / "runs", "csv"), *CPU_DDP, "--trainer.devices=2"]
    launch, port = Launch(tmp_path / "logs"), free_port()
    for rank in range(2):
        launch.start([*FIT, *args, "--trainer.num_nodes=2"], clean_env(**slurm_env(7, rank, 2, port=port)))
    assert launch.wait() == [2, 2]
    for rank in range(2):
        line = only_error_line(launch.stderr(rank))
        print(line)
        assert "`num_nodes=2`" in line and "`--nodes=1`" in line
    assert not (tmp_path / "runs").exists(), "a refused run left a folder"


TWO_PER_NODE = {  # what each launcher tells a process of a one-node launch with two processes
    "slurm": (slurm_env(5, 0, 2), "`--ntasks-per-node=2` does not match. HINT: Set `devices=2`."),
    "torchrun": (
        {"TORCHELASTIC_RUN_ID": "job", "WORLD_SIZE": "2", "LOCAL_WORLD_SIZE": "2", "RANK": "0"},
        "HINT: Set `devices=2` and `num_nodes=1` (torchrun's --nproc-per-node and --nnodes).",
    ),
}


@pytest.mark.parametrize("launcher", TWO_PER_NODE)
def test_one_device_where_two_processes_were_started_is_refused(
    capsys: pytest.CaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    data_dir: Path,
    tmp_path: Path,
    launcher: str,
) -> None:
    # Lightning never checks a one-device run: each process would train alone, into one folder.
    variables, hint = TWO_PER_NODE[launcher]
    for key, value in variables.items():
        monkeypatch.setenv(key, value)
    code, _, err = run_main(
        capsys, "fit", *tiny_mlp(data_dir, tmp_path / "runs", "csv"), "--trainer.devices=1"
    )
    assert code == 2 and hint in only_error_line(err)
    assert not (tmp_path / "runs").exists()


def test_a_slurm_job_names_each_run_by_its_arguments_and_never_continues_a_finished_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from jsonargparse import Namespace

    from litzoo.run import folders as runs

    for key, value in slurm_env(42, 0, 1).items():
        monkeypatch.setenv(key, value)
    config = Namespace(trainer=Namespace(default_root_dir="runs"), run_name="mlp-mnist")
    first = runs.claim_run_dir(config, "args1")
    assert first == Path("runs/mlp-mnist/slurm-42.0-args1")
    assert runs.claim_run_dir(config, "args1") == first  # started again: its own folder
    assert runs.claim_run_dir(config, "args2") == Path("runs/mlp-mnist/slurm-42.0-args2")
    (first / "results.json").write_text("{}")  # finished
    assert runs.claim_run_dir(config, "args1") == Path("runs/mlp-mnist/slurm-42.0-args1-2")


def wait_for(condition, what: str, launch: Launch, timeout: float = 120) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"no {what} after {timeout} s:\n{launch.stderr()[-3000:]}"
        time.sleep(0.05)


@pytest.mark.slow
def test_a_requeued_slurm_job_continues_its_own_run_to_the_uninterrupted_weights(
    data_dir: Path, tmp_path: Path
) -> None:
    root = tmp_path / "runs"
    slow = ["--trainer.callbacks+=conftest.Slow", "--trainer.callbacks.init_args.seconds=0.3"]
    args = ["--trainer.max_epochs=3", *slow]
    # A fake scontrol records what Lightning asks SLURM for.
    bin_dir, calls = tmp_path / "bin", tmp_path / "scontrol.calls"
    bin_dir.mkdir()
    (bin_dir / "scontrol").write_text(f'#!/bin/sh\necho "$@" >> {calls}\n')
    (bin_dir / "scontrol").chmod(0o755)
    env = clean_env(**slurm_env(9001, 0, 1)) | {"PATH": f"{bin_dir}:{clean_env()['PATH']}"}

    whole = Launch(tmp_path / "whole-logs")  # the same run never interrupted, outside SLURM
    whole.start([*FIT, *tiny_mlp(data_dir, tmp_path / "whole"), *args], clean_env())
    # An earlier run of the same job with other arguments has a folder of its own.
    other = Launch(tmp_path / "other-logs")
    other.start([*FIT, *tiny_mlp(data_dir, root), "--trainer.max_epochs=1"], env)
    assert whole.wait() == [0] and other.wait() == [0], whole.stderr() + other.stderr()
    (earlier,) = (root / "mlp-mnist").iterdir()

    first = Launch(tmp_path / "first-logs")
    first.start([*FIT, *tiny_mlp(data_dir, root), *args], env)
    # Into epoch 1 (last.ckpt ends epoch 0), then SLURM's warning signal, and the requeue's SIGTERM.
    wait_for(lambda: [c for c in root.rglob("last.ckpt") if earlier not in c.parents], "epoch 0", first)
    time.sleep(0.5)  # a batch or two: 0.3 s each
    first.kill(signal.SIGUSR1)
    wait_for(lambda: list(root.rglob("hpc_ckpt_1.ckpt")) and calls.exists(), "hpc checkpoint", first)
    assert calls.read_text() == "requeue 9001\n"
    first.kill(signal.SIGTERM)
    assert first.wait() == [143], first.stderr()[-3000:]
    print(next(line for line in first.stderr().splitlines() if "litzoo: SIGTERM" in line))
    run = next(root.rglob("hpc_ckpt_1.ckpt")).parent
    assert not (run / "results.json").exists()

    again = Launch(tmp_path / "again-logs")  # the requeued job: the same command, the same job id
    again.start([*FIT, *tiny_mlp(data_dir, root), *args], env)
    assert again.wait() == [0], again.stderr()[-3000:]
    assert f"continuing the unfinished run in {run}" in again.stdout()
    folders = sorted(p.name for p in (root / "mlp-mnist").iterdir())
    assert sorted([earlier.name, run.name]) == folders and run != earlier, folders
    assert all(f.startswith("slurm-9001.0-") for f in folders), folders
    assert len({r.name.rsplit("-", 1)[-1] for r in run.glob("wandb/offline-run-*")}) == 1, "one W&B run id"
    a = torch.load(next((tmp_path / "whole").rglob("last.ckpt")), weights_only=True)["state_dict"]
    b = torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)["state_dict"]
    assert all(torch.equal(a[k], b[k]) for k in a), max(float((a[k] - b[k]).abs().max()) for k in a)


# srun on a one-node allocation: SLURM_NTASKS tasks of the command, each with its task variables.
FAKE_SRUN = """#!/bin/bash
pids=()
for ((i = 0; i < SLURM_NTASKS; i++)); do
  SLURM_PROCID=$i SLURM_LOCALID=$i SLURM_NODEID=0 SLURM_STEP_ID=0 "$@" & pids+=($!)
done
code=0
for pid in "${pids[@]}"; do wait "$pid" || code=$?; done
exit $code
"""


@pytest.mark.slow
def test_train_sbatch_trains_with_one_task_per_device(data_dir: Path, tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "srun").write_text(FAKE_SRUN)
    (bin_dir / "srun").chmod(0o755)
    # The allocation's variables; srun adds each task's own.
    per_task = ("SLURM_PROCID", "SLURM_LOCALID", "SLURM_NODEID", "SLURM_STEP_ID")
    job = {k: v for k, v in slurm_env(31, 0, 2, port=free_port()).items() if k not in per_task}
    tiny = ["--data.init_args.batch_size=16", "--data.init_args.val_size=32", "--trainer.max_epochs=1"]
    tiny += ["--model.init_args.net.init_args.hidden=[32]", f"--trainer.default_root_dir={tmp_path / 'runs'}"]
    job |= {"PATH": f"{bin_dir}:{clean_env()['PATH']}", "SLURM_SUBMIT_DIR": str(ROOT), "ARGS": " ".join(tiny)}
    job |= {"LOGGER": "csv", "ACCELERATOR": "cpu", "DATA_DIR": str(data_dir)}
    launch = Launch(tmp_path / "logs")
    launch.start(["bash", str(ROOT / "scripts" / "slurm" / "train.sbatch")], clean_env(**job))
    assert launch.wait() == [0], launch.stderr()[-3000:]
    (run,) = (tmp_path / "runs" / "mlp-mnist").iterdir()
    assert run.name.startswith("slurm-31.0-") and (run / "results.json").is_file()
    assert "MEMBER: 2/2" in launch.stderr(), "not two DDP processes"
