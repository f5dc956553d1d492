"""Text from a trained language model: ``litzoo generate --run RUN --prompt "..."`` (``make generate``)."""

import argparse
from pathlib import Path

import torch
from lightning import LightningModule

from litzoo.errors import ConfigError
from litzoo.run.checkpoints import import_system
from litzoo.run.folders import best_point


def load_language_model(run: Path) -> LightningModule:
    """The best checkpoint of a run folder, loaded safely, as a system that can ``generate``.

    Raises:
        ConfigError: the folder is no run, or its system generates no text.
    """
    if not (run / "config.yaml").is_file():
        raise ConfigError(f"RUN={str(run)!r} is not a run folder (runs/<name>/<time>, holding config.yaml)")
    checkpoint = best_point(run)
    import_system(checkpoint)
    model = LightningModule.load_from_checkpoint(checkpoint, map_location="cpu", weights_only=True)
    if not callable(getattr(type(model), "generate", None)):
        raise ConfigError(
            f"{run} trained a {type(model).__name__}, which generates no text (a language model does)"
        )
    return model


def main(argv: list[str]) -> None:
    """``litzoo generate --run RUN --prompt TEXT [--tokens N] [--temperature T] [--top_k K] [--seed S]``."""
    parser = argparse.ArgumentParser(prog="litzoo generate", description=__doc__.split("\n")[0])
    parser.add_argument("--run", type=Path, required=True, help="a run folder, runs/<name>/<time>")
    parser.add_argument("--prompt", default="\n", help="text to continue (default: a new line)")
    parser.add_argument("--tokens", type=int, default=500, help="characters to generate")
    parser.add_argument("--temperature", type=float, default=0.8, help="0: always the likeliest character")
    parser.add_argument(
        "--top_k", type=int, default=None, help="sample among the k likeliest characters only"
    )
    parser.add_argument("--seed", type=int, default=None, help="a seed for repeatable text")
    args = parser.parse_args(argv)
    generator = torch.Generator().manual_seed(args.seed) if args.seed is not None else None
    model = load_language_model(args.run)
    print(model.generate(args.prompt, args.tokens, args.temperature, args.top_k, generator=generator))
