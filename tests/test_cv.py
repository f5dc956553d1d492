"""k-fold cross-validation: folds partition the train+val pool, never touch the test set, and add up."""

import json
import statistics
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from litzoo.__main__ import main
from litzoo.data import ImageDataModule
from litzoo.data.folds import fold_ids
from litzoo.errors import ConfigError

from conftest import CONFIGS, ROOT, model_args
from wandb_log import offline_run, run_record


def test_folds_are_disjoint_cover_the_pool_are_stratified_and_seeded() -> None:
    targets = torch.tensor([0] * 10 + [1] * 7 + [2] * 5)
    ids = fold_ids(targets, 5, seed=3, stratified=True)
    assert sorted(ids.unique().tolist()) == [0, 1, 2, 3, 4]  # every sample in exactly one fold
    for c in (0, 1, 2):  # each class spread as evenly as it can be
        counts = torch.bincount(ids[targets == c], minlength=5)
        assert int(counts.max() - counts.min()) <= 1
    sizes = torch.bincount(ids, minlength=5)
    assert int(sizes.max() - sizes.min()) <= 1
    assert torch.equal(ids, fold_ids(targets, 5, seed=3, stratified=True))
    assert not torch.equal(ids, fold_ids(targets, 5, seed=4, stratified=True))
    with pytest.raises(
        ConfigError, match="6 folds need at least 6 samples of each class; the smallest class has 5"
    ):
        fold_ids(targets, 6, seed=0, stratified=True)


def test_a_fold_validates_on_its_part_of_the_pool_and_leaves_the_test_set_alone(data_dir: Path) -> None:
    def images(folds: int | None = None, fold: int = 0) -> ImageDataModule:
        dm = ImageDataModule(data_dir=str(data_dir), val_size=16, batch_size=8)
        if folds:
            dm.use_folds(folds, fold)
        dm.prepare_data()
        dm.setup("fit")
        return dm

    plain = images()
    pool = torch.cat([plain.splits["train"][1], plain.splits["val"][1]])
    seen = []
    for fold in range(3):
        dm = images(folds=3, fold=fold)
        assert torch.equal(dm.splits["test"][0], plain.splits["test"][0])  # never in the pool
        assert len(dm.splits["train"][0]) + len(dm.splits["val"][0]) == len(pool)
        seen.append(dm.splits["val"][0])
    together = torch.cat(seen)
    assert len(together) == len(pool) and len(torch.unique(together.flatten(1), dim=0)) == len(pool)


@pytest.mark.parametrize("folds", ["1", "0", "x"])
def test_too_few_folds_is_one_line(folds: str, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as failed:
        main(["cv", "--folds", folds, "--"])
    err = capsys.readouterr().err
    assert failed.value.code == 2 and err.count("\n") == 1 and "at least 2" in err


@pytest.mark.slow
def test_three_fold_cv_writes_each_fold_and_their_mean(data_dir: Path, tmp_path: Path) -> None:
    args = [
        *model_args("mlp", data_dir),
        "--model.init_args.net.init_args.hidden=[16]",
        "--trainer.max_epochs=1",
    ]
    args += [
        "--config",
        str(CONFIGS / "logger" / "wandb.yaml"),
        f"--trainer.default_root_dir={tmp_path / 'runs'}",
    ]
    command = [sys.executable, "-m", "litzoo", "cv", "--folds", "3", "--final", "--", *args]
    result = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "litzoo cv: fold 3/3" in result.stdout and "mean ± std" in result.stdout
    assert result.stdout.count("test metrics:") == 1, "a fold was tested: only the final fit may be"
    summary_file = next((tmp_path / "runs").rglob("cv.json"))
    summary = json.loads(summary_file.read_text())
    assert summary["folds"] == 3 and summary["monitor"] == "val/loss" and len(summary["scores"]) == 3
    assert summary["mean"] == pytest.approx(statistics.fmean(summary["scores"]))
    assert summary["std"] == pytest.approx(statistics.stdev(summary["scores"]))
    assert sorted(p.name for p in summary_file.parent.iterdir()) == [
        "cv.json",
        "final",
        *(f"fold-{i}" for i in range(3)),
    ]
    final = json.loads(next((summary_file.parent / "final").rglob("results.json")).read_text())
    assert summary["final"]["test"] == final["test"] and "test/acc" in final["test"]
    records = [run_record(offline_run(next((summary_file.parent / f"fold-{i}").iterdir()))) for i in range(3)]
    records.append(run_record(offline_run(next((summary_file.parent / "final").iterdir()))))
    assert [r["job_type"] for r in records] == ["fold"] * 3 + ["final"] and len(
        {r["run_group"] for r in records}
    ) == 1
    assert len({r["run_id"] for r in records}) == 4  # one W&B run per fold, in one group
