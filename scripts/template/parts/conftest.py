"""litzoo's pytest plugin: every test isolated and offline; the generic tests get this project's configs."""

pytest_plugins = ["litzoo.testing.plugin"]
