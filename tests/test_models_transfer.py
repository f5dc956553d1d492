"""Transfer learning: a net started from a checkpoint or state dict, its head fresh or kept, parts frozen."""

import functools
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torchvision

from litzoo.__main__ import main
from litzoo.errors import ConfigError
from litzoo.nets.cnn import ConvNet
from litzoo.nets.facts import build_net
from litzoo.run.cli import LitzooCLI
from litzoo.systems.supervised import SupervisedSystem
from litzoo.systems.transfer import Transfer
from litzoo.testing.helpers import model_args

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"
OLD, NEW = "--data.init_args.classes=[0, 1, 2, 3, 4]", "--data.init_args.classes=[5, 6, 7, 8, 9]"


def system(transfer: Transfer | None, outputs: int = 5) -> SupervisedSystem:
    net = functools.partial(ConvNet, channels=[4, 8], hidden=16)
    return SupervisedSystem(net, (1, 28, 28), outputs, "classification", transfer=transfer)


def fit(tmp_path: Path, *extra: str) -> LitzooCLI:
    args = model_args(CONFIGS, "cnn", tmp_path / "data")
    cli = LitzooCLI(args=["fit", *args, "--trainer.max_steps=3", "--test_after_fit=false", *extra])
    assert cli.trainer.state.finished
    return cli


def test_a_fine_tuned_run_starts_from_the_checkpoint_and_trains_only_the_head(tmp_path: Path) -> None:
    first = fit(tmp_path, OLD)
    ckpt = Path(first.trainer.default_root_dir) / "checkpoints" / "last.ckpt"
    before = {k: v.clone() for k, v in first.model.net.state_dict().items()}
    tuned = fit(
        tmp_path,
        NEW,
        f"--model.init_args.transfer.init_from={ckpt}",
        "--model.init_args.transfer.train_only=[head]",
    )
    after = tuned.model.net.state_dict()
    frozen = [k for k in before if not k.startswith("head.5.")]
    assert [k for k in frozen if not torch.equal(after[k], before[k])] == []  # BatchNorm statistics too
    assert not torch.equal(after["head.5.weight"], before["head.5.weight"])  # fresh, then trained
    # Reloading the fine-tuned run needs only its own checkpoint, not the file it started from.
    ckpt.unlink()
    last = Path(tuned.trainer.default_root_dir) / "checkpoints" / "last.ckpt"
    loaded = SupervisedSystem.load_from_checkpoint(last, weights_only=True)
    assert all(torch.equal(loaded.net.state_dict()[k], v) for k, v in after.items())


def test_keep_head_loads_the_head_too_and_a_plain_state_dict_works(tmp_path: Path) -> None:
    source = system(None)
    torch.save(source.net.state_dict(), tmp_path / "net.pt")
    target = system(Transfer(init_from=str(tmp_path / "net.pt"), keep_head=True))
    target.transfer.load(target.net)
    assert all(torch.equal(v, source.net.state_dict()[k]) for k, v in target.net.state_dict().items())


def test_backbone_lr_makes_two_param_groups_and_frozen_parameters_are_left_out() -> None:
    tuned = system(Transfer(backbone_lr=1e-4))
    groups = tuned.transfer.param_groups(tuned.net)
    assert [g.get("lr") for g in groups] == [1e-4, None]
    assert {id(p) for p in groups[1]["params"]} == {id(p) for p in tuned.net.head[5].parameters()}
    frozen = system(Transfer(train_only=["features.0", "head"], backbone_lr=1e-4))
    trained = [p for g in frozen.transfer.param_groups(frozen.net) for p in g["params"]]
    assert len(trained) == 3  # the first convolution's weight, the head's weight and bias
    frozen.train()
    assert not frozen.net.features[1].training and frozen.net.head.training  # frozen BatchNorm: eval


