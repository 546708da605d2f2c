"""Each page's logic with Streamlit's AppTest: no exception, and what a user relies on is there."""

import base64
import io
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw
from streamlit.testing.v1 import AppTest

from mnist_app.web import canvas
from mnist_app.web.plain_text import literal

REPO = Path(__file__).resolve().parent.parent


PAGES = REPO / "mnist_app" / "pages"


def page(name: str) -> AppTest:
    return AppTest.from_file(str(PAGES / f"{name}.py"), default_timeout=120)


def canvas_drawing(strokes) -> np.ndarray:
    """What the canvas sends back: white strokes over black, RGBA, 280x280."""
    image = Image.new("RGBA", (280, 280), (0, 0, 0, 255))
    draw = ImageDraw.Draw(image)
    for stroke in strokes:
        draw.line(stroke, fill=(255, 255, 255, 255), width=18, joint="curve")
    return np.asarray(image)


def as_read(markdown: str) -> str:
    """Markdown as a visitor reads it: each backslash escape (names are shown escaped) as its character."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown)


def fake_canvas(monkeypatch, drawing) -> None:
    """Stand in for the canvas component, which needs a browser, with what it "sent": the
    drawing as a PNG data URL, or, for a hostile client's payload, any value as it is."""
    if isinstance(drawing, np.ndarray):
        buffer = io.BytesIO()
        Image.fromarray(drawing).save(buffer, format="PNG")
        drawing = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    result = {"drawing": drawing}
    monkeypatch.setattr(canvas, "pad", lambda: lambda **options: result)


@pytest.fixture
def default_model(models_dir):
    shutil.copy(REPO / "models" / "default.keras", models_dir / "default.keras")
    return models_dir / "default.keras"


def test_app_navigation_opens_explore_and_reaches_every_page():
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120).run()
    assert not at.exception
    assert at.title[0].value == "Explore the digits"
    for name, title in [("train", "Train a classifier"), ("draw", "Draw a digit")]:
        at.switch_page(f"mnist_app/web/pages/{name}.py").run()
        assert not at.exception
        assert at.title[0].value == title


def test_explore_shows_the_sample_and_says_why():
    at = page("explore").run()
    assert not at.exception
    assert "embedded sample" in at.info[0].value and "full MNIST" in at.info[0].value
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Training images"] == "4,000" and metrics["Test images"] == "1,000"
    assert [h.value for h in at.header] == [
        "Samples",
        "Any image by index",
        "Class balance",
        "The mean image of each class",
        "Pixel intensities",
    ]
    balance, histogram = (element.proto.body for element in at.get("html"))
    assert "0: 400 train, 100 test;" in balance, "the sample's 400/100 a class"
    assert 'class="histogram"' in histogram and "the tallest column is" in histogram


