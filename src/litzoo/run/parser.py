"""The CLI's argument parser, with errors trimmed to what a user needs to read."""

import sys
from typing import NoReturn

from lightning.pytorch.cli import LightningArgumentParser

# Lines jsonargparse adds about its own type machinery, not about the user's mistake.
_NOISE = (
    "Does not validate against any of the Union subtypes",
    "Subtypes:",
    "Errors:",
    "- Expected a <class 'NoneType'>",
    "Given value type:",
    "Given value:",
)


def simplify(message: str) -> str:
    """Drop jsonargparse's Union and value dumps, keep the lines that name the problem."""
    kept = [line.strip() for line in message.splitlines() if not line.strip().startswith(_NOISE)]
    return "\n  ".join(line.removeprefix("- ") for line in kept if line)


class LitzooParser(LightningArgumentParser):
    """Prints one short error and a hint instead of the full usage text."""

    def error(self, message: str, ex: Exception | None = None) -> NoReturn:
        if not self.exit_on_error:  # an inner parser trying alternatives: let it raise
            super().error(message, ex)
        sys.stderr.write(
            f"litzoo: error: {simplify(message)}\n"
            "  See every option with: python -m litzoo fit --help "
            "(a model's own: --model.help <class path>)\n"
        )
        self.exit(2)