def test_rgb_pretrained_weights_go_into_a_grey_torchvision_net(tmp_path: Path) -> None:
    rgb = torchvision.models.resnet18(num_classes=1000)
    torch.save(rgb.state_dict(), tmp_path / "resnet18.pth")  # as torchvision's own weight files
    grey = build_net(torchvision.models.resnet18, (1, 28, 28), 10)
    transfer = Transfer(init_from=str(tmp_path / "resnet18.pth"))
    transfer.prepare(grey)
    transfer.load(grey)
    assert transfer._head == "fc" and grey.fc.out_features == 10
    assert torch.equal(grey.conv1.weight, rgb.conv1.weight.sum(1, keepdim=True))
    assert torch.equal(grey.layer4[1].conv2.weight, rgb.layer4[1].conv2.weight)


@pytest.mark.parametrize(
    ("transfer", "message"),
    [
        (Transfer(train_only=["nope"]), "has no module 'nope'"),
        (Transfer(head="classifier"), "has no module 'classifier'"),
        (Transfer(backbone_lr=-1.0), "backbone_lr must be >= 0"),
    ],
)
def test_names_the_net_lacks_are_refused_in_one_line(transfer: Transfer, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        system(transfer)


def test_a_file_of_another_net_or_shape_is_refused_naming_it(tmp_path: Path) -> None:
    torch.save({"weight": torch.zeros(3)}, tmp_path / "other.pt")
    wrong = system(Transfer(init_from=str(tmp_path / "other.pt")))
    with pytest.raises(ConfigError, match="has no weights for .* is it a checkpoint of this net"):
        wrong.transfer.load(wrong.net)
    torch.save(system(None, outputs=10).net.state_dict(), tmp_path / "ten.pt")
    kept = system(Transfer(init_from=str(tmp_path / "ten.pt"), keep_head=True))
    with pytest.raises(ConfigError, match=r"head.5.weight is \(10, 16\).*drop keep_head"):
        kept.transfer.load(kept.net)
    (tmp_path / "bad.pt").write_bytes(b"not a checkpoint")
    bad = system(Transfer(init_from=str(tmp_path / "bad.pt")))
    with pytest.raises(ConfigError, match="cannot read"):
        bad.transfer.load(bad.net)


def test_a_missing_init_file_stops_the_run_with_one_line_and_no_run_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    args = model_args(CONFIGS, "cnn", tmp_path / "data")
    with pytest.raises(SystemExit) as exit_info:
        main(["fit", *args, "--model.init_args.transfer.init_from=missing.ckpt"])
    assert exit_info.value.code == 2
    assert "transfer.init_from: missing.ckpt is not a file" in capsys.readouterr().err
    assert not any(Path("runs").rglob("*.ckpt")) and not any(p.is_dir() for p in Path("runs").glob("*/*"))


@pytest.mark.slow
def test_transfer_script_prints_a_row_per_variant_with_its_seeds_accuracy(
    data_dir: Path, tmp_path: Path
) -> None:
    # scripts/transfer.py makes docs/models.md's table: pretrain on 0-4, then each variant on 5-9.
    command = [sys.executable, str(ROOT / "scripts" / "transfer.py"), "--data-dir", str(data_dir)]
    command += ["--images", "20", "--epochs", "1", "--seeds", "0", "1", "--val-batches", "1"]
    command += ["--pretrain-val-size", "16"]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-2000:]
    rows = [line for line in result.stdout.splitlines() if line.startswith("| ") and "---" not in line]
    variants = [row.split("|")[1].strip() for row in rows[1:]]
    assert variants == ["scratch", "fine-tune all, fresh head", "fine-tune, backbone at LR/10",
                        "features frozen, dense layers train"]  # fmt: skip
    for row in rows[1:]:
        mean, spread = row.split("|")[2].split("±")  # two seeds: mean ± std
        assert 0 <= float(mean) <= 1 and float(spread) >= 0
    assert len(list((tmp_path / "runs").glob("transfer-scratch/*/results.json"))) == 2
