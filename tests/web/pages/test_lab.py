"""The Lab page with Streamlit's AppTest: every step of the lab, its training, its downloads."""

import json
import re
import subprocess
import sys

from mnist_app.lab import steps as lab_steps
from tests.support import REPO
from tests.support.pages import app_page, wait_until

# Run in a fresh interpreter: how many step headings the page had drawn as each slow library was
# first imported (a finder on sys.meta_path notes it; `st.header` is counted as it is called).
FIRST_IMPORTS = """
import sys
import streamlit as st
from streamlit.testing.v1 import AppTest
from mnist_app.web import preload

preload._STARTED.set()  # No TensorFlow loading in the background: only what the page imports counts.

headings, seen = [], {}
draw_heading = st.header
st.header = lambda *args, **kwargs: headings.append(args[0]) or draw_heading(*args, **kwargs)


class Watcher:
    def find_spec(self, name, path=None, target=None):
        if name in ("pandas", "altair", "tensorflow") and name not in seen:
            seen[name] = len(headings)


sys.meta_path.insert(0, Watcher())
at = AppTest.from_file("app.py", default_timeout=300).run()
headings.clear()
at.switch_page("mnist_app/web/pages/lab.py").run()
assert not at.exception, at.exception
import json
print(json.dumps(seen))
"""


def test_lab_page_walks_every_step_and_trains_with_the_labs_log(models_dir):
    at = app_page("lab").run()
    assert not at.exception
    assert [h.value for h in at.header] == [
        "1. Import Keras and load the data", "2. Look at the first image", "3. Prepare the data",
        "4. Build the network", "5. Train", "6. Evaluate", "7. Save and load", "8. What next",
    ]  # fmt: skip
    codes = [c.value.rstrip() for c in at.code]
    assert "(4000, 28, 28)\n(1000, 28, 28)" in codes, "step 1 prints the shapes"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Pixels before"] == "0 to 255" and metrics["Pixels after"] == "0 to 1"
    assert metrics["Parameters in all"] == "694,950"
    assert len(at.get("imgs")) + len(at.get("image")) >= 1, "step 2's figure"
    assert [i.value for i in at.info].count("Run step 5 first: this step uses the model it trains.") == 2
    at.number_input(key="lab_epochs").set_value(2).run()
    assert any("epochs=2, batch_size=32" in c.value for c in at.code), "the fit cell shows the choice"
    at.button(key="lab_train").click().run()
    wait_until(at, lambda at: any(c.value.startswith("Accuracy:") for c in at.code))
    assert not at.exception
    codes = [c.value.rstrip() for c in at.code]
    log = next(c for c in codes if c.startswith("Epoch 1/2"))
    assert re.fullmatch(
        r"(Epoch \d/2 - \d+s - loss: [\d.]+ - acc: [\d.]+ - val_loss: [\d.]+ - val_acc: [\d.]+\n?){2}", log
    )
    assert re.fullmatch(
        r"Accuracy: 0\.\d+ \n Error: 0\.\d+", next(c for c in codes if c.startswith("Accuracy:"))
    )
    assert "The loaded model gives the same predictions: True" in codes
    (saved,) = [p.name for p in models_dir.glob("*.keras")]
    assert saved.startswith("mlp-on-mnist-sample-")
    assert {link.proto.label for link in at.get("page_link")} == {"Train the CNN", "Compare the two"}


def test_lab_page_offers_the_notebook_and_the_script(models_dir):
    """Only the lab's own: Build was never opened in this session."""
    at = app_page("lab").run()
    labels = [button.proto.label for button in at.get("download_button")]
    assert labels == ["Download as notebook", "Download as script"]


def test_lab_page_offers_the_network_designed_on_build_beside_the_labs(models_dir):
    """The network comes from Build itself, opened earlier in the same session."""
    at = app_page("build").run()
    at.selectbox(key="build_preset").select("A tiny CNN").run()
    at.switch_page("mnist_app/web/pages/lab.py").run()
    assert not at.exception
    labels = [button.proto.label for button in at.get("download_button")]
    assert labels == [
        "Download as notebook", "Download as script", "Your network as notebook", "Your network as script",
    ]  # fmt: skip
    assert not any(button.proto.disabled for button in at.get("download_button"))
    assert any(m.value.startswith("**Take your network home** too") for m in at.markdown)

    at.switch_page("mnist_app/web/pages/build.py").run()
    at.selectbox(key="build_add_kind").select("conv").run()
    at.button(key="build_add").click().run()
    at.switch_page("mnist_app/web/pages/lab.py").run()
    assert [button.proto.disabled for button in at.get("download_button")] == [False, False, True, True]
    assert any("has a mistake" in m.value for m in at.markdown)


def test_every_steps_words_and_code_are_drawn_before_tensorflow_pandas_or_altair_is_imported():
    """A learner reads the steps while the slow libraries load (the Lab's first step, BENCHMARKS.md)."""
    done = subprocess.run(
        [sys.executable, "-c", FIRST_IMPORTS], capture_output=True, text=True, cwd=REPO, timeout=600
    )
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert {"pandas", "tensorflow"} <= set(seen), seen
    steps = len(lab_steps.steps("mnist-sample", "mnist-sample", 10, 32))
    assert all(count == steps for count in seen.values()), (
        f"headings drawn as each was first imported: {seen}"
    )
