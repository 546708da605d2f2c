"""The Trust page with Streamlit's AppTest: two models fooled, shaken, over-confident, asked about
non-digits and their heat maps weighed, side by side; a drawn digit attacked as ε moves."""

import json

import pytest

from tests.support.digit_strokes import SEVEN
from tests.support.pages import as_read, canvas_drawing, fake_canvas, page, wait_until

SECTIONS = [
    "Fooled by noise",
    "Many test digits against noise",
    "Shaken by a shift",
    "Sure when wrong",
    "That is not a digit",
    "How far to trust a heat map",
]


@pytest.fixture(scope="module")
def two_mlp_files(tmp_path_factory, trained_mlp):
    """The lab's MLP, trained briefly on the sample, saved twice: the model in use and one beside it,
    mlp-b without the threshold and temperature measured after training (as an older model).
    One folder for the module, so the figures measured by the first test are kept for the others."""
    from mnist_app.learning.model_files import save_model
    from mnist_app.learning.trust_settings import TEMPERATURE_KEY, THRESHOLD_KEY

    folder = tmp_path_factory.mktemp("trust-models")
    metadata = trained_mlp.metadata()
    assert THRESHOLD_KEY in metadata and TEMPERATURE_KEY in metadata
    older = {key: value for key, value in metadata.items() if key not in (THRESHOLD_KEY, TEMPERATURE_KEY)}
    save_model(trained_mlp.model, folder / "mlp-a.keras", metadata)
    save_model(trained_mlp.model, folder / "mlp-b.keras", older)
    return folder


@pytest.fixture
def two_mlps(two_mlp_files, monkeypatch):
    monkeypatch.setenv("MNIST_APP_MODELS_DIR", str(two_mlp_files))
    return two_mlp_files


def shown(at) -> str:
    return as_read(" ".join(element.value for element in at.markdown))


def chart_specs(at) -> list[dict]:
    return [json.loads(element.proto.spec) for element in at.get("vega_lite_chart")]


def trust_page(monkeypatch, drawing=None):
    fake_canvas(monkeypatch, drawing)
    at = page("trust")
    at.session_state["dataset"] = "mnist-sample"
    return at


def measured_all(at) -> bool:
    return "a temperature of" in shown(at) and not at.get("progress")


def press(at, label: str):
    """Press the button whose words start with `label`, then wait for what it started."""
    next(button for button in at.button if button.label.startswith(label)).click().run()
    assert not at.exception and not at.error
    return wait_until(at, lambda at: not at.get("progress"), timeout=240)


def test_the_page_measures_two_models_side_by_side_in_the_background(two_mlps, monkeypatch):
    at = trust_page(monkeypatch).run()
    assert not at.exception and not at.error
    assert [header.value for header in at.header] == SECTIONS
    in_use = at.selectbox(key="model_name").value
    other = "mlp-a" if in_use == "mlp-b" else "mlp-b"
    assert at.multiselect(key="trust_others").value == [other], "another model beside the one in use at first"
    wait_until(at, measured_all, timeout=240)
    assert not at.exception and not at.error, [e.value for e in at.error]
    text = shown(at)
    assert "At ε = 0.1 (26 grey levels of 255" in text
    assert "is measured on request (below)" in text, "PGD waits to be asked for"
    assert f"Moved by 3 pixels, **{in_use}** loses" in text and f"**{other}** loses" in text
    assert "the convolutional network" not in text, "no kind compared where both are dense"
    assert f"**{in_use}**: calibration error" in text and "a temperature of" in text
    assert 'On Draw, **mlp-a** says "this does not look like a digit to me" below a confidence of' in text
    assert "**mlp-b** was saved without a not-a-digit threshold, so Draw never says" in text
    assert "Draw uses this temperature, saved with the model" in text
    assert "It was saved without a temperature, so Draw cannot show its calibrated probabilities" in text
    assert "The **deletion score** checks them" not in text, "the heat maps are tested only on request"
    specs = json.dumps(chart_specs(at), ensure_ascii=False)
    for words in ("ε: how far each pixel may move", "how often it was right", "AUROC"):
        assert words in specs, words
    # one noise chart, four change charts, two reliability diagrams, AUROC, two confidence strips
    assert len(chart_specs(at)) == 10

    press(at, "Measure it")
    assert "dashed: in 10 steps (PGD), stronger, on the first" in shown(at)
    for _ in (in_use, other):  # one at a time: a visitor has one heavy job waiting at most
        press(at, "Test the heat maps of")
    text = shown(at)
    assert (
        "The **deletion score** checks them" in text
        and f"The best: for **{in_use}**" in text
        and f"for **{other}**" in text
    )
    assert "deletion score" in json.dumps(chart_specs(at), ensure_ascii=False)

    from mnist_app.web import background_jobs

    monkeypatch.setattr(background_jobs, "map_job", lambda *args, **kwargs: pytest.fail("measured again"))
    again = trust_page(monkeypatch).run()
    assert not again.exception and not again.error
    assert (
        measured_all(again)
        and "The **deletion score** checks them" in shown(again)
        and not again.get("progress")
    )


def test_a_drawn_digit_is_attacked_and_its_answer_flips_as_epsilon_grows(two_mlps, monkeypatch):
    at = trust_page(monkeypatch, canvas_drawing(SEVEN)).run()
    assert not at.exception and not at.error
    text = shown(at)
    assert "**mlp-a** reads it as **" in text and "**mlp-b** reads it as **" in text
    assert "The smallest ε that changes its answer: **" in text
    assert "every pixel moved by at most ε = 0.10 (26 grey levels of 255)" in text
    at.slider(key="trust_epsilon").set_value(0.5).run()
    assert not at.exception and not at.error
    assert "**fooled**" in shown(at)
    at.selectbox(key="trust_target").set_value(3).run()
    assert not at.exception and not at.error
    assert "The smallest ε that makes it read 3" in shown(at) or "already reads it as **3**" in shown(at)
    pictures = [img for element in at.get("image") for img in element.proto.imgs]
    assert len(pictures) >= 5, "what the models see, then each model's changed digit and its noise"


def test_a_test_image_can_be_attacked_instead(two_mlps, monkeypatch):
    at = trust_page(monkeypatch).run()
    at.segmented_control(key="trust_source").set_value("A test image").run()
    at.number_input(key="trust_index").set_value(3).run()
    assert not at.exception and not at.error
    assert "attacks **test image #3 (labelled" in shown(at)


def test_the_page_says_when_it_measures_another_model(two_mlps, monkeypatch):
    at = trust_page(monkeypatch).run()
    before = at.selectbox(key="model_name").value
    other = "mlp-a" if before == "mlp-b" else "mlp-b"
    at.selectbox(key="model_name").select(other).run()
    assert not at.exception and not at.error
    assert any(f"The page now measures **{other}**" in as_read(info.value) for info in at.info)
    assert at.multiselect(key="trust_others").value == [before]


def test_without_a_model_the_page_says_to_train_one(models_dir, monkeypatch):
    at = trust_page(monkeypatch).run()
    assert not at.exception
    assert any("train one on the Train page" in warning.value for warning in at.warning)
