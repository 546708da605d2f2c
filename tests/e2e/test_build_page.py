"""The Build page in Chromium: a network built from a preset, changed, trained, then found on
Compare and Inside; a link that opens a design, and one that cannot be read."""

import re

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from tests.support.browser_pages import IDLE, open_page


def choose(page, label: str, option: str) -> None:
    """Open the select box labelled `label` and pick `option`.

    A rerun that lands just after the click can close the list again: then it is opened anew.
    """
    wanted = page.get_by_role("option", name=option, exact=True)
    for _ in range(3):
        page.wait_for_selector(IDLE)
        page.get_by_test_id("stSelectbox").filter(has_text=label).click()
        try:
            wanted.wait_for(timeout=3_000)
            break
        except PlaywrightTimeout:
            continue
    wanted.click()
    page.wait_for_selector(IDLE)


def type_number(page, label: str, value: int) -> None:
    field = page.get_by_label(label, exact=True).first
    field.fill(str(value))
    field.press("Enter")
    page.wait_for_selector(IDLE)


def test_a_network_built_from_a_preset_trains_and_is_found_on_compare_and_inside(page, app_url):
    """A tiny CNN with fewer filters, two variants of one epoch on 300 and 1,000 sample images."""
    open_page(page, app_url, "build")
    expect(page.locator("h1").first).to_have_text("Build a network")
    choose(page, "Start from", "A tiny CNN")
    expect(page.get_by_text("1. Conv2D 1: 8 filters of 3x3, relu")).to_be_visible()
    type_number(page, "Filters", 4)
    expect(page.get_by_text("1. Conv2D 1: 4 filters of 3x3, relu")).to_be_visible()
    expect(page.get_by_text('layers.Conv2D(4, 3, activation="relu"')).to_be_visible()
    # The address follows at the end of the run that drew the change: waited for, not read at once.
    expect(page).to_have_url(re.compile(r"net=conv(%3A|:)4(%3A|:)3"))
    type_number(page, "Epochs", 1)

    choose(page, "Train side by side, varying", "the number of training images")
    page.get_by_test_id("stMultiSelect").filter(has_text="Values of").click()
    page.get_by_role("option", name="300", exact=True).click()
    page.get_by_role("option", name="1,000", exact=True).click()
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Train 2 variants").click()
    saved = page.get_by_test_id("stAlertContentSuccess").filter(has_text="Saved as")
    expect(saved).to_be_visible(timeout=180_000)
    names = re.findall(r"my-network[\w.-]*", saved.inner_text().split(";")[0])
    assert len(names) == 2, saved.inner_text()

    page.get_by_role("link", name="Compare them side by side").click()
    expect(page.locator("h1").first).to_be_visible()
    for name in names:
        expect(page.get_by_test_id("stMultiSelect").get_by_text(re.compile(rf"^{name} "))).to_be_visible()

    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Inside").click()
    expect(page.locator("h1").first).to_have_text("Look inside the model")
    expect(page.get_by_label("Model in use")).to_have_value(re.compile(rf"^{names[-1]} "))
    page.get_by_test_id("stSidebar").get_by_text("Test image", exact=True).click()
    expect(page.get_by_role("heading", name="Every layer")).to_be_visible(timeout=60_000)
    expect(page.get_by_text(re.compile("Conv2D 1: 4 filters of 3x3, relu")).first).to_be_visible()


def test_a_link_opens_its_design_and_a_forged_one_gets_a_message(page, app_url):
    open_page(page, app_url, "build?net=flatten,dense:64:tanh,dropout:0.25&lr=0.01&n=300")
    expect(page.get_by_text("2. Dense 1: 64 units, tanh")).to_be_visible()
    expect(page.get_by_text("3. Dropout 1: 25% of its inputs zeroed while training")).to_be_visible()
    expect(page.get_by_test_id("stCode").filter(has_text="lr=0.01&")).to_be_visible()
    open_page(page, app_url, "build?net=flatten,dense:64:tanh,dro")
    expect(page.get_by_text(re.compile("This link cannot be read: layer 3"))).to_be_visible()
    expect(page.get_by_text("2. Dense 1: 784 units, relu")).to_be_visible()
    expect(page.get_by_text("Traceback")).to_have_count(0)
