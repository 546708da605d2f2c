"""Tests for mnist_app.web.canvas: the drawable canvas's own bundle, and the one change made to it."""

import base64
import importlib
import io
import sys
import tomllib
from pathlib import Path

import pytest
import streamlit as st
from PIL import Image
from streamlit.testing.v1 import AppTest

from mnist_app.web import canvas
from mnist_app.web.widget_states import REFUSAL, REFUSED


def test_the_installed_canvas_bundle_has_the_debounce_the_browser_takes_out():
    """The browser replaces this text, once; a release without it would draw 200 ms late again."""
    bundle = canvas.bundle_file().read_text(encoding="utf-8")

    assert bundle.count(canvas.DEBOUNCE) == 1
    assert canvas.NO_DEBOUNCE not in bundle


def test_the_bundle_url_is_where_streamlit_serves_the_packages_component():
    """Streamlit serves a v2 component's asset_dir under the name its package's manifest gives it."""
    bundle = canvas.bundle_file()
    manifest = tomllib.loads((bundle.parent.parent.parent / "pyproject.toml").read_text())
    (declared,) = manifest["tool"]["streamlit"]["component"]["components"]

    assert f"{manifest['project']['name']}.{declared['name']}" == canvas.COMPONENT
    assert bundle.parent == bundle.parent.parent.parent / declared["asset_dir"]
    assert canvas.frontend()["bundle"] == f"/_stcore/bidi-components/{canvas.COMPONENT}/{bundle.name}"


def test_the_bundle_url_follows_the_servers_base_path(monkeypatch):
    canvas.frontend.cache_clear()
    monkeypatch.setattr(st, "get_option", lambda name: "/mnist/" if name == "server.baseUrlPath" else None)
    try:
        assert canvas.frontend()["bundle"].startswith("/mnist/_stcore/bidi-components/")
    finally:
        canvas.frontend.cache_clear()


def the_packages_own_call(monkeypatch, **options) -> dict:
    """What the package's `st_canvas(**options)` hands its frontend, caught where it is registered."""
    calls = []
    monkeypatch.setattr(
        st.components.v2, "component", lambda *args, **kwargs: lambda **call: calls.append(call) or {}
    )
    monkeypatch.delitem(sys.modules, canvas.PACKAGE, raising=False)
    package = importlib.import_module(canvas.PACKAGE)
    package.st_canvas(**options)
    monkeypatch.delitem(sys.modules, canvas.PACKAGE)
    (call,) = calls
    return call


def test_the_pad_hands_the_frontend_what_the_packages_st_canvas_would(monkeypatch):
    """The settings are the package's own contract with its bundle: checked against its Python side."""
    call = the_packages_own_call(
        monkeypatch, stroke_width=22, stroke_color="#FFFFFF", background_color="#000000",
        height=canvas.CANVAS_SIZE, width=canvas.CANVAS_SIZE, drawing_mode="freedraw",
        return_image_data=True, key="pad",
    )  # fmt: skip
    settings = canvas.pad_settings(22)

    assert settings.pop("frontend") == canvas.frontend()
    assert settings == call["data"]
    assert "drawing" in call["default"], "the state the bundle sets, and the pad sends as its picture alone"


def test_the_pad_registers_the_app_s_own_component():
    assert callable(canvas.pad())


def test_the_browser_side_takes_its_text_to_change_from_python():
    """One place holds the change: the script reads it from the component's data."""
    script = Path(canvas.__file__).with_name("sketch_pad.js").read_text()

    assert canvas.DEBOUNCE not in script and "Bc =" not in script
    assert "code.replace(debounce, noDebounce)" in script


def sketch_page():
    import streamlit as st

    from mnist_app.web.canvas import sketch

    drawing = sketch(20)
    st.write("no drawing" if drawing is None else f"a drawing of {drawing.shape}")


def nested(depth: int, wrap):
    """A value `depth` levels deep, built without recursion."""
    value = None
    for _ in range(depth):
        value = wrap(value)
    return value


def a_drawing() -> str:
    buffer = io.BytesIO()
    Image.new("RGBA", (canvas.CANVAS_SIZE, canvas.CANVAS_SIZE), (0, 0, 0, 255)).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


@pytest.mark.parametrize(
    ("state", "reason"),
    [
        ({"drawing": nested(3_000, lambda value: [value])}, "did not arrive as a PNG"),
        ({"drawing": nested(3_000, lambda value: {"d": value})}, "did not arrive as a PNG"),
        ({"drawing": "[" * 3_000 + "]" * 3_000}, "did not arrive as a PNG"),
        ({REFUSED: "**forged** ![x](https://elsewhere.example/x.png)"}, REFUSAL),
    ],
    ids=["nested-list", "nested-dict", "nested-as-a-string", "refused-as-too-deep"],
)
def test_a_forged_drawing_is_said_unreadable_and_the_next_drawing_is_read(monkeypatch, state, reason):
    """Whatever a session sends as the pad's state, or what is left of it once refused as
    too deep (`widget_states`), the page says so in its own words and draws on."""
    sent = {"drawing": None, **state}
    monkeypatch.setattr(canvas, "pad", lambda: lambda **options: sent)
    at = AppTest.from_function(sketch_page).run()
    assert not at.exception
    (error,) = at.error
    assert error.value.startswith("Cannot read the drawing: ") and reason in error.value
    assert "forged" not in error.value, "the page's own words, never the session's"
    assert at.markdown[0].value == "no drawing"

    sent.clear()
    sent["drawing"] = a_drawing()
    at.run()
    assert not at.exception and not at.error
    assert at.markdown[0].value == "a drawing of (280, 280, 4)"
