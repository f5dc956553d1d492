"""This project's own systems: LightningModules that say how nets are trained (litzoo's docs/systems.md)."""
