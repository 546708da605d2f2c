"""A class in Chromium: a teacher signs in and sets a challenge; two students open its link, give
their names, train a tiny network for one epoch on the sample, and appear on the teacher's
leaderboard. Screenshots of the teacher's page, 1400 and 390 px wide, go to
`MNIST_APP_CLASSROOM_SHOTS` when it is set (a person looks at them), else to the test's folder.
"""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import streamlit_app
from tests.support.browser_pages import IDLE

KEY = "a key only the teacher knows"
STUDENTS = ("Ada", "Grace")
TINY = "flatten,dense:16:relu"


@pytest.fixture(scope="module")
def class_url(tmp_path_factory):
    """A shared server with a teacher's key, opening the sample, training two jobs at once."""
    classroom = tmp_path_factory.mktemp("classroom")
    with streamlit_app(
        tmp_path_factory,
        MNIST_APP_TEACHER_KEY=KEY,
        MNIST_APP_SHARED="1",
        MNIST_APP_CLASSROOM_DIR=str(classroom),
        MNIST_APP_DATASET="mnist-sample",
        MNIST_APP_TRAINING_SLOTS="2",
    ) as url:
        yield url


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("MNIST_APP_CLASSROOM_SHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


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


def test_two_students_train_for_the_challenge_and_appear_on_the_teachers_leaderboard(
    browser, class_url, shots
):
    teacher = browser.new_context(viewport={"width": 1400, "height": 1600}).new_page()
    teacher.set_default_timeout(60_000)
    sign_in(teacher, class_url)
    link = start_challenge(teacher)
    assert re.fullmatch(rf"{re.escape(class_url)}/build\?challenge=[\w-]+", link), link
    settled(teacher)
    teacher.screenshot(path=shots / "teacher-challenge-1400.png", full_page=True)

    students = []
    for name in STUDENTS:
        student = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        student.set_default_timeout(60_000)
        join_and_train(student, link, name)
        students.append(student)
    teacher.get_by_role("tab", name="The class").click()
    expect(teacher.get_by_text(re.compile(r"^\d jobs? waiting or training"))).to_be_visible()
    expect(teacher.get_by_role("button", name="Stop").first).to_be_visible()
    teacher.screenshot(path=shots / "teacher-class-1400.png", full_page=True)
    for student in students:
        saved = student.get_by_test_id("stAlertContentSuccess").filter(has_text="Saved as")
        expect(saved).to_be_visible(timeout=180_000)

    teacher.get_by_role("tab", name="The class").click()
    expect(
        teacher.get_by_text("2 browser tabs have the app open now: 2 students who gave a name.")
    ).to_be_visible()
    for name in STUDENTS:  # the shares' table draws on a canvas; its cells are there for screen readers
        told_apart = re.compile(rf"^{name} \(…[0-9a-f]{{4}}\)$")  # the name and the end of the token
        expect(teacher.get_by_role("gridcell", name=told_apart, include_hidden=True)).to_be_attached()
    teacher.get_by_role("tab", name="Leaderboard").click()
    expect(teacher.get_by_text(re.compile(r"^2 models, best first"))).to_be_visible(timeout=120_000)
    settled(teacher)
    teacher.screenshot(path=shots / "teacher-leaderboard-1400.png", full_page=True)

    teacher.get_by_text("Projector view").click()
    board = teacher.locator("table.leaderboard")
    for name in STUDENTS:
        expect(board.get_by_text(name, exact=True)).to_be_visible()
    expect(board.get_by_text(re.compile(r"^\d+\.\d%$"))).to_have_count(2, timeout=120_000)
    settled(teacher)
    teacher.screenshot(path=shots / "teacher-projector-1400.png", full_page=True)
    teacher.get_by_text("Projector view").click()
    expect(teacher.get_by_role("tab", name="The class")).to_be_visible()

    teacher.set_viewport_size({"width": 390, "height": 2400})
    for tab in ("The class", "Challenge"):
        teacher.get_by_role("tab", name=tab).click()
        settled(teacher)
        teacher.screenshot(path=shots / f"teacher-{tab.split()[-1].lower()}-390.png", full_page=True)
    assert KEY not in teacher.content()
