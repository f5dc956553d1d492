"""Time to accuracy on a GPU: a plain PyTorch loop vs litzoo, on the same device-resident MNIST.

For the MLP (``mnist_fast``) and the CNN (``cnn_fast``), both loops train the same net from the
same initial weights with the preset's optimizer and one-cycle schedule, bf16 autocast, the
splits held on the device and batches indexed there. Each loop runs twice: the first run is the
warm-up (``torch.compile``, cuDNN autotuning, allocator growth), reported apart as airbench does;
the second is timed with CUDA events, training only (the per-epoch test evaluation that finds
the epoch reaching the target is left out). Printed per model and loop: seconds to the target
(98% MLP, 99% CNN), test accuracy, samples/s, peak memory, warm-up seconds.

Without CUDA it prints one line saying so and exits 1: nothing was measured.
``--device cpu`` runs the same code on the CPU (wall-clock timers), which the tests use.
"""

import argparse
import copy
import shlex
import sys
import time
from pathlib import Path

import torch
from lightning import Callback, Trainer

from litzoo import configs
from litzoo.run.cli import LitzooCLI

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
PRESETS = {"mlp": ("mnist_fast", 0.98), "cnn": ("cnn_fast", 0.99)}


class Clock:
    """Seconds of device work between ``start`` and ``stop``: CUDA events there, else wall clock."""

    def __init__(self, device: torch.device) -> None:
        self.cuda, self.total = device.type == "cuda", 0.0

    def start(self) -> None:
        if self.cuda:
            self._a, self._b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            self._a.record()
        else:
            self._t = time.perf_counter()

    def stop(self) -> float:
        if self.cuda:
            self._b.record()
            self._b.synchronize()
            self.total += self._a.elapsed_time(self._b) / 1000
        else:
            self.total += time.perf_counter() - self._t
        return self.total


def build(experiment: str, data_dir: str, device: torch.device, extra: list[str]) -> LitzooCLI:
    """The model and data of ``make train EXPERIMENT=<experiment>``, on one device, bf16 on CUDA."""
    args = configs.fit_args(experiment_name=experiment, logger="csv", data_dir=data_dir, root=CONFIGS)
    args += ["--trainer.logger=false", f"--trainer.accelerator={'gpu' if device.type == 'cuda' else 'cpu'}"]
    args += [
        "--trainer.devices=1",
        f"--trainer.precision={'bf16-mixed' if device.type == 'cuda' else '32-true'}",
    ]
    return LitzooCLI(args=[*args, *extra], run=False)


@torch.no_grad()
def accuracy(net: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, dtype: torch.dtype | None) -> float:
    """Test accuracy of ``net`` on device-resident ``x``/``y``, in batches of 2048."""
    net.eval()
    with torch.autocast(x.device.type, dtype=dtype, enabled=dtype is not None):
        right = sum(
            int((net(xb).argmax(1) == yb).sum()) for xb, yb in zip(x.split(2048), y.split(2048), strict=True)
        )
    net.train()
    return right / len(x)


Result = dict[str, float]


