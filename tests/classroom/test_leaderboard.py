"""The leaderboard: ranked by hidden-test accuracy, then size, then time; scored once per model
file as it is; its CSV runs no formula in a spreadsheet."""

import csv
import io
import json
import os
from dataclasses import replace

import pytest

from mnist_app.classroom import leaderboard, names
from mnist_app.classroom.challenges import start
from mnist_app.classroom.hidden_split import hidden_part, hidden_test
from mnist_app.classroom.leaderboard import NO_NAME, Entry, cached_scores, csv_text, entries, score, unscored
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


def test_models_under_the_challenge_are_ranked_by_accuracy_then_size_then_time(trained_mlp, store, challenge):
    names.remember("ada", "Ada")
    result = trained_mlp
    base = result.metadata()
    save(
        store,
        result,
        "ada-1",
        owner="ada",
        owner_name="Ada",
        challenge=challenge.id,
        created="2026-01-01T10:00:00+00:00",
    )
    save(
        store,
        result,
        "bob-1",
        owner="bob",
        owner_name="Bob",
        challenge=challenge.id,
        created="2026-01-01T09:00:00+00:00",
    )
    save(store, result, "cat-1", owner="cat", challenge=challenge.id, created="2026-01-01T08:00:00+00:00")
    save(store, result, "other", owner="ada", challenge="someOther1")
    save(store, result, "no-challenge", owner="ada")
    scores = {"ada-1": 0.9, "bob-1": 0.9, "other": 1.0}
    ranked = entries(store, challenge, scores)
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
    found = {e.model: e.student for e in entries(store, challenge, {})}
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
    assert cached_scores(challenge, store) == {"ada-1": accuracy}
    assert unscored(challenge, store) == []
    kept = json.loads((classroom_dir / leaderboard.SCORES_FILE).read_text())
    assert list(kept.values()) == [accuracy], "one accuracy, no per-digit result"

    def no_second_load(path):
        raise AssertionError("scored twice")

    monkeypatch.setattr(leaderboard, "load_model", no_second_load)
    assert score(saved, hidden) == accuracy
    assert entries(store, challenge, cached_scores(challenge, store))[0].accuracy == accuracy


def test_the_score_is_that_of_the_hidden_half(trained_mlp, sample, store, challenge):
    from mnist_app.learning.evaluation import evaluate

    saved = save(store, trained_mlp, "ada-1", challenge=challenge.id)
    hidden = hidden_part(sample, RULES.hidden_seed)
    expected = evaluate(trained_mlp.model, hidden.x_test, hidden.y_test).accuracy
    assert score(saved, hidden) == pytest.approx(expected)


def test_a_model_saved_again_under_its_name_is_scored_again(trained_mlp, sample, store, challenge):
    saved = save(store, trained_mlp, "ada-1", challenge=challenge.id)
    hidden = hidden_part(sample, 0)
    score(saved, hidden)
    assert cached_scores(challenge, store)
    save(store, trained_mlp, "ada-1", challenge=challenge.id, note="re-saved: another size")
    os.utime(saved.path, ns=(1, 1))
    assert cached_scores(challenge, store) == {}
    assert [s.name for s in unscored(challenge, store)] == ["ada-1"]


def test_a_model_not_trained_under_a_challenge_is_not_scored(trained_mlp, sample, store):
    from mnist_app.learning.model_files import ModelError

    saved = save(store, trained_mlp, "free")
    with pytest.raises(ModelError, match="not trained under a challenge"):
        score(saved, sample)


def test_forged_scores_are_ignored(trained_mlp, store, challenge, classroom_dir):
    saved = save(store, trained_mlp, "ada-1", challenge=challenge.id)
    key = leaderboard._key(saved, challenge.id)
    for forged in ({key: 7.0}, {key: "0.99"}, {key: True}, [key]):
        (classroom_dir / leaderboard.SCORES_FILE).write_text(json.dumps(forged))
        assert cached_scores(challenge, store) == {}
    (classroom_dir / leaderboard.SCORES_FILE).write_text(json.dumps({key: 0.5}))
    assert cached_scores(challenge, store) == {"ada-1": 0.5}


def test_a_broken_model_file_is_left_off(store, challenge):
    store.root.mkdir(parents=True, exist_ok=True)
    (store.root / "broken.keras").write_bytes(b"not a zip")
    assert entries(store, challenge, {}) == []


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
