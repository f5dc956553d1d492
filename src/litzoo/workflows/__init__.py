"""Workflows over many runs or a finished run: cross-validation, sweeps, export."""
