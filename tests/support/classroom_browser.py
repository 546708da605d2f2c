"""A class in Chromium, step by step: the teacher signs in and sets a challenge, a student joins
through its link and trains (`tests/e2e/test_classroom.py`, `test_cluster_browser.py`)."""

import re

from playwright.sync_api import expect

from tests.support.browser_pages import IDLE

KEY = "a key only the teacher knows"
TINY = "flatten,dense:16:relu"


def settled(page) -> None:
    page.wait_for_selector(IDLE)
    expect(page.get_by_text("Traceback")).to_have_count(0)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_text("an unexpected failure")).to_have_count(0)


def sign_in(page, url: str) -> None:
    """Open the app, give the key in the sidebar's Teacher box, land on the Teacher page."""
    page.goto(url)
    expect(page.locator("h1").first).to_be_visible()
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_test_id("stExpander").filter(has_text="Teacher").locator("summary").click()
    sidebar.get_by_label("The teacher's key").fill(KEY)
    sidebar.get_by_role("button", name="Sign in").click()
    expect(page.locator("h1").first).to_have_text("Teacher")
    expect(page).to_have_url(re.compile(r"/teacher$"))
    settled(page)
    assert KEY not in page.content(), "not even in the box it was typed in"


def start_challenge(page) -> str:
    """Set a challenge of one epoch on 300 sample images; its link, as the page shows it."""
    page.get_by_role("tab", name="Challenge").click()
    page.get_by_label("Title").fill("Friday's digits")
    epochs = page.get_by_label("Epoch budget")
    epochs.fill("1")
    page.get_by_test_id("stSelectbox").filter(has_text="Training images").click()
    page.get_by_role("option", name="300", exact=True).click()
    page.get_by_role("button", name="Start the challenge").click()
    link = page.get_by_test_id("stCode").filter(has_text="/build?challenge=")
    expect(link).to_be_visible()
    expect(page.get_by_test_id("stImage").first).to_be_visible()
    return link.inner_text().strip()


def join_and_train(page, link: str, name: str) -> None:
    """A student opens the link with a tiny design, gives a name, trains it for the one epoch."""
    page.goto(f"{link}&net={TINY}")
    expect(page.locator("h1").first).to_have_text("Build a network")
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_label("Your name for the class").fill(name)
    sidebar.get_by_role("button", name="Use this name").click()
    expect(sidebar.get_by_text(re.compile(rf"Your name for the class: {name}"))).to_be_visible()
    expect(page.get_by_text("2. Dense 1: 16 units, relu")).to_be_visible()
    settled(page)
    page.get_by_role("button", name="Train it").click()
