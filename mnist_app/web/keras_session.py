"""Stop Streamlit from clearing Keras' global session after every script run.

Streamlit (1.67, `scriptrunner/script_runner.py: _clean_problem_modules`) calls
`keras.backend.clear_session()` whenever a script run ends, meant for apps that build a
model on every rerun. This app builds none in its scripts; it trains on a thread that
outlives them, and predicts with models cached across runs. The call cost about 0.2 s a run
here (a full garbage collection and a cleared kernel cache), which throttled the Train
page's live refresh and a training job beside it tenfold, and it resets state that a
running job uses. Matplotlib's clean-up, the other half of that function, is kept.

The function is private to Streamlit: where a release renames or drops it, the patch cannot
apply and says so in the server's log (`patches`; `tests/web/test_keras_session.py` fails
then too).
"""

from __future__ import annotations

import sys

from streamlit.runtime.scriptrunner import script_runner

from mnist_app.web.patches import replace_once

PATCHED = "_clean_problem_modules"


def keep_keras_session() -> bool:
    """Replace Streamlit's per-run clean-up with one that leaves Keras alone (idempotent).

    True if in place; False where this Streamlit has no such clean-up (a warning in the log,
    once per process).
    """
    return replace_once(
        script_runner,
        PATCHED,
        _leaving_keras_alone,
        "Keras' session may be cleared after every script run, slowing the pages and any "
        "training job beside them.",
    )


def _leaving_keras_alone(streamlits_own):
    """Streamlit's clean-up, its matplotlib half only."""

    def close_matplotlib_figures() -> None:
        pyplot = sys.modules.get("matplotlib.pyplot")
        if pyplot is not None:
            pyplot.close("all")

    return close_matplotlib_figures
