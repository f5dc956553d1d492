"""Error analysis after every test; what a served table model and language model are asked."""

import base64
import csv
import io
import json
from pathlib import Path

import pytest
import torch
from lightning import LightningDataModule, LightningModule
from PIL import Image
from torch.utils.data import DistributedSampler

from litzoo.pictures.mistakes import MistakeRecord, join
from litzoo.run.cli import LitzooCLI
from litzoo.systems.contract import Contract
from litzoo.workflows.serve_model import RequestError, Served, load_run

from conftest import model_args, run_main


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
    confidences, kept, positions = record.worst
    assert confidences.tolist() == pytest.approx([0.9, 0.8]) and kept.flatten().tolist() == [0.0, 2.0]
    assert positions.tolist() == [0, 2]  # where they are in the test set, for the captions
    assert record.seen == 4


def test_ddp_shares_join_in_the_test_sets_order_without_the_padding() -> None:
    # Three test samples on two ranks: rank 0 gets 0 and 2, rank 1 gets 1 and (padding) 0 again.
    inputs = torch.arange(3.0).view(3, 1, 1, 1)
    scores = torch.tensor([[0.9, 0.1], [0.2, 0.8], [0.7, 0.3]])  # every sample wrong: targets flip
    targets = torch.tensor([1, 0, 1])
    shares = []
    for share in ([0, 2], [1, 0]):
        record = MistakeRecord(keep=8)
        record.update(inputs[share], scores[share], targets[share], classes=True)
        shares.append((torch.cat(record.scores), torch.cat(record.targets), record.worst))
    sampler = DistributedSampler(range(3), num_replicas=2, rank=0, shuffle=False)
    merged = join(shares, sampler, keep=8)
    assert merged.seen == 3 and torch.equal(torch.cat(merged.targets), targets)
    assert torch.equal(torch.cat(merged.scores), scores)
    confidences, kept, positions = merged.worst
    assert positions.tolist() == [0, 1, 2] and kept.flatten().tolist() == [0.0, 1.0, 2.0]  # by confidence
    assert confidences.tolist() == pytest.approx([0.9, 0.8, 0.7])  # the padded 0 only once
    # Without Lightning's sampler (streamed data) the shares follow one another.
    assert torch.cat(join(shares, None, keep=8).targets).tolist() == [1, 1, 0, 1]


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


class Rows(LightningDataModule):
    """A table data module as serving sees one: ``encode_records`` with fitted preprocessing."""

    def encode_records(self, records: list[dict]) -> torch.Tensor:
        return torch.tensor([[float(r["a"]) - 1.0, float(r["b"]) * 2] for r in records])


class Talker(LightningModule):
    """A language model as serving sees one: ``generate``."""

    def generate(self, prompt: str, max_new_tokens: int) -> str:
        return prompt[::-1][:max_new_tokens]


def table_model() -> Served:
    net = torch.nn.Linear(2, 3)
    contract = Contract(net, (2,), (3,), "classes", scores=lambda o: o.softmax(-1), classes=3)
    return Served(Path("."), LightningModule(), Rows(), contract, lambda x: contract.scores(net(x)))


def test_a_table_row_goes_through_encode_records_and_a_missing_column_is_a_400() -> None:
    model = table_model()
    one = model.decode({"a": 2, "b": 0.5})
    assert one.single and one.x.tolist() == [[1.0, 1.0]]
    answers = model.answer([one, model.decode([{"a": 1, "b": 1}, {"a": 3, "b": 0}])])
    assert set(answers[0]) == {"class", "probabilities"} and len(answers[1]["predictions"]) == 2
    with pytest.raises(RequestError, match="cannot read the rows: b") as missing:
        model.decode({"a": 1})
    assert missing.value.status == 400
    with pytest.raises(RequestError, match="empty"):
        model.decode({"inputs": []})


def test_a_language_model_answers_a_prompt_with_generate() -> None:
    contract = Contract(torch.nn.Identity(), (8,), (8,), "values", input_dtype=torch.long)
    model = Served(Path("."), Talker(), Rows(), contract, lambda x: x)
    assert model.kind == "text"
    request = model.decode({"prompt": "abc", "max_new_tokens": 2})
    assert model.answer([request]) == [{"text": "cb"}]
    assert model.answer([model.decode({"prompt": ["ab", "c"]})]) == [
        {"predictions": [{"text": "ba"}, {"text": "c"}]}
    ]
    for bad in ({"text": "abc"}, {"prompt": 3}, {"prompt": "a", "max_new_tokens": 0}, [[1, 2]]):
        with pytest.raises(RequestError):
            model.decode(bad)


def test_a_table_run_answers_named_columns_through_its_saved_preprocessing(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    args = [*model_args("mlp", data_dir, "penguins"), "--trainer.max_epochs=1"]
    run = Path(LitzooCLI(args=["fit", *args]).trainer.default_root_dir)
    model = load_run(run)
    row = {"x0": 0.5, "x1": -1.0, "colour": "red"}
    answer = model.answer([model.decode(row)])[0]
    assert set(answer) == {"class", "probabilities"}
    assert sum(answer["probabilities"]) == pytest.approx(1.0, abs=1e-5)
    with pytest.raises(RequestError) as missing:
        model.decode({"colour": "red"})
    assert missing.value.status == 400 and "x0" in str(missing.value)
    table = tmp_path / "mine.csv"
    table.write_text("name,x0,x1,colour\nfirst,0.5,-1.0,red\nsecond,2,1,blue\n")
    code, out, _ = run_main(capsys, "predict", "--run", str(run), "--input", str(table))
    rows = list(csv.DictReader((run / "predictions-mine.csv").open()))
    assert code == 0 and [r["name"] for r in rows] == ["first", "second"]
    assert int(rows[0]["prediction"]) == answer["class"]


def test_an_image_folder_run_scales_an_upload_by_its_checkpoints_statistics(data_dir: Path) -> None:
    args = [*model_args("cnn", data_dir, "image_folder"), "--trainer.max_epochs=1"]
    run = Path(LitzooCLI(args=["fit", *args]).trainer.default_root_dir)
    model = load_run(run)
    buffer = io.BytesIO()
    Image.new("RGB", (50, 30), "black").save(buffer, "PNG")
    request = model.decode({"image": base64.b64encode(buffer.getvalue()).decode()})
    assert request.single and tuple(request.x.shape) == (1, *model.contract.input_shape)
    black = (-model.data.mean / model.data.std).flatten()  # the statistics the checkpoint saved
    assert model.data.mean.numel() and torch.allclose(request.x[0, :, 0, 0], black)
    assert set(model.answer([request])[0]) == {"class", "probabilities"}
