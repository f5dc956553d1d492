"""Any nn.Module as the net: torchvision and timm functions by class path, grey data in RGB stems."""

from pathlib import Path
from typing import Any

import pytest
import torch
import torchvision
import yaml

from litzoo import configs
from litzoo.__main__ import main
from litzoo.data.base import TensorDataModule
from litzoo.nets.adapters import adapt_channels, adapt_kernels, first_conv, head_name
from litzoo.nets.facts import build_net
from litzoo.run.cli import LitzooCLI
from litzoo.testing.helpers import model_args

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


class RGBSquares(TensorDataModule):
    """Tiny RGB images whose class is the channel (0-2) lit in a bright square, or none lit (3)."""

    task = "classification"

    def __init__(self, size: int = 32, batch_size: int = 16, seed: int = 0) -> None:
        super().__init__(batch_size, seed)
        self.input_shape, self.num_outputs = (3, size, size), 4

    def load(self) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
        g = torch.Generator().manual_seed(self.seed)
        labels = torch.arange(48) % 4
        images = torch.rand(48, *self.input_shape, generator=g) * 0.2
        for i, label in enumerate(labels.tolist()):
            if label < 3:
                images[i, label, 8:24, 8:24] += 0.8
        return {
            "train": (images[:32], labels[:32]),
            "val": (images[32:], labels[32:]),
            "test": (images[32:], labels[32:]),
        }


def rgb_args(model: str, tmp_path: Path) -> list[str]:
    args = configs.fit_args(model, "mnist", logger="csv", data_dir=str(tmp_path), root=CONFIGS)
    return [*args, "--data=test_models.RGBSquares"]


def net_config(model: str, capsys: pytest.CaptureFixture) -> dict[str, Any]:
    args = configs.fit_args(model, "mnist", logger="csv", root=CONFIGS)
    with pytest.raises(SystemExit) as exit_info:
        main(["fit", *args, "--print_config"])
    out, err = capsys.readouterr()
    assert not exit_info.value.code, err
    return yaml.safe_load(out)["model"]["init_args"]["net"]


@pytest.mark.parametrize(
    ("model", "function"),
    [("resnet18", "torchvision.models.resnet18"), ("timm_resnet10t", "timm.create_model")],
)
def test_a_function_that_makes_a_net_is_a_factory_whose_facts_stay_out_of_the_config(
    model: str, function: str, capsys: pytest.CaptureFixture
) -> None:
    net = net_config(model, capsys)
    assert net["class_path"] == function
    assert not {"num_classes", "in_chans", "in_channels"} & set(net.get("init_args") or {})
    if function == "timm.create_model":
        assert net["init_args"]["pretrained"] is False  # nothing downloaded


@pytest.mark.parametrize("model", ["resnet18", "timm_resnet10t"])
def test_torchvision_and_timm_nets_train_on_rgb_data_with_its_facts(model: str, tmp_path: Path) -> None:
    cli = LitzooCLI(args=["fit", *rgb_args(model, tmp_path), "--trainer.fast_dev_run=true"])
    net = cli.model.net
    assert cli.trainer.state.finished and torch.isfinite(cli.trainer.callback_metrics["test/loss"])
    assert first_conv(net)[1].in_channels == 3  # RGB data: the stem is untouched
    assert dict(net.named_modules())[head_name(net)].out_features == 4


def test_a_grey_image_goes_into_a_torchvision_rgb_stem_whose_kernels_are_summed() -> None:
    torch.manual_seed(0)
    rgb = torchvision.models.resnet18(num_classes=10)
    torch.manual_seed(0)
    grey = build_net(torchvision.models.resnet18, (1, 28, 28), 10)
    assert grey.conv1.in_channels == 1 and grey.conv1.stride == rgb.conv1.stride
    assert torch.equal(grey.conv1.weight, rgb.conv1.weight.sum(1, keepdim=True))
    x = torch.rand(2, 1, 28, 28)  # a grey image is the RGB one with R = G = B
    assert torch.allclose(grey.eval()(x), rgb.eval()(x.expand(-1, 3, -1, -1)), atol=1e-5)


def test_adapted_kernels_answer_a_flat_image_as_before() -> None:
    weight = torch.randn(8, 3, 3, 3)
    for channels in (1, 6):  # R = G = B; each RGB kernel twice
        adapted = adapt_kernels(weight, channels)
        assert adapted.shape == (8, channels, 3, 3)
        assert torch.allclose(adapted.sum((1, 2, 3)), weight.sum((1, 2, 3)), atol=1e-5)


def test_a_net_that_reads_the_channels_itself_keeps_its_first_convolution() -> None:
    net = build_net(torchvision.models.resnet18, (3, 32, 32), 4)
    assert adapt_channels(net, 3) is None and net.conv1.in_channels == 3


def test_an_own_class_with_other_argument_names_maps_them_with_net_facts() -> None:
    class Own(torch.nn.Module):
        def __init__(self, n_classes: int, channels_in: int) -> None:
            super().__init__()
            self.conv, self.fc = torch.nn.Conv2d(channels_in, 4, 3), torch.nn.LazyLinear(n_classes)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.fc(self.conv(x).flatten(1))

    net = build_net(Own, (2, 8, 8), 5, {"n_classes": "num_outputs", "channels_in": "channels"})
    assert net(torch.rand(3, 2, 8, 8)).shape == (3, 5)


def test_model_args_of_the_zoo_config_build_resnet18_for_grey_mnist(tmp_path: Path) -> None:
    from litzoo.testing.helpers import build

    cli = build(model_args(CONFIGS, "resnet18", tmp_path / "data"))
    assert isinstance(cli.model.net, torchvision.models.ResNet)
    assert cli.model.net.conv1.in_channels == 1 and cli.model.net.fc.out_features == 10
