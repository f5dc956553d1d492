"""The one place that draws: confusion matrices in the run folder and in W&B."""

from pathlib import Path

import torch
from PIL import Image

from litzoo.pictures.draw import draw_confusion_matrix
from litzoo.run.cli import LitzooCLI

from conftest import BASE, model_args


def test_the_confusion_matrix_picture_shades_each_cell_by_its_share_of_the_row(tmp_path: Path) -> None:
    draw_confusion_matrix(torch.tensor([[9, 1], [0, 10]]), tmp_path / "cm.png")
    image = Image.open(tmp_path / "cm.png").convert("RGB")
    cell = 26
    at = lambda i, j: image.getpixel((cell * (j + 1) + cell - 3, cell * (i + 1) + cell - 3))  # noqa: E731
    assert at(1, 1) == (0, 0, 255)  # all of row 1 is on the diagonal
    assert at(1, 0) == (255, 255, 255)  # none of it off
    assert at(0, 1)[0] > at(0, 0)[0]  # 10% is paler than 90%


def test_classifier_sends_confusion_matrix_and_images_to_wandb(data_dir: Path) -> None:
    from wandb_log import offline_run, read_run

    wandb = str(Path(BASE[3]).parent / "wandb.yaml")
    args = [*model_args("mlp", data_dir), "--config", wandb, "--trainer.max_epochs=1"]
    cli = LitzooCLI(args=["fit", *args, "--model.init_args.net.init_args.hidden=[16]"])
    cli.trainer.loggers[0].experiment.finish()  # read back only what W&B has finished writing
    run_dir = Path(cli.trainer.default_root_dir)
    logged = set().union(*read_run(offline_run(run_dir))[1])
    pictures = sorted(p.name for p in (run_dir / "confusion_matrix").iterdir())
    assert pictures == ["test.png", "val_epoch_000.png"]
    assert any(key.startswith("val/confusion_matrix") for key in logged), sorted(logged)
    assert any(key.startswith("test/confusion_matrix") for key in logged)
    assert {"val/acc", "val/f1", "val/auroc", "test/precision", "test/recall"} <= logged
