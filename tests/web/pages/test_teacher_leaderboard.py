"""The challenge's leaderboard with Streamlit's AppTest: rows from the saved models that carry the
challenge, scored on the hidden half in the background; shown to the class or kept; in big type; and
the teacher's removal of a model."""

import html

import pytest
from streamlit.testing.v1 import AppTest

from mnist_app.classroom.teacher_key import session_mark
from tests.support import REPO
from tests.support.classroom import TEACHER_PAGE, teacher_classroom
from tests.support.pages import as_read, wait_until


@pytest.fixture
def classroom(tmp_path, monkeypatch, models_dir):
    return teacher_classroom(tmp_path, monkeypatch)


@pytest.fixture
def challenge_models(classroom, models_dir, trained_mlp):
    """A running challenge on the sample, two students' models trained for it and one that was not."""
    from mnist_app.classroom import challenges, names
    from mnist_app.classroom.rules import Rules
    from mnist_app.learning.model_files import save_model

    challenge = challenges.start("Friday's digits", Rules("mnist-sample", max_parameters=200_000))
    names.remember("ada-token", "Ada")
    for name, owner, extra in [
        ("ada-mlp", "ada-token", {"challenge": challenge.id}),
        ("bob-mlp", "bob-token", {"challenge": challenge.id, "owner_name": "=Bob"}),
        ("free-mlp", "cy-token", {}),
    ]:
        metadata = trained_mlp.metadata(saved_by="app", owner=owner, **extra)
        save_model(trained_mlp.model, models_dir / f"{name}.keras", metadata)
    return challenge


def teacher() -> AppTest:
    at = AppTest.from_file(str(TEACHER_PAGE), default_timeout=120)
    at.session_state["teacher_signed_in"] = session_mark()
    at.context["url"] = "http://class.example:8501/teacher"
    return at.run()


def leaderboard_table(at: AppTest):
    return next(frame.value for frame in at.dataframe if "hidden-test accuracy" in frame.value.columns)


def scored(at: AppTest) -> bool:
    return leaderboard_table(at)["hidden-test accuracy"].notna().all()


def test_the_leaderboard_ranks_the_challenges_models_on_the_hidden_half(challenge_models, models_dir):
    """Both models are the same network: the same score, on the hidden half of the sample's test digits."""
    from mnist_app.classroom import hidden_split
    from mnist_app.datasets.catalogue import load_dataset
    from mnist_app.learning.evaluation import evaluate
    from mnist_app.learning.model_files import load_model

    at = wait_until(teacher(), scored, timeout=120)
    assert not at.exception
    table = leaderboard_table(at)
    assert sorted(table["model"]) == ["ada-mlp", "bob-mlp"], "only the models trained for the challenge"
    assert sorted(table["student"]) == ["'=Bob", "Ada"], "no formula for the table's own CSV download"
    assert table["rank"].tolist() == ["1", "2"]
    assert (table["epochs"] == 2).all() and (table["parameters"] > 50_000).all()
    hidden = hidden_split.hidden_test(challenge_models, load_dataset)
    assert len(hidden.y_test) == len(load_dataset("mnist-sample").y_test) // 2
    expected = evaluate(load_model(models_dir / "ada-mlp.keras"), hidden.x_test, hidden.y_test).accuracy
    assert table["hidden-test accuracy"].tolist() == pytest.approx([expected] * 2)
    assert "Download every run as CSV" in [button.proto.label for button in at.get("download_button")]
    (models_dir / "ada-mlp.keras").unlink()
    at.run()
    assert sorted(leaderboard_table(at)["model"]) == ["ada-mlp", "bob-mlp"], "a row outlives its file"


def test_shown_to_the_class_the_students_find_a_leaderboard_page(challenge_models):
    from mnist_app.classroom import challenges

    at = wait_until(teacher(), scored, timeout=120)
    second_tab = teacher()
    at.toggle(key=f"teacher_public_{challenge_models.id}").set_value(True).run()
    assert not at.exception
    assert challenges.current().leaderboard_public
    second_tab.run()
    assert second_tab.toggle(key=f"teacher_public_{challenge_models.id}").value is True
    assert challenges.current().leaderboard_public, "a second tab of the teacher's follows, changes nothing"
    student = AppTest.from_file(str(REPO / "app.py"), default_timeout=120).run()
    student.switch_page("mnist_app/web/pages/leaderboard.py").run()
    assert not student.exception
    (board,) = student.get("html")
    assert "Ada" in board.proto.body and "=Bob" in board.proto.body
    at.toggle(key=f"teacher_public_{challenge_models.id}").set_value(False).run()
    student.run()
    assert student.title[0].value != "Leaderboard", "the page left the navigation"
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        student.switch_page("mnist_app/web/pages/leaderboard.py")


