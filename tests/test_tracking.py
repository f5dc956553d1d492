"""W&B tracking: checkpoints go to W&B as artifacts, best and last only, offline too."""

import json
from pathlib import Path

import wandb

from litzoo.run.cli import LitzooCLI
from litzoo.tracking import files as wandb_files

from conftest import CONFIGS, every_step_trainer, model_args
from wandb_log import offline_run


def test_the_best_and_last_checkpoints_are_recorded_as_artifacts_of_an_offline_run(
    data_dir: Path, tmp_path: Path
) -> None:
    # A periodic checkpoint every step as well: those bound what a kill loses and stay local.
    args = [*model_args("mlp", data_dir), *every_step_trainer(tmp_path)]
    args += ["--config", str(CONFIGS / "logger" / "wandb.yaml"), "--test_after_fit=false"]
    args += ["--model.init_args.net.init_args.hidden=[16]", "--trainer.max_epochs=3"]
    cli = LitzooCLI(args=["fit", *args])
    run_id = cli.trainer.logger.experiment.id
    wandb.finish()
    run_dir = Path(cli.trainer.default_root_dir)
    assert list((run_dir / "checkpoints").glob("step-*.ckpt")), "no periodic checkpoint to leave out"
    records = wandb_files.records(offline_run(run_dir))
    logged = [
        r["artifact"] for r in records if r.get("type") == "artifact" and r["artifact"]["type"] == "model"
    ]
    assert {a["name"] for a in logged} == {f"model-{run_id}"}
    files = {json.loads(a["metadata"])["original_filename"]: sorted(a["aliases"]) for a in logged}
    best = Path(cli.trainer.checkpoint_callback.best_model_path).name
    assert files == {best: ["best", "latest"], "last.ckpt": ["latest"]}  # the later log takes "latest"
    assert all([c["path"] for c in a["manifest"]["contents"]] == ["model.ckpt"] for a in logged)
