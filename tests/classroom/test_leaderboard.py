"""The leaderboard: ranked by hidden-test accuracy, then size, then time; scored once per model
file as it is; a row kept when its file goes; its CSV runs no formula in a spreadsheet."""

import csv
import io
import json
import os
from dataclasses import replace
from types import SimpleNamespace

import pytest

from mnist_app.classroom import leaderboard, names
from mnist_app.classroom.challenges import start
from mnist_app.classroom.hidden_split import hidden_part, hidden_test
from mnist_app.classroom.leaderboard import Entry, csv_text, entries, forget, score, unscored
from mnist_app.classroom.names import NO_NAME
from mnist_app.classroom.rules import Rules
from mnist_app.learning.model_store import ModelStore
from mnist_app.learning.recipes import network_title

RULES = Rules("mnist-sample", max_parameters=1_000_000, max_epochs=2)


def save(store, result, name, **description):
    return store.save(result.model, name, result.metadata(saved_by="app", **description))


@pytest.fixture
def challenge():
    return start("Best MLP", RULES)


@pytest.fixture
def store():
    return ModelStore()


def scored_as(monkeypatch, saved, accuracy: float) -> float:
    """Score `saved` as if its hidden-test accuracy were `accuracy` (no model loaded)."""
    with monkeypatch.context() as patch:
        patch.setattr(leaderboard, "load_model", lambda path: None)
        patch.setattr(leaderboard, "evaluate", lambda model, x, y: SimpleNamespace(accuracy=accuracy))
        return score(saved, SimpleNamespace(x_test=None, y_test=None))


def accuracies(store, challenge) -> dict[str, float | None]:
    return {entry.model: entry.accuracy for entry in entries(store, challenge)}


def entry(**fields) -> Entry:
    defaults = dict(
        rank=1,
        student="Ada",
        owner="t",
        network="the lab's MLP",
        parameters=10,
        epochs=1,
        seconds=1.0,
        accuracy=0.9,
        model="m",
        created="2026-01-01T00:00:00+00:00",
    )
    return Entry(**{**defaults, **fields})


def test_models_under_the_challenge_are_ranked_by_accuracy_then_size_then_time(
    trained_mlp, store, challenge, monkeypatch
):
    names.remember("ada", "Ada")
    result = trained_mlp
    base = result.metadata()
    ada = save(
        store,
        result,
        "ada-1",
        owner="ada",
        owner_name="Ada",
        challenge=challenge.id,
        created="2026-01-01T10:00:00+00:00",
    )
    bob = save(
        store,
        result,
        "bob-1",
        owner="bob",
        owner_name="Bob",
        challenge=challenge.id,
        created="2026-01-01T09:00:00+00:00",
    )
    save(store, result, "cat-1", owner="cat", challenge=challenge.id, created="2026-01-01T08:00:00+00:00")
    other = save(store, result, "other", owner="ada", challenge="someOther1")
    save(store, result, "no-challenge", owner="ada")
    for saved, accuracy in ((ada, 0.9), (bob, 0.9), (other, 1.0)):
        scored_as(monkeypatch, saved, accuracy)
    ranked = entries(store, challenge)
    assert [(e.rank, e.model, e.student) for e in ranked] == [
        (1, "bob-1", "Bob"),
        (2, "ada-1", "Ada"),
        (0, "cat-1", NO_NAME),
    ]
    bob = ranked[0]
    assert bob.accuracy == 0.9 and ranked[2].accuracy is None
    assert bob.owner == "bob" and bob.network == network_title(base) != ""
    assert bob.parameters == int(result.model.count_params())
    assert bob.epochs == base["epochs_completed"] and bob.seconds == pytest.approx(base["training_seconds"])
    smaller = replace(bob, parameters=1, model="tiny", rank=0)
    assert sorted([bob, smaller], key=lambda e: (-e.accuracy, e.parameters))[0] is smaller


def test_the_name_given_now_wins_over_the_one_saved_and_a_forged_one_is_no_name(
    trained_mlp, store, challenge
):
    save(store, trained_mlp, "a", owner="ada", owner_name="Old name", challenge=challenge.id)
    save(store, trained_mlp, "b", owner="eve", owner_name="Eve\u202eevil", challenge=challenge.id)
    names.remember("ada", "New name")
    found = {e.model: e.student for e in entries(store, challenge)}
    assert found == {"a": "New name", "b": NO_NAME}


