"""torchvision image sets from tiny files in their real formats: layout, labels, statistics, bad files."""

import tarfile
from pathlib import Path

import pytest
import torch
from torchvision import datasets

from litzoo import configs
from litzoo.data import ImageSetDataModule
from litzoo.data.image_files import write_cifar
from litzoo.data.image_sets import SETS
from litzoo.data.pixels import channel_stats
from litzoo.errors import ConfigError, DataUnavailableError

from conftest import CONFIGS, run_main


def _module(folder: Path, dataset: str, **settings: object) -> ImageSetDataModule:
    tiny = ImageSetDataModule.tiny({"dataset": dataset}, folder)
    dm = ImageSetDataModule(dataset=dataset, data_dir=str(folder), **{**tiny, **settings})
    dm.prepare_data()
    dm.setup()
    return dm


@pytest.mark.parametrize("dataset", ["CIFAR10", "CIFAR100", "SVHN", "FashionMNIST"])
def test_each_set_reads_back_its_real_files_with_labels_where_the_pixels_put_them(
    tmp_path: Path, dataset: str
) -> None:
    dm = _module(tmp_path, dataset, normalize=False)
    images, labels = dm.splits["train"]
    assert images.shape[1:] == SETS[dataset].shape == dm.input_shape
    if dataset != "FashionMNIST":  # image_files' mark: a bright square placed by the label
        _, h, w = dm.input_shape
        rows, cols = (labels // 8 * 3) % (h - 1), (labels % 8 * 3) % (w - 1)
        # Channels, rows and columns in their places (CIFAR's HWC, SVHN's HWCN): the mark is white.
        assert (images[torch.arange(len(images)), :, rows, cols] == 1).all()
    assert labels.min() >= 0 and labels.max() < dm.num_outputs
    assert {name: len(split[0]) for name, split in dm.splits.items()}["val"] == 32


def test_the_svhn_label_10_is_the_digit_0(tmp_path: Path) -> None:
    dm = _module(tmp_path, "SVHN")
    assert 0 in dm.splits["train"][1].tolist() and 10 not in dm.splits["train"][1].tolist()


def test_statistics_come_from_the_training_split_unless_given(tmp_path: Path) -> None:
    raw = _module(tmp_path, "CIFAR10", normalize=False).splits["train"][0]
    expected_mean, expected_std = channel_stats((raw * 255).round().to(torch.uint8))
    dm = _module(tmp_path, "CIFAR10")
    assert dm.mean.flatten().tolist() == pytest.approx(expected_mean)
    assert dm.std.flatten().tolist() == pytest.approx(expected_std)
    per_channel = dm.splits["train"][0].transpose(0, 1).flatten(1)
    assert per_channel.mean(1).abs().max() < 1e-3 and (per_channel.std(1) - 1).abs().max() < 1e-2
    given = _module(tmp_path, "CIFAR10", mean=[0.5], std=[0.25])
    assert torch.allclose(given.splits["train"][0], (raw - 0.5) / 0.25, atol=1e-5)


def test_a_missing_file_is_named_with_where_it_goes(tmp_path: Path) -> None:
    ImageSetDataModule.tiny({}, tmp_path)
    (tmp_path / "cifar-10-batches-py" / "data_batch_3").unlink()
    dm = ImageSetDataModule(data_dir=str(tmp_path), check_md5=False)
    with pytest.raises(DataUnavailableError) as err:
        dm.prepare_data()
    message = str(err.value)
    assert "data_batch_3 is missing" in message and "cifar-10-python.tar.gz" in message
    assert "\n" not in message and "nothing is downloaded" in message


def test_files_that_are_not_torchvisions_are_refused_by_their_md5(tmp_path: Path) -> None:
    ImageSetDataModule.tiny({"dataset": "CIFAR100"}, tmp_path)
    dm = ImageSetDataModule(dataset="CIFAR100", data_dir=str(tmp_path))  # check_md5 on by default
    with pytest.raises(DataUnavailableError, match=r"cifar-100-python/train is corrupt .*check_md5: false"):
        dm.prepare_data()


@pytest.mark.parametrize("dataset", ["CIFAR10", "SVHN"])
def test_a_file_that_cannot_be_parsed_is_one_line(tmp_path: Path, dataset: str) -> None:
    ImageSetDataModule.tiny({"dataset": dataset}, tmp_path)
    folder = SETS[dataset].folder(tmp_path)
    broken = folder / SETS[dataset].files()[0][0]
    broken.write_bytes(broken.read_bytes()[:100])  # truncated
    dm = ImageSetDataModule(dataset=dataset, data_dir=str(tmp_path), check_md5=False)
    with pytest.raises(DataUnavailableError) as err:
        dm.setup()
    assert "torchvision cannot read" in str(err.value) and "\n" not in str(err.value)


def test_statistics_must_fit_the_channels(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="mean needs 1 or 3 values"):
        ImageSetDataModule(data_dir=str(tmp_path), mean=[0.1, 0.2])
    with pytest.raises(ConfigError, match="std must be positive"):
        ImageSetDataModule(data_dir=str(tmp_path), std=[0.0])


def test_missing_cifar_from_the_cli_is_one_line_and_leaves_no_run(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    args = configs.fit_args("cnn", "cifar10", logger="csv", data_dir=str(tmp_path / "empty"), root=CONFIGS)
    code, _, err = run_main(capsys, "fit", *args)
    assert code == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "data_batch_1 is missing" in lines[0], err
    assert not (tmp_path / "runs").exists()


def test_a_cifar_tarball_in_the_data_folder_is_unpacked_once(tmp_path: Path) -> None:
    folder = write_cifar(tmp_path / "made", datasets.CIFAR10)
    with tarfile.open(tmp_path / "cifar-10-python.tar.gz", "w:gz") as tar:
        tar.add(folder, arcname=folder.name)  # the tarball's own layout: cifar-10-batches-py/...
    with pytest.raises(DataUnavailableError, match=r"cifar-10-python.tar.gz is corrupt"):
        ImageSetDataModule(data_dir=str(tmp_path)).prepare_data()  # not torchvision's MD5
    assert not (tmp_path / "cifar-10-batches-py").exists()
    dm = ImageSetDataModule(data_dir=str(tmp_path), check_md5=False, val_size=32)
    dm.prepare_data()
    dm.setup()
    assert len(dm.splits["test"][0]) == 32
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "cifar-10-batches-py",
        "cifar-10-python.tar.gz",
        "made",
    ]


def test_the_statistics_go_into_the_checkpoint(tmp_path: Path) -> None:
    dm = _module(tmp_path, "SVHN")
    state = dm.state_dict()
    assert state["mean"] == pytest.approx(dm.mean.flatten().tolist()) and len(state["std"]) == 3
