"""Character-level language models: the text data module, the LM nets and system, generate."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import wandb

from litzoo.data.text import TINY_TEXT, TextDataModule, Vocabulary
from litzoo.nets.language import CausalTransformer, RecurrentLM
from litzoo.run.cli import LitzooCLI
from litzoo.systems.language import LanguageModel

from conftest import CONFIGS, model_args, run_main
from wandb_log import offline_run, read_run

BLOCK = 16


@pytest.fixture
def text_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    TextDataModule.tiny({}, folder)
    return folder


def _data(folder: Path, **kwargs: object) -> TextDataModule:
    return TextDataModule(path="tiny.txt", data_dir=str(folder), block_size=BLOCK, batch_size=8, **kwargs)


def _system(data: TextDataModule, net: type = CausalTransformer, **net_args: object) -> LanguageModel:
    def factory(input_shape: tuple[int, ...], num_outputs: int) -> torch.nn.Module:
        return net(input_shape, num_outputs, **net_args)

    return LanguageModel(factory, data.input_shape, data.num_outputs)


def test_vocabulary_is_the_training_splits_characters_and_unknown_ones_read_as_space() -> None:
    vocabulary = Vocabulary.of("hello world")
    assert vocabulary.chars == " dehlorw"
    assert vocabulary.decode(vocabulary.encode("hold")) == "hold"
    assert vocabulary.decode(vocabulary.encode("hi!")) == "h  "  # i and ! are not in it
    assert Vocabulary("ab").fallback == 0  # no space: the first character


def test_splits_are_nanogpts_90_10_and_targets_are_the_next_characters(text_dir: Path) -> None:
    data = _data(text_dir)
    data.setup("fit")
    cut = int(len(TINY_TEXT * 10) * 0.9)
    assert data.vocabulary == Vocabulary.of((TINY_TEXT * 10)[:cut])
    x, y = data.splits["train"]
    assert x.shape == (cut // BLOCK - (cut % BLOCK == 0), BLOCK) and x.dtype == torch.long
    assert torch.equal(x[:, 1:], y[:, :-1]) and torch.equal(x[1:, 0], y[:-1, -1])
    assert data.vocabulary.decode(x[0]) == TINY_TEXT[:BLOCK]
    val = data.vocabulary.decode(data.splits["val"][0][0])
    assert val == (TINY_TEXT * 10)[cut : cut + BLOCK]
    assert data.splits["test"] is data.splits["val"]
    overlapping = _data(text_dir, train_stride=4)
    overlapping.setup("fit")
    assert len(overlapping.splits["train"][0]) > 3 * len(x)


@pytest.mark.parametrize("net", [CausalTransformer, RecurrentLM])
def test_nets_give_logits_per_position_and_the_transformer_never_looks_ahead(net: type) -> None:
    model = net((BLOCK,), 11).eval()
    x = torch.randint(0, 11, (3, BLOCK))
    out = model(x)
    assert out.shape == (3, BLOCK, 11)
    changed = x.clone()
    changed[:, -1] = (x[:, -1] + 1) % 11
    assert torch.allclose(model(changed)[:, :-1], out[:, :-1], atol=1e-5)  # the past ignores the future
    assert model(x[:, :5]).shape == (3, 5, 11)  # shorter contexts, as generation reads them
    with pytest.raises(ValueError, match="token ids"):
        model(torch.zeros(3, BLOCK + 1, dtype=torch.long))


@pytest.mark.parametrize("net", [CausalTransformer, RecurrentLM])
def test_loss_falls_overfitting_one_batch(text_dir: Path, net: type) -> None:
    torch.manual_seed(0)
    data = _data(text_dir)
    data.setup("fit")
    model = _system(data, net)
    x, y = data.splits["train"][0][:8], data.splits["train"][1][:8]
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(40):
        loss = torch.nn.functional.cross_entropy(model(x).flatten(0, 1), y.flatten())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.25 * losses[0], losses


def _fit(folder: Path, model: str = "char_lstm", *extra: str) -> LitzooCLI:
    args = model_args(model, folder)
    return LitzooCLI(args=["fit", *args, "--trainer.max_epochs=1", "--test_after_fit=false", *extra])


def test_the_vocabulary_round_trips_through_the_checkpoint_and_samples_are_written(
    text_dir: Path, tmp_path: Path
) -> None:
    cli = _fit(text_dir, "char_lstm", "--model.init_args.sample_tokens=20")
    run = Path(cli.trainer.default_root_dir)
    (written,) = (run / "samples").glob("epoch_0_step_*.txt")
    sample = written.read_text()
    assert len(sample) == 1 + 20 and set(sample) <= set(cli.datamodule.vocabulary.chars)
    last = run / "checkpoints" / "last.ckpt"
    saved = torch.load(last, weights_only=True)
    assert saved["TextDataModule"] == {"vocabulary": cli.datamodule.vocabulary.chars}
    loaded = LanguageModel.load_from_checkpoint(last, weights_only=True)
    assert loaded.vocabulary == cli.datamodule.vocabulary
    # The file changed since (same number of characters, others): the checkpoint's vocabulary wins.
    other = tmp_path / "other"
    other.mkdir()
    (other / "tiny.txt").write_text(TINY_TEXT.replace("q", "Q") * 10)
    data = _data(other)
    data.setup("fit")
    assert data.vocabulary != cli.datamodule.vocabulary
    data.load_state_dict(saved["TextDataModule"])
    assert data.vocabulary == cli.datamodule.vocabulary
    assert data.splits["train"][0].max() < data.num_outputs


def test_samples_reach_an_offline_wandb_run_as_a_table_of_every_validation_so_far(text_dir: Path) -> None:
    wandb_logger = ["--config", str(CONFIGS / "logger" / "wandb.yaml")]
    cli = _fit(text_dir, "char_lstm", *wandb_logger, "--model.init_args.sample_tokens=12",
               "--trainer.max_epochs=2")  # fmt: skip
    wandb.finish()
    run = Path(cli.trainer.default_root_dir)
    written = sorted((run / "samples").glob("*.txt"), key=lambda p: int(p.stem.split("_")[1]))
    assert len(written) == 2
    _, history = read_run(offline_run(run))
    logged = [row for row in history if "samples.path" in row]  # W&B's reader flattens the table entry
    assert [row["samples._type"] for row in logged] == ["table-file"] * 2
    assert [row["samples.nrows"] for row in logged] == [1, 2]
    table = json.loads((offline_run(run) / "files" / logged[-1]["samples.path"]).read_text())
    assert table["columns"] == ["epoch", "step", "text"]
    assert [row[2] for row in table["data"]] == [p.read_text() for p in written]  # the newest holds all


def test_generate_returns_the_prompt_and_n_new_characters(text_dir: Path) -> None:
    data = _data(text_dir)
    model = _system(data)
    model.vocabulary = data.vocabulary
    out = model.generate("To be", 40)
    assert out.startswith("To be") and len(out) == 5 + 40 and set(out) <= set(data.vocabulary.chars)
    assert len(model.generate("X? ~", 3)) == 4 + 3  # unknown characters are read, and kept as typed
    assert len(model.generate("", 5)) == 5
    seeded = [model.generate("a", 30, top_k=3, generator=torch.Generator().manual_seed(1)) for _ in "ab"]
    assert seeded[0] == seeded[1]
    assert model.generate("a", 10, temperature=0) == model.generate("a", 10, temperature=0)
    assert model.training  # generate leaves the mode as it found it


def test_litzoo_generate_continues_a_prompt_from_a_run_folder(
    text_dir: Path, capsys: pytest.CaptureFixture
) -> None:
    run = Path(
        _fit(text_dir, "char_transformer", "--model.init_args.sample_tokens=0").trainer.default_root_dir
    )
    capsys.readouterr()
    code, out, err = run_main(capsys, "generate", "--run", str(run), "--prompt", "To be", "--tokens", "25")
    assert code == 0, err
    # The prompt, 25 sampled characters (newlines among them now and then) and print's newline.
    assert out.startswith("To be") and len(out) == 5 + 25 + 1 and out.endswith("\n"), repr(out)
    code, _, err = run_main(capsys, "generate", "--run", str(run.parent), "--prompt", "x")
    assert code == 2 and err.count("\n") == 1 and "not a run folder" in err
    # As a user runs it: a process of its own, which has imported none of the run's classes.
    command = [
        sys.executable,
        "-m",
        "litzoo",
        "generate",
        "--run",
        str(run),
        "--prompt",
        "To",
        "--tokens",
        "9",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    assert out.startswith("To") and len(out) == 2 + 9 + 1 and out.endswith("\n"), repr(out)


def test_a_missing_text_file_is_one_line_and_leaves_no_run_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    args = model_args("char_transformer", tmp_path / "empty")
    (tmp_path / "empty" / "tiny.txt").unlink()
    code, _, err = run_main(capsys, "fit", *args)
    assert code == 2 and err.count("\n") == 1, err
    assert err.startswith("litzoo: error: no text file at ") and "tiny.txt" in err
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").rglob("*.yaml"))
