"""Speed-ups of a net that leave its weights and results alone: torch.compile and channels_last."""

from typing import Literal

import torch
from torch import nn

# torch.compile's modes; "reduce-overhead" adds CUDA graphs, the autotune modes search kernels.
CompileMode = Literal["default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs"]


def speed_up(net: nn.Module, device: torch.device, compile_mode: CompileMode | None) -> bool:
    """Compile ``net`` in place and, for a conv net on CUDA, store it channels-last.

    ``nn.Module.compile`` keeps the module and its ``state_dict`` keys as they are, so
    checkpoints, export and resume see the plain net.

    Args:
        net: the net to speed up.
        device: where it will run.
        compile_mode: ``torch.compile`` mode, or ``None`` not to compile.

    Returns:
        Whether the net is channels-last, so its ``(B, C, H, W)`` inputs should be too.
    """
    channels_last = device.type == "cuda" and any(isinstance(m, nn.Conv2d) for m in net.modules())
    if channels_last:  # tensor cores read NHWC without the transposes NCHW costs
        net.to(memory_format=torch.channels_last)
    if compile_mode is not None:
        net.compile(mode=compile_mode)
    return channels_last


def as_channels_last(x: torch.Tensor) -> torch.Tensor:
    """A batch of images ``(B, C, H, W)`` in channels-last memory order; other shapes unchanged."""
    return x.contiguous(memory_format=torch.channels_last) if x.dim() == 4 else x
