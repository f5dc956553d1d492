"""Error analysis after every test: a classifier's mistakes and per-class scores, a regressor's residuals."""

import csv
import json
from pathlib import Path

import pytest
import torch

from litzoo.pictures.mistakes import MistakeRecord
from litzoo.run.cli import LitzooCLI

from conftest import model_args


def read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as file:
        return list(csv.DictReader(file))


def test_a_classifiers_test_writes_its_mistakes_and_per_class_scores(data_dir: Path) -> None:
    args = [*model_args("mlp", data_dir), "--model.init_args.net.init_args.hidden=[8]"]
    run = Path(LitzooCLI(args=["fit", *args, "--trainer.max_epochs=1"]).trainer.default_root_dir)
    accuracy = json.loads((run / "results.json").read_text())["test"]["test/acc"]
    mistakes, per_class = read(run / "mistakes.csv"), read(run / "per_class.csv")
    support = sum(int(row["support"]) for row in per_class)
    assert len(per_class) == 10 and support == 32  # the tiny test split
    assert len(mistakes) == round((1 - accuracy) * support)
    assert all(row["true"] != row["predicted"] for row in mistakes)
    confidences = [float(row["confidence"]) for row in mistakes]
    assert confidences == sorted(confidences, reverse=True)
    # recall weighted by support is the accuracy
    recall = sum(float(r["recall"]) * int(r["support"]) for r in per_class) / support
    assert recall == pytest.approx(accuracy, abs=1e-3)
    assert (run / "mistakes" / "test.png").is_file() == bool(mistakes)


def test_the_record_keeps_only_the_most_confident_mistakes() -> None:
    record = MistakeRecord(keep=2)
    scores = torch.tensor([[0.9, 0.1], [0.4, 0.6], [0.2, 0.8], [0.7, 0.3]])
    inputs = torch.arange(4.0).view(4, 1, 1, 1)
    record.update(inputs[:2], scores[:2], torch.tensor([1, 0]), classes=True)  # both wrong
    record.update(inputs[2:], scores[2:], torch.tensor([0, 0]), classes=True)  # the first wrong
    confidences, kept = record.worst
    assert confidences.tolist() == pytest.approx([0.9, 0.8]) and kept.flatten().tolist() == [0.0, 2.0]
    assert record.seen == 4


def test_a_regressors_test_writes_a_residual_plot_and_its_largest_errors(data_dir: Path) -> None:
    args = model_args("lstm", data_dir)
    run = Path(LitzooCLI(args=["fit", *args, "--trainer.max_epochs=1"]).trainer.default_root_dir)
    errors = read(run / "largest_errors.csv")
    assert errors and {"index", "true_0", "predicted_0", "abs_error"} <= set(errors[0])
    sizes = [float(row["abs_error"]) for row in errors]
    assert sizes == sorted(sizes, reverse=True)
    row = errors[0]
    assert float(row["abs_error"]) == pytest.approx(
        abs(float(row["true_0"]) - float(row["predicted_0"])), rel=1e-3
    )
    assert (run / "residuals" / "test.png").is_file() and not (run / "mistakes.csv").exists()
