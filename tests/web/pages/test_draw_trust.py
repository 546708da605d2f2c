"""Draw with what a model is saved with: "this does not look like a digit to me" below its
threshold, and its calibrated probabilities on request; a model without them reads as before."""

import json
import re

import pytest

from mnist_app.learning.model_files import METADATA_ENTRY, read_metadata
from tests.support import REPO
from tests.support.digit_strokes import SEVEN
from tests.support.models import with_description
from tests.support.pages import as_read, canvas_drawing, fake_canvas, page

SCRIBBLE = [[(40, 60), (240, 90), (60, 200), (230, 240)]]


def described(models_dir, name: str, created: str, **values):
    """The shipped CNN under `name`, its description given `values` (and a date that orders it)."""
    description = {**read_metadata(REPO / "models" / "default.keras"), "created": created, **values}
    text = json.dumps(description)
    return with_description(
        REPO / "models" / "default.keras",
        models_dir / f"{name}.keras",
        lambda archive: archive.writestr(METADATA_ENTRY, text),
    )


def metrics(at) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric}


def shown(at) -> str:
    return as_read(" ".join(m.value for m in at.markdown))


def test_a_scribble_below_the_threshold_is_not_a_digit_to_the_model(models_dir, monkeypatch):
    described(models_dir, "doubtful", "2030-01-02T00:00", not_a_digit_threshold=0.999999)
    fake_canvas(monkeypatch, canvas_drawing(SCRIBBLE))
    at = page("draw").run()
    assert not at.exception and not at.error
    assert metrics(at) == {"Prediction": "Not a digit"}
    said = shown(at)
    assert "This does not look like a digit to me." in said
    assert "95% of the test digits I never learnt from reach 100% or more" in said
    assert "has only" in said and "confidence" in said
    assert not at.toggle, "no temperature stored: no calibration offered"


def test_above_the_threshold_the_answer_is_given(models_dir, monkeypatch):
    described(models_dir, "sure", "2030-01-02T00:00", not_a_digit_threshold=0.3)
    fake_canvas(monkeypatch, canvas_drawing(SEVEN))
    at = page("draw").run()
    assert metrics(at) == {"Prediction": "7"}
    assert "does not look like a digit" not in shown(at)


def test_one_model_doubting_is_said_beside_the_other(models_dir, monkeypatch, default_model):
    described(models_dir, "doubtful", "2030-01-02T00:00", not_a_digit_threshold=0.999999)
    fake_canvas(monkeypatch, canvas_drawing(SCRIBBLE))
    at = page("draw").run()
    at.selectbox(key="compare_with").select("default").run()
    assert not at.exception
    values = metrics(at)
    assert values["Prediction"] == "Not a digit" and values["Second opinion"] != "Not a digit"
    assert "**doubtful** says this is not a digit; **default** reads" in shown(at).replace("\\", "")


@pytest.mark.parametrize(
    "forged",
    [{"not_a_digit_threshold": "high"}, {"not_a_digit_threshold": 1.5, "temperature": 0}],
    ids=["text", "out-of-range"],
)
def test_a_forged_threshold_or_temperature_is_ignored(models_dir, monkeypatch, forged):
    described(models_dir, "forged", "2030-01-02T00:00", **forged)
    fake_canvas(monkeypatch, canvas_drawing(SCRIBBLE))
    at = page("draw").run()
    assert not at.exception and not at.error
    assert metrics(at)["Prediction"] != "Not a digit"
    assert not at.toggle


def test_calibrated_probabilities_on_request_keep_the_answer(models_dir, monkeypatch):
    described(models_dir, "warm", "2030-01-02T00:00", temperature=3.0, not_a_digit_threshold=0.5)
    fake_canvas(monkeypatch, canvas_drawing(SEVEN))
    at = page("draw").run()
    assert not at.exception
    raw = [caption.value for caption in at.caption if caption.value.startswith("Confidence")]
    assert raw and "calibrated" not in raw[0]
    at.toggle(key="draw_calibrated").set_value(True).run()
    assert not at.exception and not at.error
    assert metrics(at) == {"Prediction": "7"}, "the threshold reads the model's own confidence"
    (caption,) = [caption.value for caption in at.caption if caption.value.startswith("Confidence")]
    assert "calibrated" in caption and "as the model gives it" in caption
    assert "the model's temperature 3.00 softens them" in shown(at)
    calibrated_share, given_share = (float(share) for share in re.findall(r"([\d.]+)%", caption))
    assert calibrated_share < given_share


def test_a_model_without_them_reads_as_before(default_model, monkeypatch):
    fake_canvas(monkeypatch, canvas_drawing(SCRIBBLE))
    at = page("draw").run()
    assert not at.exception
    assert metrics(at)["Prediction"] != "Not a digit"
    assert not at.toggle
    assert "does not look like a digit" not in shown(at)
