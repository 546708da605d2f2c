"""The Compare page shows the chosen models' weights over time side by side, titled by each model
itself; a model without a history, or with a forged one, is named and left out of the charts; one
whose weights overflowed says how many are no longer numbers."""

import json
import shutil
import zipfile

from tests.support.models import with_description
from tests.support.pages import as_read, page


def test_compare_page_shows_weights_side_by_side_and_ignores_a_forged_history(models_dir, inside_models):
    for name in ("cnn", "mlp"):
        shutil.copy(inside_models / f"{name}.keras", models_dir / f"{name}.keras")
    with zipfile.ZipFile(models_dir / "mlp.keras") as archive:
        description = json.loads(archive.read("mnist_app.json"))
    second = {**description, "weights": {**description["weights"]}}
    second["weights"]["layers"] = [
        {**layer, "title": "<b>forged</b>"} for layer in description["weights"]["layers"]
    ]
    # Its first layer's weights all overflowed in the last epoch, its second's biases too.
    first, middle = (dict(layer) for layer in second["weights"]["layers"][:2])
    first["weights"] = [*first["weights"][:-1], "0 0" + " 0" * 30 + " 614656"]
    middle["biases"] = [*middle["biases"][:-1], "0 0" + " 0" * 30 + " 100"]
    first["norm"], first["update"] = [*first["norm"][:-1], None], [*first["update"][:-1], None]
    second["weights"]["layers"][:2] = [first, middle]
    with_description(models_dir / "mlp.keras", models_dir / "again.keras",
                     lambda a: a.writestr("mnist_app.json", json.dumps(second)))  # fmt: skip
    forged = json.loads(json.dumps(description))
    forged["weights"]["layers"][0]["weights"][1] += "5"  # the layer's count of weights changes
    with_description(models_dir / "mlp.keras", models_dir / "forged.keras",
                     lambda a: a.writestr("mnist_app.json", json.dumps(forged)))  # fmt: skip

    at = page("compare")
    at.session_state["compare_models"] = ["mlp", "again", "forged", "cnn"]
    at.run()
    assert not at.exception and not at.error
    assert "Weights over time" in [s.value for s in at.subheader]
    texts = [as_read(m.value) for m in at.markdown]
    captions = [as_read(c.value) for c in at.caption]
    assert any(t.startswith("No weight history for **forged**, **cnn**") for t in captions)
    last = description["weights"]["epochs"][-1]
    assert f"614,656 of its weights are no longer numbers at epoch {last}" in " ".join(captions)
    assert sum("are no longer numbers" in t for t in captions) == 1, "the biases' ridges are not shown yet"
    assert "**mlp**" in texts and "**again**" in texts, "a column per model with a history"
    assert texts.count("**Dense 1: 784 units, relu**") == 2, "titled by the model, not by its description"
    assert not any("forged</b>" in t for t in texts)

    at.segmented_control(key="compare_weights_part").set_value("biases").run()
    assert not at.exception and not at.error
    assert "100 of its biases are no longer numbers" in " ".join(c.value for c in at.caption)
