"""What the autoencoder and the GAN promise beyond the parametrized model tests."""

from functools import partial
from pathlib import Path

import pytest
import torch
from lightning import Trainer
from PIL import Image
from torch.utils.data import DataLoader, TensorDataset
from torchmetrics import MeanMetric

from litzoo.data.images import load_split
from litzoo.errors import ConfigError
from litzoo.nets.autoencoder import ConvAutoencoder, MLPAutoencoder
from litzoo.nets.cnn import ConvNet
from litzoo.nets.gan import Discriminator, Generator
from litzoo.run.cli import LitzooCLI
from litzoo.systems.gan import GANSystem
from litzoo.systems.held import HeldUpdates
from litzoo.systems.judge import Judge
from litzoo.systems.objectives import make_objective

from conftest import CONFIGS, model_args, run_main


def fit(model: str, data_dir: Path, *extra: str) -> LitzooCLI:
    return LitzooCLI(args=["fit", *model_args(model, data_dir), "--trainer.max_epochs=1", *extra])


def test_autoencoder_saves_inputs_beside_reconstructions(data_dir: Path) -> None:
    cli = fit("autoencoder", data_dir, "--pictures.num_images=4")
    png = Path(cli.trainer.default_root_dir) / "reconstructions" / "epoch_000.png"
    width, height = Image.open(png).size
    assert (width, height) == (2 + 8 * 30, 2 + 30)  # one row: 4 inputs, each beside its reconstruction
    assert {"test/loss", "test/mse", "test/mae"} <= set(cli.trainer.callback_metrics)


def test_a_convnet_refuses_sequences_with_a_hint() -> None:
    with pytest.raises(ConfigError, match="needs image data .* use image data such as DATA=mnist"):
        ConvNet((50, 2), 1)


def test_autoencoder_nets_check_what_they_are_asked_for() -> None:
    with pytest.raises(ConfigError, match="use MLPAutoencoder"):
        ConvAutoencoder((50, 2), 100)
    with pytest.raises(ConfigError, match="reconstruct: true"):
        MLPAutoencoder((1, 28, 28), 10)  # ten outputs: a classifier's system, not a reconstruction
    assert ConvAutoencoder((1, 28, 28), 784)(torch.zeros(2, 1, 28, 28)).shape == (2, 1, 28, 28)


def test_gan_learns_to_draw_the_one_image_it_sees() -> None:
    torch.manual_seed(0)
    target = torch.zeros(1, 28, 28)
    target[:, 8:20, 12:16] = 1.0  # a bar, the whole data set
    loader = DataLoader(TensorDataset(target.expand(64, -1, -1, -1).clone(), torch.zeros(64)), batch_size=32)
    adam = partial(torch.optim.Adam, lr=2e-3, betas=(0.5, 0.999))
    gan = GANSystem(
        partial(Generator, hidden=[64]), partial(Discriminator, hidden=[64]), (1, 28, 28), optimizer=adam
    )

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


def _classifier(data_dir: Path) -> str:
    cli = fit("mlp", data_dir, "--model.init_args.net.init_args.hidden=[32]")
    return cli.trainer.checkpoint_callback.best_model_path


def test_judge_scores_confidence_and_class_spread(data_dir: Path) -> None:
    judge = Judge(_classifier(data_dir))
    images = load_split("MNIST", data_dir, train=False)[0]  # pixels in [0, 1], as a GAN draws them
    varied = judge.score(images)
    same = judge.score(images[:1].expand(50, -1, -1, -1))
    assert 0.0 < varied["spread"] <= 1.0 and 0.1 <= varied["confidence"] <= 1.0
    assert same["spread"] == 0.0  # one image, one class: total mode collapse


def test_gan_with_a_judge_logs_sample_quality(data_dir: Path) -> None:
    cli = fit(
        "gan",
        data_dir,
        f"--model.init_args.judge={_classifier(data_dir)}",
        "--model.init_args.judge_samples=64",
    )
    metrics = cli.trainer.callback_metrics
    assert {"test/judge_confidence", "test/judge_spread", "test/d_real_acc"} <= set(metrics)
    assert (Path(cli.trainer.default_root_dir) / "samples" / "epoch_000.png").is_file()


def test_a_missing_judge_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot load the judge"):
        Judge(str(tmp_path / "nope.ckpt"))


def test_gan_refuses_normalised_pixels(data_dir: Path) -> None:
    with pytest.raises(ConfigError, match="mnist_pixels"):
        fit("gan", data_dir, "--data.init_args.normalize=true")


def test_early_stopping_on_a_metric_the_gan_does_not_log_is_one_line_before_training(
    capsys: pytest.CaptureFixture, data_dir: Path, tmp_path: Path
) -> None:
    stopping = ["--config", str(CONFIGS / "callbacks" / "early_stopping.yaml")]
    root = f"--trainer.default_root_dir={tmp_path / 'runs'}"
    code, out, err = run_main(capsys, "fit", *model_args("gan", data_dir), *stopping, root)
    assert code == 2 and "Traceback" not in err
    assert err.strip().splitlines()[-1] == (
        "litzoo: error: EarlyStopping monitors val/loss, which GANSystem does not log; it logs "
        "val/d_fake_acc, val/d_real_acc: monitor one of those (the callback's monitor:) or leave "
        "the EarlyStopping out"
    )
    assert "Epoch 0" not in out, "it trained before it checked"
    assert not (tmp_path / "runs").exists()


@pytest.mark.slow
def test_make_train_gan_with_early_stopping_is_one_line_and_leaves_nothing(
    data_dir: Path, tmp_path: Path
) -> None:
    from test_cli import make

    tiny = "--data.init_args.val_size=32 --data.init_args.batch_size=32"
    stopping = "--config configs/callbacks/early_stopping.yaml"
    result = make(tmp_path, "MODEL=gan", f"DATA_DIR={data_dir}", args=f"{stopping} {tiny}")  # W&B offline
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr[-3000:]
    errors = [line for line in result.stderr.splitlines() if line.startswith("litzoo: error: ")]
    assert len(errors) == 1 and "EarlyStopping monitors val/loss, which GANSystem does not log" in errors[0]
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_held_metric_updates_give_the_figures_of_one_update_per_batch(task: str) -> None:
    objective = make_objective(task, 3 if task == "classification" else 1)
    torch.manual_seed(0)
    batches = [(torch.randn(8, objective.out_features), torch.randint(0, 3, (8,))) for _ in range(5)]
    if task == "regression":
        batches = [(out, target.float()) for out, target in batches]
    each, held_metrics = objective.metrics("val"), objective.metrics("val")
    each_loss, held_loss = MeanMetric(), MeanMetric()
    held = HeldUpdates(objective.scores, max_elements=3 * 8 * objective.out_features)
    full = []
    for output, target in batches:
        loss = objective.loss(output, target)
        each_loss.update(loss)
        each.update(objective.scores(output), target)
        full.append(held.add(loss, output, target))
    assert full == [False, False, True, True, True]  # time to flush from the third batch's outputs on
    held.flush(held_loss, held_metrics)
    assert not held.losses  # forgotten once fed in
    assert torch.allclose(held_loss.compute(), each_loss.compute())
    expected = each.compute()
    for name, value in held_metrics.compute().items():
        assert torch.allclose(value, expected[name]), name
