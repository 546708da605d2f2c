"""Every `MNIST_APP_*` setting the operator can give, read in one place, by one rule each.

Read when asked, never at import: tests and the command line change the environment between
calls. A yes/no is on for `1`, `true`, `yes` or `on` (any case) and off for anything else; a
count that is unset, not a whole number or below its floor takes its default or floor.
"""

from __future__ import annotations

import os

_YES = frozenset({"1", "true", "yes", "on"})


def text(name: str, default: str = "") -> str:
    """A setting's text, stripped; `default` when unset or blank."""
    return os.environ.get(name, "").strip() or default


def flag(name: str, default: bool = False) -> bool:
    """A yes/no setting; `default` when unset or blank."""
    value = text(name)
    return value.lower() in _YES if value else default


def count(name: str, default: int, minimum: int = 1) -> int:
    """A whole-number setting, at least `minimum`; `default` when unset or not a number."""
    try:
        return max(minimum, int(text(name, str(default))))
    except ValueError:
        return max(minimum, default)
