"""The net contract: any ``nn.Module`` class is a net; the data's facts fill the arguments that take them.

A system names its net by class path in its config. The arguments named below are not part
of the config: the system fills them from the data when it builds the net (``build_net``).
Every other argument is the net's own config. A net whose arguments have other names says
which fact each one takes with ``net_facts`` (e.g. ``{n_classes: num_outputs}``).
"""

import functools
import inspect
from collections.abc import Mapping
from typing import Any, Protocol

from torch import nn

from litzoo.errors import ConfigError

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
    return factory(**{name: values[fact] for name, fact in wanted.items()})


def _takes(factory: Any, name: str) -> bool:
    """Whether the net behind ``factory`` has an argument called ``name``."""
    try:
        parameters = inspect.signature(_target(factory)).parameters
    except (TypeError, ValueError):
        return False
    given = factory.keywords if isinstance(factory, functools.partial) else {}
    return name in parameters and name not in given


def _target(factory: Any) -> Any:
    """The class or function a factory makes the net with (jsonargparse wraps a class in a partial)."""
    while isinstance(factory, functools.partial):
        classes = [arg for arg in factory.args if inspect.isclass(arg)]
        factory = classes[-1] if classes else factory.func
    return factory