def test_the_first_page_imports_neither_pandas_nor_altair():
    """Streamlit converts any chart's data through pandas and Arrow: importing them on a
    server's first page held the sample digits back (BENCHMARKS §8)."""
    code = (
        "import sys\n"
        "from streamlit.testing.v1 import AppTest\n"
        f"at = AppTest.from_file({str(PAGES / 'explore.py')!r}, default_timeout=120).run()\n"
        "assert not at.exception, at.exception\n"
        "print(sorted(name for name in ('pandas', 'altair') if name in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_explore_opens_with_the_dataset_the_operator_set(monkeypatch):
    """MNIST_APP_DATASET naming one of the known datasets is the picker's first choice."""
    monkeypatch.setenv("MNIST_APP_DATASET", "mnist-sample")
    at = page("explore").run()
    assert not at.exception
    assert at.selectbox(key="dataset").value == "mnist-sample"
    assert not at.info, "the sample chosen outright: no fallback notice"


def test_explore_filters_by_class_and_shows_any_index(sample):
    at = page("explore").run()
    at.selectbox(key="explore_class").select("7").run()
    at.number_input(key="explore_index").set_value(3999).run()
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["Label"] == str(sample.y_train[3999])


def test_explore_reports_a_bad_dataset_path_with_st_error(tmp_path):
    at = page("explore").run()
    at.text_input(key="dataset_path").input(str(tmp_path / "missing")).run()
    assert not at.exception
    assert "Cannot open the dataset" in at.error[0].value


def test_train_page_trains_saves_and_selects_a_model(models_dir, monkeypatch):
    """...and keeps at most MNIST_APP_MAX_MODELS that the app trained: here the old one goes."""
    from tests.test_store import with_description

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
    assert [p.name for p in models_dir.glob("*.keras")] == ["mlp-mnist-sample.keras"]
    assert at.selectbox(key="model_name").value == "mlp-mnist-sample"
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


def test_draw_page_without_models_says_to_train_one(models_dir):
    at = page("draw").run()
    assert not at.exception
    assert "train one on the Train page" in at.warning[0].value


def test_draw_page_asks_for_a_digit_on_an_empty_canvas(default_model, monkeypatch):
    fake_canvas(monkeypatch, canvas_drawing([]))
    at = page("draw").run()
    assert not at.exception
    assert not at.metric
    assert "Draw a digit" in at.info[0].value


def test_draw_page_reads_a_drawn_seven(default_model, monkeypatch):
    seven = canvas_drawing([[(60, 60), (220, 60), (120, 240)]])
    fake_canvas(monkeypatch, seven)
    at = page("draw").run()
    assert not at.exception
    prediction = next(m for m in at.metric if m.label == "Prediction")
    assert prediction.value == "7"
    assert "Confidence" in at.caption[-1].value
    (bars,) = at.get("html")
    assert "Probability of each class" in bars.proto.body
    assert 'font-weight:700;">7</span>' in bars.proto.body, "the 7 is the bar in bold"
    assert len(at.get("image")) == 1, "the 28x28 image the model saw is shown"


@pytest.mark.parametrize(
    "payload",
    ["data:image/png;base64,AAAA", ["not", "a", "picture"], "data:image/png;base64," + "A" * 3_000_000],
    ids=["damaged-png", "list", "three-megabytes"],
)
@pytest.mark.parametrize("name", ["draw", "inside"])
def test_a_forged_drawing_gets_a_message_and_the_page_keeps_working(
    default_model, monkeypatch, name, payload
):
    """A session's websocket can send any value as the canvas's drawing: it is never decoded blindly."""
    fake_canvas(monkeypatch, payload)
    at = page(name).run()
    assert not at.exception
    assert any("Cannot read the drawing" in error.value for error in at.error)
    assert not any(m.label == "Prediction" for m in at.metric)
    assert any("Draw a digit" in info.value for info in at.info)


def test_draw_page_reports_a_broken_model_file(models_dir):
    (models_dir / "broken.keras").write_bytes(b"PK\x03\x04 torn")
    at = page("draw").run()
    assert not at.exception
    assert "train one on the Train page" in at.warning[0].value


def test_draw_page_refuses_a_hostile_model_and_keeps_working(hostile_model, models_dir, monkeypatch):
    path, marker = hostile_model
    shutil.copy(path, models_dir / "hostile.keras")
    fake_canvas(monkeypatch, canvas_drawing([[(140, 40), (140, 240)]]))
    at = page("draw").run()
    assert not at.exception
    assert "Python code" in at.error[0].value
    assert not marker.exists()


def test_train_page_lists_a_broken_model_file_as_broken(default_model, models_dir):
    (models_dir / "torn.keras").write_bytes(b"PK\x03\x04 torn")
    at = page("train").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert table.set_index("name").loc["torn", "problem"].startswith("torn.keras is not a readable")
    assert float({m.label: m.value for m in at.metric}["Accuracy"]) > 0.9


def progress_texts(at: AppTest) -> list[str]:
    return [element.proto.text for element in at.get("progress")]


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


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def test_draw_page_reads_an_uploaded_photo_of_dark_ink_on_paper(default_model, monkeypatch):
    fake_canvas(monkeypatch, None)
    photo = Image.new("L", (300, 400), 235)
    ImageDraw.Draw(photo).line([(70, 90), (230, 90), (120, 330)], fill=30, width=24)
    at = page("draw").run()
    at.get("file_uploader")[0].upload("seven.png", png_bytes(photo), "image/png").run()
    assert not at.exception
    assert next(m for m in at.metric if m.label == "Prediction").value == "7"
    assert "colours inverted" in at.get("image")[0].proto.imgs[0].caption


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.png", b"this is a text file, not a picture", "not a readable image"),
        ("huge.png", png_bytes(Image.new("1", (20000, 20000))), "too many pixels"),
    ],
)
def test_draw_page_refuses_a_bad_upload_and_keeps_working(default_model, monkeypatch, name, content, message):
    fake_canvas(monkeypatch, None)
    at = page("draw").run()
    at.get("file_uploader")[0].upload(name, content, "image/png").run()
    assert not at.exception
    assert message in at.error[0].value and "Upload a PNG, JPEG" in at.error[0].value
    assert at.button(key="clear_canvas") and at.selectbox(key="model_name").value == "default"


def test_choices_hold_across_pages():
    """The dataset picked on Explore and the split shown stay picked after a visit to Draw."""
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120).run()
    at.selectbox(key="dataset").select("mnist-sample").run()
    at.switch_page("mnist_app/web/pages/draw.py").run()
    at.switch_page("mnist_app/web/pages/explore.py").run()
    assert not at.exception
    assert at.selectbox(key="dataset").value == "mnist-sample"
    assert not at.info, "the sample was chosen, so no fallback notice"


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


# --- Hostile input on every page ----------------------------------------------------------


