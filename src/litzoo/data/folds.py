"""k-fold cross-validation folds: a seeded, stratified deal of the train+val pool."""

import torch

from litzoo.errors import ConfigError


def check_folds(folds: int, fold: int) -> None:
    """Refuse a fold setting that cannot split anything, before any data is loaded."""
    if folds < 2:
        raise ConfigError(f"cross-validation needs at least 2 folds, got {folds}")
    if not 0 <= fold < folds:
        raise ConfigError(f"fold must be one of 0..{folds - 1}, got {fold}")


def fold_ids(targets: torch.Tensor, folds: int, seed: int, stratified: bool) -> torch.Tensor:
    """The fold (``0..folds-1``) of each sample: a seeded shuffle dealt out round-robin.

    Stratified, each class is dealt in turn, so every fold holds each class in proportion.

    Raises:
        ConfigError: a class has fewer samples than there are folds.
    """
    g = torch.Generator().manual_seed(seed)
    groups = [torch.nonzero(targets == c).flatten() for c in targets.unique()] if stratified else []
    groups = groups or [torch.arange(len(targets))]
    smallest = min(len(members) for members in groups)
    if stratified and smallest < folds:
        raise ConfigError(
            f"{folds} folds need at least {folds} samples of each class; the smallest class has {smallest}"
        )
    ids = torch.empty(len(targets), dtype=torch.long)
    dealt = 0
    for members in groups:
        order = members[torch.randperm(len(members), generator=g)]
        ids[order] = (torch.arange(len(order)) + dealt) % folds  # go on where the last class stopped
        dealt += len(order)
    return ids
