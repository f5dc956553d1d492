"""The one wrapper every command runs in: a user error is one line and an exit code, never a traceback.

Exit codes: 2 for a user error (the message says what to do), 130 for Ctrl-C and 143 for
SIGTERM (128 + the signal, as a shell reports them), so schedulers and sweeps can tell a run
that was stopped from one that failed or finished.
"""

import sys
from collections.abc import Callable
from typing import NoReturn

from litzoo.errors import LitzooError, RunInterruptedError, TerminatedError

USER_ERROR, INTERRUPTED, TERMINATED = 2, 130, 143


def run_command(main: Callable[[], int | None]) -> NoReturn:
    """Run ``main`` and exit with its code, turning what a user can act on into one line."""
    try:
        code = main()
    except KeyboardInterrupt:
        print("\nlitzoo: interrupted (Ctrl-C)", file=sys.stderr)
        sys.exit(INTERRUPTED)
    except RunInterruptedError:  # a run stopped by Ctrl-C after saving; it said how to resume
        sys.exit(INTERRUPTED)
    except TerminatedError:
        sys.exit(TERMINATED)
    except SystemExit as err:
        if not _is_sigterm(err):
            raise
        # Lightning's SIGTERMException is a SystemExit without a code: left alone it exits 0,
        # and a scheduler or sweep would take the stopped run as finished.
        print("litzoo: stopped by SIGTERM; continue the run from its last.ckpt", file=sys.stderr)
        sys.exit(TERMINATED)
    except Exception as err:
        error = user_error(err)
        if error is None:
            raise
        if not getattr(error, "keeps_run", False):
            _discard_unused()  # a run that failed before it trained anything leaves no folder
        print(f"litzoo: error: {error}", file=sys.stderr)
        sys.exit(USER_ERROR)
    sys.exit(code or 0)


def user_error(err: BaseException) -> BaseException | None:
    """The error to show a user for ``err``, or None when it is a bug (a traceback is right).

    litzoo's own errors, a full disk, and Lightning's check of Trainer settings that cannot go together.
    Lightning is only imported when something went wrong and it is loaded already.
    """
    if isinstance(err, LitzooError):
        return err
    from litzoo.run.disk import error_for  # a full disk while writing a log or results

    full = error_for(err)
    if full is not None:
        return full
    lightning = sys.modules.get("lightning.fabric.utilities.exceptions")
    if lightning is not None and isinstance(err, lightning.MisconfigurationException):
        return err
    return None


def _is_sigterm(err: BaseException) -> bool:
    exceptions = sys.modules.get("lightning.pytorch.utilities.exceptions")
    return exceptions is not None and isinstance(err, exceptions.SIGTERMException)


def _discard_unused() -> None:
    from litzoo.run.folders import discard_unused

    discard_unused()
