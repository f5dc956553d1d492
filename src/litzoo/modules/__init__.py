"""LightningModules, one per kind of training; the architecture is a net passed in by config."""

from litzoo.modules.gan import GANSystem
from litzoo.modules.supervised import SupervisedSystem

__all__ = ["GANSystem", "SupervisedSystem"]
