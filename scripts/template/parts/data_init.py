"""This project's own data modules: see litzoo's docs/data.md (configs name them by module)."""
