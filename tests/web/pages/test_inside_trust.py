"""Inside's heat maps with how far to trust them: the deletion test on request, as a background
job, its figures in a sentence, and Grad-CAM at a layer the learner picks, at first the best."""

import shutil

from mnist_app.learning import heat_map_trust
from mnist_app.learning.heat_map_trust import HeatMapTrust
from mnist_app.web import heat_map_scores
from tests.support.digit_strokes import SEVEN
from tests.support.pages import as_read, canvas_drawing, fake_canvas, page, wait_until


def shown(at) -> str:
    return as_read(" ".join(m.value for m in at.markdown))


def grad_cam(at):
    at.selectbox(key="inside_method").select("grad-cam").run()
    assert not at.exception and not at.error
    return at


def heat_map_caption(at) -> str:
    return next(
        img.caption for e in at.get("image") for img in e.proto.imgs if img.caption.startswith("Grad-CAM")
    )


def test_grad_cam_at_a_chosen_layer_starts_at_the_last_until_the_test_is_run(default_model, monkeypatch):
    monkeypatch.setattr(heat_map_trust, "SAMPLE_SIZE", 4)
    fake_canvas(monkeypatch, canvas_drawing(SEVEN))
    at = grad_cam(page("inside").run())
    picker = at.selectbox(key="inside_cam_layer")
    assert [option.split(":")[0] for option in picker.options] == [
        "Conv2D 1",
        "Conv2D 2",
        "Conv2D 3",
        "Conv2D 4",
    ]
    assert picker.value == "conv2d_3", "the last convolutional layer while no score is known"
    assert "How far can each heat map be trusted?" in shown(at)
    assert "Grad-CAM for 7" in heat_map_caption(at)
    assert "Conv2D 4: " in shown(at) and "grid of 8×8 cells" in shown(at)
    at.selectbox(key="inside_cam_layer").select("conv2d").run()
    assert "Conv2D 1: " in shown(at) and "grid of 26×26 cells" in shown(at)

    at.button(key="inside_trust_start").click().run()
    wait_until(at, lambda at: "How far to trust each heat map." in shown(at))
    assert not at.exception and not at.error
    said = shown(at)
    assert "Integrated gradients:" in said and "Input gradient:" in said and "Grad-CAM:" in said
    assert "on 4 test digits" in said
    assert at.selectbox(key="inside_cam_layer").value == "conv2d", "the learner's own pick stays"


def test_the_layer_that_scored_best_is_the_default(default_model, monkeypatch):
    planted = (
        HeatMapTrust("integrated-gradients", "", 1.0, 200),
        HeatMapTrust("gradient", "", 0.95, 200),
        HeatMapTrust("grad-cam", "conv2d", 0.6, 200),
        HeatMapTrust("grad-cam", "conv2d_1", 0.9, 200),
        HeatMapTrust("grad-cam", "conv2d_2", 0.7, 200),
        HeatMapTrust("grad-cam", "conv2d_3", 0.3, 200),
    )
    monkeypatch.setattr(heat_map_scores, "kept", lambda key, methods, layers: planted)
    fake_canvas(monkeypatch, canvas_drawing(SEVEN))
    at = grad_cam(page("inside").run())
    picker = at.selectbox(key="inside_cam_layer")
    assert picker.value == "conv2d_1"
    assert picker.options[1] == "Conv2D 2: 32 filters of 3x3, relu (beat random ink on 90% of digits)"
    assert at.selectbox(key="inside_method").options == [
        "Integrated gradients (beat random ink on 100% of digits)",
        "Grad-CAM (beat random ink on 90% of digits at its best layer)",
        "Input gradient (beat random ink on 95% of digits)",
    ]
    said = shown(at)
    assert "Integrated gradients: 100%; Grad-CAM: 60% at **Conv2D 1" in said
    assert "; Input gradient: 95%. A map of noise beats random ink half the time" in said
    assert "30% at **Conv2D 4" in said
    assert "Test the heat maps" not in [button.label for button in at.button]


def test_a_dense_model_has_no_layer_to_pick(inside_models, models_dir, monkeypatch):
    shutil.copy(inside_models / "mlp.keras", models_dir / "mlp.keras")
    fake_canvas(monkeypatch, canvas_drawing(SEVEN))
    at = page("inside").run()
    assert not at.exception
    assert "inside_cam_layer" not in [select.key for select in at.selectbox]
    assert at.selectbox(key="inside_method").options == ["Integrated gradients", "Input gradient"]


def test_a_failed_or_refused_test_is_said_and_offered_again(default_model, monkeypatch):
    from types import SimpleNamespace

    from mnist_app.errors import UserError

    failed = SimpleNamespace(done=True, error="nobody was waiting for it any more", touch=lambda: None)
    monkeypatch.setattr(heat_map_scores, "running_job", lambda key: failed)
    fake_canvas(monkeypatch, canvas_drawing(SEVEN))
    at = page("inside").run()
    assert not at.exception
    assert [e.value for e in at.error] == ["Cannot test the heat maps: nobody was waiting for it any more."]
    assert "inside_trust_start" in [button.key for button in at.button], "asking again tries again"

    asked = {}

    def busy(*args, **kwargs):
        asked.update(kwargs)
        raise UserError("the server is busy: 4 long computations are already waiting their turn")

    monkeypatch.setattr(heat_map_scores, "running_job", lambda key: None)
    monkeypatch.setattr(heat_map_scores, "map_job", busy)
    at.button(key="inside_trust_start").click().run()
    assert not at.exception
    assert "Cannot test the heat maps now: the server is busy" in at.error[0].value
    assert kwargs_exclusive(asked) and asked["visitor"], "one heavy job at a time, held to the visitor's caps"


def kwargs_exclusive(kwargs: dict) -> bool:
    return kwargs.get("exclusive", True) is True and "long computation" in kwargs["waiting_words"]
