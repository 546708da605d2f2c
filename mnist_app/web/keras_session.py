"""Stop Streamlit from clearing Keras' global session after every script run.

Streamlit (1.67, `scriptrunner/script_runner.py: _clean_problem_modules`) calls
`keras.backend.clear_session()` whenever a script run ends, meant for apps that build a
model on every rerun. This app builds none in its scripts; it trains on a thread that
outlives them, and predicts with models cached across runs. The call cost about 0.2 s a run
here (a full garbage collection and a cleared kernel cache), which throttled the Train
page's live refresh and a training job beside it tenfold, and it resets state that a
running job uses. Matplotlib's clean-up, the other half of that function, is kept.
"""

from __future__ import annotations

import sys

from streamlit.runtime.scriptrunner import script_runner


def _close_matplotlib_figures() -> None:
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close("all")


def keep_keras_session() -> None:
    """Replace Streamlit's per-run clean-up with one that leaves Keras alone (idempotent)."""
    if hasattr(script_runner, "_clean_problem_modules"):
        script_runner._clean_problem_modules = _close_matplotlib_figures
