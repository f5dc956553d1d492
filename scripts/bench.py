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

Measurement: a warm-up epoch of each loop, then ``--rounds`` rounds of one epoch of every
loop, the order rotating each round so that no loop always follows the same one. A loop's
figure is its fastest epoch (as ``timeit`` does): on a shared machine noise from other
processes only ever adds time, so the minimum is the least disturbed measurement. Medians
are printed beside it. The last line is ``overhead_ratio=<litzoo / plain>``.

First, the time-to-accuracy section (``bench_tta``): whole ``litzoo fit`` commands of each
default experiment and its fast preset, start to printed test metric, and the time to the
first training step (``--skip-tta`` leaves it out, ``--skip-epochs`` runs it alone).
"""

import argparse
import shlex
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
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


def lightning_epoch(model, datamodule, log_dir: str, extra: list[Callback] | None = None) -> float:
    """One training epoch with the default trainer's callbacks (and ``extra``), validation off."""
    timer = EpochTimer()
    callbacks = [ModelCheckpoint(dirpath=log_dir, save_last=True), LearningRateMonitor(), RichProgressBar(10)]
    callbacks += extra or []
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
    """Seconds of each loop's epochs: ``rounds`` rounds, the order rotating every round."""
    for name in warm_up:
        loops[name]()
    times: dict[str, list[float]] = {name: [] for name in loops}
    names = list(loops)
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            times[name].append(loops[name]())
        print(f"round {r + 1}: " + "  ".join(f"{k} {v[-1]:.3f}s" for k, v in times.items()), flush=True)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", default="./data", help="folder holding MNIST/raw")
    parser.add_argument("--rounds", type=int, default=5, help="timed epochs of each loop")
    parser.add_argument("--batch-size", type=int, default=None, help="default: the config's")
    parser.add_argument("--val-size", type=int, default=None, help="default: the config's")
    parser.add_argument("--workers", type=int, default=0, help="DataLoader workers of the tutorial loop")
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
    net, make_optimizer, batch_size = model.net, model._optimizer, dm.batch_size
    x, y = dm.splits["train"]
    floor = Floor(net, make_optimizer)
    loader = tutorial_loader(args.data_dir, batch_size, args.workers, dm.hparams.mean, dm.hparams.std)
    with tempfile.TemporaryDirectory() as log_dir:
        loops = {
            "plain": lambda: plain_epoch(net, make_optimizer, x, y, batch_size),
            "floor": lambda: lightning_epoch(floor, dm, log_dir),
            "litzoo": lambda: lightning_epoch(model, dm, log_dir, always_on()),
            "tutorial": lambda: tutorial_epoch(net, make_optimizer, loader),
        }
        times = measure(loops, args.rounds, warm_up=("plain", "floor", "litzoo"))
    data_loops = {
        "litzoo data": lambda: data_epoch(dm.train_dataloader()),
        "tutorial data": lambda: data_epoch(loader),
    }
    data = {k: min(v) for k, v in measure(data_loops, 2, warm_up=()).items()}

    best = {k: min(v) for k, v in times.items()}
    labels = {
        "plain": "plain PyTorch loop over in-memory tensors",
        "floor": "Lightning floor (minimal LightningModule)",
        "litzoo": "litzoo (make train's module and trainer)",
        "tutorial": f"tutorial per-sample DataLoader, {args.workers} workers",
    }
    print(f"\nMLP on MNIST, {len(x)} training images, batch {batch_size}, {torch.get_num_threads()} threads")
    print(f"{'s/epoch':>52} {'best':>7} {'median':>7}  best vs plain")
    for name, label in labels.items():
        median = statistics.median(times[name])
        print(f"  {label:<48} {best[name]:7.3f} {median:7.3f}  {best[name] / best['plain']:.3f}x")
    print(
        f"  data alone (batches, no training): litzoo {data['litzoo data']:.3f} s/epoch, "
        f"tutorial {data['tutorial data']:.3f} s/epoch ({data['tutorial data'] / data['litzoo data']:.0f}x)"
    )
    print(f"tutorial_over_litzoo={best['tutorial'] / best['litzoo']:.2f}")
    print(f"overhead_ratio={best['litzoo'] / best['plain']:.3f}")


if __name__ == "__main__":
    main()
