"""The Compare page with Streamlit's AppTest: models side by side, where they disagree."""

import shutil

import pytest

from tests.support.pages import app_page, page


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
    assert table["network"].tolist() == ["The lab's MLP", "The app's CNN"], "in words, not mlp and cnn"
    assert (table["one digit (ms)"] > 0).all() and (table["size on disk (MB)"] > 0).all()
    words = " ".join(m.value for m in at.markdown)
    assert "**cnn** makes" in words and "fewer mistakes than **mlp**" in words
    assert "No curve history for **cnn**" in " ".join(c.value for c in at.caption), (
        "the shipped model predates it"
    )
    assert [s.value for s in at.subheader] == [
        "What differs", "In plain words", "Training curves", "Weights over time", "Accuracy per class",
        "Where they disagree"
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


def test_compare_page_starts_from_models_that_read_the_dataset_and_survives_odd_ones(compared_models):
    """A newer MLP of other classes is not a default; a model whose figures are absurd is listed as broken."""
    import json

    from tests.support.models import with_description

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


def test_compare_page_says_what_differs_from_the_first_model(models_dir, sample):
    """A second network with one more layer, trained on more images: one sentence says both."""
    from tests.support.models import save_designed
    from tests.support.pages import as_read

    save_designed(models_dir / "plain.keras", sample, "flatten,dense:32:relu", images=500)
    save_designed(models_dir / "dropout.keras", sample, "flatten,dense:32:relu,dropout:0.3", images=1000)
    at = page("compare")
    at.session_state["compare_models"] = ["plain", "dropout"]
    at.run()
    assert not at.exception and not at.error
    assert at.subheader[0].value == "What differs"
    shown = as_read(" ".join(m.value for m in at.markdown))
    assert "**dropout**: adds Dropout(0.3) after Dense 1; trained on 1,000 images instead of 500." in shown
