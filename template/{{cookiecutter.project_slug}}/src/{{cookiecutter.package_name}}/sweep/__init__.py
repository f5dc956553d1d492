"""Hyperparameter sweeps in W&B's format: online through W&B, offline through W&B's ``sweeps`` engine."""

import warnings

with warnings.catch_warnings():
    # sweeps 0.2 declares pydantic-1 model settings; pydantic 2 warns about them at import, harmlessly.
    warnings.simplefilter("ignore")
    import sweeps  # noqa: F401
