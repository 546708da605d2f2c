"""The class as the teacher's page tells it: a share per visitor token, never per name, and who
is here in a sentence."""

import pytest

from mnist_app.classroom.class_view import Share, here_now, shares
from mnist_app.classroom.names import COMMAND_LINE, NO_NAME, by_name, told_apart, who


@pytest.mark.parametrize(
    ("connected", "said"),
    [
        (set(), "Nobody else has the app open now."),
        ({"a"}, "1 browser tab has the app open now: 1 student who gave a name."),
        (
            {"a", "a2", "b", "x"},
            "4 browser tabs have the app open now: 2 students who gave a name and 1 tab without a name.",
        ),
        ({"x", "y"}, "2 browser tabs have the app open now: 2 tabs without a name."),
    ],
)
def test_who_is_here_is_said_in_a_sentence(connected, said):
    assert here_now(connected, {"a": "Ada", "a2": "Ada", "b": "Bob"}) == said


def test_each_visitors_share_is_their_own_even_under_the_same_name_or_none():
    known = {"a1": "Ada", "a2": "Ada", "b": "Bob"}
    table = shares(
        known,
        connected={"a1", "a2", "x"},
        jobs=[("a1", False), ("a2", True), ("b", True), ("", False)],
        model_owners=["a1", "b", "b", "y", ""],
        digits={"a2": 7, "z": 3},
    )
    assert table == {
        "a1": Share(here=True, training=1, models=1),
        "a2": Share(here=True, waiting=1, digits=7),
        "b": Share(waiting=1, models=2),
        "x": Share(here=True),
        "y": Share(models=1),
        "z": Share(digits=3),
    }, "the command line's job and model are nobody's share"
    assert list(table) == ["a1", "a2", "b", "x", "y", "z"], "by name, those without one last"


def test_a_visitor_is_named_as_they_named_themselves_and_told_apart_by_their_token():
    known = {"0123abcd": "Ada", "4567ef01": "Ada"}
    assert told_apart("0123abcd", known) == "Ada (…abcd)" != told_apart("4567ef01", known)
    assert told_apart("99990000", known) == f"{NO_NAME} (…0000)"
    assert told_apart("", known) == COMMAND_LINE
    assert who("99990000", known, saved_name="Bo") == "Bo", "the name saved with a model"
    assert who("99990000", known, saved_name="Eve\u202eevil") == NO_NAME
    assert who("0123abcd", known, saved_name="Old") == "Ada", "the name given now wins"
    assert sorted(["z", "4567ef01", "0123abcd"], key=lambda token: by_name(token, known)) == [
        "0123abcd",
        "4567ef01",
        "z",
    ]
