"""Every classic training knob is reachable from config alone, and bad combinations fail early."""

from pathlib import Path

import pytest
import torch

from litzoo.errors import ConfigError
from litzoo.run.cli import LitzooCLI

from conftest import model_args

OPT = "--model.init_args.optimizer"
SCHED = "--model.init_args.scheduler"
OPTIMIZERS = {
    "sgd": [f"{OPT}=torch.optim.SGD", f"{OPT}.lr=0.1"],
    "sgd_momentum": [f"{OPT}=torch.optim.SGD", f"{OPT}.lr=0.1", f"{OPT}.momentum=0.9"],
    "sgd_nesterov": [
        f"{OPT}=torch.optim.SGD",
        f"{OPT}.lr=0.1",
        f"{OPT}.momentum=0.9",
        f"{OPT}.nesterov=true",
    ],
    "adam": [f"{OPT}=torch.optim.Adam", f"{OPT}.weight_decay=0.0001"],
    "adamw": [f"{OPT}=torch.optim.AdamW"],
    "rmsprop": [f"{OPT}=torch.optim.RMSprop", f"{OPT}.lr=0.001"],
    "adagrad": [f"{OPT}=torch.optim.Adagrad"],
    "adadelta": [f"{OPT}=torch.optim.Adadelta"],
}
SCHEDULERS = {
    "ExponentialLR": [f"{SCHED}=torch.optim.lr_scheduler.ExponentialLR", f"{SCHED}.gamma=0.9"],
    "StepLR": [f"{SCHED}=torch.optim.lr_scheduler.StepLR", f"{SCHED}.step_size=1"],
    "CosineAnnealingLR": [f"{SCHED}=torch.optim.lr_scheduler.CosineAnnealingLR", f"{SCHED}.T_max=2"],
    "OneCycleLR": [f"{SCHED}=torch.optim.lr_scheduler.OneCycleLR", f"{SCHED}.max_lr=0.01"],
    "ReduceLROnPlateau": [f"{SCHED}=torch.optim.lr_scheduler.ReduceLROnPlateau", f"{SCHED}.patience=0"],
}


def fit_mlp(data_dir: Path, *extra: str, data: str = "mnist") -> LitzooCLI:
    args = model_args("mlp", data_dir, data)
    args += [
        "--model.init_args.net.init_args.hidden=[16]",
        f"{SCHED}=null",
        "--trainer.max_epochs=2",
        "--test_after_fit=false",
    ]
    return LitzooCLI(args=["fit", *args, *extra])


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_optimizers(data_dir: Path, name: str) -> None:
    cli = fit_mlp(data_dir, *OPTIMIZERS[name])
    optimizer = cli.trainer.optimizers[0]
    assert type(optimizer).__name__.lower() == name.split("_")[0]
    if name == "sgd_nesterov":
        assert optimizer.defaults["nesterov"] and optimizer.defaults["momentum"] == 0.9
    assert torch.isfinite(cli.trainer.callback_metrics["val/loss"])


@pytest.mark.parametrize("name", SCHEDULERS)
def test_schedulers_move_the_learning_rate(data_dir: Path, name: str) -> None:
    cli = fit_mlp(data_dir, *SCHEDULERS[name])
    config = cli.trainer.lr_scheduler_configs[0]
    assert type(config.scheduler).__name__ == name
    assert config.interval == ("step" if name == "OneCycleLR" else "epoch")
    if name != "ReduceLROnPlateau":  # a plateau only lowers the rate when val/loss stalls
        assert cli.trainer.optimizers[0].param_groups[0]["lr"] != 0.001


@pytest.mark.parametrize(
    "knob",
    [
        ["--model.init_args.net.init_args.activation=leaky_relu"],
        ["--model.init_args.net.init_args.activation=sigmoid"],
        ["--model.init_args.net.init_args.activation=tanh"],
        ["--model.init_args.net.init_args.activation=gelu"],
        ["--model.init_args.weight_init=xavier"],
        ["--model.init_args.weight_init=kaiming"],
        ["--model.init_args.weight_init=normal"],
        ["--model.init_args.net.init_args.dropout=0.5", "--model.init_args.net.init_args.batch_norm=true"],
        ["--model.init_args.l1=0.0001"],
        ["--trainer.gradient_clip_val=0.5"],
        ["--data.init_args.augment=true"],
        ["--data.init_args.split=[0.7,0.15,0.15]", "--data.init_args.val_size=1"],
        ["--data.init_args.classes=[3,8]", "--model.init_args.loss=bce", "--data.init_args.val_size=8"],
    ],
    ids=lambda knob: knob[0].split("=")[0].rsplit(".", 1)[-1] + "=" + knob[0].split("=")[1],
)
def test_model_and_data_knobs_train(data_dir: Path, knob: list[str]) -> None:
    cli = fit_mlp(data_dir, *knob)
    assert torch.isfinite(cli.trainer.callback_metrics["val/loss"])


def test_two_digit_task_with_bce_has_one_output(data_dir: Path) -> None:
    cli = fit_mlp(
        data_dir,
        "--data.init_args.classes=[3,8]",
        "--model.init_args.loss=bce",
        "--data.init_args.val_size=8",
    )
    assert cli.model.net.layers[-1].out_features == 1
    assert set(cli.datamodule.splits["train"][1].tolist()) <= {0, 1}


def test_split_ratios_pool_all_images(data_dir: Path) -> None:
    cli = fit_mlp(data_dir, "--data.init_args.split=[0.7,0.15,0.15]")
    sizes = [len(cli.datamodule.splits[s][0]) for s in ("train", "val", "test")]
    assert sizes == [89, 19, 20]  # of 96 + 32 images


@pytest.mark.parametrize(
    "args, message",
    [
        (["--model.init_args.loss=bce"], "needs a two-class task"),
        (["--model.init_args.loss=mse"], "does not fit a classification task"),
        (["--data.init_args.split=[0.5,0.5]"], "three positive fractions"),
        (["--data.init_args.classes=[3]"], "at least two distinct labels"),
    ],
)
def test_bad_combinations_fail_before_training(data_dir: Path, args: list[str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        fit_mlp(data_dir, *args)


def test_bf16_mixed_precision_trains_on_cpu(data_dir: Path) -> None:
    cli = fit_mlp(data_dir, "--trainer.precision=bf16-mixed", "--trainer.accelerator=cpu")
    assert cli.trainer.precision == "bf16-mixed"
    assert torch.isfinite(cli.trainer.callback_metrics["val/loss"])


def test_float16_on_a_cpu_is_refused_with_what_to_use(data_dir: Path) -> None:
    with pytest.raises(ConfigError, match="needs a GPU .* --trainer.precision=bf16-mixed"):
        fit_mlp(data_dir, "--trainer.precision=16-mixed", "--trainer.accelerator=cpu")
