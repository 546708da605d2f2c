"""The Train page with its jobs on a Ray cluster: where it trains, its curves, Stop."""

import re

import pytest
from playwright.sync_api import expect

from tests.support.browser_pages import open_page, see_curves_advance_then_stop

pytestmark = pytest.mark.cluster


def test_training_on_the_cluster_shows_the_node_streams_curves_and_stops(page, cluster_app_url, ray_cluster):
    _, worker_nodes = ray_cluster
    open_page(page, cluster_app_url, "train")
    field = page.get_by_label("Epochs")
    field.fill("150")
    field.press("Enter")
    page.get_by_role("button", name="Start training").click()
    placement = page.get_by_text(re.compile(r"Training mlp on mnist-sample: epoch \d+ of 150, on node \w+"))
    expect(placement).to_be_visible(timeout=90_000)
    node = re.search(r"on node (\w+)", placement.inner_text()).group(1)
    assert node in {worker[:8] for worker in worker_nodes}
    see_curves_advance_then_stop(page, 150)
