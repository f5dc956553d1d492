"""How a run is run: the CLI, run folders, checkpoints, launches, guards and the end-of-run report."""
