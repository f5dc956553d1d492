"""Seconds per training epoch of the MLP on MNIST: litzoo vs a plain loop vs a tutorial pipeline.

All three train the same model (configs/model/mlp.yaml) with the same batch size and the
same optimizer, measured in one process, interleaved, so the ratios compare like with like:

* litzoo: the Lightning Trainer over the in-memory MNIST data module with the callbacks
  of configs/trainer/default.yaml (checkpoint, LR monitor, progress bar) and a CSV
  logger, validation switched off so that only training is timed;
* floor: the same Trainer and data with a minimal LightningModule (loss only, no
  metrics), to show what Lightning itself costs per step;
* plain: a hand-written PyTorch loop over the very same tensors, tracking loss and
  accuracy as the litzoo module does;
* tutorial: a torchvision ``MNIST`` dataset with per-sample ``ToTensor``/``Normalize``
  transforms and a ``DataLoader``, the loop most tutorials show.

The last line is ``overhead_ratio=<litzoo / plain>``.
"""

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch
from lightning import Callback, LightningModule, Trainer, seed_everything
from lightning.pytorch.callbacks import LearningRateMonitor, ModelCheckpoint, RichProgressBar
from lightning.pytorch.loggers import CSVLogger
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

from litzoo.cli import LitzooCLI
from litzoo.data.mnist import MEAN, STD
from litzoo.data.mnist_files import resolve_mnist_root

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


def lightning_epoch(model, datamodule, log_dir: str) -> float:
    """One training epoch with the default trainer's callbacks, validation off."""
    timer = EpochTimer()
    callbacks = [ModelCheckpoint(dirpath=log_dir, save_last=True), LearningRateMonitor(), RichProgressBar(10)]
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


def plain_epoch(model, optimizer, x: torch.Tensor, y: torch.Tensor, batch_size: int) -> float:
    """The loop a careful PyTorch user writes over in-memory tensors."""
    model.train()
    start = time.perf_counter()
    correct = torch.zeros((), dtype=torch.long)
    total_loss = torch.zeros(())
    for idx in torch.randperm(len(x)).split(batch_size):
        inputs, targets = x[idx], y[idx]
        output = model(inputs)
        loss = torch.nn.functional.cross_entropy(output, targets)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        correct += (output.argmax(1) == targets).sum()
        total_loss += loss.detach()
    return time.perf_counter() - start


def tutorial_epoch(model, optimizer, data_dir: str, batch_size: int, workers: int) -> float:
    """The per-sample pipeline: PIL image -> ToTensor -> Normalize -> collate, each sample."""
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((MEAN,), (STD,))])
    root = resolve_mnist_root(Path(data_dir), download=False)
    ds = datasets.MNIST(str(root), train=True, transform=tf)
    loader = DataLoader(ds, batch_size=batch_size, shuffle=True, num_workers=workers)
    model.train()
    start = time.perf_counter()
    for inputs, targets in loader:
        loss = torch.nn.functional.cross_entropy(model(inputs), targets)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", default="./data", help="folder holding MNIST/raw")
    parser.add_argument("--rounds", type=int, default=3, help="timed epochs of each loop")
    parser.add_argument("--batch-size", type=int, default=None, help="default: the config's")
    parser.add_argument("--val-size", type=int, default=None, help="default: the config's")
    parser.add_argument("--workers", type=int, default=0, help="DataLoader workers of the tutorial loop")
    args = parser.parse_args()
    torch.set_num_threads(torch.get_num_threads())

    seed_everything(0, verbose=False)
    model, dm = build(args.data_dir, args.batch_size, args.val_size)
    batch_size = dm.batch_size
    x, y = dm.splits["train"]
    plain_model, _ = build(args.data_dir, args.batch_size, args.val_size)
    plain_opt = plain_model._optimizer(plain_model.parameters())
    floor_src, _ = build(args.data_dir, args.batch_size, args.val_size)
    floor = Floor(floor_src.net, floor_src._optimizer)

    loops = {
        "plain": lambda: plain_epoch(plain_model, plain_opt, x, y, batch_size),
        "litzoo": lambda: lightning_epoch(model, dm, log_dir),
        "floor": lambda: lightning_epoch(floor, dm, log_dir),
    }
    times: dict[str, list[float]] = {name: [] for name in loops}
    with tempfile.TemporaryDirectory() as log_dir:
        for run in loops.values():
            run()  # warm-up, not timed
        for r in range(args.rounds):  # interleaved, so drifts in machine load hit all alike
            for name, run in loops.items():
                times[name].append(run())
            print(f"round {r + 1}: " + "  ".join(f"{k} {v[-1]:.3f}s" for k, v in times.items()), flush=True)
    tut_model, _ = build(args.data_dir, args.batch_size, args.val_size)
    tut_opt = tut_model._optimizer(tut_model.parameters())
    tutorial = tutorial_epoch(tut_model, tut_opt, args.data_dir, batch_size, args.workers)

    plain, lit, low = (statistics.median(times[k]) for k in ("plain", "litzoo", "floor"))
    print(f"\nMLP on MNIST, {len(x)} training images, batch {batch_size}, {torch.get_num_threads()} threads")
    print(f"  plain PyTorch loop over in-memory tensors  {plain:7.3f} s/epoch")
    print(f"  Lightning floor (minimal LightningModule)  {low:7.3f} s/epoch  ({low / plain:.3f}x plain)")
    print(f"  litzoo (make train's module and trainer)   {lit:7.3f} s/epoch  ({lit / plain:.3f}x plain)")
    print(f"  tutorial per-sample DataLoader, {args.workers} workers  {tutorial:7.3f} s/epoch")
    print(f"tutorial_over_litzoo={tutorial / lit:.2f}")
    print(f"overhead_ratio={lit / plain:.3f}")


if __name__ == "__main__":
    main()
