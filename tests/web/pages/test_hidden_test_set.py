"""The hidden test set never reaches a student's page, with Streamlit's AppTest: while a challenge
keeps half of the sample's test digits for the teacher, every student page opens on the other
half; none of the images the pages are given is a hidden digit (compared byte for byte), and
their text numbers the test digits within the public half only. A dataset the teacher keeps
whole is neither offered nor opened."""

import base64
import io
import os
import re
import shutil

import numpy as np
import pytest
from PIL import Image
from streamlit.elements.lib import image_utils

from mnist_app.classroom import challenges, hidden_split
from mnist_app.datasets.digit_arrays import IMAGE_SIZE
from tests.support import REPO
from tests.support.classroom import classroom_folder, start_challenge
from tests.support.datasets import write_npz
from tests.support.digit_strokes import SEVEN
from tests.support.pages import app_page, as_read, canvas_drawing, fake_canvas, page, wait_until

SEED = 3
DATA_URL = re.compile(rb"data:image/png;base64,([A-Za-z0-9+/=]+)")


@pytest.fixture(autouse=True)
def classroom(tmp_path, monkeypatch, models_dir, data_dir):
    return classroom_folder(tmp_path, monkeypatch)


@pytest.fixture
def halves(sample):
    """The sample's test split cut as the challenge cuts it: (public, hidden) images."""
    public, hidden = hidden_split.halves(len(sample.y_test), SEED, sample.y_test)
    return sample.x_test[public], sample.x_test[hidden]


@pytest.fixture
def two_models(models_dir, trained_mlp):
    from mnist_app.learning.model_files import save_model

    shutil.copy(REPO / "models" / "default.keras", models_dir / "cnn.keras")
    save_model(trained_mlp.model, models_dir / "mlp.keras", trained_mlp.metadata())
    return models_dir


class Pictures:
    """Every picture handed to Streamlit for the browser: st.image's and pyplot's images as the
    page gave them, and the PNG data URLs inside any element (a map's hover, a table's cells),
    as the 28x28 digits they show."""

    def __init__(self, monkeypatch):
        self.given: list = []
        self.digits: dict[str, set[bytes]] = {}
        original = image_utils.image_to_url

        def kept(image, *args, **kwargs):
            self.given.append(image)
            return original(image, *args, **kwargs)

        monkeypatch.setattr(image_utils, "image_to_url", kept)

    def take(self, name: str, at) -> None:
        """What the page `name` was given since the last call."""
        found = [as_grey(image) for image in self.given]
        self.given.clear()
        for element in elements(at):
            for encoded in DATA_URL.findall(element.proto.SerializeToString()):
                found.append(as_grey(base64.b64decode(encoded)))
        self.digits[name] = set().union(*(digits_in(picture) for picture in found if picture is not None))


def elements(at):
    def walk(node):
        if hasattr(node, "children"):
            for child in node.children.values():
                yield from walk(child)
        elif getattr(node, "proto", None) is not None:
            yield node

    return list(walk(at._tree))


def as_grey(image) -> np.ndarray | None:
    """A picture as grey levels, if it is one (a drawing of a digit is; a heat map is not)."""
    if isinstance(image, bytes | bytearray | io.BytesIO):
        try:
            image = np.asarray(
                Image.open(io.BytesIO(bytes(image.getvalue() if hasattr(image, "getvalue") else image)))
            )
        except Exception:
            return None
    if isinstance(image, Image.Image):
        image = np.asarray(image)
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim not in (2, 3):
        return None
    if image.ndim == 3:
        if image.shape[2] not in (3, 4) or not (image[..., 0] == image[..., 1]).all():
            return None
        image = image[..., 0]
    return image


def digits_in(picture: np.ndarray) -> set[bytes]:
    """Each 28x28 digit a picture shows at a whole zoom, tiled or alone, as its bytes."""
    found = set()
    height, width = picture.shape
    for zoom in range(1, 17):
        side = IMAGE_SIZE * zoom
        if height % side or width % side:
            continue
        for top in range(0, height, side):
            for left in range(0, width, side):
                found.add(
                    np.ascontiguousarray(
                        picture[top : top + side : zoom, left : left + side : zoom]
                    ).tobytes()
                )
    return found


def shown_text(at) -> str:
    return as_read(" ".join(str(element.proto) for element in elements(at)))


def digits_of(split) -> set[bytes]:
    return {image.tobytes() for image in split}


def test_the_search_finds_a_test_digit_on_a_page(monkeypatch, halves):
    """Without a challenge, Explore's sample of the test split shows hidden digits among others:
    the search below would see one."""
    pictures = Pictures(monkeypatch)
    at = page("explore")
    at.session_state["dataset"] = "mnist-sample"
    at.session_state["explore_split"] = "test"
    at.run()
    pictures.take("explore", at)
    assert pictures.digits["explore"] & (digits_of(halves[1]) - digits_of(halves[0]))


