"""Fit a net made for other data: its first convolution to the data's channels, its head found by name.

Torchvision's models have no channels argument: their stem reads RGB. A grey image (one
channel) goes into such a net through a first convolution that reads one channel, its
kernels the RGB ones summed over channels (timm's rule when it loads RGB weights into a grey
model, so pretrained weights adapt the same way; see ``adapt_kernels``).
"""

import math

import torch
from torch import nn


def first_conv(net: nn.Module) -> tuple[str, nn.Conv2d] | None:
    """The first ``nn.Conv2d`` in module order (the stem of torchvision and timm nets), with its name."""
    for name, module in net.named_modules():
        if isinstance(module, nn.Conv2d):
            return name, module
    return None


def adapt_kernels(weight: torch.Tensor, channels: int) -> torch.Tensor:
    """Convolution kernels ``(out, C, kh, kw)`` made to read ``channels`` inputs.

    One channel: the kernels summed over C (a grey pixel is R = G = B: the same response).
    More: the C kernels repeated cyclically and scaled by ``C / channels`` (timm's rule; exact
    for a flat image when ``channels`` is a multiple of C).
    """
    if channels == 1:
        return weight.sum(dim=1, keepdim=True)
    repeats = math.ceil(channels / weight.shape[1])
    return weight.repeat(1, repeats, 1, 1)[:, :channels] * (weight.shape[1] / channels)


def adapt_channels(net: nn.Module, channels: int) -> str | None:
    """Make the net's first convolution read ``channels`` channels; returns its name if it changed.

    Only the input channels change: kernel, stride, padding, bias and output channels stay.
    """
    found = first_conv(net)
    if found is None or found[1].in_channels == channels or found[1].groups != 1:
        return None
    name, conv = found
    new = nn.Conv2d(
        channels,
        conv.out_channels,
        conv.kernel_size,
        conv.stride,
        conv.padding,
        conv.dilation,
        bias=conv.bias is not None,
        padding_mode=conv.padding_mode,
    )
    with torch.no_grad():
        new.weight.copy_(adapt_kernels(conv.weight, channels))
        if conv.bias is not None:
            new.bias.copy_(conv.bias)
    parent, _, attr = name.rpartition(".")
    setattr(net.get_submodule(parent) if parent else net, attr, new)
    return name


def head_name(net: nn.Module) -> str:
    """The name of the net's head: timm's declared classifier, else the last ``nn.Linear``.

    Raises:
        ValueError: the net has no linear layer (name its head in the config).
    """
    declared = getattr(net, "pretrained_cfg", None) or {}  # timm declares it beside the model
    if isinstance(declared, dict) and declared.get("classifier"):
        return declared["classifier"]
    linear = [name for name, module in net.named_modules() if isinstance(module, nn.Linear)]
    if not linear:
        raise ValueError(f"{type(net).__name__} has no nn.Linear layer to take as its head")
    return linear[-1]
