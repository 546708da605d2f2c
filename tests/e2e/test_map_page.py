"""The Map page in Chromium: a digit drawn on its canvas goes on the map among the test digits."""

from playwright.sync_api import expect

from tests.support.browser_pages import IDLE, draw_stroke, open_page


def test_a_drawn_digit_appears_on_the_map_with_its_nearest_test_digits(page, app_url):
    open_page(page, app_url, "map")
    expect(page.get_by_text("Each dot is one of the")).to_be_visible(timeout=120_000)
    expect(page.locator("[data-testid='stVegaLiteChart']").first).to_be_visible()
    canvas = page.locator("canvas.upper-canvas").first
    expect(canvas).to_be_visible()
    page.wait_for_selector(IDLE)
    page.wait_for_timeout(300)  # a new canvas: let it finish mounting
    draw_stroke(page, canvas.bounding_box(), [(0.2, 0.2), (0.8, 0.2), (0.45, 0.88)])
    expect(page.get_by_text("Your digit is on the map.")).to_be_visible(timeout=120_000)
    expect(page.get_by_text("10 nearest test digits", exact=False)).to_be_visible()
    assert page.locator("[data-testid='stVegaLiteChart']").count() >= 1
