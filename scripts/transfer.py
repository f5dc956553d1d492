"""Transfer vs scratch: a CNN trained on MNIST digits 0-4, fine-tuned on digits 5-9 from few images.

1. ``configs/model/cnn.yaml`` trains on digits 0-4 (``classes``) for ``--pretrain-epochs``.
2. On digits 5-9, ``--images`` training images (the rest of the training set held out; the
   validation epochs read ``--val-batches`` batches of it), each variant trains for the same
   ``--epochs`` at the same batch size, LR and schedule (constant), from ``--seeds`` seeds:
   scratch, the pretrained net fine-tuned whole with a fresh head, the same with the backbone
   at a tenth of the LR, and the pretrained features frozen (only the two dense layers train).
3. Prints a markdown table of the best-validation checkpoint's test accuracy on all test
   images of digits 5-9 (mean ± std over seeds) and each variant's seconds per run.

Every run is ``python -m litzoo fit`` with a CSV logger, in ``runs/transfer-*``.
"""

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from torchvision import datasets

from litzoo import configs

# The repo's configs, wherever the script runs (its runs go to ./runs).
CONFIGS = Path(__file__).resolve().parents[1] / "configs"
NEW = [5, 6, 7, 8, 9]
VARIANTS = {
    "scratch": [],
    "fine-tune all, fresh head": ["--model.init_args.transfer.init_from={ckpt}"],
    "fine-tune, backbone at LR/10": [
        "--model.init_args.transfer.init_from={ckpt}",
        "--model.init_args.transfer.backbone_lr={backbone_lr}",
    ],
    "features frozen, dense layers train": [
        "--model.init_args.transfer.init_from={ckpt}",
        "--model.init_args.transfer.train_only=[head.2, head]",
    ],
}


def fit(name: str, data_dir: str, extra: list[str]) -> tuple[dict, float]:
    """One ``litzoo fit`` of the CNN; its results.json and wall seconds."""
    args = configs.fit_args("cnn", "mnist", logger="csv", data_dir=data_dir, root=CONFIGS)
    start = time.perf_counter()
    cmd = [sys.executable, "-m", "litzoo", "fit", *args, f"--run_name={name}", *extra]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    newest = max(Path("runs", name).glob("*/results.json"), key=lambda p: p.stat().st_mtime)
    return json.loads(newest.read_text()), seconds


def held_out(data_dir: str, classes: list[int], keep: int) -> int:
    """How many training images of ``classes`` to hold out so that ``keep`` train."""
    labels = datasets.MNIST(data_dir, train=True, download=False).targets
    return int(sum((labels == c).sum() for c in classes)) - keep


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="./data")
    parser.add_argument("--images", type=int, default=500)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--pretrain-epochs", type=int, default=1)
    parser.add_argument("--pretrain-val-size", type=int, help="images held out in step 1 (the data default)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--lr", type=float, default=0.002)
    parser.add_argument("--val-batches", type=int, default=10)
    parser.add_argument("--variants", type=int, nargs="+", help="numbers of the variants to run (0: scratch)")
    parser.add_argument("--pretrained", help="results.json of an earlier pretraining run: skip step 1")
    opts = parser.parse_args()
    old = [c for c in range(10) if c not in NEW]
    if opts.pretrained:  # a results.json of an earlier step 1
        pretrained = json.loads(Path(opts.pretrained).read_text())
    else:
        step = [f"--data.init_args.classes={old}", f"--trainer.max_epochs={opts.pretrain_epochs}"]
        if opts.pretrain_val_size:
            step.append(f"--data.init_args.val_size={opts.pretrain_val_size}")
        pretrained, _ = fit("transfer-pretrain", opts.data_dir, step)
    print(f"pretrained on digits 0-4: test/acc {pretrained['test']['test/acc']:.4f}", flush=True)
    common = [
        f"--data.init_args.classes={NEW}",
        f"--data.init_args.val_size={held_out(opts.data_dir, NEW, opts.images)}",
        "--data.init_args.batch_size=50",
        f"--trainer.max_epochs={opts.epochs}",
        f"--trainer.limit_val_batches={opts.val_batches}",
        "--model.init_args.scheduler=null",
        f"--model.init_args.optimizer.init_args.lr={opts.lr}",
    ]
    fill = {"ckpt": pretrained["checkpoint"], "backbone_lr": opts.lr / 10}
    print(f"\n| digits 5-9, {opts.images} training images, {opts.epochs} epochs | test accuracy | s/run |")
    print("|---|---|---|")
    for number, (variant, extra) in enumerate(VARIANTS.items()):
        if opts.variants and number not in opts.variants:
            continue
        accs, times = [], []
        for seed in opts.seeds:
            args = [*common, f"--seed_everything={seed}", *(a.format(**fill) for a in extra)]
            results, seconds = fit(f"transfer-{variant.split(',')[0].replace(' ', '-')}", opts.data_dir, args)
            accs.append(results["test"]["test/acc"])
            times.append(seconds)
        spread = f" ± {statistics.stdev(accs):.4f}" if len(accs) > 1 else ""
        print(
            f"| {variant} | {statistics.mean(accs):.4f}{spread} | {statistics.mean(times):.0f} |", flush=True
        )


if __name__ == "__main__":
    main()
