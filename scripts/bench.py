"""Seconds per training epoch of the MLP on MNIST: litzoo vs a plain loop vs a tutorial pipeline.

All loops train one and the same MLP (configs/model/mlp.yaml: the very same parameters),
each with a fresh optimizer from the config, at the same batch size, in one process:

* litzoo: the Lightning Trainer over the in-memory MNIST data module with the callbacks
  of configs/trainer/default.yaml (checkpoint, LR monitor, progress bar), those the CLI
  always adds (the loss guard, SIGTERM and Ctrl-C checkpoints, RNG state, pictures) and a
  CSV logger, validation switched off so that only training is timed;
* floor: the same Trainer and data with a minimal LightningModule (loss only, no
  metrics), to show what Lightning itself costs per step;
* plain: a hand-written PyTorch loop over the very same tensors, tracking loss and
  accuracy as the litzoo module does;
* tutorial: a torchvision ``MNIST`` dataset with per-sample ``ToTensor``/``Normalize``
  transforms and a ``DataLoader``, the loop most tutorials show.

It also times one epoch of batches alone (no training) from each data pipeline.

Measurement: a warm-up epoch of each loop, then ``--rounds`` rounds of one epoch of the
plain, floor and litzoo loops, each round in a fresh random order so that no loop always
follows the same one; the tutorial loop, three times slower, gets ``--tutorial-rounds``
rounds of its own beside litzoo. Per loop it prints the fastest and the median epoch, and the
*paired* ratio: the median over rounds of the loop's epoch over the plain loop's epoch of the
same round, with a 95% bootstrap interval. On a shared machine the speed itself drifts by
10-40% from one minute to the next, so two fastest epochs can come from different minutes
(litzoo's has come out 5% faster than the plain loop's); two epochs of one round come from
the same one. Beside each ratio: the same rounds as milliseconds per step over the plain loop;
``--tiny-net`` trains a 784-10 net in every loop instead, so that compute is almost nil and those
milliseconds are each loop's fixed cost. The last line is ``overhead_ratio=<litzoo / plain, paired>``.

First, the time-to-accuracy section (``bench_tta``): whole ``litzoo fit`` commands of each
default experiment and its fast preset, start to printed test metric, and the time to the
first training step (``--skip-tta`` leaves it out, ``--skip-epochs`` runs it alone).
"""

import argparse
import random
import shlex
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import torch
from bench_tta import time_to_accuracy
from lightning import Callback, LightningModule, Trainer, seed_everything
from lightning.pytorch.callbacks import LearningRateMonitor, ModelCheckpoint, RichProgressBar
from lightning.pytorch.loggers import CSVLogger
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

from litzoo.data.idx_files import resolve_root
from litzoo.pictures import Pictures
from litzoo.run.cli import LitzooCLI
from litzoo.run.guards import CheckpointOnInterrupt, CheckpointOnSigterm, RestoreRNG, StopOnNonFiniteLoss

ROOT = Path(__file__).resolve().parents[1]


def build(data_dir: str, batch_size: int | None, val_size: int | None = None):
    """The model and data module exactly as ``make train`` builds them."""
    args = ["--config", str(ROOT / "configs/model/mlp.yaml"), "--data", str(ROOT / "configs/data/mnist.yaml")]
    args += [f"--data.init_args.data_dir={data_dir}", "--trainer.logger=false"]
    if batch_size:
        args.append(f"--data.init_args.batch_size={batch_size}")
    if val_size:
        args.append(f"--data.init_args.val_size={val_size}")
    cli = LitzooCLI(args=args, run=False)
    cli.datamodule.prepare_data()
    cli.datamodule.setup("fit")
    return cli.model, cli.datamodule


class EpochTimer(Callback):
    def __init__(self) -> None:
        self.seconds: list[float] = []

    def on_train_epoch_start(self, trainer, pl_module) -> None:
        self._start = time.perf_counter()

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        self.seconds.append(time.perf_counter() - self._start)


class Floor(LightningModule):
    """The least a LightningModule can do: forward, loss, optimizer."""

    def __init__(self, net: torch.nn.Module, optimizer) -> None:
        super().__init__()
        self.net, self._optimizer = net, optimizer

    def training_step(self, batch, batch_idx):
        return torch.nn.functional.cross_entropy(self.net(batch[0]), batch[1])

    def configure_optimizers(self):
        return self._optimizer(self.parameters())


def always_on() -> list[Callback]:
    """The callbacks ``litzoo fit`` adds to every run (LitzooCLI.add_arguments_to_parser)."""
    return [Pictures(), StopOnNonFiniteLoss(), CheckpointOnSigterm(), CheckpointOnInterrupt(), RestoreRNG()]


