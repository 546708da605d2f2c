"""Names that hold Markdown and HTML, in Chromium: shown as their characters, nothing they name fetched."""

import json

from playwright.sync_api import expect

from mnist_app.datasets.dataset import DIGIT_NAMES
from mnist_app.markdown import WORD_JOINER
from tests.support.browser import REPO, server
from tests.support.browser_pages import IDLE, open_page
from tests.support.models import with_description

# A file's name cannot hold "/"; Chromium reads "https:elsewhere.example" as "https://elsewhere.example/".
# GitHub's Markdown links a bare "www." address or an email address without any brackets.
NAMES = [
    "![x](https:elsewhere.example) www.elsewhere.example",
    ":red[big] **bold** <img src=x onerror=alert(1)> ada@elsewhere.example",
]
DATASET = "![x](https://elsewhere.example/x.png) [link](javascript:alert(1))"


def test_model_names_holding_markdown_show_as_their_characters_and_fetch_nothing(browser, tmp_path):
    """On Compare they reach the sentences, the tab labels, captions and headings."""
    models = tmp_path / "models"
    models.mkdir()
    for day, name in enumerate(NAMES, start=1):
        description = json.dumps(
            {"arch": "cnn", "dataset": DATASET, "classes": DIGIT_NAMES, "created": f"2026-01-0{day}T00:00"}
        )
        with_description(
            REPO / "models" / "default.keras", models / f"{name}.keras",
            lambda archive, description=description: archive.writestr("mnist_app.json", description),
        )  # fmt: skip
    env = {"MNIST_APP_MODELS_DIR": str(models), "MNIST_APP_DATA_DIR": str(tmp_path)}
    with server(REPO / "app.py", env) as (url, _):
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        fetched = []
        page.on("request", lambda request: fetched.append(request.url))
        open_page(page, url, "compare")
        expect(page.get_by_text("make as many mistakes").first).to_be_visible(timeout=120_000)
        expect(page.locator(IDLE)).to_be_attached(timeout=120_000)
        # What a reader sees; the joiners that keep bare addresses from becoming links show nothing.
        sentence = page.get_by_text("make as many mistakes").first.inner_text().replace(WORD_JOINER, "")
        assert NAMES[0] in sentence and NAMES[1] in sentence, sentence
        tab = page.get_by_role("tab").first.inner_text().replace(WORD_JOINER, "")
        assert tab.startswith(f"{NAMES[1]} right, {NAMES[0]} wrong"), tab
        links = "img[src*='elsewhere'], a[href*='elsewhere'], a[href^='javascript'], a[href^='mailto']"
        assert page.locator(links).count() == 0
        assert not [address for address in fetched if "elsewhere" in address], fetched
        context.close()
