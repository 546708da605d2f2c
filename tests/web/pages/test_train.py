"""The Train page with Streamlit's AppTest: jobs started, watched, stopped and queued; the saved models
listed, renamed and deleted; the model in use evaluated."""

import os
import re
import shutil
import time
from pathlib import Path

from tests.support import REPO
from tests.support.digit_strokes import SEVEN
from tests.support.pages import (
    app_page,
    as_read,
    canvas_drawing,
    fake_canvas,
    page,
    progress_texts,
    wait_until,
)


def test_train_page_trains_saves_and_selects_a_model(models_dir, monkeypatch):
    """...and keeps at most MNIST_APP_MAX_MODELS that the app trained: here the old one goes."""
    from tests.support.models import with_description

    monkeypatch.setenv("MNIST_APP_MAX_MODELS", "1")
    description = '{"saved_by": "app", "owner": "gone", "created": "2026-01-01T00:00:00+00:00"}'
    source = REPO / "models" / "default.keras"
    with_description(
        source, models_dir / "old-app.keras", lambda a: a.writestr("mnist_app.json", description)
    )
    at = page("train").run()
    assert not at.exception
    at.number_input(key="train_epochs").set_value(1).run()
    at.button(key="start_training").click().run()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not any(m.label == "Test accuracy" for m in at.metric):
        time.sleep(0.5)
        at.run()
    assert not at.exception
    assert float({m.label: m.value for m in at.metric}["Test accuracy"]) > 0.8
    (saved,) = [p.stem for p in models_dir.glob("*.keras")]
    assert re.fullmatch(r"mlp-on-mnist-sample-\d\d[a-z]{3}-\d{4}", saved), "what, on what, when"
    assert at.selectbox(key="model_name").value == saved
    assert "Saved models" in [h.value for h in at.header]


def test_train_page_stop_button_stops_the_job(models_dir):
    at = page("train").run()
    at.number_input(key="train_epochs").set_value(100).run()
    at.button(key="start_training").click().run()
    at.button(key="stop_training").click().run()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not at.warning:
        time.sleep(0.3)
        at.run()
    assert "Stopped early after" in at.warning[0].value
    assert at.button(key="start_training")


def test_train_page_evaluates_the_model_in_use(default_model):
    at = page("train").run()
    assert not at.exception
    assert "How the model in use reads the test split" in [h.value for h in at.header]
    assert float({m.label: m.value for m in at.metric}["Accuracy"]) > 0.9
    assert [s.value for s in at.subheader] == [
        "Confusion matrix",
        "Accuracy per class",
        "The most confidently wrong",
    ]


def test_train_page_renames_and_deletes_models(default_model, models_dir):
    shutil.copy(default_model, models_dir / "mine.keras")
    at = page("train").run()
    at.selectbox(key="manage_model").select("mine").run()
    at.text_input(key="rename_to_mine").input("my-cnn")
    at.button(key="rename_model").click().run()
    assert not at.exception
    assert sorted(p.name for p in models_dir.glob("*.keras")) == ["default.keras", "my-cnn.keras"]
    at.selectbox(key="manage_model").select("my-cnn").run()
    at.button(key="delete_model").click().run()
    assert [p.name for p in models_dir.glob("*.keras")] == ["default.keras"]


def test_the_default_model_cannot_be_renamed_or_deleted_from_the_page(default_model, models_dir):
    at = page("train").run()
    assert at.selectbox(key="manage_model").value == "default"
    assert any("ships with the app" in caption.value for caption in at.caption)
    assert at.button(key="delete_off").disabled and at.button(key="rename_off").disabled
    assert "delete_model" not in {button.key for button in at.button}, "no delete button to send"
    assert default_model.is_file()


def test_train_page_lists_a_broken_model_file_as_broken(default_model, models_dir):
    (models_dir / "torn.keras").write_bytes(b"PK\x03\x04 torn")
    at = page("train").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert table.set_index("name").loc["torn", "problem"].startswith("torn.keras is not a readable")
    assert float({m.label: m.value for m in at.metric}["Accuracy"]) > 0.9


