"""Error analysis after a test: where the model fails, in the run folder and W&B.

A classifier gets ``mistakes/test.png`` (its most confident wrong test samples, each captioned
true / predicted / confidence), ``mistakes.csv`` (every wrong sample) and ``per_class.csv``
(precision, recall, F1 and support of each class); a regressor ``residuals/test.png``
(predicted against true) and ``largest_errors.csv``.
"""

import csv
from pathlib import Path

import torch
from lightning import Trainer
from PIL import Image, ImageDraw
from torch.utils.data import DistributedSampler
from torchmetrics.functional.classification import (
    multiclass_f1_score,
    multiclass_precision,
    multiclass_recall,
)

from litzoo.tracking.logger import is_wandb

_SCALE, _CAPTION = 3, 24  # an MNIST digit drawn 84 px wide, with two lines of text under it


class MistakeRecord:
    """What one test epoch predicted: every sample's target and scores, and the wrong inputs.

    Only the ``keep`` most confident wrong inputs are held, so memory stays bounded.
    """

    def __init__(self, keep: int) -> None:
        self.keep, self.seen = keep, 0
        self.targets: list[torch.Tensor] = []
        self.scores: list[torch.Tensor] = []
        # (confidences, inputs, positions in the record): the positions caption the grid
        self.worst: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None

    def update(
        self, inputs: torch.Tensor, scores: torch.Tensor, targets: torch.Tensor, classes: bool
    ) -> None:
        """Add a batch: inputs ``(B, *input_shape)``, scores ``(B, C)`` or ``(B, D)``, targets ``(B, …)``."""
        scores, targets = scores.detach().float().cpu(), targets.detach().cpu()
        self.scores.append(scores)
        self.targets.append(targets)
        positions = torch.arange(self.seen, self.seen + len(targets))
        self.seen += len(targets)
        if not classes:
            return
        confidence, predicted = scores.max(dim=1)
        wrong = predicted != targets
        self.keep_worst((confidence[wrong], inputs.detach().cpu()[wrong], positions[wrong]))

    def keep_worst(self, found: tuple[torch.Tensor, torch.Tensor, torch.Tensor]) -> None:
        """Merge ``(confidences, inputs, positions)`` of wrong samples into the ``keep`` most confident."""
        if self.worst is not None:
            found = tuple(torch.cat(pair) for pair in zip(self.worst, found, strict=True))
        top = found[0].argsort(descending=True)[: self.keep]
        self.worst = tuple(part[top] for part in found)


def gather(trainer: Trainer, record: MistakeRecord) -> MistakeRecord:
    """Every rank's share of the test set in one record, in the test set's order; collective under DDP.

    Lightning gives rank ``r`` of ``W`` the samples ``r, r + W, r + 2W, ...`` of the test set
    (a ``DistributedSampler`` without shuffling, padded with the first samples to equal shares),
    so interleaving the shares and dropping the padding restores the test set's order, and the
    indices in ``mistakes.csv`` stay those of the test set. With another sampler (streamed data)
    the shares are put one after another. The most confident wrong inputs of every rank compete.
    """
    if trainer.world_size == 1:
        return record
    empty = torch.empty(0)
    mine = (torch.cat(record.scores), torch.cat(record.targets)) if record.seen else (empty, empty)
    shares: list = [None] * trainer.world_size
    torch.distributed.all_gather_object(shares, (*mine, record.worst))
    return join(shares, getattr(trainer.test_dataloaders, "sampler", None), record.keep)


def join(shares: list[tuple], sampler: object, keep: int) -> MistakeRecord:
    """One record from every rank's ``(scores, targets, worst)``, in rank order."""
    lengths = [len(share[1]) for share in shares]
    merged = MistakeRecord(keep)
    if not sum(lengths):
        return merged
    interleaved = (
        isinstance(sampler, DistributedSampler)
        and not sampler.shuffle
        and sampler.num_replicas == len(shares)
        and len(set(lengths)) == 1
    )
    if interleaved:  # rank r's i-th sample is the test set's i * W + r; past its end: padding
        size = len(sampler.dataset)
        scores, targets = (torch.stack([sh[i] for sh in shares], 1).flatten(0, 1)[:size] for i in (0, 1))
        where = [torch.arange(n) * len(shares) + rank for rank, n in enumerate(lengths)]
    else:
        scores, targets = (torch.cat([sh[i] for sh in shares if len(sh[1])]) for i in (0, 1))
        size, starts = len(targets), [sum(lengths[:rank]) for rank in range(len(shares))]
        where = [torch.arange(n) + start for n, start in zip(lengths, starts, strict=True)]
    merged.scores, merged.targets, merged.seen = [scores], [targets], len(targets)
    for (_, _, worst), index in zip(shares, where, strict=True):
        if worst is not None:
            position = index[worst[2]]
            real = position < size  # a padded duplicate is already in its own rank's share
            merged.keep_worst((worst[0][real], worst[1][real], position[real]))
    return merged


