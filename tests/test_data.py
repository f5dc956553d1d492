"""Data modules on tiny generated data: shapes, seeding, splits, DDP sharding, missing files."""

from pathlib import Path

import pytest
import torch
from torch.utils.data import DistributedSampler
from torchvision import datasets

from litzoo.data import ImageDataModule, SequenceDataModule, TensorBatchDataset, idx_files
from litzoo.data.base import EpochSampler
from litzoo.data.problems import PROBLEMS
from litzoo.errors import ConfigError, DataUnavailableError

from conftest import IMAGE_DATASETS, make_idx_dataset

MNIST_FILES = idx_files.file_names(datasets.MNIST)


def test_batches_are_single_index_operations() -> None:
    ds = TensorBatchDataset(torch.arange(10).float().unsqueeze(1), torch.arange(10))
    x, y = ds.__getitems__([3, 1, 4])
    assert x.shape == (3, 1) and y.tolist() == [3, 1, 4]


def _loader(n: int = 100, batch_size: int = 8):
    dm = SequenceDataModule(
        problem="adding", seq_len=5, train_size=n, val_size=4, test_size=4, batch_size=batch_size
    )
    dm.setup()
    return dm, dm.train_dataloader()


def _epoch(loader, epoch: int) -> torch.Tensor:
    loader.sampler.set_epoch(epoch)  # as Lightning does at each epoch start
    return torch.cat([y for _, y in loader])


def test_an_epoch_sees_every_sample_once_in_an_order_set_by_seed_and_epoch() -> None:
    dm, loader = _loader()
    first, second = _epoch(loader, 0), _epoch(loader, 1)
    expected = dm.splits["train"][1].sort().values
    for targets in (first, second):
        assert torch.equal(targets.sort().values, expected)
    assert not torch.equal(first, second)
    torch.rand(5)  # the global RNG moves; the order must not
    assert torch.equal(_epoch(_loader()[1], 1), second)


def test_a_resumed_epoch_skips_the_batches_already_trained() -> None:
    _, loader = _loader()
    whole = _epoch(loader, 2)
    loader.sampler.skip = 3 * 8  # three batches of 8 were trained before the interruption
    assert torch.equal(_epoch(loader, 2), whole[24:])
    assert len(loader.sampler) == 100  # Lightning sizes every epoch by this: the full epoch
    assert torch.equal(_epoch(loader, 2), whole)  # the skip holds for that one epoch only


def test_the_order_is_the_one_the_results_were_measured_with() -> None:
    # The README's results were trained in this order: seed and epoch, and nothing else.
    sampler = EpochSampler(TensorBatchDataset(torch.zeros(100, 1), torch.zeros(100)), seed=42)
    g = torch.Generator().manual_seed(42 * 1_000_003 + 3)
    assert _sampled(sampler, 3) == torch.randperm(100, generator=g).tolist()


def _sampled(sampler: EpochSampler, epoch: int) -> list[int]:
    sampler.set_epoch(epoch)
    return list(sampler)


def test_under_ddp_each_rank_takes_its_share_of_the_same_order_and_skips_its_own_batches() -> None:
    _, loader = _loader(n=97, batch_size=8)
    whole = _sampled(loader.sampler, 2)
    ranks = [EpochSampler(loader.dataset, torch.initial_seed(), num_replicas=2, rank=r) for r in (0, 1)]
    assert all(isinstance(s, DistributedSampler) for s in ranks)  # Lightning leaves these alone
    shares = [_sampled(s, 2) for s in ranks]
    padded = whole + whole[:1]  # equal shares, padded as Lightning's own DistributedSampler does
    assert shares == [padded[0::2], padded[1::2]] and len(ranks[0]) == 49
    for sampler, share in zip(ranks, shares, strict=True):
        sampler.skip = 2 * 8  # two batches of 8 on each rank before the interruption
        assert _sampled(sampler, 2) == share[16:]


@pytest.mark.parametrize("problem", sorted(PROBLEMS))
def test_sequences_are_seeded_and_shaped(problem: str) -> None:
    def make(seed: int) -> SequenceDataModule:
        dm = SequenceDataModule(
            problem=problem, seq_len=20, train_size=50, val_size=10, test_size=10, seed=seed
        )
        dm.setup()
        return dm

    a, b, c = make(0), make(0), make(1)
    x, y = a.splits["train"]
    assert x.shape == (50, *a.input_shape) and y.shape == (50,)
    assert torch.equal(x, b.splits["train"][0]) and not torch.equal(x, c.splits["train"][0])
    assert not torch.equal(a.splits["train"][0][:10], a.splits["val"][0])


def test_adding_target_is_the_sum_of_the_marked_values() -> None:
    x, y = PROBLEMS["adding"].generate(200, 30, torch.Generator().manual_seed(0))
    assert torch.equal(x[..., 1].sum(1), torch.full((200,), 2.0))
    assert torch.allclose((x[..., 0] * x[..., 1]).sum(1), y)
    assert 0.12 < (y - 1).pow(2).mean() < 0.22  # the trivial predictor's MSE is 1/6


