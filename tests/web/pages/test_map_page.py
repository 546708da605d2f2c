"""The Map page with Streamlit's AppTest: the test digits as one layer sees them, a drawing among them."""

import json

import pytest

from tests.support.digit_strokes import SEVEN
from tests.support.pages import app_page, as_read, canvas_drawing, fake_canvas, page, wait_until

MAP_SHOWN = "Each dot is one of the"


@pytest.fixture
def mlp_model(models_dir, trained_mlp):
    """The lab's MLP, trained briefly on the sample, as the only saved model."""
    from mnist_app.learning.model_files import save_model

    path = models_dir / "mlp.keras"
    save_model(trained_mlp.model, path, trained_mlp.metadata())
    return path


def shown(at) -> str:
    return as_read(" ".join(element.value for element in at.markdown))


def chart_specs(at) -> list[dict]:
    return [json.loads(element.proto.spec) for element in at.get("vega_lite_chart")]


def refusals(at) -> list[str]:
    """What the page says the address asked for in vain: "model", "layer"."""
    said = [as_read(error.value) for error in at.error]
    return sorted(what for what in ("model", "layer") for text in said if f"names a {what}" in text)


def map_page(monkeypatch, drawing=None):
    fake_canvas(monkeypatch, drawing)
    at = page("map")
    at.session_state["dataset"] = "mnist-sample"
    return at


def test_map_page_shows_the_test_digits_at_a_layer_and_the_layers_separation(mlp_model, monkeypatch):
    from mnist_app.learning.model_files import load_model
    from mnist_app.learning.model_map import map_layers

    at = map_page(monkeypatch).run()
    wait_until(at, lambda at: "Nearest-neighbour accuracy goes from" in shown(at))
    assert not at.exception and not at.error
    layers = map_layers(load_model(mlp_model))
    titles = [layer.title for layer in layers]
    layer_box = at.selectbox(key="map_layer")
    assert layer_box.options == titles, "every layer offered in words"
    assert layer_box.value == layers[-2].name, "the last hidden layer at first"
    text = shown(at)
    assert "Each dot is one of the 1,000 test digits of mnist-sample" in text
    assert f"digits that **{layers[-2].title}** gives similar numbers" in text
    assert "How far apart the classes are, layer by layer" in [header.value for header in at.header]
    assert "Nearest-neighbour accuracy goes from" in text
    assert len(chart_specs(at)) == 3, "the map, then kNN accuracy and silhouette across the layers"
    layer_box.select(layers[0].title).run()
    assert not at.exception and not at.error
    assert f"digits that **{layers[0].title}** gives similar numbers" in shown(at)
    assert at.query_params["layer"] == [layers[0].name] or at.query_params["layer"] == layers[0].name


def test_a_drawn_digit_goes_on_the_map_with_its_nearest_test_digits(default_model, monkeypatch):
    at = map_page(monkeypatch, canvas_drawing(SEVEN)).run()
    assert not at.exception and not at.error
    text = shown(at)
    assert "Your digit is on the map." in text
    assert "10 nearest test digits" in text
    spec = json.dumps(chart_specs(at)[0])
    assert "your digit" in spec, "the drawn digit marked on the map"
    nearest = [img for element in at.get("image") for img in element.proto.imgs]
    assert len(nearest) >= 10


def test_an_empty_canvas_asks_for_a_digit(default_model, monkeypatch):
    at = map_page(monkeypatch, canvas_drawing([])).run()
    assert not at.exception and not at.error
    assert any("draw a digit" in info.value.lower() for info in at.info)
    assert "your digit" not in json.dumps(chart_specs(at)[0])


def test_a_layer_the_model_lacks_in_the_address_is_refused_with_a_message(default_model, monkeypatch):
    at = map_page(monkeypatch)
    at.query_params["layer"] = "no_such_layer![x](https://elsewhere.example)"
    at.query_params["method"] = "pca"
    at.run()
    assert not at.exception
    assert len(at.error) == 1
    message = as_read(at.error[0].value)
    assert "names a layer this model does not have (no_such_layer" in message
    assert "](" not in at.error[0].value.replace("\\]\\(", ""), "the name shown literally, not as a link"
    assert "Each dot is one of the" in shown(at), "the map of another layer still drawn"


def test_a_link_shows_the_map_of_the_model_it_names(default_model, mlp_model, monkeypatch):
    first = map_page(monkeypatch).run()
    other = "default" if first.selectbox(key="model_name").value == "mlp" else "mlp"
    first.selectbox(key="model_name").select(other).run()
    link = {key: first.query_params[key] for key in ("model", "layer", "method")}
    assert link["model"] in (other, [other]), "the model in use goes into the address"
    opened = map_page(monkeypatch)  # another visitor, opening that link
    for key, value in link.items():
        opened.query_params[key] = value[0] if isinstance(value, list) else value
    opened.run()
    assert not opened.exception and not opened.error
    assert opened.selectbox(key="model_name").value == other
    assert not any("The map changed" in info.value for info in opened.info), "their first map, not a change"
    back = "default" if other == "mlp" else "mlp"
    opened.selectbox(key="model_name").select(back).run()
    assert opened.selectbox(key="model_name").value == back, "the learner's own choice wins after arrival"
    assert opened.query_params["model"] in (back, [back])


