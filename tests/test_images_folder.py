"""Image folders of tiny PNG/JPEG files: splits, decoding, the cache, bad files; the batch augmentation."""

import os
from pathlib import Path

import pytest
import torch

from litzoo.data import ImageFolderDataModule, folder_files
from litzoo.data.augment import random_crop_flip
from litzoo.data.image_files import write_folder
from litzoo.errors import ConfigError, DataUnavailableError

from conftest import every_step_trainer, model_args


def _setup(root: Path, **settings: object) -> ImageFolderDataModule:
    dm = ImageFolderDataModule(data_dir=str(root), **settings)
    dm.prepare_data()
    dm.setup()
    return dm


def test_a_folder_without_split_folders_is_cut_stratified_and_seeded(tmp_path: Path) -> None:
    write_folder(tmp_path, {"": 60}, classes=3)
    dm = _setup(tmp_path, val_fraction=0.2, test_fraction=0.1)
    counts = {name: labels.bincount().tolist() for name, (_, labels) in dm.splits.items()}
    assert counts == {"train": [14, 14, 14], "val": [4, 4, 4], "test": [2, 2, 2]}  # 20 per class
    assert dm.listing.classes == ["class_0", "class_1", "class_2"] and dm.num_outputs == 3
    again, other = _setup(tmp_path, val_fraction=0.2, test_fraction=0.1), _setup(tmp_path, seed=1)
    assert torch.equal(again.splits["val"][0], dm.splits["val"][0])
    assert not torch.equal(other.splits["val"][0], dm.splits["val"][0])


def test_split_folders_are_kept_and_a_missing_one_is_cut_from_train(tmp_path: Path) -> None:
    write_folder(tmp_path, {"train": 30, "test": 9}, classes=3)
    dm = _setup(tmp_path, val_fraction=0.2)
    sizes = {name: len(labels) for name, (_, labels) in dm.splits.items()}
    assert sizes == {"train": 24, "val": 6, "test": 9}


def test_rgb_and_grey_and_a_fixed_size(tmp_path: Path) -> None:
    write_folder(tmp_path, {"": 12}, classes=2, channels=3, size=16)
    assert _setup(tmp_path).input_shape == (3, 16, 16)  # the first image's size
    grey = _setup(tmp_path, channels=1, size=(8, 12))
    assert grey.input_shape == (1, 8, 12) and grey.splits["train"][0].shape[1:] == (1, 8, 12)


def test_an_image_of_another_size_needs_the_size_option(tmp_path: Path) -> None:
    write_folder(tmp_path, {"": 12}, classes=2, size=16)
    write_folder(tmp_path / "odd", {"": 2}, classes=2, size=20)
    odd = next((tmp_path / "odd").rglob("*.png"))
    odd.rename(tmp_path / "class_1" / "zz_odd.png")
    (tmp_path / "odd").rename(tmp_path / ".moved")  # hidden: not a class
    with pytest.raises(ConfigError, match=r"zz_odd.png is 20x20, the first image 16x16: set size"):
        _setup(tmp_path)
    assert _setup(tmp_path, size=(16, 16)).splits["train"][0].shape[1:] == (3, 16, 16)


def test_decoded_once_then_read_from_the_cache_until_a_file_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_folder(tmp_path, {"": 12}, classes=2)
    first = _setup(tmp_path).splits["train"][0]
    cached = torch.load(next((tmp_path / ".litzoo-cache").iterdir()), weights_only=True)
    assert cached["images"].dtype == torch.uint8 and len(cached["images"]) == 12

    def refuse(path: Path, channels: int) -> torch.Tensor:
        raise AssertionError(f"{path} decoded again")

    monkeypatch.setattr(folder_files, "decode", refuse)
    assert torch.equal(_setup(tmp_path).splits["train"][0], first)
    changed = next(tmp_path.rglob("*.png"))
    os.utime(changed, ns=(0, 10**9))  # a new modification time: the key changes
    with pytest.raises(AssertionError, match="decoded again"):
        _setup(tmp_path)


