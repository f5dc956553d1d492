"""What the autoencoder and the GAN promise beyond the parametrized model tests."""

from functools import partial
from pathlib import Path

import pytest
import torch
from lightning import Trainer
from PIL import Image
from torch.utils.data import DataLoader, TensorDataset

from litzoo.cli import LitzooCLI
from litzoo.data.mnist import MEAN, STD
from litzoo.errors import ConfigError
from litzoo.modules import GAN, Autoencoder
from litzoo.modules.judge import Judge

from conftest import model_args


def fit(model: str, data_dir: Path, *extra: str) -> LitzooCLI:
    return LitzooCLI(args=["fit", *model_args(model, data_dir), "--trainer.max_epochs=1", *extra])


def test_autoencoder_saves_inputs_beside_reconstructions(mnist_dir: Path) -> None:
    cli = fit("autoencoder", mnist_dir, "--model.init_args.num_images=4")
    png = Path(cli.trainer.default_root_dir) / "reconstructions" / "epoch_000.png"
    width, height = Image.open(png).size
    assert (width, height) == (2 + 8 * 30, 2 + 30)  # one row: 4 inputs, each beside its reconstruction
    assert "test/recon_mae" in cli.trainer.callback_metrics


def test_conv_autoencoder_refuses_sequences() -> None:
    with pytest.raises(ConfigError, match="variant: mlp"):
        Autoencoder(input_shape=(50, 2), variant="conv")
    assert Autoencoder(input_shape=(1, 28, 28), variant="conv")(torch.zeros(2, 1, 28, 28)).shape == (
        2,
        1,
        28,
        28,
    )


def test_gan_learns_to_draw_the_one_image_it_sees() -> None:
    torch.manual_seed(0)
    target = torch.zeros(1, 28, 28)
    target[:, 8:20, 12:16] = 1.0  # a bar, the whole data set
    loader = DataLoader(TensorDataset(target.expand(64, -1, -1, -1).clone(), torch.zeros(64)), batch_size=32)
    adam = partial(torch.optim.Adam, lr=2e-3, betas=(0.5, 0.999))
    gan = GAN(generator_hidden=[64], discriminator_hidden=[64], optimizer=adam)

    def error() -> float:
        gan.eval()
        with torch.no_grad():
            mse = float((gan(torch.randn(256, 64)) - target).pow(2).mean())
        gan.train()
        return mse

    before = error()
    trainer = Trainer(max_steps=300, logger=False, enable_checkpointing=False, enable_progress_bar=False)
    trainer.fit(gan, train_dataloaders=loader)
    after = error()
    assert after < 0.2 * before, f"sample error {before:.4f} -> {after:.4f}"


def _classifier(mnist_dir: Path) -> str:
    cli = fit("mlp", mnist_dir, "--model.init_args.hidden=[32]")
    return cli.trainer.checkpoint_callback.best_model_path


def test_judge_scores_confidence_and_class_spread(mnist_dir: Path) -> None:
    judge = Judge(_classifier(mnist_dir))
    from litzoo.data.mnist import load_mnist

    images = load_mnist(mnist_dir, train=False, download=False)[0] * STD + MEAN  # back to [0, 1]
    varied = judge.score(images)
    same = judge.score(images[:1].expand(50, -1, -1, -1))
    assert 0.0 < varied["spread"] <= 1.0 and 0.1 <= varied["confidence"] <= 1.0
    assert same["spread"] == 0.0  # one image, one class: total mode collapse


def test_gan_with_a_judge_logs_sample_quality(mnist_dir: Path) -> None:
    cli = fit(
        "gan",
        mnist_dir,
        f"--model.init_args.judge={_classifier(mnist_dir)}",
        "--model.init_args.judge_samples=64",
    )
    metrics = cli.trainer.callback_metrics
    assert {"test/judge_confidence", "test/judge_spread", "test/d_real_acc"} <= set(metrics)
    assert (Path(cli.trainer.default_root_dir) / "samples" / "epoch_000.png").is_file()


def test_a_missing_judge_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot load the judge"):
        Judge(str(tmp_path / "nope.ckpt"))


def test_gan_refuses_normalised_pixels(mnist_dir: Path) -> None:
    with pytest.raises(ConfigError, match="mnist_pixels"):
        fit("gan", mnist_dir, "--data.init_args.normalize=true")


def test_classifier_sends_confusion_matrix_and_images_to_wandb(mnist_dir: Path) -> None:
    from conftest import BASE
    from wandb_log import offline_run, read_run

    wandb = str(Path(BASE[3]).parent / "wandb.yaml")
    args = [*model_args("mlp", mnist_dir), "--config", wandb, "--trainer.max_epochs=1"]
    cli = LitzooCLI(args=["fit", *args, "--model.init_args.hidden=[16]"])
    cli.trainer.loggers[0].experiment.finish()  # read back only what W&B has finished writing
    logged = set().union(*read_run(offline_run(Path(cli.trainer.default_root_dir)))[1])
    assert any(key.startswith("val/confusion_matrix") for key in logged), sorted(logged)
    assert any(key.startswith("test/confusion_matrix") for key in logged)
    assert {"val/acc", "val/f1", "val/auroc", "test/precision", "test/recall"} <= logged
