"""litzoo: a library of Lightning experiments (CLI, run folders, workflows) and a zoo of classic nets."""

__version__ = "0.2.0"