def test_temporal_order_label_encodes_the_two_relevant_symbols() -> None:
    x, y = PROBLEMS["temporal_order"].generate(300, 40, torch.Generator().manual_seed(0))
    symbols = x.argmax(-1)
    relevant = [row[row >= 4] - 4 for row in symbols]
    assert all(len(r) == 2 for r in relevant)
    assert torch.equal(torch.stack([2 * r[0] + r[1] for r in relevant]), y)
    assert set(y.tolist()) == {0, 1, 2, 3}


def test_bad_sequence_settings_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="seq_len >= 10"):
        SequenceDataModule(problem="temporal_order", seq_len=5)
    with pytest.raises(ConfigError, match="batch_size"):
        SequenceDataModule(problem="adding", batch_size=0)


def _images(data_dir: Path, **kwargs) -> ImageDataModule:
    dm = ImageDataModule(data_dir=str(data_dir), val_size=16, batch_size=8, **kwargs)
    dm.prepare_data()
    dm.setup("fit")
    return dm


@pytest.mark.parametrize("dataset", IMAGE_DATASETS)
def test_idx_files_load_into_normalised_tensors(tmp_path: Path, dataset: str) -> None:
    root = make_idx_dataset(tmp_path / "data", dataset=dataset)
    dm = _images(root, dataset=dataset, mean=0.25, std=0.5, download=False)
    (xtr, ytr), (xva, _), (xte, yte) = dm.splits["train"], dm.splits["val"], dm.splits["test"]
    assert xtr.shape == (80, 1, 28, 28) and xva.shape == (16, 1, 28, 28) and xte.shape == (32, 1, 28, 28)
    assert xtr.dtype == torch.float32 and ytr.dtype == yte.dtype == torch.int64
    assert xtr.max().item() == pytest.approx((1 - 0.25) / 0.5)  # the brightest pixel, normalised
    x, y = next(iter(dm.train_dataloader()))
    assert x.shape == (8, 1, 28, 28) and y.shape == (8,)


def test_a_data_set_is_read_from_its_own_folder(tmp_path: Path) -> None:
    root = make_idx_dataset(tmp_path / "data", dataset="FashionMNIST")
    with pytest.raises(DataUnavailableError, match="MNIST is not in DATA_DIR"):
        _images(root, dataset="MNIST", download=False)
    assert len(_images(root, dataset="FashionMNIST", download=False).splits["test"][0]) == 32


def test_split_is_seeded(data_dir: Path) -> None:
    a, b, c = _images(data_dir), _images(data_dir), _images(data_dir, seed=1)
    assert torch.equal(a.splits["val"][1], b.splits["val"][1])
    assert not torch.equal(a.splits["val"][0], c.splits["val"][0])


def test_classes_keep_those_labels_relabelled_in_order(data_dir: Path) -> None:
    full, two = _images(data_dir, normalize=False), _images(data_dir, normalize=False, classes=[8, 3])
    images, labels = full.splits["test"]
    keep = (labels == 8) | (labels == 3)
    assert torch.equal(two.splits["test"][0], images[keep])
    assert torch.equal(two.splits["test"][1], (labels[keep] == 3).long())  # 8 -> 0, 3 -> 1
    assert two.num_outputs == 2


@pytest.mark.parametrize("writable", [True, False])
def test_gz_files_are_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, writable: bool) -> None:
    root = make_idx_dataset(tmp_path / "src", compress=True)
    monkeypatch.setattr(idx_files.os, "access", lambda path, mode: writable)  # root ignores chmod
    dm = _images(root, download=False)
    assert len(dm.splits["test"][0]) == 32
    beside = sorted(p.name for p in (root / "MNIST" / "raw").iterdir())
    cached = list((tmp_path / "cache" / "litzoo").rglob("*-ubyte"))
    if writable:
        assert len(beside) == 8 and not cached
    else:
        assert beside == sorted(f"{f}.gz" for f in MNIST_FILES) and len(cached) == 4


def test_missing_files_without_download_are_named(tmp_path: Path) -> None:
    with pytest.raises(DataUnavailableError) as err:
        _images(tmp_path / "nowhere", download=False)
    message = str(err.value)
    assert str(tmp_path / "nowhere") in message and "DATA_DIR" in message
    assert all(name in message for name in MNIST_FILES)


def test_failed_download_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def offline(self: datasets.MNIST) -> None:
        Path(self.raw_folder).mkdir(parents=True)
        Path(self.raw_folder, "train-images-idx3-ubyte.gz").write_bytes(b"partial")
        raise RuntimeError(
            "Error downloading\n<urlopen error [Errno -3] Temporary failure in name resolution>"
        )

    monkeypatch.setattr(datasets.MNIST, "download", offline)
    with pytest.raises(DataUnavailableError, match="Temporary failure in name resolution"):
        _images(tmp_path / "new" / "data")
    assert not (tmp_path / "new").exists()
