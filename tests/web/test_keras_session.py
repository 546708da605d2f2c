"""Tests for mnist_app.web.keras_session: Keras' global session outlives each script run.

The patch replaces a function private to Streamlit. These tests fail when a release renames
it, drops it, or clears Keras' session some other way: check that release before raising
Streamlit's bound in requirements.txt.
"""

import logging
import subprocess
import sys

from streamlit.runtime.scriptrunner import script_runner

from mnist_app.web import keras_session, patches
from tests.support import REPO
from tests.support.digit_strokes import SEVEN
from tests.support.pages import app_page, canvas_drawing, fake_canvas

PROBE = "keras_session_probe"


def test_the_patch_finds_streamlits_clean_up_and_replaces_it():
    assert keras_session.keep_keras_session(), (
        f"Streamlit no longer has script_runner.{keras_session.PATCHED}: Keras' session may be "
        "cleared after every script run again"
    )
    assert keras_session.keep_keras_session(), "idempotent: every page run of app.py calls it"
    patched = getattr(script_runner, keras_session.PATCHED)
    assert not getattr(patched.__wrapped__, patches.MARK, False), "replaced once, not wrapped twice"


def test_keras_keeps_its_session_and_a_loaded_model_across_script_runs(default_model, monkeypatch):
    """The app reads a drawing with the model in use on the Draw page, twice; Keras' global
    state (its name counters here) is the same after each run, not reset as `clear_session` does."""
    import keras

    from mnist_app.web import resources

    fake_canvas(monkeypatch, canvas_drawing(SEVEN))
    at = app_page("draw").run()
    assert not at.exception
    assert next(m for m in at.metric if m.label == "Prediction").value == "7"
    counted = keras.backend.get_uid(PROBE)
    (saved,) = resources.model_store().list()
    model = resources.model(saved)

    at.run()

    assert not at.exception
    assert next(m for m in at.metric if m.label == "Prediction").value == "7"
    assert keras.backend.get_uid(PROBE) == counted + 1, "Keras' session was cleared after a script run"
    assert resources.model(saved) is model, "the model loaded in one run is used by the next"


def test_without_the_patch_streamlit_clears_keras_session_after_every_run():
    """What the patch prevents, on Streamlit as it is, in a process of its own (it clears the
    session it runs in). Fails if Streamlit stops doing it: the patch may go then."""
    code = f"""
import keras
from streamlit.runtime.scriptrunner import script_runner
from streamlit.testing.v1 import AppTest
from mnist_app.web import keras_session, patches

keras_session.keep_keras_session()
streamlits_own = getattr(script_runner, keras_session.PATCHED).__wrapped__
setattr(script_runner, keras_session.PATCHED, streamlits_own)
for _ in range(3):
    keras.backend.get_uid({PROBE!r})
AppTest.from_string("import streamlit as st; st.write('a run')").run()
print(keras.backend.get_uid({PROBE!r}))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[-1] == "1", "the count starts again: Keras' session was cleared"


def test_the_patch_says_in_the_log_when_streamlit_has_nothing_to_replace(monkeypatch, caplog):
    monkeypatch.delattr(script_runner, keras_session.PATCHED)
    patches._say_it_cannot_apply.cache_clear()
    with caplog.at_level(logging.WARNING, logger=patches.__name__):
        assert keras_session.keep_keras_session() is False
    patches._say_it_cannot_apply.cache_clear()
    assert f"no script_runner.{keras_session.PATCHED} to replace" in caplog.text
