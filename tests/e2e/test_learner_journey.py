"""The learner's journey straight after the Keras lab, in Chromium, with a screenshot of each page.

Explore, Lab, Build, Train both networks, Compare, Draw, Inside, My digits: on a server of its
own, as someone fresh from the lab walks it. Every page must open without an error or a
traceback and say what it is for in a sentence. The screenshots go to `MNIST_APP_JOURNEY_DIR`
when it is set (a person looks at them before a clarity change is called done), else to the
test's own folder.
"""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import streamlit_app
from tests.support.browser_pages import IDLE, draw_stroke, open_page
from tests.support.digit_strokes import DIGIT_STROKES

MLP, CNN = "The lab's MLP", "The app's CNN"


@pytest.fixture(scope="module")
def journey_url(tmp_path_factory):
    with streamlit_app(tmp_path_factory) as url:
        yield url


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("MNIST_APP_JOURNEY_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def settled(page, shots: Path, name: str) -> None:
    """Wait for the page's script to finish, check it shows no failure, keep a screenshot."""
    page.wait_for_selector(IDLE)
    page.wait_for_timeout(1_000)  # the widgets' own drawing after the script's last message
    expect(page.get_by_text("Traceback")).to_have_count(0)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_text("an unexpected failure")).to_have_count(0)
    page.screenshot(path=shots / f"{name}.png")


def draw(page, digit: int) -> None:
    canvas = page.locator("canvas.upper-canvas").first
    expect(canvas).to_be_visible()
    page.wait_for_timeout(300)  # a new canvas: let it finish mounting
    for stroke in DIGIT_STROKES[digit]:
        draw_stroke(page, canvas.bounding_box(), stroke)


def test_a_learner_fresh_from_the_lab_walks_every_page(browser, journey_url, shots):
    # Tall enough to hold a whole page: Streamlit scrolls its own container, not the document.
    page = browser.new_page(viewport={"width": 1400, "height": 3600})

    open_page(page, journey_url)
    expect(page.get_by_text(re.compile("You are looking at 5,000 real MNIST digits"))).to_be_visible()
    settled(page, shots, "1-explore")

    open_page(page, journey_url, "lab")
    expect(page.get_by_role("heading", name="4. Build the network")).to_be_visible()
    settled(page, shots, "2-lab")

    open_page(page, journey_url, "build")
    expect(page.get_by_text(re.compile("Design your own network, layer by layer"))).to_be_visible()
    expect(page.get_by_text("694,950 parameters")).to_be_visible()
    settled(page, shots, "3-build")

    open_page(page, journey_url, "train")
    page.get_by_role("combobox", name="Architectures").click()
    page.get_by_role("option", name=CNN).click()
    page.keyboard.press("Escape")
    expect(page.get_by_text(re.compile("they take turns on this server's trainer"))).to_be_visible()
    field = page.get_by_label("Epochs")
    field.fill("1")
    field.press("Enter")
    page.get_by_role("button", name="Start training").click()
    expect(page.get_by_role("link", name="Compare them side by side")).to_be_visible(timeout=120_000)
    settled(page, shots, "4-train")

    page.get_by_role("link", name="Compare them side by side").click()
    expect(page.locator("h1").first).to_have_text("Compare models")
    expect(page.get_by_role("heading", name="What differs")).to_be_visible()
    settled(page, shots, "5-compare")

    open_page(page, journey_url, "draw")
    draw(page, 7)
    expect(page.locator("[data-testid='stMetric']").filter(has_text="Prediction").first).to_be_visible()
    settled(page, shots, "6-draw")

    open_page(page, journey_url, "inside")
    draw(page, 4)
    expect(page.get_by_role("heading", name="Every layer")).to_be_visible()
    expect(page.get_by_text(re.compile(r"^(dense|conv)\d?_\d+$"))).to_have_count(0)
    settled(page, shots, "7-inside")

    open_page(page, journey_url, "my-digits")
    expect(page.get_by_text("You have saved no digits yet")).to_be_visible()
    settled(page, shots, "8-my-digits")

    assert sorted(path.name for path in shots.glob("*.png"))[:8] == [
        "1-explore.png",
        "2-lab.png",
        "3-build.png",
        "4-train.png",
        "5-compare.png",
        "6-draw.png",
        "7-inside.png",
        "8-my-digits.png",
    ]
