"""The sidebar's pickers on the pages that draw them: the data folder's names as a visitor sees them,
and the model in use, whose changes the learner did not make are said in words."""

import os
import shutil
from pathlib import Path

import pytest

from tests.support.datasets import write_sample_npz, write_split
from tests.support.pages import app_page, as_read, canvas_drawing, fake_canvas, page, wait_until


@pytest.fixture
def datasets_named_in_bytes(data_dir, sample):
    """`caf\\xff.npz` and an IDX folder `scans\\xff` in the data folder, and a damaged `torn\\xff.npz`:
    Linux names are bytes, and 0xff is never UTF-8 (Python holds it as `\\udcff`)."""
    root = os.fsencode(data_dir)
    write_sample_npz(os.path.join(root, b"caf\xff.npz"), sample)
    os.mkdir(os.path.join(root, b"scans\xff"))
    folder = Path(os.fsdecode(os.path.join(root, b"scans\xff")))
    for split, images, labels in [
        ("train", sample.x_train[:30], sample.y_train[:30]),
        ("t10k", sample.x_test[:12], sample.y_test[:12]),
    ]:
        write_split(folder, split, images, labels)
    with open(os.path.join(root, b"torn\xff.npz"), "wb") as file:
        file.write(b"PK\x03\x04 torn")


@pytest.mark.parametrize("name", ["explore", "lab", "train", "compare"])
def test_every_page_lists_datasets_named_in_bytes_that_are_not_utf8_and_works(datasets_named_in_bytes, name):
    at = app_page(name).run()

    assert not at.exception and not at.error, [error.value for error in at.error]
    listed = at.text_input(key="dataset_path").proto.help.replace("\\", "")
    assert "cafxff.npz" in listed and "scansxff" in listed


def test_explore_opens_datasets_named_in_bytes_that_are_not_utf8_as_listed(datasets_named_in_bytes):
    at = page("explore").run()
    for typed, train in [("caf\\xff.npz", "20"), ("scans\\xff", "30")]:
        at.text_input(key="dataset_path").input(typed).run()
        assert not at.exception and not at.error, [error.value for error in at.error]
        assert {metric.label: metric.value for metric in at.metric}["Training images"] == train

    at.text_input(key="dataset_path").input("torn\\xff.npz").run()

    assert not at.exception
    assert "tornxff.npz is not a readable .npz file" in at.error[0].value.replace("\\", "")


@pytest.mark.parametrize("name", ["explore", "train"])
def test_paths_outside_the_data_folder_are_refused_alike_whether_they_exist_or_not(name, data_dir, tmp_path):
    (tmp_path / "secret.npz").write_bytes(b"PK")
    (data_dir / "escape").symlink_to(tmp_path)
    messages = []
    for typed in [
        "../secret.npz",
        "../nothing.npz",
        str(tmp_path / "secret.npz"),
        "/no/such",
        "escape/secret.npz",
    ]:
        at = page(name).run()
        at.text_input(key="dataset_path").input(typed).run()
        assert not at.exception
        messages.append(as_read(at.error[0].value).replace(repr(typed), "PATH"))
    assert len(set(messages)) == 1 and "inside the data folder" in messages[0]


@pytest.mark.parametrize("name", ["explore", "train"])
def test_a_bad_dataset_in_the_data_folder_gets_st_error_and_the_page_works(name, data_dir):
    os.mkfifo(data_dir / "pipe.npz")
    (data_dir / "torn.npz").write_bytes(b"PK\x03\x04 torn")
    for typed, words in [("pipe.npz", "not a regular file"), ("torn.npz", "torn.npz"), ("absent", "absent")]:
        at = page(name).run()
        at.text_input(key="dataset_path").input(typed).run()
        assert not at.exception
        assert "Cannot open the dataset" in at.error[0].value and words in as_read(at.error[0].value)
        assert at.title, "the page still renders"


def announced(at) -> list[str]:
    return [as_read(info.value) for info in at.info if "model in use is now" in info.value]


def test_a_model_a_job_puts_in_use_is_announced_once_on_the_next_page_and_a_choice_never(
    default_model, monkeypatch
):
    """Train says "now in use" itself; the next page drawing the picker says what it was, once."""
    fake_canvas(monkeypatch, canvas_drawing([]))
    at = app_page("train").run()
    at.number_input(key="train_epochs").set_value(1).run()

    def train_one() -> str:
        at.button(key="start_training").click().run()
        wait_until(at, lambda at: any("Saved as" in s.value for s in at.success))
        assert not at.exception and not announced(at), "Train says so in its own words"
        return at.selectbox(key="model_name").value

    trained = train_one()
    assert trained != "default"
    at.switch_page("mnist_app/web/pages/draw.py").run()
    assert announced(at) == [f"The model in use is now **{trained}** (trained just now); it was default."]
    at.run()
    assert not announced(at), "said once"

    at.switch_page("mnist_app/web/pages/train.py").run()
    assert train_one() != trained
    at.selectbox(key="model_name").select("default").run()
    at.switch_page("mnist_app/web/pages/draw.py").run()
    assert not at.exception and not announced(at), "the learner chose the model in use themselves"
    assert at.selectbox(key="model_name").value == "default"


def test_a_model_in_use_that_is_gone_is_replaced_in_words(default_model, models_dir, monkeypatch):
    shutil.copy(default_model, models_dir / "mine.keras")
    fake_canvas(monkeypatch, canvas_drawing([]))
    at = page("draw").run()
    at.selectbox(key="model_name").select("mine").run()
    (models_dir / "mine.keras").unlink()
    at.run()
    assert not at.exception
    assert (
        as_read(at.info[0].value)
        == "**mine** is gone from the saved models or can no longer be read: the model in use is now **default**."
    )
