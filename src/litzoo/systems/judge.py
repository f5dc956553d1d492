"""Score generated images with a trained litzoo classifier."""

import math

import torch
from lightning import LightningDataModule, LightningModule

from litzoo.errors import ConfigError
from litzoo.systems.contract import contract_of, declares_contract


class Judge:
    """A frozen classifier loaded from a litzoo checkpoint (safely, ``weights_only=True``).

    It takes images with pixels in [0, 1] and normalises them as the classifier's own
    training data was (the mean and std its checkpoint records). It is deliberately not an
    ``nn.Module`` attribute of the GAN, so its weights stay out of the GAN's parameters
    and checkpoints.
    """

    def __init__(self, checkpoint: str) -> None:
        import litzoo.systems.supervised  # noqa: F401 - the classifiers a judge checkpoint may name

        try:
            model = LightningModule.load_from_checkpoint(checkpoint, map_location="cpu", weights_only=True)
            data = torch.load(checkpoint, map_location="cpu", weights_only=True).get(
                LightningDataModule.CHECKPOINT_HYPER_PARAMS_KEY, {}
            )
        except (OSError, ValueError, KeyError, RuntimeError) as err:
            raise ConfigError(f"cannot load the judge checkpoint {checkpoint!r}: {err}") from None
        contract = contract_of(model, "a judge") if declares_contract(model) else None
        if contract is None or contract.output != "classes":
            raise ConfigError(f"the judge {checkpoint!r} is a {type(model).__name__}, not a classifier")
        self.classifier, self.scores = model.eval().requires_grad_(False), contract.scores
        normalized = data.get("normalize", False)
        self.mean, self.std = (data["mean"], data["std"]) if normalized else (0.0, 1.0)

    @torch.no_grad()
    def score(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        """Mean top-class probability and normalised entropy of the predicted classes.

        Args:
            images: ``(N, C, H, W)`` with pixels in [0, 1].
        """
        self.classifier.to(images.device)
        probs = self.scores(self.classifier((images - self.mean) / self.std))
        classes = probs.shape[-1]
        freq = torch.bincount(probs.argmax(-1), minlength=classes).float() / len(probs)
        entropy = -(freq[freq > 0] * freq[freq > 0].log()).sum()
        return {"confidence": probs.max(-1).values.mean(), "spread": entropy / math.log(classes)}
