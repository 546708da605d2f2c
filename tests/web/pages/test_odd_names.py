"""Every page with Streamlit's AppTest, on names that hold Markdown and HTML or bytes that are not UTF-8:
shown as the characters they are, and worked with."""

import re

import pytest
from streamlit.testing.v1 import AppTest

from mnist_app.web.plain_text import literal
from tests.support import REPO
from tests.support.digit_strokes import SEVEN
from tests.support.pages import app_page, canvas_drawing, fake_canvas, page, progress_texts, wait_until

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

    from mnist_app.datasets.dataset import DIGIT_NAMES
    from mnist_app.datasets.digit_store import DigitStore
    from mnist_app.learning.model_files import save_model
    from tests.support.datasets import write_split
    from tests.support.models import with_description

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
