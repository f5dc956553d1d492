"""This project's own systems (LightningModules that say how nets are trained): see litzoo's docs/systems.md."""
