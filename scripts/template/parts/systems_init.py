"""This project's own systems: copies of litzoo's to change (configs name them by module)."""