def test_a_read_only_folder_is_cached_elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write_folder(tmp_path / "images", {"": 12}, classes=2)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(folder_files.os, "access", lambda path, mode: False)
    _setup(root)
    assert not (root / ".litzoo-cache").exists()
    assert len(list((tmp_path / "cache" / "litzoo" / "folders").rglob("pixels-3x16x16.pt"))) == 1


def test_a_corrupt_image_is_one_line_naming_it(tmp_path: Path) -> None:
    write_folder(tmp_path, {"": 12}, classes=2)
    broken = tmp_path / "class_0" / "broken.png"
    broken.write_bytes(b"\x89PNG not really")
    with pytest.raises(DataUnavailableError) as err:
        _setup(tmp_path)
    assert f"{broken} cannot be decoded as an image" in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda root: None, "does not exist"),
        (lambda root: write_folder(root, {"": 4}, classes=1), "two or more class folders"),
        (lambda root: (root / "empty_class").mkdir(parents=True) or write_folder(root, {"": 4}), "holds no"),
        (lambda root: write_folder(root, {"train": 6, "other": 3}), "has train/ and also other/"),
    ],
    ids=["missing", "one class", "empty class", "stray folder"],
)
def test_a_folder_that_cannot_be_used_says_why(tmp_path: Path, make, expected: str) -> None:  # noqa: ANN001
    make(tmp_path / "images")
    with pytest.raises((ConfigError, DataUnavailableError), match=expected):
        ImageFolderDataModule(root="images", data_dir=str(tmp_path))


def test_crop_and_flip_move_whole_images_and_pad_with_the_background() -> None:
    images = torch.arange(2 * 3 * 6 * 6, dtype=torch.float).reshape(2, 3, 6, 6)
    torch.manual_seed(0)
    out = random_crop_flip(images, padding=2, flip=True, background=-1.0)
    torch.manual_seed(0)
    assert torch.equal(out, random_crop_flip(images, padding=2, flip=True, background=-1.0))  # seeded
    padded = torch.nn.functional.pad(images, (2, 2, 2, 2), value=-1.0)
    for image, source in zip(out, padded, strict=True):
        windows = [
            view
            for y in range(5)
            for x in range(5)
            for view in (source[:, y : y + 6, x : x + 6], source[:, y : y + 6, x : x + 6].flip(-1))
        ]
        assert any(torch.equal(image, w) for w in windows)
    flips = random_crop_flip(images.repeat(50, 1, 1, 1), padding=0, flip=True)
    mirrored = (flips == images.repeat(50, 1, 1, 1).flip(-1)).flatten(1).all(1)
    assert 20 < int(mirrored.sum()) < 80  # about half


def test_augmentation_touches_training_batches_only(tmp_path: Path) -> None:
    write_folder(tmp_path, {"": 12}, classes=2)
    dm = _setup(tmp_path, augment="crop_flip")
    batch = dm.splits["train"]
    assert dm.on_after_batch_transfer(batch, 0) is batch  # no trainer: validation, test, predict

    class Training:
        training = True

    dm.trainer = Training()
    images, labels = dm.on_after_batch_transfer(batch, 0)
    assert images.shape == batch[0].shape and torch.equal(labels, batch[1])
    assert not torch.equal(images, batch[0])


@pytest.mark.slow
def test_a_killed_run_with_crop_and_flip_resumes_to_the_uninterrupted_weights(tmp_path: Path) -> None:
    from test_resume import STEPS, final_weights, kill_and_resume

    # 24 training images in batches of 16: two steps an epoch, step 3 in the middle of epoch 1.
    args = model_args("mlp", tmp_path / "data", "image_folder")
    base = [*args[:2], *every_step_trainer(tmp_path), *args[2:], "--data.init_args.augment=crop_flip"]
    base += ["--model.init_args.net.init_args.hidden=[32]", "--trainer.max_epochs=3", *STEPS]
    whole, run = kill_and_resume(base, base, tmp_path, "step-0000003.ckpt")
    a, b = final_weights(whole), final_weights(run)
    assert all(torch.equal(a[k], b[k]) for k in a), max(float((a[k] - b[k]).abs().max()) for k in a)
