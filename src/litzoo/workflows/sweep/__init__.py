"""Hyperparameter sweeps in W&B's format: online through W&B, offline through W&B's ``sweeps`` engine."""

import warnings

with warnings.catch_warnings():
    # sweeps 0.2 declares pydantic-1 model settings; pydantic 2 warns about them at import, harmlessly.
    warnings.simplefilter("ignore")
    try:
        import sweeps  # noqa: F401
    except ImportError as err:  # installed as a library without the extra
        raise ImportError(
            "sweeps need W&B's sweep engine: pip install 'litzoo[sweep]' (make installs it)"
        ) from err
