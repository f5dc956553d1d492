"""Entry point: ``python -m {{ cookiecutter.package_name }} fit|validate|test|predict --config …``."""

import sys

from {{ cookiecutter.package_name }}.errors import {{ cookiecutter.package_name | pascal }}Error


def main(args: list[str] | None = None) -> None:
    """Run the CLI; user errors end with one message and exit code 2."""
    from lightning.fabric.utilities.exceptions import MisconfigurationException
    from lightning.pytorch.utilities.exceptions import SIGTERMException

    from {{ cookiecutter.package_name }}.callbacks.guards import DivergedError
    from {{ cookiecutter.package_name }}.runs import discard_unused

    try:
        from {{ cookiecutter.package_name }}.cli import {{ cookiecutter.package_name | pascal }}CLI

        {{ cookiecutter.package_name | pascal }}CLI(args=args)
    # Lightning's own check of Trainer settings that cannot go together is a user error too.
    except ({{ cookiecutter.package_name | pascal }}Error, MisconfigurationException) as err:
        if not isinstance(err, DivergedError):  # a diverged run keeps its logs
            discard_unused()  # a run that failed before it trained anything leaves no folder
        print(f"{{ cookiecutter.package_name }}: error: {err}", file=sys.stderr)
        sys.exit(2)
    except SIGTERMException:  # checkpointed by CheckpointOnSigterm; 128 + SIGTERM, as a shell reports it
        print("{{ cookiecutter.package_name }}: stopped by SIGTERM; continue the run from its last.ckpt", file=sys.stderr)
        sys.exit(143)


if __name__ == "__main__":
    main()
