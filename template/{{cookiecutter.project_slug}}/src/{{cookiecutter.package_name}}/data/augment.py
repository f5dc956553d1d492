"""Image augmentation on whole batches, on whatever device the batch lives on."""

import math

import torch
import torch.nn.functional as F


def random_affine(
    images: torch.Tensor, max_degrees: float, max_shift: int, background: float = 0.0
) -> torch.Tensor:
    """Rotate each image by up to ``max_degrees`` and shift it by up to ``max_shift`` pixels.

    One ``grid_sample`` call for the whole batch; uncovered pixels take ``background``.

    Shape:
        ``(B, C, H, W)`` -> ``(B, C, H, W)``.
    """
    b, _, h, w = images.shape
    uniform = torch.rand(b, 3, device=images.device) * 2 - 1
    angle = uniform[:, 0] * math.radians(max_degrees)
    # affine_grid works in [-1, 1] coordinates: a pixel is 2 / size of them.
    tx, ty = uniform[:, 1] * 2 * max_shift / w, uniform[:, 2] * 2 * max_shift / h
    cos, sin = angle.cos(), angle.sin()
    theta = torch.stack([torch.stack([cos, -sin, tx], 1), torch.stack([sin, cos, ty], 1)], 1)
    grid = F.affine_grid(theta.to(images.dtype), list(images.shape), align_corners=False)
    moved = F.grid_sample(images - background, grid, align_corners=False, padding_mode="zeros")
    return moved + background