def test_a_model_is_scored_on_the_hidden_set_once_and_the_score_kept(
    trained_mlp, sample, store, challenge, classroom_dir, monkeypatch
):
    saved = save(store, trained_mlp, "ada-1", owner="ada", challenge=challenge.id)
    hidden = hidden_test(challenge, lambda spec: sample)
    assert unscored(challenge, store) == [store.get("ada-1")] or [
        s.name for s in unscored(challenge, store)
    ] == ["ada-1"]
    accuracy = score(saved, hidden)
    assert 0.5 < accuracy <= 1
    assert accuracies(store, challenge) == {"ada-1": accuracy}
    assert unscored(challenge, store) == []
    (kept,) = json.loads((classroom_dir / leaderboard.SCORES_FILE).read_text()).values()
    assert kept["accuracy"] == accuracy and kept["model"] == "ada-1", "one accuracy, no per-digit result"
    assert not any(isinstance(value, list | dict) for value in kept.values())

    def no_second_load(path):
        raise AssertionError("scored twice")

    monkeypatch.setattr(leaderboard, "load_model", no_second_load)
    assert score(saved, hidden) == accuracy
    assert entries(store, challenge)[0].accuracy == accuracy


def test_the_score_is_that_of_the_hidden_half(trained_mlp, sample, store, challenge):
    from mnist_app.learning.evaluation import evaluate

    saved = save(store, trained_mlp, "ada-1", challenge=challenge.id)
    hidden = hidden_part(sample, RULES.hidden_seed)
    expected = evaluate(trained_mlp.model, hidden.x_test, hidden.y_test).accuracy
    assert score(saved, hidden) == pytest.approx(expected)


def test_a_model_saved_again_under_its_name_is_scored_again(trained_mlp, store, challenge, monkeypatch):
    saved = save(store, trained_mlp, "ada-1", challenge=challenge.id, created="2026-01-01T10:00:00+00:00")
    scored_as(monkeypatch, saved, 0.5)
    assert unscored(challenge, store) == []
    save(store, trained_mlp, "ada-1", challenge=challenge.id, created="2026-01-01T11:00:00+00:00")
    os.utime(saved.path, ns=(1, 1))
    assert [s.name for s in unscored(challenge, store)] == ["ada-1"]
    ranked = entries(store, challenge)
    assert [(e.model, e.accuracy) for e in ranked] == [("ada-1", 0.5), ("ada-1", None)], (
        "the first run keeps its row; the new one waits for its score"
    )


def test_a_renamed_model_keeps_its_score_under_its_new_name(trained_mlp, store, challenge, monkeypatch):
    saved = save(store, trained_mlp, "ada-1", challenge=challenge.id)
    scored_as(monkeypatch, saved, 0.75)
    store.rename("ada-1", "my-best")
    assert accuracies(store, challenge) == {"my-best": 0.75}
    assert unscored(challenge, store) == []


def test_the_rows_outlive_the_files_pruning_takes(trained_mlp, store, challenge, monkeypatch):
    """Eleven models of one student under a challenge: the share of ten prunes the first file,
    and its row stays ranked."""
    from mnist_app.learning import pruning

    monkeypatch.setenv("MNIST_APP_SHARED", "1")
    monkeypatch.setenv("MNIST_APP_MODELS_PER_VISITOR", "10")
    first = None
    for number in range(11):
        saved = save(
            store,
            trained_mlp,
            f"ada-{number}",
            owner="ada",
            owner_name="Ada",
            challenge=challenge.id,
            created=f"2026-01-01T10:{number:02d}:00+00:00",
        )
        scored_as(monkeypatch, saved, 0.99 if number == 0 else 0.5)
        pruning.prune(store, keep=saved.name, owner="ada", owner_active=lambda owner: True)
        first = first or saved
    assert not first.path.exists(), "the share pruned the first model's file"
    ranked = entries(store, challenge)
    assert len(ranked) == 11
    assert (ranked[0].rank, ranked[0].model, ranked[0].student, ranked[0].accuracy) == (
        1,
        "ada-0",
        "Ada",
        0.99,
    )
    assert ranked[0].parameters == int(trained_mlp.model.count_params())


