"""A visitor who left, in a real server: their session shut down once past reconnecting."""

import time
import urllib.error
import urllib.request

from playwright.sync_api import expect

from mnist_app.web import closed_sessions
from tests.support.browser import REPO, server
from tests.support.browser_pages import IDLE, open_page

TTL_S = 1


def status(address: str) -> int:
    try:
        with urllib.request.urlopen(address, timeout=10) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def test_the_images_of_a_visitor_who_left_go_once_their_time_to_reconnect_is_past(browser, tmp_path):
    """Streamlit keeps a session's images in memory until the session is shut down, and never
    shuts down one whose visitor left (only drops it): here they go."""
    env = {"MNIST_APP_DATA_DIR": str(tmp_path), "STREAMLIT_SERVER_DISCONNECTED_SESSION_TTL": str(TTL_S)}
    with server(REPO / "app.py", env) as (url, _):
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        open_page(page, url)
        expect(page.locator(IDLE)).to_be_attached(timeout=120_000)
        image = page.locator("img[src*='/media/']").first
        expect(image).to_be_visible()
        address = url + image.get_attribute("src").removeprefix(url)
        assert status(address) == 200
        context.close()
        deadline = time.monotonic() + TTL_S + closed_sessions.EVERY_S + 30
        while status(address) == 200 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert status(address) == 404