def drop_odd_models(models_dir: Path, source: Path) -> dict[str, str]:
    """Files a careless or hostile person might drop into models/: name -> words of its refusal."""
    from tests.test_store import broken_descriptions

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
    assert problems["my model (copy)"] == ""
    assert str(models_dir) not in " ".join(problems), "the server's paths stay on the server"
    assert float({m.label: m.value for m in at.metric}["Accuracy"]) > 0.9
    fake_canvas(monkeypatch, canvas_drawing([[(60, 60), (220, 60), (120, 240)]]))
    draw = page("draw").run()
    assert not draw.exception
    assert next(m for m in draw.metric if m.label == "Prediction").value == "7"


def test_a_model_of_the_wrong_shape_is_refused_when_chosen(models_dir, monkeypatch):
    import keras

    from mnist_app.learning.model_store import save_model

    three_classes = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(3)])
    save_model(three_classes, models_dir / "three.keras", {})
    fake_canvas(monkeypatch, canvas_drawing([[(140, 40), (140, 240)]]))
    at = page("draw").run()
    assert not at.exception
    assert "Cannot use this model" in at.error[0].value and "(3,)" in as_read(at.error[0].value)
    train = page("train").run()
    assert not train.exception
    assert "Cannot evaluate three" in train.error[0].value


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


def test_a_dataset_in_the_data_folder_opens_from_the_browser(data_dir, sample):
    np.savez(
        data_dir / "mine.npz",
        x_train=sample.x_train[:50],
        y_train=sample.y_train[:50],
        x_test=sample.x_test[:20],
        y_test=sample.y_test[:20],
    )
    at = page("explore").run()
    assert "mine.npz" in as_read(at.text_input(key="dataset_path").proto.help)
    at.text_input(key="dataset_path").input("mine.npz").run()
    assert not at.exception and not at.error
    assert {m.label: m.value for m in at.metric}["Training images"] == "50"


EPS = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n"


@pytest.mark.parametrize(
    ("name", "content"),
    [("digit.png", EPS), ("tiff.png", b"II*\x00" + b"\x00" * 64), ("empty.png", b"")],
)
def test_draw_page_refuses_hostile_uploads_and_keeps_working(default_model, monkeypatch, name, content):
    fake_canvas(monkeypatch, None)
    at = page("draw").run()
    at.get("file_uploader")[0].upload(name, content, "image/png").run()
    assert not at.exception
    assert f"Cannot read {name}" in as_read(at.error[0].value)
    assert at.button(key="clear_canvas")


def test_on_a_shared_server_visitors_change_only_their_own_models(default_model, models_dir, monkeypatch):
    monkeypatch.setenv("MNIST_APP_SHARED", "1")
    shutil.copy(default_model, models_dir / "someone-elses.keras")
    at = page("train").run()
    at.selectbox(key="manage_model").select("someone-elses").run()
    assert not at.exception
    assert any("only the models you trained" in caption.value for caption in at.caption)
    assert "delete_model" not in {button.key for button in at.button}, "no delete button to send"


# --- Inside ---------------------------------------------------------------------------------


SEVEN = [[(60, 60), (220, 60), (120, 240)]]


