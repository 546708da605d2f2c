"""How the pages tell a visitor that something failed: one place, and never a traceback.

A `UserError` (a bad dataset, model file, image, name or number) becomes an `st.error` that
says what went wrong and what to do. Anything else is a bug: the visitor sees a short
message without server paths, and the traceback goes to the server's log. An action and an
error name files, models and typed paths, so both are shown literally (`plain_text`); the
advice is the app's own words.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

import streamlit as st

from mnist_app.errors import UserError
from mnist_app.web.plain_text import literal

log = logging.getLogger("mnist_app")
T = TypeVar("T")


def show_unexpected(error: Exception, action: str = "This page") -> None:
    """A bug's message for the visitor; its traceback for whoever runs the server."""
    log.error("%s failed", action, exc_info=error)
    st.error(
        f"{literal(action)}: an unexpected failure on the server ({type(error).__name__}); the details "
        "are in the server's log. Reload the page to go on.",
        icon=":material/error:",
    )


def attempt(call: Callable[[], T], action: str, advice: str = "") -> T | None:
    """`call()`, or None after showing why it failed: "Cannot open the dataset: ... Choose another"."""
    try:
        return call()
    except UserError as error:
        st.error(f"{literal(action)}: {literal(error)}. {advice}".strip(), icon=":material/error:")
    except Exception as error:  # Any other failure is a bug; the visitor still gets a message.
        show_unexpected(error, action)
    return None
