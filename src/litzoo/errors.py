"""Errors that the CLI turns into one clear message and a non-zero exit."""


class LitzooError(Exception):
    """A user-facing problem: the message says what is wrong and what to do."""


class ConfigError(LitzooError, ValueError):
    """A configuration that cannot work, found before any compute is spent."""


class DataUnavailableError(LitzooError, FileNotFoundError):
    """Data files are missing and could not be downloaded."""
