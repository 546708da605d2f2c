"""What the browser tests do on the app's pages in Chromium: open one, train and watch, draw a stroke."""

import re

from playwright.sync_api import expect

IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"


def open_page(page, app_url, path=""):
    """Go to a page and wait until Streamlit has rendered its title."""
    page.goto(f"{app_url}/{path}")
    expect(page.locator("h1").first).to_be_visible()


def start_training(page, app_url, epochs: int) -> None:
    """Open the Train page, set the epochs, press Start, wait until it trains."""
    open_page(page, app_url, "train")
    field = page.get_by_label("Epochs")
    field.fill(str(epochs))
    field.press("Enter")
    page.get_by_role("button", name="Start training").click()
    expect(
        page.get_by_text(re.compile(rf"Training mlp on mnist-sample: epoch \d+ of {epochs}"))
    ).to_be_visible()


def progress_value(page) -> float:
    value = page.get_by_role("progressbar").first.get_attribute("aria-valuenow")
    return float(value or 0)


def see_curves_advance_then_stop(page, epochs: int) -> None:
    """With a job training: a curve shows, the bar advances, Stop ends it and saves the model."""
    expect(page.locator("[data-testid='stVegaLiteChart']").first).to_be_visible()
    first = progress_value(page)
    page.wait_for_function(
        f"() => Number(document.querySelector('[role=progressbar]')?.getAttribute('aria-valuenow')) > {first}"
    )
    page.get_by_role("button", name="Stop training").click()
    expect(page.get_by_text(re.compile(rf"Stopped early after \d+ of {epochs} epochs"))).to_be_visible()
    expect(page.get_by_text("Saved as")).to_be_visible()


def draw_stroke(page, box, points):
    """Press, drag through the points (fractions of the canvas), release."""

    def at(fraction):
        return box["x"] + fraction[0] * box["width"], box["y"] + fraction[1] * box["height"]

    page.mouse.move(*at(points[0]))
    page.mouse.down()
    for point in points[1:]:
        page.mouse.move(*at(point), steps=12)
    page.mouse.up()
