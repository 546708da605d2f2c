"""The Trust page in Chromium: a drawn digit attacked, ε slid up until the answer flips, the curves seen."""

import re

from playwright.sync_api import expect

from tests.support.browser_pages import IDLE, draw_stroke, open_page

MOST_STEPS = 45  # ε from 0.10 to its end, 0.50, in steps of 0.01


def test_a_drawn_digit_is_fooled_as_epsilon_grows_and_the_curves_show(page, app_url):
    open_page(page, app_url, "trust")
    canvas = page.locator("canvas.upper-canvas").first
    expect(canvas).to_be_visible(timeout=120_000)
    page.wait_for_selector(IDLE)
    page.wait_for_timeout(300)  # a new canvas: let it finish mounting
    draw_stroke(page, canvas.bounding_box(), [(0.2, 0.2), (0.8, 0.2), (0.45, 0.88)])
    expect(page.get_by_text(re.compile(r"reads it as \S+ \(\d+% sure\)")).first).to_be_visible(
        timeout=120_000
    )
    expect(page.get_by_text("The smallest ε that changes its answer", exact=False).first).to_be_visible()
    slider = page.locator("[data-testid='stSlider']").filter(has_text="ε: how far").get_by_role("slider")
    fooled = page.get_by_text(": fooled.", exact=False).first
    for _ in range(MOST_STEPS):
        if fooled.is_visible():
            break
        slider.press("ArrowRight")
        page.wait_for_timeout(150)
        page.wait_for_selector(IDLE)
    expect(fooled).to_be_visible()
    expect(page.get_by_text("The share of test digits each model still reads right")).to_be_visible(
        timeout=180_000
    )
    expect(page.get_by_text("Moved by 3 pixels,", exact=False)).to_be_visible(timeout=180_000)
    # The quick figures arrive together: wait for their charts to mount (noise, four changes).
    expect(page.locator("[data-testid='stVegaLiteChart']").nth(4)).to_be_attached(timeout=60_000)
    expect(page.get_by_role("button", name="Measure it")).to_be_visible()  # PGD: only on request