def test_a_model_not_saved_here_in_the_address_is_refused_with_a_message(default_model, monkeypatch):
    at = map_page(monkeypatch)
    at.query_params["model"] = "gone![x](https://elsewhere.example)"
    at.run()
    assert not at.exception
    assert len(at.error) == 1
    assert "names a model that is not saved here (gone" in as_read(at.error[0].value)
    assert "](" not in at.error[0].value.replace("\\]\\(", ""), "the name shown literally"
    assert MAP_SHOWN in shown(at), "the map of the model in use still drawn"
    at.run()
    assert len(at.error) == 1, "a page run again at once keeps it on screen"


def test_a_refusal_is_said_until_the_visitor_chooses_another(default_model, mlp_model, monkeypatch):
    at = map_page(monkeypatch)
    at.query_params["model"] = "gone"
    at.query_params["layer"] = "no_such_layer"
    at.run().run()
    assert refusals(at) == ["layer", "model"]
    layers = at.selectbox(key="map_layer")
    layers.select(next(name for name in layers.options if name != layers.value)).run()
    assert refusals(at) == ["model"]
    in_use = at.selectbox(key="model_name").value
    at.selectbox(key="model_name").select("default" if in_use == "mlp" else "mlp").run()
    assert not at.exception and not at.error


def test_a_refusal_is_not_said_again_after_the_visitor_went_to_another_page(default_model, monkeypatch):
    fake_canvas(monkeypatch, None)
    at = app_page("map")
    at.session_state["dataset"] = "mnist-sample"
    at.query_params["layer"] = "no_such_layer"
    at.run()
    assert refusals(at) == ["layer"]
    at.switch_page("mnist_app/web/pages/explore.py").run()
    at.switch_page("mnist_app/web/pages/map.py").run()
    assert not at.exception and not refusals(at)


def test_the_page_says_when_the_map_shows_another_model(default_model, mlp_model, monkeypatch):
    at = map_page(monkeypatch).run()
    assert not at.info or not any("The map changed" in info.value for info in at.info)
    other = "default" if at.selectbox(key="model_name").value == "mlp" else "mlp"
    at.selectbox(key="model_name").select(other).run()
    assert not at.exception and not at.error
    assert any("The map changed" in info.value for info in at.info)


def quick_tsne(monkeypatch, failures: int = 0) -> list:
    """t-SNE replaced by PCA (the page's part is what is tested), failing `failures` times first."""
    from mnist_app.errors import UserError
    from mnist_app.learning import projections

    calls = []

    def fit(features, on_progress):
        calls.append(len(features))
        if len(calls) <= failures:
            raise UserError("the layout came apart")
        on_progress(0.5, "t-SNE: laying out the digits")
        return projections.pca(features)

    monkeypatch.setattr(projections, "tsne_map", fit)
    return calls


def test_t_sne_is_drawn_on_request_by_a_background_job_then_shown_at_once(default_model, monkeypatch):
    calls = quick_tsne(monkeypatch)
    at = map_page(monkeypatch).run()
    at.segmented_control(key="map_method").set_value("tsne").run()
    assert not at.exception and not at.error
    assert MAP_SHOWN not in shown(at), "not drawn before it is asked for"
    at.button(key="map_start").click().run()
    wait_until(at, lambda at: MAP_SHOWN in shown(at))
    assert not at.exception and not at.error
    assert "t-SNE keeps each digit's neighbours beside it" in shown(at)
    again = map_page(monkeypatch)
    again.query_params["method"] = "tsne"
    again.run()
    assert MAP_SHOWN in shown(again) and "map_start" not in [button.key for button in again.button]
    assert calls == [1000], "a map drawn before: at once, not asked for again"


def test_a_map_that_failed_says_why_and_can_be_asked_for_again(default_model, monkeypatch):
    calls = quick_tsne(monkeypatch, failures=1)
    at = map_page(monkeypatch)
    at.query_params["method"] = "tsne"
    at.run().button(key="map_start").click().run()
    wait_until(at, lambda at: at.error)
    assert "Cannot draw the t-SNE map: the layout came apart." in as_read(at.error[0].value)
    other = map_page(monkeypatch)  # another visitor: offered the map, as if it had never run
    other.query_params["method"] = "tsne"
    other.run()
    assert not other.error and other.button(key="map_start")
    at.run()
    assert not at.error, "said once"
    at.button(key="map_start").click().run()
    wait_until(at, lambda at: MAP_SHOWN in shown(at))
    assert not at.exception and not at.error and calls == [1000, 1000]
