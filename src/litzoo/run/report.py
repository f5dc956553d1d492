"""What a user reads at the end of a run: the metrics and where everything went."""

import csv
import json
import math
from pathlib import Path

import torch
from lightning import Trainer

from litzoo.systems.contract import contract_of, declares_contract
from litzoo.tracking.logger import is_wandb


def print_run_summary(trainer: Trainer, metrics: dict[str, float], checkpoint: str | None) -> None:
    """Print test metrics and the paths of the checkpoint, config and logger files (rank 0)."""
    lines = ["", "litzoo: run finished"]
    if metrics:
        lines.append("  test metrics:  " + "  ".join(f"{k}={v:.4f}" for k, v in sorted(metrics.items())))
    last = Path(trainer.default_root_dir) / "checkpoints" / "last.ckpt"
    if checkpoint:
        lines.append(f"  checkpoint:    {checkpoint}")
    else:  # no best checkpoint (e.g. fast_dev_run, or no monitor): the final weights were tested
        saved = last if last.is_file() else "none saved"
        lines.append(f"  checkpoint:    {saved} (tested the final weights)")
    config = Path(trainer.default_root_dir) / "config.yaml"
    if config.is_file():
        lines.append(f"  config:        {config}")
    for logger in trainer.loggers:
        if is_wandb(logger) and logger.experiment.settings.mode == "disabled":
            lines.append("  W&B:           disabled (WANDB_MODE=disabled): nothing was logged")
        elif is_wandb(logger):
            run_dir = Path(logger.experiment.dir).parent
            lines.append(f"  W&B run files: {run_dir}")
            if logger.experiment.settings.mode == "offline":
                lines.append(f"                 (offline; upload with: wandb sync {run_dir})")
        elif logger.log_dir:
            lines.append(f"  {type(logger).__name__} files: {logger.log_dir}")
    print("\n".join(lines), flush=True)


def fit_stats(trainer: Trainer, seconds: float) -> dict[str, float]:
    """Epochs run, wall time and training samples per second of a finished fit."""
    loader = trainer.train_dataloader
    batch_size = getattr(loader, "batch_size", None) or 0
    samples = trainer.current_epoch * trainer.num_training_batches * batch_size * trainer.world_size
    return {"epochs": trainer.current_epoch, "wall_s": seconds, "samples_per_s": samples / max(seconds, 1e-9)}


def write_results(
    trainer: Trainer,
    metrics: dict[str, float],
    stats: dict[str, float],
    checkpoint: str | None,
    name: str = "results.json",
) -> Path:
    """Save the test metrics and fit statistics as ``<run folder>/<name>``."""
    path = Path(trainer.default_root_dir) / name
    # JSON has no NaN: a non-finite metric is written as null, so every reader can parse the file.
    finite = {k: v if math.isfinite(v) else None for k, v in metrics.items()}
    results = {"test": finite, **stats, "checkpoint": checkpoint}
    path.write_text(json.dumps(results, indent=2, allow_nan=False) + "\n")
    return path


def save_predictions(trainer: Trainer) -> list[Path]:
    """Write what ``predict`` returned: ``predictions.pt``, and a CSV a person can open.

    A classifier's rows hold the predicted class and every class probability; a regressor's
    its predicted values. Outputs with more axes (reconstructions) go only to the .pt file.
    """
    batches = trainer.predict_loop.predictions
    if batches and isinstance(batches[0], list):  # several predict dataloaders: keep the first
        batches = batches[0]
    if not batches:
        return []
    folder = Path(trainer.default_root_dir)
    folder.mkdir(parents=True, exist_ok=True)
    scores = torch.cat(batches).float().cpu()
    written = [folder / "predictions.pt"]
    torch.save(scores, written[0])
    if scores.dim() <= 2:
        written.append(folder / "predictions.csv")
        system = trainer.lightning_module
        classes = declares_contract(system) and contract_of(system, "predict").output == "classes"
        _write_csv(written[1], scores, classes)
    print(f"litzoo: {len(scores)} predictions written to {', '.join(map(str, written))}", flush=True)
    return written


def _write_csv(path: Path, scores: torch.Tensor, classes: bool) -> None:
    values = scores.reshape(len(scores), -1)
    if classes:
        header = ["prediction", *(f"p_{c}" for c in range(values.shape[1]))]
        rows = [[int(row.argmax()), *(f"{v:.6g}" for v in row.tolist())] for row in values]
    else:
        header = ["prediction"] if values.shape[1] == 1 else [f"y_{d}" for d in range(values.shape[1])]
        rows = [[f"{v:.6g}" for v in row.tolist()] for row in values]
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["index", *header])
        writer.writerows([i, *row] for i, row in enumerate(rows))
