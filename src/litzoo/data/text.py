"""Character-level language-model data: one text file, its characters as tokens, held in memory."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from litzoo.data.base import DEFAULT_DATA_DIR, Split, TensorDataModule
from litzoo.data.device import DeviceData
from litzoo.errors import ConfigError

# nanoGPT's split: the first 90% of the characters train, the last 10% validate.
TRAIN_FRACTION = 0.9
TINY_TEXT = "To be, or not to be, that is the question:\nWhether 'tis nobler in the mind to suffer\n"


@dataclass(frozen=True)
class Vocabulary:
    """The characters a model reads and writes; a token id is a character's index in ``chars``.

    A character outside the vocabulary encodes as the fallback: the space when the vocabulary
    has one, else its first character (a text model sees unknown input as a word break).
    """

    chars: str

    def __post_init__(self) -> None:
        if len(set(self.chars)) != len(self.chars) or len(self.chars) < 2:
            raise ConfigError(f"a vocabulary needs at least two distinct characters, got {self.chars!r}")

    @classmethod
    def of(cls, text: str) -> "Vocabulary":
        """The sorted distinct characters of ``text``."""
        return cls("".join(sorted(set(text))))

    @property
    def fallback(self) -> int:
        """The token id an unknown character encodes as."""
        return max(self.chars.find(" "), 0)

    def encode(self, text: str) -> torch.Tensor:
        """Token ids ``(len(text),)`` int64."""
        index = {c: i for i, c in enumerate(self.chars)}
        return torch.tensor([index.get(c, self.fallback) for c in text], dtype=torch.long)

    def decode(self, ids: torch.Tensor | list[int]) -> str:
        """The characters of token ids ``(T,)``."""
        return "".join(self.chars[i] for i in torch.as_tensor(ids).tolist())


def read_text(file: Path) -> str:
    """A UTF-8 text file's contents, or one clear error naming it."""
    if not file.is_file():
        raise ConfigError(
            f"no text file at {file}: put a UTF-8 text file there, or point --data.init_args.path "
            "(relative to DATA_DIR) at one"
        )
    try:
        return file.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise ConfigError(f"{file} is not UTF-8 text ({err.reason} at byte {err.start})") from None


def windows(ids: torch.Tensor, block_size: int, stride: int) -> Split:
    """Blocks of ``block_size`` tokens starting every ``stride``, and the next token of each position.

    Views into ``ids`` (no copy): a batch is copied only when it is indexed.

    Returns:
        inputs ``(N, block_size)`` and targets ``(N, block_size)``, targets shifted by one.
    """
    blocks = ids.unfold(0, block_size + 1, stride)
    return blocks[:, :-1], blocks[:, 1:]


class TextDataModule(TensorDataModule):
    """A text file read as characters for a language model (Tiny Shakespeare by default).

    The first 90% of the characters train and the last 10% validate, as nanoGPT splits them;
    the test split is the validation split again (a text file has no third part to hold out, and
    so test and validation figures compare with nanoGPT's). The vocabulary is the training
    split's characters, saved with the checkpoint (``state_dict``); unknown characters encode
    as ``Vocabulary.fallback``. A sample is a block of ``block_size`` characters, its target the
    block shifted by one character.

    Args:
        path: the text file, relative to ``data_dir`` (or absolute).
        data_dir: folder of data files (None: the CLI's ``--data_dir``, make's ``DATA_DIR``).
        block_size: characters per sample (the model's context).
        train_stride: characters between the starts of training blocks (None: ``block_size``,
            blocks that do not overlap); validation blocks never overlap.
        batch_size: blocks per batch.
        seed: seeds the order of the training blocks.
        device_data: keep the token blocks on the accelerator (``auto``: when they fit; see
            ``TensorDataModule``).

    Shape:
        inputs ``(B, block_size)`` int64 token ids; targets ``(B, block_size)`` int64.
    """

    task = "classification"

    def __init__(
        self,
        path: str = "tinyshakespeare/input.txt",
        data_dir: str | None = None,
        block_size: int = 128,
        train_stride: int | None = None,
        batch_size: int = 64,
        seed: int = 0,
        device_data: DeviceData = "auto",
    ) -> None:
        super().__init__(batch_size, seed, device_data)
        if block_size < 1 or (train_stride is not None and train_stride < 1):
            raise ConfigError(
                f"block_size and train_stride must be positive, got {block_size}, {train_stride}"
            )
        self.file = Path(data_dir or DEFAULT_DATA_DIR) / path
        self.block_size, self.train_stride = block_size, train_stride or block_size
        text = read_text(self.file)
        self._cut = int(len(text) * TRAIN_FRACTION)
        for split, part in (("training", text[: self._cut]), ("validation", text[self._cut :])):
            if len(part) <= block_size:
                raise ConfigError(
                    f"{self.file}'s {split} part has {len(part)} characters, too few for one block of "
                    f"{block_size} and its next character: use a longer text or a smaller block_size"
                )
        # Known before any data is loaded: the model's output size is the vocabulary's.
        self.vocabulary = Vocabulary.of(text[: self._cut])
        self.input_shape, self.num_outputs = (block_size,), len(self.vocabulary.chars)

    @classmethod
    def tiny(cls, init_args: dict[str, Any], folder: Path) -> dict[str, Any]:
        """A text file of 20 short lines, blocks of 16 characters."""
        (folder / "tiny.txt").write_text(TINY_TEXT * 10, encoding="utf-8")
        return {"path": "tiny.txt", "block_size": 16, "batch_size": 8}

    def use_folds(self, folds: int, fold: int) -> None:
        raise ConfigError("k-fold cross-validation does not apply to a text split by position; train once")

    def load(self) -> dict[str, Split]:
        ids = self.vocabulary.encode(read_text(self.file))
        val = windows(ids[self._cut :], self.block_size, self.block_size)
        return {
            "train": windows(ids[: self._cut], self.block_size, self.train_stride),
            "val": val,
            "test": val,
        }

    def state_dict(self) -> dict[str, Any]:
        """The vocabulary, saved in every checkpoint: a token id must keep its meaning."""
        return {"vocabulary": self.vocabulary.chars}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Take the checkpoint's vocabulary (the file may have changed since), re-encoding the text."""
        saved = Vocabulary(state_dict["vocabulary"])
        if len(saved.chars) != self.num_outputs:
            raise ConfigError(
                f"the checkpoint's vocabulary has {len(saved.chars)} characters, {self.file}'s training "
                f"part {self.num_outputs}: train a new model on this text"
            )
        if saved != self.vocabulary:
            self.vocabulary, self.splits = saved, {}
            self.setup()
