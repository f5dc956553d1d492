"""litzoo's generic tests over this repository's configs: every model, data, experiment and overlay."""

from litzoo.testing.generic import *  # noqa: F403
