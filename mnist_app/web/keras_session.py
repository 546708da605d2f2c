"""Stop Streamlit from clearing Keras' global session after every script run.

Streamlit (1.67, `scriptrunner/script_runner.py: _clean_problem_modules`) calls
`keras.backend.clear_session()` whenever a script run ends, meant for apps that build a
model on every rerun. This app builds none in its scripts; it trains on a thread that
outlives them, and predicts with models cached across runs. The call cost about 0.2 s a run
here (a full garbage collection and a cleared kernel cache), which throttled the Train
page's live refresh and a training job beside it tenfold, and it resets state that a
running job uses. Matplotlib's clean-up, the other half of that function, is kept.

The function is private to Streamlit: where a release renames or drops it, the patch cannot
apply and says so in the server's log (`tests/web/test_keras_session.py` fails then too).
"""

from __future__ import annotations

import functools
import logging
import sys

import streamlit
from streamlit.runtime.scriptrunner import script_runner

PATCHED = "_clean_problem_modules"
_log = logging.getLogger(__name__)


def keep_keras_session() -> bool:
    """Replace Streamlit's per-run clean-up with one that leaves Keras alone (idempotent).

    True if in place; False where this Streamlit has no such clean-up (a warning in the log,
    once per process).
    """
    streamlits_own = getattr(script_runner, PATCHED, None)
    if getattr(streamlits_own, "keeps_keras_session", False):
        return True
    if not callable(streamlits_own):
        _say_it_cannot_apply()
        return False

    @functools.wraps(streamlits_own)  # Streamlit's own stays at `__wrapped__`, for the tests.
    def close_matplotlib_figures() -> None:
        pyplot = sys.modules.get("matplotlib.pyplot")
        if pyplot is not None:
            pyplot.close("all")

    close_matplotlib_figures.keeps_keras_session = True
    setattr(script_runner, PATCHED, close_matplotlib_figures)
    return True


@functools.cache
def _say_it_cannot_apply() -> None:
    _log.warning(
        "Streamlit %s has no script_runner.%s to replace: Keras' session may be cleared after "
        "every script run, slowing the pages and any training job beside them.",
        streamlit.__version__,
        PATCHED,
    )
