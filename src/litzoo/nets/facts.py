"""The net contract: any ``nn.Module`` class is a net; the data's facts fill the arguments that take them.

A system names its net by class path in its config: a class, or a function that returns a
net (``torchvision.models.resnet18``, ``timm.create_model``). The arguments named below are not
part of the config: the system fills them from the data when it builds the net (``build_net``).
Every other argument is the net's own config. A net whose arguments have other names says
which fact each one takes with ``net_facts`` (e.g. ``{n_classes: num_outputs}``). A net that
takes no channels fact and whose first convolution reads other channels than the data's (an
RGB torchvision stem, grey data) gets a first convolution that reads the data's
(``litzoo.nets.adapters``).
"""

import functools
import inspect
import sys
from collections.abc import Mapping
from typing import Any, Protocol

from jsonargparse._parameter_resolvers import get_signature_parameters
from lightning.pytorch.utilities import rank_zero_info
from torch import nn

from litzoo.errors import ConfigError
from litzoo.nets import factories
from litzoo.nets.adapters import adapt_channels

# Argument names that take a fact, and the fact each takes.
KNOWN: dict[str, str] = {
    "input_shape": "input_shape",
    "num_outputs": "num_outputs",
    "num_classes": "num_outputs",  # torchvision, timm
    "in_chans": "channels",  # timm
    "in_channels": "channels",
    "img_size": "height",  # timm's vision transformers
    "image_size": "height",
}
# Facts that tell the net the channels, so its first convolution is its own business.
CHANNEL_FACTS = {"input_shape", "channels"}


class NetFactory(Protocol):
    """A net class (any ``nn.Module``) with its config; the system calls it with the facts.

    jsonargparse leaves out of the config every argument named here: those are the facts.
    """

    def __call__(
        self,
        *,
        input_shape: tuple[int, ...] = ...,
        num_outputs: int = ...,
        num_classes: int = ...,
        in_chans: int = ...,
        in_channels: int = ...,
        img_size: int = ...,
        image_size: int = ...,
    ) -> nn.Module: ...


factories.install(NetFactory, set(KNOWN))


def fact_values(input_shape: tuple[int, ...], num_outputs: int) -> dict[str, Any]:
    """Every fact a net argument may take, from one sample's shape and the outputs wanted."""
    shape = tuple(input_shape)
    values: dict[str, Any] = {"input_shape": shape, "num_outputs": num_outputs}
    if len(shape) == 3:  # an image (C, H, W)
        values |= {"channels": shape[0], "height": shape[1], "width": shape[2]}
    return values


def build_net(
    factory: Any, input_shape: tuple[int, ...], num_outputs: int, net_facts: Mapping[str, str] | None = None
) -> nn.Module:
    """Build a net from its factory, giving each argument it has the fact it takes.

    Args:
        factory: what the config gave: a net class with its config applied (jsonargparse's
            partial), or a plain callable.
        input_shape: one sample's shape.
        num_outputs: the outputs the system wants from the net.
        net_facts: argument name -> fact name, for arguments named otherwise than ``KNOWN``.

    Raises:
        ConfigError: a mapped fact does not exist for this data (``channels`` of sequences).
    """
    values = fact_values(input_shape, num_outputs)
    wanted = {name: fact for name, fact in KNOWN.items() if _takes(factory, name)}
    wanted |= dict(net_facts or {})
    unknown = sorted({fact for fact in wanted.values() if fact not in values})
    if unknown:
        raise ConfigError(
            f"the net wants the fact(s) {', '.join(unknown)}, which this data does not have "
            f"(samples shaped {tuple(input_shape)}); facts here: {', '.join(values)}"
        )
    net = factory(**{name: values[fact] for name, fact in wanted.items()})
    if "channels" in values and not CHANNEL_FACTS & set(wanted.values()):
        changed = adapt_channels(net, values["channels"])
        if changed:
            rank_zero_info(
                f"litzoo: {type(net).__name__}'s first convolution {changed} now reads the data's "
                f"{values['channels']} channel(s) (its kernels adapted: summed for one channel)"
            )
    return net


def _takes(factory: Any, name: str) -> bool:
    """Whether the net behind ``factory`` has an argument called ``name`` (its ``**kwargs`` included)."""
    given = factory.keywords if isinstance(factory, functools.partial) else {}
    return name in _arguments(_target(factory)) and name not in given


def _arguments(target: Any) -> set[str]:
    """Argument names of a net class or function; what its ``**kwargs`` pass on is followed."""
    try:
        parameters = inspect.signature(target).parameters
    except (TypeError, ValueError):
        return set()
    names = set(parameters)
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        # torchvision.models.resnet18(**kwargs) passes them to ResNet: jsonargparse reads that.
        names |= {p.name for p in get_signature_parameters(target)}
        timm = sys.modules.get("timm")
        if timm is not None and target is timm.create_model:  # every timm model takes these
            names |= {"num_classes", "in_chans"}
    return names


def _target(factory: Any) -> Any:
    """The class or function a factory makes the net with (jsonargparse wraps either in a partial)."""
    while isinstance(factory, functools.partial):
        targets = [arg for arg in factory.args if inspect.isclass(arg) or inspect.isfunction(arg)]
        factory = targets[-1] if targets else factory.func
    return factory
