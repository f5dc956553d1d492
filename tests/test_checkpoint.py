"""Checkpoints rebuild the exact model with ``weights_only=True``."""

import csv
import json
from pathlib import Path

import pytest
import torch
from lightning import Trainer

from litzoo.__main__ import main
from litzoo.run.cli import LitzooCLI
from litzoo.systems.supervised import SupervisedSystem

from conftest import model_args


def test_best_checkpoint_reloads_safely_and_reproduces_test_metrics(data_dir: Path) -> None:
    args = model_args("mlp", data_dir)
    cli = LitzooCLI(
        args=["fit", *args, "--trainer.max_epochs=2", "--model.init_args.net.init_args.hidden=[32]"]
    )
    best = cli.trainer.checkpoint_callback.best_model_path
    reported = {k: float(v) for k, v in cli.trainer.callback_metrics.items()}

    raw = torch.load(best, weights_only=True)  # no pickled code: only tensors and primitives
    net = raw["hyper_parameters"]["net"]
    assert net["class_path"] == "litzoo.nets.mlp.MLP" and net["init_args"]["hidden"] == [32]
    model = SupervisedSystem.load_from_checkpoint(best, weights_only=True)  # net and optimizer rebuilt
    assert [m.out_features for m in model.net.layers if isinstance(m, torch.nn.Linear)] == [32, 10]
    again = Trainer(logger=False, enable_progress_bar=False).test(model, datamodule=cli.datamodule)[0]
    assert again == reported
    assert Path(best).parent == Path(cli.trainer.default_root_dir).resolve() / "checkpoints"


def test_saved_config_and_checkpoint_drive_predict(data_dir: Path) -> None:
    args = model_args("mlp", data_dir)
    fit = LitzooCLI(
        args=["fit", *args, "--trainer.max_epochs=1", "--model.init_args.net.init_args.hidden=[16]"]
    )
    config = Path(fit.trainer.default_root_dir) / "config.yaml"
    last = Path(fit.trainer.default_root_dir) / "checkpoints" / "last.ckpt"

    predict = LitzooCLI(args=["predict", "--config", str(config), "--ckpt_path", str(last)])
    assert Path(predict.trainer.default_root_dir).parent == Path(fit.trainer.default_root_dir).parent
    saved = torch.load(Path(predict.trainer.default_root_dir) / "predictions.pt", weights_only=True)
    model = SupervisedSystem.load_from_checkpoint(last, weights_only=True).eval()
    images = fit.datamodule.splits["test"][0]
    with torch.no_grad():
        assert torch.allclose(saved, model(images).softmax(-1), atol=1e-6)  # class probabilities


def test_eval_and_predict_work_in_the_run_folder_with_its_best_checkpoint(data_dir: Path) -> None:
    args = [*model_args("mlp", data_dir), "--model.init_args.net.init_args.hidden=[16]"]
    fit = LitzooCLI(args=["fit", *args, "--trainer.max_epochs=2"])
    run = Path(fit.trainer.default_root_dir)
    fitted = json.loads((run / "results.json").read_text())

    with pytest.raises(SystemExit, match="0"):  # as make eval runs it: litzoo test --run RUN
        main(["test", "--run", str(run)])
    evaluated = json.loads((run / "test.json").read_text())
    assert Path(evaluated["checkpoint"]).resolve() == Path(fitted["checkpoint"]).resolve()  # fit tested it
    assert evaluated["test"] == pytest.approx(fitted["test"])

    with pytest.raises(SystemExit, match="0"):
        main(["predict", "--run", str(run)])
    rows = list(csv.DictReader((run / "predictions.csv").open()))
    assert len(rows) == 32 and set(rows[0]) == {"index", "prediction", *(f"p_{c}" for c in range(10))}
    for row in rows:
        probabilities = [float(row[f"p_{c}"]) for c in range(10)]
        assert sum(probabilities) == pytest.approx(1.0, abs=1e-4)
        assert int(row["prediction"]) == probabilities.index(max(probabilities))
    assert sorted(p.name for p in run.parent.iterdir()) == [run.name]  # no new run folder


def test_running_a_saved_config_again_starts_a_new_run_beside_the_old(data_dir: Path) -> None:
    args = model_args("mlp", data_dir)
    first = LitzooCLI(
        args=["fit", *args, "--trainer.max_epochs=1", "--model.init_args.net.init_args.hidden=[16]"]
    )
    old_dir = Path(first.trainer.default_root_dir)
    old_files = {p: p.read_bytes() for p in old_dir.rglob("*") if p.is_file() and "wandb" not in p.parts}

    again = LitzooCLI(args=["fit", "--config", str(old_dir / "config.yaml"), "--trainer.max_epochs=1"])
    new_dir = Path(again.trainer.default_root_dir)
    assert new_dir.parent == old_dir.parent and new_dir != old_dir
    assert Path(again.trainer.checkpoint_callback.best_model_path).parent == new_dir.resolve() / "checkpoints"
    assert {p: p.read_bytes() for p in old_files} == old_files  # the first run is untouched
    assert str(old_dir) not in (old_dir / "config.yaml").read_text()