def plain(cli: LitzooCLI, device: torch.device, target: float, dtype: torch.dtype | None) -> Result:
    """The hand-written loop: randperm on the device, slice, forward, backward, step."""
    dm, model = cli.datamodule, cli.model
    dm.setup("fit")
    (x, y), (xt, yt) = ((t.to(device) for t in dm.splits[s]) for s in ("train", "test"))
    net = copy.deepcopy(model.net).to(device)
    if model.hparams.get("compile"):
        net.compile(mode=model.hparams.compile)
    epochs, batch = cli.trainer.max_epochs, dm.batch_size
    steps = epochs * -(-len(x) // batch)
    opt = model._optimizer(net.parameters())
    sched = model._scheduler(opt, total_steps=steps) if model._scheduler else None
    clock, reached, acc = Clock(device), float("nan"), 0.0
    torch.cuda.reset_peak_memory_stats() if device.type == "cuda" else None
    for _ in range(epochs):
        clock.start()
        for idx in torch.randperm(len(x), device=device).split(batch):
            with torch.autocast(device.type, dtype=dtype, enabled=dtype is not None):
                loss = torch.nn.functional.cross_entropy(net(x[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step() if sched else None
        seconds = clock.stop()
        acc = accuracy(net, xt, yt, dtype)
        reached = seconds if acc >= target and reached != reached else reached
    return {
        "seconds": reached,
        "train_s": clock.total,
        "acc": acc,
        "samples_s": epochs * len(x) / clock.total,
    }


class EpochClock(Callback):
    """Times litzoo's training epochs on the device and tests the net after each, untimed."""

    def __init__(self, device: torch.device, target: float, test: tuple[torch.Tensor, torch.Tensor]) -> None:
        self.clock, self.target, self.test = Clock(device), target, test
        self.reached, self.acc = float("nan"), 0.0

    def on_train_epoch_start(self, trainer, pl_module) -> None:  # noqa: ANN001, D102
        self.clock.start()

    def on_train_epoch_end(self, trainer, pl_module) -> None:  # noqa: ANN001, D102
        seconds = self.clock.stop()
        x, y = (t.to(pl_module.device) for t in self.test)
        dtype = torch.bfloat16 if pl_module.device.type == "cuda" else None
        self.acc = accuracy(pl_module, x, y, dtype)
        self.reached = seconds if self.acc >= self.target and self.reached != self.reached else self.reached


def litzoo(
    cli: LitzooCLI, device: torch.device, target: float, dtype: torch.dtype | None
) -> dict[str, float]:
    """``make train``'s system and data module under a Trainer, validation and checkpoints off."""
    dm = cli.datamodule
    dm.setup("fit")
    probe = EpochClock(device, target, dm.splits["test"])
    trainer = Trainer(
        accelerator=cli.trainer.accelerator, devices=1, precision=cli.trainer.precision,
        max_epochs=cli.trainer.max_epochs, logger=False, enable_checkpointing=False,
        enable_progress_bar=False, enable_model_summary=False, limit_val_batches=0,
        num_sanity_val_steps=0, callbacks=[probe],
    )  # fmt: skip
    dm.splits = {}  # set up again under the Trainer: on the device when it fits (device_data: auto)
    torch.cuda.reset_peak_memory_stats() if device.type == "cuda" else None
    trainer.fit(cli.model, datamodule=dm)
    total, samples = probe.clock.total, trainer.max_epochs * len(dm.splits["train"][0])
    return {"seconds": probe.reached, "train_s": total, "acc": probe.acc, "samples_s": samples / total}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", default="./data", help="folder holding MNIST/raw")
    parser.add_argument("--models", nargs="+", default=list(PRESETS), choices=list(PRESETS))
    parser.add_argument(
        "--compile", default=None, help="torch.compile mode of both loops' nets (e.g. default)"
    )
    parser.add_argument("--device", default="cuda", help="cuda, or cpu to check the script without a GPU")
    parser.add_argument("--fit-args", default="", help="more litzoo fit arguments, one string")
    args = parser.parse_args()
    sys.argv[1:] = []
    if args.device == "cuda" and not torch.cuda.is_available():
        print("bench-gpu: no CUDA device here; run make bench-gpu on a machine with one (nothing measured)")
        sys.exit(1)
    device = torch.device(args.device)
    dtype = torch.bfloat16 if device.type == "cuda" else None
    extra = [
        *shlex.split(args.fit_args),
        *([f"--model.init_args.compile={args.compile}"] if args.compile else []),
    ]
    heads = ("s to target", "test acc", "samples/s", "peak MiB", "warm-up s")
    print(f"{'model':<5} {'loop':<7} " + " ".join(f"{h:>11}" for h in heads))
    for name in args.models:
        experiment, target = PRESETS[name]
        for loop_name, loop in (("plain", plain), ("litzoo", litzoo)):
            runs = []
            for _ in range(2):  # the first run is the warm-up; the same initial weights each time
                torch.manual_seed(0)
                cli = build(experiment, args.data_dir, device, extra)
                start = time.perf_counter()
                result = loop(cli, device, target, dtype)
                runs.append((time.perf_counter() - start, result))
            (warm_wall, _), (timed_wall, result) = runs
            peak = torch.cuda.max_memory_allocated() / 2**20 if device.type == "cuda" else float("nan")
            print(
                f"{name:<5} {loop_name:<7} {result['seconds']:11.3f} {result['acc']:11.4f}"
                f" {result['samples_s']:11.0f} {peak:11.0f} {warm_wall - timed_wall:11.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
