"""Every error litzoo raises for a user to act on: the entry point turns each into one clear line."""


class LitzooError(Exception):
    """A user-facing problem: the message says what is wrong and what to do.

    Attributes:
        keeps_run: the run folder stays when the command ends with this error (it holds
            what the user needs to look at, e.g. the logs of a diverged run).
    """

    keeps_run = False


class ConfigError(LitzooError, ValueError):
    """A configuration that cannot work, found before any compute is spent."""


class ConfigChoiceError(ConfigError):
    """A config name that does not exist under ``configs/``, or a header that cannot be read."""


class DataUnavailableError(LitzooError, FileNotFoundError):
    """Data files are missing and could not be downloaded."""


class DataFileError(LitzooError, ValueError):
    """A data file is damaged, truncated or not the file its name says."""


class DiskFullError(LitzooError, OSError):
    """A folder ran out of space (or quota) while litzoo wrote to it (the run keeps its checkpoints)."""

    keeps_run = True


class RunInterruptedError(Exception):
    """The user pressed Ctrl-C during training; the run saved its state first."""


class DivergedError(LitzooError):
    """The training loss stopped being a finite number (the run keeps its logs)."""

    keeps_run = True


class TerminatedError(Exception):
    """The process got SIGTERM (a scheduler stopping the job)."""
