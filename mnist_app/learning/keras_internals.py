"""The parts of Keras private to it that `model_checks` reads, each found by name or named as gone.

Counting what a configuration would cost reads Keras' list of variables a stateless scope
leaves pending (`global_state`) and a built model's layer calls (`Sequential._functional`,
`_nodes_by_depth`). A release may rename any of them. Then every use raises `KerasChanged`,
naming what is gone and this Keras, and the log says so once, rather than every model being
refused for a reason that is not its own; `tests/learning/test_model_checks.py` fails first.
"""

from __future__ import annotations

import functools
import logging

_log = logging.getLogger(__name__)


class KerasChanged(RuntimeError):
    """This Keras lacks a private part the checks read: no model can be checked, so none loads.

    Not a refusal of the model: saying "too many layers" or "no input" here would blame a
    file for what an upgrade did.
    """


def layer_calls_by_depth(model) -> dict:
    """A built model's layer calls by depth; a Sequential model keeps them in its functional twin.

    Empty for a model that is no graph of layers (a Sequential never built, a subclass).
    """
    import keras

    if isinstance(model, keras.Sequential):
        model = _private(model, "_functional", "Sequential._functional")
    if not isinstance(model, keras.Function):
        return {}
    return _private(model, "_nodes_by_depth", "Functional._nodes_by_depth") or {}


def global_state():
    """Keras' module of global state, where a stateless scope leaves the variables it describes."""
    try:
        from keras.src.backend.common import global_state
    except ImportError:
        raise _changed("keras.src.backend.common.global_state") from None
    for name in ("get_global_attribute", "set_global_attribute"):
        _private(global_state, name, f"global_state.{name}")
    return global_state


def _private(owner: object, attribute: str, what: str):
    """`owner.attribute`; KerasChanged, and a warning once, where this Keras has none."""
    try:
        return getattr(owner, attribute)
    except AttributeError:
        raise _changed(what) from None


def _changed(what: str) -> KerasChanged:
    import keras

    _warn_once(what, keras.version())
    return KerasChanged(
        f"the app cannot check models with Keras {keras.version()}, which has no {what}; "
        "mnist_app/learning/keras_internals.py needs updating for it"
    )


@functools.cache
def _warn_once(what: str, version: str) -> None:
    _log.warning(
        "Keras %s has no %s: every model file is refused until keras_internals.py is updated.", version, what
    )
