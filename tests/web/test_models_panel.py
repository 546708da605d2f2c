"""Train's table of saved models: where each came from, what it is, and no column with nothing to say."""

from pathlib import Path

from mnist_app.learning.designs import PRESETS, parse_text
from mnist_app.learning.model_store import SavedModel
from mnist_app.web.models_panel import short_date, table


def saved(name: str, **metadata) -> SavedModel:
    return SavedModel(name, Path(f"/models/{name}.keras"), metadata)


def test_each_model_says_where_it_came_from_and_what_network_it_is():
    models = [
        saved(
            "default", arch="cnn", dataset="mnist", test_accuracy=0.99, created="2026-01-02T10:00:00+00:00"
        ),
        saved("mine", arch="mlp", saved_by="app", owner="me", test_accuracy=0.95),
        saved(
            "theirs",
            arch="built",
            saved_by="app",
            owner="you",
            layers=[layer.as_dict() for layer in PRESETS["LeNet-5"]],
        ),
        saved(
            "typed",
            arch="built",
            command="python -m mnist_app train",
            layers=[layer.as_dict() for layer in parse_text("dense:32")],
        ),
        saved("found"),
    ]
    frame = table(models, owner="me", shared=True).set_index("name")
    assert frame["from"].to_dict() == {
        "default": "shipped with the app",
        "mine": "trained by you",
        "theirs": "trained by another visitor",
        "typed": "the command line",
        "found": "copied into the models folder",
    }
    assert frame.loc["default", "network"] == "The app's CNN" and frame.loc["theirs", "network"] == "LeNet-5"
    assert frame.loc["typed", "network"] == "your network: Dense(32, relu)"
    assert frame.loc["default", "created"] == "2 Jan 2026, 10:00"
    assert (
        table(models, owner="you", shared=False).set_index("name").loc["theirs", "from"] == "trained by you"
    )


def test_a_column_shows_only_when_some_model_has_something_in_it():
    frame = table([saved("a", arch="mlp", test_accuracy=0.9), saved("b", arch="cnn")], owner="", shared=False)
    assert (
        "problem" not in frame.columns
        and "wrong labels" not in frame.columns
        and "created" not in frame.columns
    )
    broken = SavedModel(
        "torn", Path("/models/torn.keras"), {}, error="torn.keras is not a readable .keras file"
    )
    assert table([broken], owner="", shared=False)["problem"].tolist() == [
        "torn.keras is not a readable .keras file"
    ]


def test_a_date_that_cannot_be_read_is_left_out():
    assert short_date("yesterday") is None and short_date(None) is None and short_date(12) is None
