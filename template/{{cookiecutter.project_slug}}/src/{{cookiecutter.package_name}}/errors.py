"""Errors that the CLI turns into one clear message and a non-zero exit."""


class {{ cookiecutter.package_name | pascal }}Error(Exception):
    """A user-facing problem: the message says what is wrong and what to do."""


class ConfigError({{ cookiecutter.package_name | pascal }}Error, ValueError):
    """A configuration that cannot work, found before any compute is spent."""


class DataUnavailableError({{ cookiecutter.package_name | pascal }}Error, FileNotFoundError):
    """Data files are missing and could not be downloaded."""