def show_students_view():
    from mnist_app.web import resources, teacher_leaderboard

    teacher_leaderboard.show_big(resources.model_store(), public_only=True)


def test_the_students_view_reads_the_challenge_at_every_redraw(challenge_models):
    """Hidden by the teacher, or ended, it says so at its next redraw; shown again, it comes back."""
    from mnist_app.classroom import challenges
    from mnist_app.web.teacher_leaderboard import NOT_SHOWN

    view = AppTest.from_function(show_students_view, default_timeout=120).run()
    assert [info.value for info in view.info] == [NOT_SHOWN]
    challenges.show_leaderboard(True)
    view.run()
    assert not view.exception and not view.info
    assert as_read(view.header[0].value) == "Friday's digits"
    challenges.show_leaderboard(False)
    view.run()
    assert [info.value for info in view.info] == [NOT_SHOWN] and not view.get("html")
    challenges.show_leaderboard(True)
    challenges.end()
    view.run()
    assert [info.value for info in view.info] == [NOT_SHOWN]


def test_the_projector_view_shows_only_the_ranking_in_big_type(challenge_models):
    at = wait_until(teacher(), scored, timeout=120)
    at.toggle(key="teacher_projector").set_value(True).run()
    assert not at.exception
    assert not at.tabs and not at.button and not at.dataframe
    (board,) = at.get("html")
    assert "font-size:2.4rem" in board.proto.body and "Ada" in board.proto.body


def test_the_teacher_removes_any_students_model_after_asking(challenge_models, models_dir, monkeypatch):
    monkeypatch.setenv("MNIST_APP_SHARED", "1")
    at = teacher()
    at.selectbox(key="teacher_remove_model").select("bob-mlp").run()
    assert (models_dir / "bob-mlp.keras").exists(), "choosing it removes nothing"
    at.button(key="teacher_remove_confirm").click().run()
    assert not at.exception and not at.error
    assert not (models_dir / "bob-mlp.keras").exists()
    assert "Removed bob-mlp." in [as_read(success.value) for success in at.success]
    at.run()
    assert sorted(leaderboard_table(at)["model"]) == ["ada-mlp"], "its leaderboard row went with it"


ODD_NAMES = ("![x](https:elsewhere.example)", ":red[big] **bold**", "<img src=x onerror=alert(1)>")
ODD_TITLE = ":red[big] **bold** [link](javascript:alert(1)) <img src=x onerror=alert(1)>"


def test_names_and_titles_in_markdown_and_html_are_shown_literally(classroom, models_dir, trained_mlp):
    """Students' names and the challenge's title, in Markdown and HTML: nothing of theirs renders
    on the teacher's page (every tab, and the projector) or the students' Leaderboard."""
    from mnist_app.classroom import challenges, names
    from mnist_app.classroom.rules import Rules
    from mnist_app.learning.model_files import save_model
    from tests.web.pages.test_odd_names import assert_shown_literally

    challenge = challenges.start(ODD_TITLE, Rules("mnist-sample"), leaderboard_public=True)
    for number, name in enumerate(ODD_NAMES):
        names.remember(f"token-{number}", name)
        metadata = trained_mlp.metadata(saved_by="app", owner=f"token-{number}", challenge=challenge.id)
        save_model(trained_mlp.model, models_dir / f"odd-{number}.keras", metadata)
    at = wait_until(teacher(), scored, timeout=120)
    at.selectbox(key="teacher_remove_model").select("odd-0").run()
    assert_shown_literally(at, ODD_TITLE)
    at.toggle(key="teacher_projector").set_value(True).run()
    assert_shown_literally(at, ODD_TITLE)
    (board,) = at.get("html")
    assert all(html.escape(name) in board.proto.body for name in ODD_NAMES)
    student = AppTest.from_file(str(REPO / "app.py"), default_timeout=120).run()
    student.switch_page("mnist_app/web/pages/leaderboard.py").run()
    assert_shown_literally(student, ODD_TITLE)
