"""LitData's ``StreamingDataLoader``, with a saved position that counts a short last batch as it is.

Imported only when a data module streams (``litzoo.data.stream`` sets LitData's environment first).
"""

from collections.abc import Iterator
from typing import Any

import torch
from litdata import StreamingDataLoader, StreamingDataset


class StreamLoader(StreamingDataLoader):
    """A ``StreamingDataLoader`` whose ``state_dict`` holds the samples it really yielded.

    LitData adds a whole ``batch_size`` for every batch: after a short last batch the saved
    position passes the end of the split, and a run resumed from a checkpoint taken then
    fails ("num_samples_yielded ... greater than the dataset length"). Counted as yielded,
    a checkpoint at the end of an epoch resumes at the next one, and one mid-epoch at the
    next batch.

    Lightning stops a sized loader at its length rather than at its end, so LitData never
    sees a resumed epoch finish and would replay its saved position again next epoch: only
    the first iteration after ``load_state_dict`` replays it.
    """

    def __init__(self, dataset: StreamingDataset, batch_size: int, num_workers: int, **kwargs: Any) -> None:
        # Its own generator: making worker processes never draws from the global RNG, which a
        # resumed run restores (dropout, augmentation) and must find as the checkpoint left it.
        kwargs.setdefault("generator", torch.Generator().manual_seed(0))
        # ``kwargs``: Lightning's predict makes the loader again with its sampler arguments (None).
        super().__init__(dataset, batch_size=batch_size, num_workers=num_workers, **kwargs)
        self._replay = False

    def load_state_dict(self, obj: dict[str, Any]) -> None:
        super().load_state_dict(obj)
        self._replay = self.restore  # set by LitData when the position is inside an epoch

    def __iter__(self) -> Iterator[Any]:
        self.restore, self._replay = self._replay, False
        for batch in super().__iter__():
            self._num_samples_yielded_streaming -= self.batch_size - len(batch[-1])
            yield batch