def test_sessions_have_their_own_jobs_and_queue_behind_one_another(models_dir):
    """Two browser sessions: the second's job waits for the first's, and each sees only its own."""
    first, second = page("train").run(), page("train").run()
    first.number_input(key="train_epochs").set_value(100).run()
    first.button(key="start_training").click().run()
    second.run()
    assert not progress_texts(second), "the first session's job is not shown to the second"
    assert second.button(key="start_training")
    second.number_input(key="train_epochs").set_value(1).run()
    second.button(key="start_training").click().run()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not any("in the queue" in t for t in progress_texts(second)):
        time.sleep(0.2)
        second.run()
    assert progress_texts(second) == ["Waiting for the trainer: number 1 in the queue"]
    assert any("epoch" in t for t in progress_texts(first.run()))
    first.button(key="stop_training").click().run()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not any(m.label == "Test accuracy" for m in second.metric):
        time.sleep(0.5)
        second.run()
    assert any(m.label == "Test accuracy" for m in second.metric)
    first.run()
    assert "Stopped early" in first.warning[0].value


def test_stopping_a_queued_job_says_nothing_was_trained(models_dir):
    first, second = page("train").run(), page("train").run()
    first.number_input(key="train_epochs").set_value(100).run()
    first.button(key="start_training").click().run()
    second.button(key="start_training").click().run()
    second.button(key="stop_training").click().run()
    deadline = time.monotonic() + 90  # generous: the first job trains on the same two cores meanwhile
    while time.monotonic() < deadline and not any("nothing was trained" in i.value for i in second.info):
        time.sleep(0.2)
        second.run()
    assert not second.exception
    assert any("nothing was trained" in i.value for i in second.info)
    first.button(key="stop_training").click().run()


def drop_odd_models(models_dir: Path, source: Path) -> dict[str, str]:
    """Files a careless or hostile person might drop into models/: name -> words of its refusal."""
    from tests.support.models import broken_descriptions

    names = broken_descriptions(source, models_dir)
    (models_dir / "torn.keras").write_bytes(b"PK\x03\x04 torn")
    os.mkfifo(models_dir / "pipe.keras")
    shutil.copy(source, models_dir / "my model (copy).keras")
    return {**dict.fromkeys(names, ""), "torn": "not a readable", "pipe": "not a regular file"}


def test_odd_files_in_the_models_folder_are_listed_as_broken_and_the_pages_work(
    default_model, models_dir, monkeypatch
):
    broken = drop_odd_models(models_dir, default_model)
    at = page("train").run()
    assert not at.exception
    problems = at.dataframe[0].value.set_index("name")["problem"]
    for name, words in broken.items():
        assert problems[name] and words in problems[name], (name, problems[name])
    assert problems.isna()["my model (copy)"], "a model with no problem has an empty cell"
    assert str(models_dir) not in " ".join(problems.dropna()), "the server's paths stay on the server"
    assert float({m.label: m.value for m in at.metric}["Accuracy"]) > 0.9
    fake_canvas(monkeypatch, canvas_drawing(SEVEN))
    draw = page("draw").run()
    assert not draw.exception
    assert next(m for m in draw.metric if m.label == "Prediction").value == "7"


def test_on_a_shared_server_visitors_change_only_their_own_models(default_model, models_dir, monkeypatch):
    monkeypatch.setenv("MNIST_APP_SHARED", "1")
    shutil.copy(default_model, models_dir / "someone-elses.keras")
    at = page("train").run()
    at.selectbox(key="manage_model").select("someone-elses").run()
    assert not at.exception
    assert any("only the models you trained" in caption.value for caption in at.caption)
    assert "delete_model" not in {button.key for button in at.button}, "no delete button to send"


def chart_data(chart):
    """The table a vega-lite chart draws, as the browser receives it (Arrow)."""
    import pyarrow

    (dataset,) = chart.proto.datasets
    return pyarrow.ipc.open_stream(dataset.data.data).read_pandas()


def test_train_page_trains_both_architectures_on_one_pair_of_charts(models_dir):
    at = app_page("train").run()
    at.multiselect(key="train_archs").set_value(["mlp", "cnn"]).run()
    at.number_input(key="train_epochs").set_value(1).run()
    at.button(key="start_training").click().run()
    assert not at.exception
    assert len(progress_texts(at)) == 2, "a progress line per network"
    assert any("they take turns on this server's trainer" in m.value for m in at.markdown), "no race promised"
    wait_until(at, lambda at: any("Saved as" in s.value for s in at.success))
    assert not at.exception
    table = at.dataframe[0].value
    assert table["architecture"].tolist() == ["The lab's MLP", "The app's CNN"]
    assert sorted(p.stem for p in models_dir.glob("*.keras")) == sorted(table["model"])
    loss, accuracy = [chart_data(chart) for chart in at.get("vega_lite_chart")[:2]]
    assert set(loss["model"]) == set(table["architecture"]), "both runs share the loss chart"
    assert set(accuracy["model"]) == set(table["architecture"])
    assert set(loss["split"]) == {"train", "validation"} and (loss["seconds"] > 0).all()
    assert at.session_state["compare_next"] == table["model"].tolist()
    assert at.selectbox(key="model_name").value == table["model"].tolist()[-1], "the last one is in use"
    assert any("Compare them" in link.proto.label for link in at.get("page_link"))


