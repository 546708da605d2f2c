"""What the page tests share: a page under Streamlit's AppTest, a drawing for its canvas, its text as read."""

from __future__ import annotations

import base64
import io
import re
import time

import numpy as np
from PIL import Image, ImageDraw
from streamlit.testing.v1 import AppTest

from mnist_app.web import canvas
from mnist_app.web.keras_session import keep_keras_session
from mnist_app.web.stale_widgets import forget_stale_widgets
from mnist_app.web.widget_states import bound_widget_values
from tests.support import REPO

PAGES = REPO / "mnist_app" / "web" / "pages"


def page(name: str) -> AppTest:
    """A page run on its own, with Streamlit adjusted as app.py adjusts it before every page.

    Without `keep_keras_session`, Streamlit clears Keras' session after each run, and a job
    building its model on another thread meanwhile can fail with duplicate layer names.
    """
    keep_keras_session()
    bound_widget_values()
    forget_stale_widgets()
    return AppTest.from_file(str(PAGES / f"{name}.py"), default_timeout=120)


def canvas_drawing(strokes) -> np.ndarray:
    """What the canvas sends back: white strokes over black, RGBA, 280x280."""
    image = Image.new("RGBA", (280, 280), (0, 0, 0, 255))
    draw = ImageDraw.Draw(image)
    for stroke in strokes:
        draw.line(stroke, fill=(255, 255, 255, 255), width=18, joint="curve")
    return np.asarray(image)


def as_read(markdown: str) -> str:
    """Markdown as a visitor reads it: each backslash escape (names are shown escaped) as its character."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown)


def fake_canvas(monkeypatch, drawing) -> None:
    """Stand in for the canvas component, which needs a browser, with what it "sent": the
    drawing as a PNG data URL, or, for a hostile client's payload, any value as it is."""
    if isinstance(drawing, np.ndarray):
        buffer = io.BytesIO()
        Image.fromarray(drawing).save(buffer, format="PNG")
        drawing = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    result = {"drawing": drawing}
    monkeypatch.setattr(canvas, "pad", lambda: lambda **options: result)


def progress_texts(at: AppTest) -> list[str]:
    return [element.proto.text for element in at.get("progress")]


def wait_until(at: AppTest, done, timeout: float = 180) -> AppTest:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not done(at):
        time.sleep(0.5)
        at.run()
    return at


def app_page(name: str) -> AppTest:
    """A page opened through the app's navigation, where links to other pages resolve."""
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120).run()
    at.switch_page(f"mnist_app/web/pages/{name}.py")
    return at
