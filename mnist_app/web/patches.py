"""Replacing a function private to Streamlit: once however often asked, and loudly where it is gone.

Each adjustment (`keras_session`, `widget_states`) swaps one of Streamlit's own functions for
a wrapper. Every page run asks again, so the swap must happen once; and a Streamlit release
may rename or drop the function, which must show in the server's log rather than pass
unnoticed (each adjustment's tests fail then too).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

import streamlit

# Set on every replacement, so a second call finds it in place and leaves it.
MARK = "replaced_by_mnist_app"
_log = logging.getLogger(__name__)


def replace_once(owner: object, name: str, wrap: Callable[[Callable], Callable], lost: str) -> bool:
    """Put `wrap(original)` in place of `owner.name`, once; True when in place.

    False where this Streamlit has no such function: a warning, once per process, says what is
    `lost` without it. Streamlit's own stays at the replacement's `__wrapped__`, for the tests.
    """
    original = getattr(owner, name, None)
    if getattr(original, MARK, False):
        return True
    if not callable(original):
        _say_it_cannot_apply(f"{owner.__name__.rpartition('.')[2]}.{name}", lost)
        return False
    replacement = functools.wraps(original)(wrap(original))
    setattr(replacement, MARK, True)
    setattr(owner, name, replacement)
    return True


@functools.cache
def _say_it_cannot_apply(where: str, lost: str) -> None:
    _log.warning("Streamlit %s has no %s to replace: %s", streamlit.__version__, where, lost)
