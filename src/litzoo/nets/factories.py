"""Functions that make nets (``torchvision.models.resnet18``, ``timm.create_model``) as net factories.

jsonargparse turns a class path to a class into a partial that the system later calls with
the data's facts, but it calls a *function* at once with its config: the net would be built
before the facts are known (``num_classes=1000``). This hook makes jsonargparse treat such a
function like a class for ``NetFactory`` arguments: its fact arguments leave the config and it
becomes a partial. It runs wherever a config is read, the CLI and ``load_from_checkpoint`` alike.
"""

import inspect
from typing import Any

from jsonargparse import _typehints

_original = _typehints.adapt_partial_callable_class


def install(factory_type: type, fact_names: set[str]) -> None:
    """Make function class paths partials for arguments typed ``factory_type``, without ``fact_names``."""
    if getattr(_typehints.adapt_partial_callable_class, "litzoo", False):
        return

    def adapt(callable_type: Any, subclass_spec: Any) -> tuple[Any, set | None]:
        spec, skip = _original(callable_type, subclass_spec)
        if skip is None and callable_type is factory_type and _is_function(spec.class_path):
            skip = set(fact_names)
        return spec, skip

    adapt.litzoo = True  # type: ignore[attr-defined]
    _typehints.adapt_partial_callable_class = adapt


def _is_function(class_path: str) -> bool:
    try:
        target = _typehints.import_object(class_path)
    except (ImportError, AttributeError, ValueError):
        return False
    return callable(target) and not inspect.isclass(target)
