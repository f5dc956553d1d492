"""Entry point: ``python -m litzoo fit|validate|test|predict --config …``."""

import sys

from litzoo.errors import LitzooError


def main(args: list[str] | None = None) -> None:
    """Run the CLI; user errors end with one message and exit code 2."""
    from lightning.fabric.utilities.exceptions import MisconfigurationException
    from lightning.pytorch.utilities.exceptions import SIGTERMException

    from litzoo.callbacks.guards import DivergedError
    from litzoo.runs import discard_unused

    try:
        from litzoo.cli import LitzooCLI

        LitzooCLI(args=args)
    # Lightning's own check of Trainer settings that cannot go together is a user error too.
    except (LitzooError, MisconfigurationException) as err:
        if not isinstance(err, DivergedError):  # a diverged run keeps its logs
            discard_unused()  # a run that failed before it trained anything leaves no folder
        print(f"litzoo: error: {err}", file=sys.stderr)
        sys.exit(2)
    except SIGTERMException:  # checkpointed by CheckpointOnSigterm; 128 + SIGTERM, as a shell reports it
        print("litzoo: stopped by SIGTERM; continue the run from its last.ckpt", file=sys.stderr)
        sys.exit(143)


if __name__ == "__main__":
    main()
