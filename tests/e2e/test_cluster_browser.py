"""Jobs on a Ray cluster in the browser: the Train page (where it trains, its curves, Stop), and
a class on two servers that share their folders and the cluster."""

import re
import shutil

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import streamlit_app
from tests.support.browser import REPO
from tests.support.browser_pages import open_page, see_curves_advance_then_stop, start_training
from tests.support.classroom_browser import KEY, join_and_train, settled, sign_in, start_challenge

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


@pytest.fixture(scope="module")
def two_servers(tmp_path_factory, ray_cluster):
    """Two app servers on the same models, data and classroom folders, training on one Ray
    cluster: what a school runs past one server (README, "A hundred students, a thousand")."""
    cluster, _ = ray_cluster
    folders = {name: tmp_path_factory.mktemp(f"school-{name}") for name in ("models", "data", "classroom")}
    shutil.copy(REPO / "models" / "default.keras", folders["models"] / "default.keras")
    settings = {
        "MNIST_APP_MODELS_DIR": str(folders["models"]),
        "MNIST_APP_DATA_DIR": str(folders["data"]),
        "MNIST_APP_CLASSROOM_DIR": str(folders["classroom"]),
        "MNIST_APP_SHARED": "1",
        "MNIST_APP_TEACHER_KEY": KEY,
        "MNIST_APP_DATASET": "mnist-sample",
        "MNIST_APP_RAY_ADDRESS": cluster.address,
    }
    with (
        streamlit_app(tmp_path_factory, **settings) as first,
        streamlit_app(tmp_path_factory, **settings) as second,
    ):
        yield first, second


def test_a_class_split_over_two_servers_is_one_class_on_one_leaderboard_and_one_cluster(
    browser, two_servers, ray_cluster
):
    """The teacher on one server, a student on each: the challenge set on the first reaches the
    second and the first server's leaderboard ranks both runs; then each student's long job
    trains on the one cluster at the same time."""
    first, second = two_servers
    _, worker_nodes = ray_cluster
    teacher = browser.new_context(viewport={"width": 1400, "height": 1600}).new_page()
    teacher.set_default_timeout(60_000)
    sign_in(teacher, first)
    link = start_challenge(teacher)
    students = {}
    for name, server in (("Ada", first), ("Grace", second)):
        student = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        student.set_default_timeout(60_000)
        join_and_train(student, link.replace(first, server), name)
        expect(student.get_by_text("Friday's digits").first).to_be_visible()
        students[server] = student
    for student in students.values():
        saved = student.get_by_test_id("stAlertContentSuccess").filter(has_text="Saved as")
        expect(saved).to_be_visible(timeout=180_000)
    teacher.get_by_role("tab", name="Leaderboard").click()
    expect(teacher.get_by_text(re.compile(r"^2 models, best first"))).to_be_visible(timeout=120_000)
    teacher.get_by_text("Projector view").click()
    board = teacher.locator("table.leaderboard")
    for name in ("Ada", "Grace"):
        expect(board.get_by_text(name, exact=True)).to_be_visible()
    settled(teacher)

    for server, student in students.items():
        start_training(student, server, 150)
    nodes = set()
    for student in students.values():
        placement = student.get_by_text(re.compile(r"epoch \d+ of 150, on node \w+"))
        expect(placement).to_be_visible(timeout=90_000)
        nodes.add(re.search(r"on node (\w+)", placement.inner_text()).group(1))
    assert nodes <= {worker[:8] for worker in worker_nodes}, nodes
    for student in students.values():
        student.get_by_role("button", name="Stop training").click()
        expect(student.get_by_text("Saved as").first).to_be_visible()