def test_confusion_matrix_cell_shows_the_digits_behind_it(default_model, sample):
    from mnist_app.learning.evaluation import evaluate
    from mnist_app.learning.model_files import load_model

    said = evaluate(load_model(default_model), sample.x_test, sample.y_test).predictions
    true, wrong = next((t, s) for t, s in zip(sample.y_test, said, strict=True) if t != s)
    expected = int(((sample.y_test == true) & (said == wrong)).sum())
    at = page("train").run()
    at.session_state["train_confusion"] = {"selection": {"cells": [[int(true), str(wrong)]]}}
    at.run()
    assert not at.exception
    assert f"**True {true}, said {wrong}:** {expected:,} test digits." in [m.value for m in at.markdown]
    shown = [image for image in at.get("image") if image.proto.imgs[0].caption.startswith("#")]
    assert len(shown[0].proto.imgs) == expected


def test_a_model_file_named_in_bytes_that_are_not_utf8_is_listed_renamed_and_deleted(
    model_named_in_bytes, models_dir
):
    at = page("train").run()
    assert not at.exception
    assert "x\\xff" in at.dataframe[0].value["name"].tolist()
    assert at.selectbox(key="model_name").value == "x\\xff", "in use, and read"
    assert float({m.label: m.value for m in at.metric}["Accuracy"]) > 0.9
    at.selectbox(key="manage_model").select("x\\xff").run()
    at.text_input(key="rename_to_x\\xff").input("fixed")
    at.button(key="rename_model").click().run()
    assert not at.exception and not at.error
    assert sorted(p.name for p in models_dir.glob("*.keras")) == ["default.keras", "fixed.keras"]
    shutil.copy(models_dir / "fixed.keras", model_named_in_bytes)
    at.run()
    at.selectbox(key="manage_model").select("x\\xff").run()
    at.button(key="delete_model").click().run()
    assert not at.exception and not at.error
    assert sorted(p.name for p in models_dir.glob("*.keras")) == ["default.keras", "fixed.keras"]


def test_a_read_only_models_folder_says_why_on_the_train_page_never_the_servers_path(
    default_model, models_dir, monkeypatch
):
    """Rename, delete and the save after training each say the system's reason, and no path."""
    from tests.support.models import refuse_folder_changes

    shutil.copy(default_model, models_dir / "mine.keras")
    at = page("train").run()
    at.selectbox(key="manage_model").select("mine").run()
    at.number_input(key="train_epochs").set_value(1).run()
    at.text_input(key="rename_to_mine").input("yours")
    with monkeypatch.context() as read_only:
        refuse_folder_changes(read_only)
        at.button(key="rename_model").click().run()
        renaming = at.error[0].value
        at.button(key="delete_model").click().run()
        deleting = at.error[0].value
    with monkeypatch.context() as read_only:
        refuse_folder_changes(read_only)
        at.button(key="start_training").click().run()
        wait_until(at, lambda at: any("Training failed" in error.value for error in at.error), timeout=120)
    training = next(error.value for error in at.error if "Training failed" in error.value)
    assert not at.exception
    for message, action in [(renaming, "rename mine"), (deleting, "delete mine"), (training, "save mlp")]:
        words = message.replace("\\", "")
        assert f"the models folder refused to {action}" in words and "Permission denied" in words, words
        assert models_dir.parent.name not in words, "the server's paths stay on the server"
    kept = sorted(p.name for p in models_dir.glob("*.keras") if not p.name.startswith("."))
    assert kept == ["default.keras", "mine.keras"]


def test_train_page_refuses_a_job_past_the_servers_work_cap(models_dir, monkeypatch):
    """The issue's case: 200-epoch jobs held the trainer for hours while others queued."""
    monkeypatch.setenv("MNIST_APP_MAX_IMAGES_PER_JOB", "100000")
    at = page("train").run()
    at.number_input(key="train_epochs").set_value(30).run()
    at.button(key="start_training").click().run()
    assert not at.exception
    assert [as_read(e.value) for e in at.error] == [
        "Cannot start training: 30 epochs of 4,000 training images is 120,000 images to train on, "
        "and this server lets one job take 100,000: choose at most 25 epochs."
    ]
    assert not progress_texts(at) and at.button(key="start_training")