def test_the_teachers_removal_takes_the_row_off(trained_mlp, store, challenge, monkeypatch):
    kept, removed = (save(store, trained_mlp, name, challenge=challenge.id) for name in ("ada-1", "bob-1"))
    for saved in (kept, removed):
        scored_as(monkeypatch, saved, 0.5)
    forget(removed)
    store.delete("bob-1")
    assert accuracies(store, challenge) == {"ada-1": 0.5}
    forget(store.get("ada-1"))
    assert accuracies(store, challenge) == {"ada-1": None}, "its file waits to be scored again"


def test_a_model_not_trained_under_a_challenge_is_not_scored(trained_mlp, sample, store):
    from mnist_app.learning.model_files import ModelError

    saved = save(store, trained_mlp, "free")
    with pytest.raises(ModelError, match="not trained under a challenge"):
        score(saved, sample)


def test_forged_rows_are_ignored(trained_mlp, store, challenge, classroom_dir, monkeypatch):
    saved = save(store, trained_mlp, "ada-1", challenge=challenge.id)
    scored_as(monkeypatch, saved, 0.5)
    path = classroom_dir / leaderboard.SCORES_FILE
    ((key, row),) = json.loads(path.read_text()).items()
    for forged in (
        {key: {**row, "accuracy": 7.0}},
        {key: {**row, "accuracy": "0.99"}},
        {key: {**row, "accuracy": True}},
        {key: {**row, "parameters": -1}},
        {key: {**row, "network": "x" * 10_000}},
        {key: {**row, "extra": 1}},
        {key.replace(challenge.id, "someOther1"): row},
        {key: 0.5},
        [key],
    ):
        path.write_text(json.dumps(forged))
        assert accuracies(store, challenge) == {"ada-1": None}, forged
    path.write_text(json.dumps({key: row}))
    assert accuracies(store, challenge) == {"ada-1": 0.5}


def test_a_broken_model_file_is_left_off(store, challenge):
    store.root.mkdir(parents=True, exist_ok=True)
    (store.root / "broken.keras").write_bytes(b"not a zip")
    assert entries(store, challenge) == []


@pytest.mark.parametrize("start_of_formula", ["=", "+", "-", "@", "\t", "\r"])
def test_no_cell_of_the_csv_runs_as_a_formula(start_of_formula):
    hostile = f'{start_of_formula}HYPERLINK("http://evil","x")'
    text = csv_text([entry(student=hostile, network=hostile, model=hostile, created=hostile)])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "rank" and len(rows) == 2
    for cell in rows[1]:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert rows[1][1] == "'" + hostile


def test_the_csv_holds_every_run_with_its_figures():
    text = csv_text(
        [entry(), entry(rank=0, accuracy=None, model="waiting", student='Eve "quoted", with comma')]
    )
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == list(leaderboard.CSV_HEADER)
    assert rows[1] == [
        "1",
        "Ada",
        "the lab's MLP",
        "10",
        "1",
        "1.0",
        "0.9000",
        "m",
        "2026-01-01T00:00:00+00:00",
    ]
    assert rows[2][0] == "" and rows[2][6] == "" and rows[2][1] == 'Eve "quoted", with comma'


def test_the_rows_kept_are_the_newest_within_what_the_folder_reads_back(monkeypatch, classroom_dir):
    from mnist_app.classroom import folder

    monkeypatch.setattr(folder, "MAX_FILE_BYTES", 20_000)
    row = dict(challenge="c1", model="m", owner="t", owner_name="Ada", network="n", parameters=1, epochs=1,
               seconds=1.0, created="", accuracy=0.5)  # fmt: skip
    with folder.locked():
        leaderboard._write({f"c1|{number}|0|0": {**row, "model": f"m{number}"} for number in range(200)})
    kept = leaderboard._rows()
    assert 0 < len(kept) < 200 and "c1|199|0|0" in kept and "c1|0|0|0" not in kept
    assert (classroom_dir / leaderboard.SCORES_FILE).stat().st_size <= 20_000