def lightning_epoch(
    model, datamodule, log_dir: str, extra: Callable[[], list[Callback]] | None = None
) -> float:
    """One training epoch with the default trainer's callbacks (and fresh ``extra()``), validation off."""
    timer = EpochTimer()
    callbacks = [ModelCheckpoint(dirpath=log_dir, save_last=True), LearningRateMonitor(), RichProgressBar(10)]
    callbacks += extra() if extra else []
    trainer = Trainer(
        max_epochs=1,
        accelerator="cpu",
        logger=CSVLogger(log_dir),
        callbacks=[timer, *callbacks],
        enable_model_summary=False,
        limit_val_batches=0,
        num_sanity_val_steps=0,
    )
    trainer.fit(model, datamodule=datamodule)
    return timer.seconds[0]


def plain_epoch(
    net: torch.nn.Module, make_optimizer, x: torch.Tensor, y: torch.Tensor, batch_size: int
) -> float:
    """The loop a careful PyTorch user writes over in-memory tensors."""
    optimizer = make_optimizer(net.parameters())
    net.train()
    start = time.perf_counter()
    correct = torch.zeros((), dtype=torch.long)
    total_loss = torch.zeros(())
    for idx in torch.randperm(len(x)).split(batch_size):
        inputs, targets = x[idx], y[idx]
        output = net(inputs)
        loss = torch.nn.functional.cross_entropy(output, targets)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        correct += (output.argmax(1) == targets).sum()
        total_loss += loss.detach()
    return time.perf_counter() - start


def tutorial_loader(data_dir: str, batch_size: int, workers: int, mean: float, std: float) -> DataLoader:
    """The per-sample pipeline: PIL image -> ToTensor -> Normalize -> collate, each sample."""
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((mean,), (std,))])
    root = resolve_root(Path(data_dir), datasets.MNIST, download=False)
    ds = datasets.MNIST(str(root), train=True, transform=tf)
    return DataLoader(ds, batch_size=batch_size, shuffle=True, num_workers=workers)


def tutorial_epoch(net: torch.nn.Module, make_optimizer, loader: DataLoader) -> float:
    """The loop most tutorials show, over a per-sample DataLoader."""
    optimizer = make_optimizer(net.parameters())
    net.train()
    start = time.perf_counter()
    for inputs, targets in loader:
        loss = torch.nn.functional.cross_entropy(net(inputs), targets)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return time.perf_counter() - start


def data_epoch(loader: DataLoader) -> float:
    """One epoch of batches and nothing else: what the data pipeline costs on its own."""
    start = time.perf_counter()
    for _ in loader:
        pass
    return time.perf_counter() - start


def measure(
    loops: dict[str, Callable[[], float]], rounds: int, warm_up: tuple[str, ...]
) -> dict[str, list[float]]:
    """Seconds of each loop's epochs: ``rounds`` rounds, each in a fresh random order (seeded).

    A random order, not a rotation: a rotation keeps every loop behind the same neighbour,
    and whatever one loop leaves behind (a cold cache, garbage to collect) would always fall
    on the same next loop.
    """
    for name in warm_up:
        loops[name]()
    times: dict[str, list[float]] = {name: [] for name in loops}
    order = random.Random(0)
    for r in range(rounds):
        for name in order.sample(list(loops), len(loops)):
            times[name].append(loops[name]())
        print(f"round {r + 1}: " + "  ".join(f"{k} {v[-1]:.3f}s" for k, v in times.items()), flush=True)
    return times


def paired(times: dict[str, list[float]], name: str, base: str = "plain") -> list[float]:
    """Per round, ``name``'s epoch over ``base``'s epoch in that round.

    Both epochs of a round ran within seconds of each other, so a machine that is slower for a
    minute slows both and their ratio keeps.
    """
    return [a / b for a, b in zip(times[name], times[base], strict=True)]


