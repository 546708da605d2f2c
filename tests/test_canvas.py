"""Tests for mnist_app.canvas: the drawable canvas's own bundle, and the one change made to it."""

import tomllib
from pathlib import Path

import streamlit as st

from mnist_app import canvas


def test_the_installed_canvas_bundle_has_the_debounce_the_browser_takes_out():
    """The browser replaces this text, once; a release without it would draw 200 ms late again."""
    bundle = canvas.bundle_file().read_text(encoding="utf-8")

    assert bundle.count(canvas.DEBOUNCE) == 1
    assert canvas.NO_DEBOUNCE not in bundle
    assert len(canvas.DEBOUNCE) == len(canvas.NO_DEBOUNCE) + 2, "only the 200 becomes 0"


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


def test_the_pad_draws_white_on_black_and_sends_its_picture_on_every_lifted_pen():
    settings = canvas.pad_settings(22)

    assert settings["strokeColor"] == "#FFFFFF" and settings["backgroundColor"] == "#000000"
    assert settings["drawingMode"] == "freedraw" and settings["strokeWidth"] == 22
    assert settings["realtimeUpdateStreamlit"] and settings["returnImageData"]
    assert settings["canvasWidth"] == settings["canvasHeight"] == canvas.CANVAS_SIZE


def test_the_browser_side_takes_its_text_to_change_from_python():
    """One place holds the change: the script reads it from the component's data."""
    script = Path(canvas.__file__).with_name("sketch_pad.js").read_text()

    assert canvas.DEBOUNCE not in script and "Bc =" not in script
    assert "code.replace(debounce, noDebounce)" in script
