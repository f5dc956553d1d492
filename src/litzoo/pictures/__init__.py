"""Pictures of what a system learned, drawn by one callback into the run folder and W&B."""

from litzoo.pictures.callback import Pictures

__all__ = ["Pictures"]
