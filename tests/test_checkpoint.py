"""Checkpoints rebuild the exact model with ``weights_only=True``."""

from pathlib import Path

import torch
from lightning import Trainer

from litzoo.cli import LitzooCLI
from litzoo.modules import MLP

from conftest import model_args


def test_best_checkpoint_reloads_safely_and_reproduces_test_metrics(mnist_dir: Path) -> None:
    args = model_args("mlp", mnist_dir)
    cli = LitzooCLI(args=["fit", *args, "--trainer.max_epochs=2", "--model.init_args.hidden=[32]"])
    best = cli.trainer.checkpoint_callback.best_model_path
    reported = {k: float(v) for k, v in cli.trainer.callback_metrics.items()}

    raw = torch.load(best, weights_only=True)  # no pickled code: only tensors and primitives
    assert raw["hyper_parameters"]["hidden"] == [32]
    model = MLP.load_from_checkpoint(best, weights_only=True)
    again = Trainer(logger=False, enable_progress_bar=False).test(model, datamodule=cli.datamodule)[0]
    assert again == reported
    assert Path(best).parent == Path(cli.trainer.default_root_dir).resolve() / "checkpoints"


def test_saved_config_and_checkpoint_drive_predict(mnist_dir: Path) -> None:
    args = model_args("mlp", mnist_dir)
    fit = LitzooCLI(args=["fit", *args, "--trainer.max_epochs=1", "--model.init_args.hidden=[16]"])
    config = Path(fit.trainer.log_dir) / "config.yaml"
    last = Path(fit.trainer.default_root_dir) / "checkpoints" / "last.ckpt"

    predict = LitzooCLI(args=["predict", "--config", str(config), "--ckpt_path", str(last)])
    saved = torch.load(Path(predict.trainer.default_root_dir) / "predictions.pt", weights_only=True)
    model = MLP.load_from_checkpoint(last, weights_only=True).eval()
    images = fit.datamodule.splits["test"][0]
    with torch.no_grad():
        assert torch.equal(saved, model(images).argmax(-1))