@pytest.fixture(scope="module")
def inside_models(tmp_path_factory, trained_mlp):
    """The shipped CNN, the lab's MLP, and a small Fashion-MNIST model of other layer sizes."""
    import keras

    from mnist_app.datasets.catalogue import FASHION_NAMES
    from mnist_app.learning.model_store import save_model

    folder = tmp_path_factory.mktemp("inside-models")
    shutil.copy(REPO / "models" / "default.keras", folder / "cnn.keras")
    save_model(trained_mlp.model, folder / "mlp.keras", trained_mlp.metadata())
    fashion = keras.Sequential(
        [
            keras.Input((28, 28)),
            keras.layers.Reshape((28, 28, 1)),
            keras.layers.Conv2D(6, 5, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Flatten(),
            keras.layers.Dense(40, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    save_model(fashion, folder / "fashion.keras", {"arch": "small", "classes": list(FASHION_NAMES)})
    return folder


@pytest.mark.parametrize(
    ("name", "methods", "first_layer_caption"),
    [
        ("cnn", ["Integrated gradients", "Grad-CAM", "Input gradient"], "Each filter of"),
        ("mlp", ["Integrated gradients", "Input gradient"], "Each unit of"),
        ("fashion", ["Integrated gradients", "Grad-CAM", "Input gradient"], "Each filter of"),
    ],
)
def test_inside_page_shows_every_layer_and_why(
    inside_models, models_dir, monkeypatch, name, methods, first_layer_caption
):
    shutil.copy(inside_models / f"{name}.keras", models_dir / f"{name}.keras")
    fake_canvas(monkeypatch, canvas_drawing(SEVEN))
    at = page("inside").run()
    assert not at.exception and not at.error
    assert [h.value for h in at.header] == ["Every layer", "What a unit looks for"]
    assert at.selectbox(key="inside_method").options == methods
    from mnist_app.datasets.catalogue import FASHION_NAMES

    prediction = next(m for m in at.metric if m.label == "Prediction").value
    assert prediction == "7" if name != "fashion" else prediction in FASHION_NAMES
    assert any(first_layer_caption in c.value for c in at.caption)
    from mnist_app.learning.inspection import METHOD_TITLES

    for method in (method for method, title in METHOD_TITLES.items() if title in methods):
        at.selectbox(key="inside_method").select(method).run()
        assert not at.exception and not at.error
        captions = [img.caption for element in at.get("image") for img in element.proto.imgs]
        assert any(caption.startswith(f"{METHOD_TITLES[method]} for") for caption in captions), captions
    at.selectbox(key="inside_target").select(at.selectbox(key="inside_target").options[4]).run()
    assert not at.exception and not at.error


def test_inside_page_reads_test_images_and_finds_a_mistake(default_model, monkeypatch):
    fake_canvas(monkeypatch, None)
    at = page("inside").run()
    at.segmented_control(key="inside_source").set_value("Test image").run()
    assert not at.exception
    at.number_input(key="inside_index").set_value(7).run()
    assert any("test image #7" in c.value for c in at.caption)
    at.button(key="inside_wrong").click().run()
    assert not at.exception and not at.error
    index = at.number_input(key="inside_index").value
    assert index != 7, "moved to a digit the model reads wrong"


def test_inside_page_asks_for_a_digit_on_an_empty_canvas(default_model, monkeypatch):
    fake_canvas(monkeypatch, canvas_drawing([]))
    at = page("inside").run()
    assert not at.exception
    assert "Draw a digit" in at.info[0].value


def wait_until(at: AppTest, done, timeout: float = 180) -> AppTest:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not done(at):
        time.sleep(0.5)
        at.run()
    return at


def app_page(name: str) -> AppTest:
    """A page opened through the app's navigation, where links to other pages resolve."""
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120).run()
    at.switch_page(f"mnist_app/web/pages/{name}.py")
    return at


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
    wait_until(at, lambda at: any("Saved as" in s.value for s in at.success))
    assert not at.exception
    table = at.dataframe[0].value
    assert table["architecture"].tolist() == ["MLP, the lab's network", "CNN, four conv layers"]
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
    from mnist_app.learning.model_store import load_model

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


@pytest.fixture
def compared_models(models_dir, inside_models):
    for name in ("cnn", "mlp", "fashion"):
        shutil.copy(inside_models / f"{name}.keras", models_dir / f"{name}.keras")
    return models_dir


def test_compare_page_lines_up_the_newest_mlp_and_cnn(compared_models):
    at = page("compare").run()
    assert not at.exception
    assert at.multiselect(key="compare_models").value == ["mlp", "cnn"]
    table = at.dataframe[0].value
    assert table["model"].tolist() == ["mlp", "cnn"] and table["parameters"].tolist()[0] == 694_950
    assert (table["one digit (ms)"] > 0).all() and (table["size on disk (MB)"] > 0).all()
    words = " ".join(m.value for m in at.markdown)
    assert "**cnn** makes" in words and "fewer mistakes than **mlp**" in words
    assert "No curve history for **cnn**" in " ".join(c.value for c in at.caption), (
        "the shipped model predates it"
    )
    assert [s.value for s in at.subheader] == [
        "In plain words", "Training curves", "Accuracy per class", "Where they disagree"
    ]  # fmt: skip
    labels = [tab.label for tab in at.tabs]
    assert labels[0].startswith("mlp right, cnn wrong (") and labels[1].startswith("cnn right, mlp wrong (")
    assert labels[2].startswith("every model wrong (")


def test_compare_page_selected_disagreement_shows_every_models_probabilities(compared_models):
    at = page("compare").run()
    at.session_state["disagree_b_mlp_cnn"] = {"selection": {"rows": [0]}}
    at.session_state["compare_confusion_cnn"] = {"selection": {"cells": [[9, "4"]]}}
    at.run()
    assert not at.exception
    table = next(d for d in at.dataframe if d.key == "disagree_b_mlp_cnn").value
    first = int(table["test image"].iloc[0])
    captions = [image.proto.imgs[0].caption for image in at.get("image")]
    assert f"Test image #{first}, labelled {table['true'].iloc[0]}" in captions
    assert table["cnn said"].iloc[0].startswith(table["true"].iloc[0]), "the CNN reads it right"
    assert any(m.value.startswith("**True 9, said 4:**") for m in at.markdown)


def test_compare_page_leaves_out_a_model_of_other_classes(compared_models):
    at = page("compare")
    at.session_state["compare_models"] = ["mlp", "fashion", "cnn"]
    at.run()
    assert not at.exception
    assert "**fashion** was trained on other classes" in at.warning[0].value
    assert at.dataframe[0].value["model"].tolist() == ["mlp", "cnn"]


def test_compare_page_with_one_model_says_how_to_get_two(default_model):
    at = app_page("compare").run()
    assert not at.exception
    assert "Comparing needs two saved models" in at.info[0].value
    assert at.get("page_link")[0].proto.label == "Train both"


def test_a_stale_or_odd_selection_selects_nothing():
    from mnist_app.web.panels import selected_cell

    assert selected_cell({"cells": [[3, "9"]]}, 10) == (3, 9)
    for odd in [None, {}, {"cells": []}, {"cells": [[10, "1"]]}, {"cells": [[1, "10"]]}, {"cells": [[-1, "1"]]},
                {"cells": [[1, "x"]]}, {"cells": [["1", "1"]]}, {"cells": [[1, "1"], [2, "2"]]}]:  # fmt: skip
        assert selected_cell(odd, 10) is None


def test_lab_page_walks_every_step_and_trains_with_the_labs_log(models_dir):
    at = app_page("lab").run()
    assert not at.exception
    assert [h.value for h in at.header] == [
        "1. Import Keras and load the data", "2. Look at the first image", "3. Prepare the data",
        "4. Build the network", "5. Train", "6. Evaluate", "7. Save and load", "8. What next",
    ]  # fmt: skip
    codes = [c.value.rstrip() for c in at.code]
    assert "(4000, 28, 28)\n(1000, 28, 28)" in codes, "step 1 prints the shapes"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Pixels before"] == "0 to 255" and metrics["Pixels after"] == "0 to 1"
    assert metrics["Parameters in all"] == "694,950"
    assert len(at.get("imgs")) + len(at.get("image")) >= 1, "step 2's figure"
    assert [i.value for i in at.info].count("Run step 5 first: this step uses the model it trains.") == 2
    at.number_input(key="lab_epochs").set_value(2).run()
    assert any("epochs=2, batch_size=32" in c.value for c in at.code), "the fit cell shows the choice"
    at.button(key="lab_train").click().run()
    wait_until(at, lambda at: any(c.value.startswith("Accuracy:") for c in at.code))
    assert not at.exception
    codes = [c.value.rstrip() for c in at.code]
    log = next(c for c in codes if c.startswith("Epoch 1/2"))
    assert re.fullmatch(
        r"(Epoch \d/2 - \d+s - loss: [\d.]+ - acc: [\d.]+ - val_loss: [\d.]+ - val_acc: [\d.]+\n?){2}", log
    )
    assert re.fullmatch(
        r"Accuracy: 0\.\d+ \n Error: 0\.\d+", next(c for c in codes if c.startswith("Accuracy:"))
    )
    assert "The loaded model gives the same predictions: True" in codes
    assert [p.name for p in models_dir.glob("*.keras")] == ["mlp-mnist-sample.keras"]
    assert {link.proto.label for link in at.get("page_link")} == {"Train the CNN", "Compare the two"}


def test_lab_page_offers_the_notebook_and_the_script(models_dir):
    at = app_page("lab").run()
    labels = [button.proto.label for button in at.get("download_button")]
    assert labels == ["Download as notebook", "Download as script"]


def test_compare_page_starts_from_models_that_read_the_dataset_and_survives_odd_ones(compared_models):
    """A newer MLP of other classes is not a default; a model whose figures are absurd is listed as broken."""
    import json

    from tests.test_store import with_description

    fashion = json.dumps(
        {"arch": "mlp", "classes": [f"c{i}" for i in range(10)], "created": "2099-01-01T00:00:00"}
    )
    with_description(compared_models / "mlp.keras", compared_models / "fashion-mlp.keras",
                     lambda archive: archive.writestr("mnist_app.json", fashion))  # fmt: skip
    absurd = json.dumps({"arch": "cnn", "training_seconds": 10**400, "created": "2099-01-02T00:00:00"})
    with_description(compared_models / "cnn.keras", compared_models / "absurd.keras",
                     lambda archive: archive.writestr("mnist_app.json", absurd))  # fmt: skip
    at = page("compare").run()
    assert not at.exception and not at.error
    assert at.multiselect(key="compare_models").value == ["mlp", "cnn"]
    assert "absurd" not in at.multiselect(key="compare_models").options


def test_draw_page_saves_a_digit_to_my_digits_with_a_corrected_label(default_model, data_dir, monkeypatch):
    from mnist_app.datasets.digit_store import DigitStore

    seven = canvas_drawing([[(60, 60), (220, 60), (120, 240)]])
    fake_canvas(monkeypatch, seven)
    at = page("draw").run()
    picker = next(s for s in at.selectbox if s.key and s.key.startswith("keep_label_"))
    assert picker.value == 7, "the prediction is the label offered"
    picker.select(1).run()
    at.button(key="keep_digit").click().run()
    assert not at.exception
    assert "labelled 1" in at.success[0].value
    kept = DigitStore().read()
    assert kept.labels.tolist() == [1] and kept.images[0].max() == 255


def test_explore_corrects_and_deletes_my_digits(data_dir):
    from mnist_app.datasets.digit_store import DigitStore

    store = DigitStore()
    rng = np.random.default_rng(0)
    store.add_many([rng.integers(0, 256, (28, 28), dtype=np.uint8) for _ in range(12)], [4] * 12)
    at = page("explore")
    at.session_state["dataset"] = "my-digits"
    at.run()
    assert not at.exception and not at.error
    split = at.segmented_control(key="explore_split").value
    first = int(store.read().ids_of(split)[0])
    at.selectbox(key=f"relabel_{first}").select(9).run()
    at.button(key=f"relabel_digit_{first}").click().run()
    assert not at.exception
    assert dict(zip(store.read().ids.tolist(), store.read().labels.tolist(), strict=True))[first] == 9
    assert {m.label: m.value for m in at.metric}["Label"] == "9"
    at.button(key=f"delete_digit_{first}").click().run()
    assert first not in store.read().ids.tolist() and len(store.read().ids) == 11
    assert not at.exception


def test_explore_deletes_the_digit_on_screen_even_after_another_visitor_deleted_one(data_dir):
    """The button carries the id of the digit shown: a delete elsewhere shifts no index onto it."""
    from mnist_app.datasets.digit_store import DigitStore

    store = DigitStore()
    store.add_many([np.full((28, 28), i, np.uint8) for i in range(40)], [i % 10 for i in range(40)])
    at = page("explore")
    at.session_state["dataset"] = "my-digits"
    at.run()
    split = at.segmented_control(key="explore_split").value
    ids = [int(i) for i in store.read().ids_of(split)]
    at.number_input(key="explore_index").set_value(3).run()
    shown = ids[3]
    store.delete(ids[0])
    at.button(key=f"delete_digit_{shown}").click().run()
    assert not at.exception
    left = store.read().ids.tolist()
    assert shown not in left and ids[4] in left, "the digit on screen went, its neighbour stayed"
    at.number_input(key="explore_index").set_value(0).run()
    target = int(store.read().ids_of(split)[0])
    store.delete(target)
    at.button(key=f"delete_digit_{target}").click().run()
    assert not at.exception
    assert f"Cannot change your digit #{target}: no digit #{target} in my-digits." in [
        as_read(e.value) for e in at.error
    ]


def test_an_empty_my_digits_says_how_to_fill_it(data_dir):
    at = page("explore")
    at.session_state["dataset"] = "my-digits"
    at.run()
    assert not at.exception
    assert "my-digits holds no digits yet: draw some and save them" in as_read(at.error[0].value)


def test_my_digits_page_reads_and_fine_tunes_on_the_learners_digits(
    default_model, models_dir, data_dir, sample
):
    from mnist_app.datasets.digit_store import DigitStore

    DigitStore().add_many(list(sample.x_train[:60]), [int(y) for y in sample.y_train[:60]])
    at = app_page("my_digits").run()
    assert not at.exception
    assert [h.value for h in at.header] == [
        "Your digits",
        "How default reads them",
        "Teach it your handwriting",
    ]
    assert at.metric[0].label.startswith("default on your")
    at.number_input(key="finetune_epochs").set_value(1).run()
    at.button(key="finetune_start").click().run()
    wait_until(at, lambda at: any("Saved as" in s.value for s in at.success))
    assert not at.exception and not at.error
    assert "started from **default**" in at.success[-1].value
    table = at.dataframe[-1].value
    assert table["test split"].tolist() == ["your test digits", "mnist-sample test split"]
    assert ((table[["before", "after"]] >= 0) & (table[["before", "after"]] <= 1)).all().all()


def test_my_digits_page_without_digits_says_where_to_draw_them(default_model, data_dir):
    at = app_page("my_digits").run()
    assert not at.exception
    assert "You have saved no digits yet" in at.info[0].value


# Markdown and HTML that a file, a folder, a model or a visitor may name. A file's name cannot
# hold "/"; browsers read "https:elsewhere.example" as "https://elsewhere.example/".
HOSTILE = "![x](https://elsewhere.example/x.png) :red[big] **bold** [link](javascript:alert(1)) <img src=x onerror=alert(1)>"
HOSTILE_MODELS = {
    "![x](https:elsewhere.example)": "mlp",
    ":red[big] **bold**": "cnn",
    "[link](javascript:alert(1)) <img src=x onerror=alert(1)>": "cnn",
}
# Its classes are named in Markdown and HTML too, its layers in what TensorFlow lets through.
ODD_CLASSES_MODEL = "<img src=x onerror=alert(2)> :blue[classes]"
ODD_LAYER = "__units__"
HOSTILE_FOLDER = ":red[big] ![x](https:elsewhere.example) <img src=x onerror=alert(1)>"
# Markdown that would render: an image or link, a colour directive, emphasis, HTML, a URL.
RENDERED = re.compile(r"!\[|\]\(|:(red|blue)\[|(?<!\\)\*bold|__units|(?<!\\)<img|javascript:|https:")
# Fields Streamlit shows as plain text (select options, code, a text box's value, ids) or
# never shows (keys, chart data); everything else is Markdown, except st.html's body.
PLAIN_TEXT_FIELDS = {
    "selectbox.options", "selectbox.raw_value", "multiselect.options", "multiselect.raw_values",
    "text_input.value", "text_input.default", "text_input.placeholder", "code.code_text",
    "vega_lite_chart.spec",  # Vega draws its text as text
}  # fmt: skip
HTML_FIELDS = {"html.body"}


@pytest.fixture
def hostile_names(models_dir, data_dir, sample):
    """Models, a dataset folder and my digits, every name and description holding Markdown and HTML."""
    import json

    import keras

    from mnist_app.datasets.catalogue import DIGIT_NAMES
    from mnist_app.datasets.digit_store import DigitStore
    from mnist_app.learning.model_store import save_model
    from tests.test_data import write_split
    from tests.test_store import with_description

    for day, (name, arch) in enumerate(HOSTILE_MODELS.items(), start=1):
        created = f"2026-01-0{day}T00:00"
        description = json.dumps(
            {"arch": arch, "dataset": HOSTILE, "classes": DIGIT_NAMES, "created": created}
        )
        with_description(
            REPO / "models" / "default.keras", models_dir / f"{name}.keras",
            lambda archive, description=description: archive.writestr("mnist_app.json", description),
        )  # fmt: skip
    odd = keras.Sequential(
        [
            keras.Input((28, 28)),
            keras.layers.Flatten(),
            keras.layers.Dense(16, activation="relu", name=ODD_LAYER),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    classes = [f"{digit} {HOSTILE}" for digit in DIGIT_NAMES]
    description = {"arch": "mlp", "dataset": HOSTILE, "classes": classes}
    save_model(odd, models_dir / f"{ODD_CLASSES_MODEL}.keras", description)
    folder = data_dir / HOSTILE_FOLDER
    folder.mkdir()
    write_split(folder, "train", sample.x_train[:2000], sample.y_train[:2000])
    write_split(folder, "t10k", sample.x_test[:100], sample.y_test[:100])
    DigitStore().add_many(list(sample.x_train[:30]), [int(y) for y in sample.y_train[:30]])


def shown_text(*blocks) -> dict[str, list[str]]:
    """Every string the page sent to the browser, by element and field, read from the protos."""
    found: dict[str, list[str]] = {}

    def read(message, where: str) -> None:
        for field, value in message.ListFields():
            if field.message_type is not None and field.message_type.GetOptions().map_entry:
                values = [*value.keys(), *value.values()]
            else:
                values = value if field.is_repeated else [value]
            for item in values:
                if isinstance(item, str):
                    found.setdefault(f"{where}.{field.name}", []).append(item)
                elif hasattr(item, "ListFields"):
                    read(item, f"{where}.{field.name}")

    def walk(node) -> None:
        if getattr(node, "proto", None) is not None:
            read(node.proto, node.type)
        for child in getattr(node, "children", {}).values():
            walk(child)

    for block in blocks:
        walk(block)
    return found


def assert_shown_literally(at: AppTest, *expected: str) -> None:
    """No Markdown or HTML from a name renders anywhere on the page, and the names are there."""
    assert not at.exception, at.exception
    found = shown_text(at.main, at.sidebar)
    for where, texts in found.items():
        if where in PLAIN_TEXT_FIELDS or where.endswith(".id"):
            continue
        for text in texts:
            if where in HTML_FIELDS:
                assert "<img" not in text, (where, text)
            else:
                assert not RENDERED.search(text), (where, text)
    shown = shown_text(at.main).items()
    markdown = " ".join(" ".join(texts) for where, texts in shown if where not in PLAIN_TEXT_FIELDS)
    for name in expected:
        assert literal(name) in markdown, name


@pytest.mark.parametrize(
    ("name", "state", "expected"),
    [
        ("explore", {}, [HOSTILE_FOLDER]),
        ("lab", {}, [HOSTILE_FOLDER]),
        ("train", {"model_name": ODD_CLASSES_MODEL}, [HOSTILE_FOLDER, ODD_CLASSES_MODEL, HOSTILE]),
        (
            "compare",
            {"compare_models": [*HOSTILE_MODELS, ODD_CLASSES_MODEL]},
            [HOSTILE_FOLDER, *HOSTILE_MODELS],
        ),
        ("draw", {"model_name": ODD_CLASSES_MODEL}, [HOSTILE]),
        ("inside", {"model_name": ODD_CLASSES_MODEL}, [HOSTILE, ODD_CLASSES_MODEL, ODD_LAYER]),
        ("my_digits", {"model_name": ":red[big] **bold**"}, [":red[big] **bold**"]),
    ],
)
def test_markdown_and_html_in_names_are_shown_literally_on_every_page(
    hostile_names, monkeypatch, name, state, expected
):
    """Model files, their descriptions and layers, and a dataset folder, all named in Markdown
    and HTML: no image, link, colour, emphasis or tag of theirs renders on any page."""
    fake_canvas(monkeypatch, canvas_drawing(SEVEN))
    at = app_page(name)
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    if name in ("explore", "lab", "train", "compare"):
        at.text_input(key="dataset_path").input(HOSTILE_FOLDER).run()
    assert not at.error, [e.value for e in at.error]
    assert_shown_literally(at, *expected)


def test_a_typed_path_and_an_uploads_name_are_shown_literally_in_their_errors(hostile_names, monkeypatch):
    """What a visitor types or uploads comes back in `st.error` as the characters it is."""
    at = page("explore").run()
    at.text_input(key="dataset_path").input(HOSTILE).run()
    assert "Cannot open the dataset" in at.error[0].value
    assert_shown_literally(at, HOSTILE)
    fake_canvas(monkeypatch, None)
    at = page("draw").run()
    at.get("file_uploader")[0].upload(f"{HOSTILE}.png", b"not a picture", "image/png").run()
    assert "Cannot read" in at.error[0].value
    assert_shown_literally(at, f"{HOSTILE}.png")


def test_training_on_a_dataset_named_in_markdown_shows_its_name_literally(hostile_names):
    """The progress line names the dataset; the end says where the model was saved."""
    at = app_page("train").run()
    at.text_input(key="dataset_path").input(HOSTILE_FOLDER).run()
    at.number_input(key="train_epochs").set_value(200).run()
    at.button(key="start_training").click().run()
    wait_until(at, lambda at: any("epoch" in text for text in progress_texts(at)), timeout=120)
    assert_shown_literally(at, HOSTILE_FOLDER)
    assert any(literal(HOSTILE_FOLDER) in text for text in progress_texts(at))
    at.button(key="stop_training").click().run()
    wait_until(at, lambda at: any("Saved as" in s.value for s in at.success))
    assert_shown_literally(at, HOSTILE_FOLDER)


# --- Model files named in bytes that are not UTF-8; a read-only models folder ---------------


@pytest.fixture
def model_named_in_bytes(default_model, models_dir):
    """A copy of the default model named `x\\xff.keras`, byte 0xff and all (Python: `x\\udcff`).

    Its description is the default's, so it sorts first (by name) and is every page's model in use.
    """
    odd = os.fsencode(models_dir) + b"/x\xff.keras"
    shutil.copy(default_model, odd)
    return odd


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


@pytest.mark.parametrize("name", ["draw", "compare", "inside", "my_digits"])
def test_every_page_that_picks_a_model_works_with_one_named_in_bytes_that_are_not_utf8(
    model_named_in_bytes, data_dir, name
):
    """Each loads, reads or evaluates it; none shows an error about it (nor any failure)."""
    at = app_page(name)
    at.session_state["inside_source"] = "Test image"
    at.run()
    assert not at.exception
    if name == "compare":
        assert at.multiselect(key="compare_models").value == ["x\\xff", "default"]
        assert at.dataframe[0].value["model"].tolist() == ["x\\xff", "default"]
    else:
        assert at.selectbox(key="model_name").value == "x\\xff"
    errors = [error.value for error in at.error]
    assert not [e for e in errors if "model" in e.lower() or "unexpected" in e], errors
    if name == "inside":
        assert next(m for m in at.metric if m.label == "Prediction")


def test_a_read_only_models_folder_says_why_on_the_train_page_never_the_servers_path(
    default_model, models_dir, monkeypatch
):
    """Rename, delete and the save after training each say the system's reason, and no path."""
    from tests.test_store import refuse_folder_changes

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


def test_on_a_shared_server_a_visitor_sees_and_changes_only_their_own_digits(data_dir, monkeypatch):
    """The issue's case: B saw A's drawing on Explore as "Your digit #31" and could delete it."""
    from mnist_app.datasets.digit_store import DigitStore, split_of

    monkeypatch.setenv("MNIST_APP_SHARED", "1")
    DigitStore(owner="token-a").add_many([np.full((28, 28), i, np.uint8) for i in range(10)], list(range(10)))
    DigitStore().add(np.full((28, 28), 99, np.uint8), 9)
    trained_on = [np.full((28, 28), v, np.uint8) for v in range(100, 200)]
    image = next(image for image in trained_on if split_of(image) == "train")
    (mine, _) = DigitStore(owner="token-b").add(image, 4)
    at = page("explore")
    at.session_state["visitor_token"] = "token-b"
    at.session_state["dataset"] = "my-digits"
    at.run()
    assert not at.exception and not at.error
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Training images"], metrics["Test images"]) == ("1", "0")
    assert f"Your digit #{mine}, kept in the train split." in [c.value for c in at.caption]
    at.text_input(key="dataset_path").input("my-digits").run()
    assert {m.label: m.value for m in at.metric}["Training images"] == "1", "typed, the name is theirs too"
    at.text_input(key="dataset_path").input("").run()
    at.button(key=f"delete_digit_{mine}").click().run()
    assert not at.exception
    assert DigitStore(owner="token-b").counts()["total"] == 0
    assert DigitStore().counts()["total"] == 11, "A's and the command line's digits stay"


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