def median_interval(ratios: list[float], resamples: int = 2000) -> tuple[float, float, float]:
    """The median of ``ratios`` and a 95% bootstrap interval of that median (seeded).

    The median drops the rounds a burst hit; the interval says how far the rounds left it
    uncertain, so that a 5% bar is not read off a figure that moves by 5% from run to run.
    """
    draw = random.Random(0)
    medians = sorted(statistics.median(draw.choices(ratios, k=len(ratios))) for _ in range(resamples))
    return statistics.median(ratios), medians[int(0.025 * resamples)], medians[int(0.975 * resamples) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", default="./data", help="folder holding MNIST/raw")
    parser.add_argument("--rounds", type=int, default=15, help="timed epochs of each loop")
    parser.add_argument("--tutorial-rounds", type=int, default=3, help="epochs of the tutorial loop")
    parser.add_argument("--batch-size", type=int, default=None, help="default: the config's")
    parser.add_argument("--val-size", type=int, default=None, help="default: the config's")
    parser.add_argument("--workers", type=int, default=0, help="DataLoader workers of the tutorial loop")
    parser.add_argument(
        "--tiny-net", action="store_true", help="all loops train a 784-10 net: fixed costs per step alone"
    )
    parser.add_argument("--pairs", nargs="+", default=["mlp:mnist_fast", "cnn:cnn_fast"], help="default:fast")
    parser.add_argument(
        "--seeds", nargs="+", type=int, default=[0], help="seeds of the time-to-accuracy runs"
    )
    parser.add_argument("--fit-args", default="", help="more litzoo fit arguments of those runs")
    parser.add_argument("--skip-tta", action="store_true", help="leave out time to accuracy")
    parser.add_argument("--skip-epochs", action="store_true", help="only time to accuracy")
    args = parser.parse_args()
    sys.argv[1:] = []  # the config for LightningCLI comes from build(), not the command line
    if not args.skip_tta:
        time_to_accuracy(args.pairs, args.seeds, args.data_dir, shlex.split(args.fit_args))
    if not args.skip_epochs:
        epochs(args)


def epochs(args: argparse.Namespace) -> None:
    """The seconds-per-epoch section: four loops over the same MLP, interleaved."""

    seed_everything(0, verbose=False)
    model, dm = build(args.data_dir, args.batch_size, args.val_size)
    if args.tiny_net:  # compute almost nil: what is left over the plain loop is each loop's own cost
        model.net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 10))
    net, make_optimizer, batch_size = model.net, model._optimizer, dm.batch_size
    x, y = dm.splits["train"]
    floor = Floor(net, make_optimizer)
    loader = tutorial_loader(args.data_dir, batch_size, args.workers, dm.hparams.mean, dm.hparams.std)
    with tempfile.TemporaryDirectory() as log_dir:
        litzoo = partial(lightning_epoch, model, dm, log_dir, always_on)
        loops = {
            "plain": partial(plain_epoch, net, make_optimizer, x, y, batch_size),
            "floor": partial(lightning_epoch, floor, dm, log_dir),
            "litzoo": litzoo,
        }
        times = measure(loops, args.rounds, warm_up=tuple(loops))
        # The per-sample loop takes about three litzoo epochs: fewer rounds, of its own.
        tutorial = partial(tutorial_epoch, net, make_optimizer, loader)
        slow = measure({"litzoo": litzoo, "tutorial": tutorial}, args.tutorial_rounds, warm_up=())
    data_loops = {
        "litzoo data": lambda: data_epoch(dm.train_dataloader()),
        "tutorial data": lambda: data_epoch(loader),
    }
    data = {k: min(v) for k, v in measure(data_loops, 2, warm_up=()).items()}
    steps = len(dm.train_dataloader())
    what = f"{len(x)} training images, batch {batch_size}, {steps} steps"
    what = f"784-10 net, {what}" if args.tiny_net else what
    report(times, slow, data, what, args.workers, steps)


def report(
    times: dict[str, list[float]],
    slow: dict[str, list[float]],
    data: dict[str, float],
    what: str,
    workers: int,
    steps: int,
) -> None:
    """The table of the epoch section, then ``overhead_ratio=`` (paired, litzoo / plain) last.

    Beside each ratio, the same paired rounds as milliseconds per step over the plain loop: a
    framework's cost per step is fixed, so the ratio it gives grows as the machine gets faster
    (a quiet minute) and shrinks as it slows; the milliseconds keep.
    """
    labels = {
        "plain": "plain PyTorch loop over in-memory tensors",
        "floor": "Lightning floor (minimal LightningModule)",
        "litzoo": "litzoo (make train's module and trainer)",
    }
    rounds = len(times["plain"])
    print(f"\nMLP on MNIST, {what}, {torch.get_num_threads()} threads, {rounds} rounds")
    print(f"{'s/epoch: best':>62} {'median':>7}   paired vs plain (95% interval), ms/step over plain")
    for name, label in labels.items():
        mid, low, high = median_interval(paired(times, name))
        extra = statistics.median(a - b for a, b in zip(times[name], times["plain"], strict=True)) / steps
        interval = f"{mid:.3f}x ({low:.3f}-{high:.3f}), {extra * 1e3:+.2f}" if name != "plain" else "1"
        print(f"  {label:<52} {min(times[name]):7.3f} {statistics.median(times[name]):7.3f}   {interval}")
    tutorial = statistics.median(paired(slow, "tutorial", "litzoo"))
    label = f"tutorial per-sample DataLoader, {workers} workers"
    print(
        f"  {label:<52} {min(slow['tutorial']):7.3f} {statistics.median(slow['tutorial']):7.3f}   "
        f"{tutorial:.2f}x litzoo ({len(slow['tutorial'])} rounds with litzoo)"
    )
    print(
        f"  data alone (batches, no training): litzoo {data['litzoo data']:.3f} s/epoch, "
        f"tutorial {data['tutorial data']:.3f} s/epoch ({data['tutorial data'] / data['litzoo data']:.0f}x)"
    )
    print("  paired: the median over rounds of the loop's epoch / the plain loop's epoch in the same round")
    print("  ms/step over plain: the median over rounds of (loop - plain) / steps, a cost per step that")
    print("  stays put while the machine's speed (and with it the ratio) moves")
    print(f"tutorial_over_litzoo={tutorial:.2f}")
    print(f"best_over_best={min(times['litzoo']) / min(times['plain']):.3f}")
    print(f"overhead_ratio={statistics.median(paired(times, 'litzoo')):.3f}")


if __name__ == "__main__":
    main()
