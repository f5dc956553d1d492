"""Seconds per training epoch on one image folder: in memory (stream: false) vs LitData streaming.

Writes ``--images`` real MNIST digits (``--data-dir``, torchvision's layout) as PNG files in
class folders, or marked noise when MNIST is not there (``--generated``), then trains the same
net (configs/model/<model>.yaml) with the image_folder data config twice in one process:
held in memory, and streamed from LitData chunks with ``--workers`` loader processes.
Validation is off so only training is timed; each figure is the fastest of ``--epochs``
epochs after the first (which warms caches and workers). Writing the chunks, once, is timed
apart. The last line is ``stream_ratio=<streaming / in memory>``, after ``uptime``.
"""

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import EpochTimer
from torchvision.io import write_png

from litzoo import configs
from litzoo.data.image_files import marked_images
from litzoo.run.cli import LitzooCLI


def write_images(folder: Path, n: int, data_dir: str, generated: bool) -> str:
    """``n`` grey 28x28 PNGs in ``folder/<digit>/``; what they are."""
    try:
        if generated:
            raise FileNotFoundError
        from torchvision.datasets import MNIST

        mnist = MNIST(data_dir, train=True, download=False)
        images, labels, source = mnist.data[:n].unsqueeze(1), mnist.targets[:n], "MNIST digits"
    except (FileNotFoundError, RuntimeError):
        (images, labels), source = marked_images(n, 10, (1, 28, 28)), "generated marked noise"
    for i, (image, label) in enumerate(zip(images, labels.tolist(), strict=True)):
        (folder / str(label)).mkdir(parents=True, exist_ok=True)
        write_png(image, str(folder / str(label) / f"{i}.png"))
    return source


def fit(args: argparse.Namespace, folder: Path, stream: bool, runs: Path) -> list[float]:
    root = Path(__file__).resolve().parents[1] / "configs"
    fit_args = configs.fit_args(args.model, "image_folder", logger="csv", data_dir=str(folder), root=root)
    fit_args += [
        "--data.init_args.channels=1",
        "--data.init_args.size=[28, 28]",
        f"--data.init_args.batch_size={args.batch_size}",
        f"--data.init_args.stream={str(stream).lower()}",
        f"--data.init_args.stream_workers={args.workers}",
        f"--trainer.max_epochs={args.epochs + 1}",
        "--trainer.limit_val_batches=0",
        f"--trainer.default_root_dir={runs}",
        *args.extra,
    ]
    cli = LitzooCLI(args=fit_args, run=False)
    start = time.perf_counter()
    cli.datamodule.prepare_data()  # decode and cache, or write the chunks: once, timed apart
    print(f"{'stream' if stream else 'memory'}: prepared in {time.perf_counter() - start:.1f} s", flush=True)
    timer = EpochTimer()
    cli.trainer.callbacks.append(timer)
    cli.trainer.fit(cli.model, cli.datamodule)
    return timer.seconds[1:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="../shared/data")
    parser.add_argument("--images", type=int, default=5000)
    parser.add_argument("--generated", action="store_true", help="marked noise instead of MNIST")
    parser.add_argument("--model", default="mlp")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--workers", type=int, default=2, help="streaming loader processes")
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs (after one warm-up)")
    parser.add_argument("extra", nargs="*", help="more fit options, e.g. --trainer.precision=bf16-mixed")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="litzoo-bench-stream-") as tmp:
        folder = Path(tmp) / "images"
        source = write_images(folder, args.images, args.data_dir, args.generated)
        print(f"{args.images} PNG files ({source}), model {args.model}, batch {args.batch_size}", flush=True)
        memory = min(fit(args, folder, False, Path(tmp) / "runs"))
        stream = min(fit(args, folder, True, Path(tmp) / "runs"))
    print(f"memory_s_per_epoch={memory:.3f}")
    print(f"stream_s_per_epoch={stream:.3f} ({args.workers} workers)")
    print(subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    print(f"stream_ratio={stream / memory:.2f}")


if __name__ == "__main__":
    sys.exit(main())
