"""Tracking: Weights & Biases that never prompts or hangs, read back with W&B's own reader."""

from litzoo.tracking.logger import WandbLogger, choose_wandb_mode

__all__ = ["WandbLogger", "choose_wandb_mode"]