def write_classification(trainer: Trainer, record: MistakeRecord, num_classes: int) -> list[Path]:
    """Write the mistakes grid, ``mistakes.csv`` and ``per_class.csv``; log them to W&B."""
    folder = Path(trainer.default_root_dir)
    scores, targets = torch.cat(record.scores), torch.cat(record.targets)
    confidence, predicted = scores.max(dim=1)
    wrong = torch.nonzero(predicted != targets).flatten()
    wrong = wrong[confidence[wrong].argsort(descending=True)]
    rows = [[int(i), int(targets[i]), int(predicted[i]), f"{float(confidence[i]):.4f}"] for i in wrong]
    written = [_csv(folder / "mistakes.csv", ["index", "true", "predicted", "confidence"], rows)]
    per_class = _per_class(scores, targets, num_classes)
    written.append(
        _csv(folder / "per_class.csv", ["class", "precision", "recall", "f1", "support"], per_class)
    )
    grid, shown = (record.worst[1], record.worst[2]) if record.worst is not None else (None, None)
    if grid is not None and len(grid) and _is_image(grid):
        captions = [
            f"true {int(targets[i])} pred {int(predicted[i])}\nconf {float(confidence[i]):.3f}" for i in shown
        ]
        written.append(draw_captioned(grid, captions, folder / "mistakes" / "test.png"))
    _log(trainer, written, per_class)
    return written


def write_regression(trainer: Trainer, record: MistakeRecord, keep: int = 50) -> list[Path]:
    """Write ``residuals/test.png`` (predicted against true) and ``largest_errors.csv``."""
    folder = Path(trainer.default_root_dir)
    scores = torch.cat(record.scores).reshape(record.seen, -1)
    targets = torch.cat(record.targets).float().reshape(record.seen, -1)
    error = (scores - targets).abs().amax(dim=1)
    order = error.argsort(descending=True)[:keep]
    rows = [
        [
            int(i),
            *(f"{v:.5g}" for v in targets[i]),
            *(f"{v:.5g}" for v in scores[i]),
            f"{float(error[i]):.5g}",
        ]
        for i in order
    ]
    dims = range(targets.shape[1])
    header = ["index", *(f"true_{d}" for d in dims), *(f"predicted_{d}" for d in dims), "abs_error"]
    written = [_csv(folder / "largest_errors.csv", header, rows)]
    written.append(draw_residuals(targets.flatten(), scores.flatten(), folder / "residuals" / "test.png"))
    _log(trainer, written[1:], None)
    return written


def _per_class(scores: torch.Tensor, targets: torch.Tensor, num_classes: int) -> list[list]:
    metrics = [
        f(scores, targets, num_classes, average=None)
        for f in (multiclass_precision, multiclass_recall, multiclass_f1_score)
    ]
    support = torch.bincount(targets, minlength=num_classes)
    return [[c, *(f"{float(m[c]):.4f}" for m in metrics), int(support[c])] for c in range(num_classes)]


def _is_image(x: torch.Tensor) -> bool:
    return x.dim() == 4 and x.shape[1] in (1, 3)


def draw_captioned(images: torch.Tensor, captions: list[str], path: Path, per_row: int = 8) -> Path:
    """Save images ``(N, C, H, W)`` in a grid, each scaled to [0, 1] with its caption under it."""
    n, _, h, w = images.shape
    cell_w, cell_h = max(w * _SCALE, 96), h * _SCALE + _CAPTION
    rows = (n + per_row - 1) // per_row
    sheet = Image.new("RGB", (cell_w * min(n, per_row), cell_h * rows), "white")
    draw = ImageDraw.Draw(sheet)
    for k, (image, caption) in enumerate(zip(images, captions, strict=False)):
        low, high = image.min(), image.max()
        pixels = ((image - low) / (high - low).clamp(min=1e-8) * 255).byte()
        tile = Image.fromarray(pixels.permute(1, 2, 0).squeeze(-1).numpy()).convert("RGB")
        x, y = (k % per_row) * cell_w, (k // per_row) * cell_h
        sheet.paste(
            tile.resize((w * _SCALE, h * _SCALE), Image.Resampling.NEAREST),
            (x + (cell_w - w * _SCALE) // 2, y),
        )
        draw.multiline_text((x + 2, y + h * _SCALE + 1), caption, fill="black", spacing=1)
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path)
    return path


def draw_residuals(true: torch.Tensor, predicted: torch.Tensor, path: Path, size: int = 320) -> Path:
    """Save a scatter of predicted against true values, with the line where they are equal."""
    margin = 30
    low = float(torch.minimum(true.min(), predicted.min()))
    high = float(torch.maximum(true.max(), predicted.max()))
    span = max(high - low, 1e-8)

    def at(t: float, p: float) -> tuple[float, float]:
        return margin + (t - low) / span * (size - 2 * margin), size - margin - (p - low) / span * (
            size - 2 * margin
        )

    image = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle([margin, margin, size - margin, size - margin], outline="grey")
    draw.line([at(low, low), at(high, high)], fill=(200, 60, 60), width=1)
    for t, p in zip(true.tolist(), predicted.tolist(), strict=True):
        x, y = at(t, p)
        draw.ellipse([x - 2, y - 2, x + 2, y + 2], fill=(40, 80, 200))
    draw.text((margin, size - margin + 6), f"true ({low:.3g} .. {high:.3g})", fill="black")
    draw.text((4, 6), "predicted", fill="black")
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return path


def _csv(path: Path, header: list[str], rows: list[list]) -> Path:
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _log(trainer: Trainer, files: list[Path], per_class: list[list] | None) -> None:
    for logger in trainer.loggers:
        if not is_wandb(logger):
            continue
        pictures = [p for p in files if p.suffix == ".png"]
        if pictures:
            logger.log_image(key=f"test/{pictures[0].parent.name}", images=[str(p) for p in pictures])
        if per_class is not None:
            columns = ["class", "precision", "recall", "f1", "support"]
            logger.log_table(key="test/per_class", columns=columns, data=per_class)