def test_no_student_page_is_given_a_hidden_digit(monkeypatch, sample, halves, two_models, data_dir):
    from mnist_app.datasets.digit_store import DigitStore

    public, hidden = digits_of(halves[0]), digits_of(halves[1])
    hidden -= public
    assert len(hidden) > 400
    DigitStore().add_many(list(sample.x_train[:60]), [int(y) for y in sample.y_train[:60]])
    start_challenge(hidden_seed=SEED)
    pictures = Pictures(monkeypatch)
    fake_canvas(monkeypatch, canvas_drawing(SEVEN))
    texts = {}

    def opened(name: str, at, until=None, **state):
        for key, value in state.items():
            at.session_state[key] = value
        at.run()
        if until is not None:
            wait_until(at, until)
        assert not at.exception, name
        texts[name] = shown_text(at)
        pictures.take(name, at)

    opened("explore", page("explore"), dataset="mnist-sample", explore_split="test", explore_index=499)
    opened("lab", app_page("lab"), dataset="mnist-sample")
    opened("build", page("build"), dataset="mnist-sample")
    opened("train", page("train"), dataset="mnist-sample", model_name="mlp")
    opened("compare", page("compare"), dataset="mnist-sample")
    opened("draw", page("draw"))
    opened("inside", page("inside"), dataset="mnist-sample", inside_source="Test image", inside_index=499)
    drawn = lambda at: "Each dot is one of the" in shown_text(at)  # noqa: E731
    opened("map", page("map"), until=drawn, dataset="mnist-sample", model_name="mlp")
    opened("trust", page("trust"), dataset="mnist-sample", model_name="mlp", trust_source="A test image")
    opened("my digits", app_page("my_digits"))

    for name, digits in pictures.digits.items():
        assert not digits & hidden, f"a hidden digit reached {name}"
    for name in ("explore", "train", "compare", "inside", "map", "trust"):
        assert pictures.digits[name] & public, f"{name} shows test digits: the search would see a hidden one"
    assert "Test images" in texts["explore"] and "(500, 28, 28)" in texts["lab"]
    assert "Each dot is one of the 500 test digits" in texts["map"]
    for name, text in texts.items():
        numbered = [int(number) for number in re.findall(r"[Tt]est image #(\d+)", text)]
        assert all(number < len(halves[0]) for number in numbered), (name, numbered)
        assert "1,000 test" not in text and "(1000, 28, 28)" not in text, name


def test_starting_and_ending_a_challenge_changes_what_a_page_gets_at_once(sample, halves):
    at = page("explore")
    at.session_state["dataset"] = "mnist-sample"
    at.run()
    assert {m.label: m.value for m in at.metric}["Test images"] == "1,000"
    start_challenge(hidden_seed=SEED)
    at.run()
    assert {m.label: m.value for m in at.metric}["Test images"] == "500"
    assert any("kept for the teacher's challenge" in as_read(info.value) for info in at.info)
    assert hidden_split.PUBLIC_NOTICE in [caption.value for caption in at.sidebar.caption]
    challenges.end()
    at.run()
    assert {m.label: m.value for m in at.metric}["Test images"] == "1,000"
    assert hidden_split.PUBLIC_NOTICE not in [caption.value for caption in at.sidebar.caption]


def test_the_same_digits_under_another_name_are_halved_too(sample, data_dir):
    """A copy of the sample in the data folder."""
    write_npz(data_dir / "copy.npz", x_train=sample.x_train, y_train=sample.y_train,
              x_test=sample.x_test, y_test=sample.y_test)  # fmt: skip
    start_challenge(hidden_seed=SEED)
    at = page("explore")
    at.session_state["dataset_path"] = "copy.npz"
    at.run()
    assert not at.exception and not at.error
    assert {m.label: m.value for m in at.metric}["Test images"] == "500"


def test_while_the_samples_test_digits_are_hidden_mnist_is_closed_and_the_page_says_why():
    """The sample's test digits are MNIST training digits: "auto" and "mnist" are not offered, and
    typed they are refused in so many words."""
    start_challenge(hidden_seed=SEED)
    at = page("explore")
    at.run()
    picker = at.sidebar.selectbox(key="dataset")
    assert "mnist" not in picker.options and "auto" not in picker.options
    assert picker.value == "mnist-sample"
    at.sidebar.text_input(key="dataset_path").set_value("auto").run()
    assert not at.exception
    (error,) = at.error
    assert "training digits hold the test digits the challenge keeps hidden" in as_read(error.value)


def test_a_dataset_kept_whole_for_the_teacher_is_not_offered_and_typed_is_not_there(data_dir, sample):
    """By its name, another spelling, a symbolic or a hard link: refused as one that is not there."""
    write_npz(data_dir / "exam.npz")
    write_npz(data_dir / "practice.npz")
    (data_dir / "alias.npz").symlink_to("exam.npz")
    os.link(data_dir / "exam.npz", data_dir / "copy.npz")
    start_challenge(hidden="exam.npz")
    at = page("explore")
    at.session_state["dataset"] = "mnist-sample"
    at.run()
    box = at.sidebar.text_input(key="dataset_path")
    offered = as_read(box.proto.help)
    assert "practice.npz" in offered
    assert not any(name in offered for name in ("exam", "alias", "copy"))
    refusals = {}
    for typed in ("exam.npz", "./exam.npz", "alias.npz", "copy.npz", "missing.npz"):
        box.set_value(typed).run()
        (error,) = at.error
        refusals[typed] = as_read(error.value).replace(typed, "NAME")
    assert len(set(refusals.values())) == 1, refusals
    for name in ("exam.npz", "alias.npz", "copy.npz"):
        (data_dir / name).unlink()
    box.set_value("exam.npz").run()
    assert as_read(at.error[0].value).replace("exam.npz", "NAME") == refusals["exam.npz"], "as if not there"
