"""Image augmentation on whole batches, on whatever device the batch lives on."""

import math

import torch
import torch.nn.functional as F


def random_affine(
    images: torch.Tensor, max_degrees: float, max_shift: int, background: float | torch.Tensor = 0.0
) -> torch.Tensor:
    """Rotate each image by up to ``max_degrees`` and shift it by up to ``max_shift`` pixels.

    One ``grid_sample`` call for the whole batch; uncovered pixels take ``background`` (a
    scalar, or one value per channel shaped ``(1, C, 1, 1)``).

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


def random_crop_flip(
    images: torch.Tensor, padding: int, flip: bool = True, background: float | torch.Tensor = 0.0
) -> torch.Tensor:
    """Pad each image by ``padding`` pixels, crop it back at a random offset, and mirror half of them.

    The random crop and horizontal flip of CIFAR training (He et al., 2016), for the whole
    batch in two indexing operations; padded pixels take ``background`` (a scalar, or one
    value per channel shaped ``(1, C, 1, 1)``). Draws from the global RNG of the batch's
    device, which a resumed run restores, so resume stays exact.

    Shape:
        ``(B, C, H, W)`` -> ``(B, C, H, W)``.
    """
    b, c, h, w = images.shape
    device = images.device
    if padding > 0:
        padded = F.pad(images - background, (padding,) * 4) + background
        dy, dx = (torch.randint(0, 2 * padding + 1, (2, b, 1), device=device)).unbind(0)
        rows = (dy + torch.arange(h, device=device))[:, None, :, None]  # (B, 1, H, 1)
        cols = (dx + torch.arange(w, device=device))[:, None, None, :]  # (B, 1, 1, W)
        batch = torch.arange(b, device=device)[:, None, None, None]
        images = padded[batch, torch.arange(c, device=device)[None, :, None, None], rows, cols]
    if flip:
        mirror = torch.rand(b, device=device) < 0.5
        images = torch.where(mirror[:, None, None, None], images.flip(-1), images)
    return images
