"""The class's challenge: started, found again, ended; a forged file on disk is no challenge."""

import json
import threading

import pytest

from mnist_app.classroom import challenges
from mnist_app.classroom.challenges import Challenge, current, end, find, history, show_leaderboard, start
from mnist_app.classroom.rules import Rules
from mnist_app.errors import UserError

RULES = Rules("mnist-sample", max_epochs=2)


def test_there_is_no_challenge_until_one_starts():
    assert current() is None and history() == () and end() is None and show_leaderboard(True) is None


def test_a_started_challenge_is_the_running_one_and_found_by_its_id():
    challenge = start("  Fewest parameters  ", RULES)
    assert challenge.title == "Fewest parameters" and challenge.rules == RULES
    assert challenge.running and not challenge.leaderboard_public
    assert len(challenge.id) == 8 and challenges.ID_PATTERN.match(challenge.id)
    assert current() == challenge and find(challenge.id) == challenge
    assert find("nope1234") is None and find("../../x") is None and find(None) is None


def test_ending_keeps_the_challenge_for_its_results():
    challenge = start("One", RULES)
    ended = end()
    assert ended.id == challenge.id and not ended.running and ended.ended >= challenge.started
    assert current() is None
    assert find(challenge.id) == ended
    assert end() is None


def test_a_new_challenge_ends_the_running_one():
    first = start("One", RULES)
    second = start("Two", Rules("mnist"))
    assert current() == second and first.id != second.id
    assert not find(first.id).running and find(second.id).running
    assert [kept.id for kept in history()] == [first.id, second.id]


def test_the_leaderboard_is_shown_or_kept_private_and_remembered():
    challenge = start("One", RULES)
    shown = show_leaderboard(True)
    assert shown.leaderboard_public and current().leaderboard_public and find(challenge.id).leaderboard_public
    assert not show_leaderboard(False).leaderboard_public
    assert start("Two", RULES, leaderboard_public=True).leaderboard_public


@pytest.mark.parametrize(
    ("title", "said"),
    [("", "empty"), ("a\nb", "one line"), ("x" * 81, "at most 80"), ("\u202eabc", "control")],
)
def test_a_title_is_checked_like_a_name(title, said):
    with pytest.raises(UserError, match=said):
        start(title, RULES)
    assert current() is None


def test_a_challenge_needs_rules():
    with pytest.raises(UserError, match="needs its rules"):
        start("One", {"dataset": "mnist"})


def test_the_history_is_capped(monkeypatch):
    monkeypatch.setattr(challenges, "MAX_KEPT", 3)
    started = [start(f"Challenge {i}", RULES) for i in range(5)]
    assert [kept.id for kept in history()] == [c.id for c in started[-3:]]


def test_two_teachers_starting_at_once_leave_one_running_and_both_kept():
    threads = [threading.Thread(target=start, args=(f"Challenge {i}", RULES)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    kept = history()
    assert len(kept) == 6 and sum(c.running for c in kept) == 1 and current() == kept[-1]


def write(classroom_dir, name, content):
    classroom_dir.mkdir(exist_ok=True)
    (classroom_dir / name).write_text(content if isinstance(content, str) else json.dumps(content))


def sound() -> dict:
    return Challenge("abcdEFGH", "Title", RULES, 1_000.0).as_dict()


@pytest.mark.parametrize(
    "forged",
    [
        "{not json",
        "[]",
        {**sound(), "id": "../../etc"},
        {**sound(), "id": 5},
        {**sound(), "title": "a\nb"},
        {**sound(), "title": "\u202eevil"},
        {**sound(), "rules": {**RULES.as_dict(), "max_epochs": 10**9}},
        {**sound(), "rules": {**RULES.as_dict(), "layer_kinds": ["lambda"]}},
        {**sound(), "rules": "mnist"},
        {**sound(), "started": "yesterday"},
        {**sound(), "started": float("inf")},
        {**sound(), "ended": 5.0},
        {**sound(), "leaderboard_public": "yes"},
        {**sound(), "extra": 1},
        {k: v for k, v in sound().items() if k != "rules"},
    ],
)
def test_a_forged_running_challenge_is_no_challenge_and_a_warning(classroom_dir, caplog, forged):
    write(classroom_dir, challenges.CURRENT_FILE, forged)
    assert current() is None
    assert find("abcdEFGH") is None
    assert "challenge.json is ignored" in caplog.text


def test_a_sound_file_on_disk_is_read(classroom_dir):
    write(classroom_dir, challenges.CURRENT_FILE, sound())
    assert current() == Challenge("abcdEFGH", "Title", RULES, 1_000.0)


def test_a_forged_history_keeps_only_its_sound_challenges(classroom_dir):
    ended = {**sound(), "ended": 2_000.0}
    write(classroom_dir, challenges.HISTORY_FILE, [ended, {**sound(), "id": "x"}, "junk", 7])
    assert [c.id for c in history()] == ["abcdEFGH"]
    assert find("abcdEFGH").ended == 2_000.0
    write(classroom_dir, challenges.HISTORY_FILE, {"not": "a list"})
    assert history() == ()


def test_a_forged_file_is_replaced_by_the_next_start(classroom_dir):
    write(classroom_dir, challenges.CURRENT_FILE, "{not json")
    write(classroom_dir, challenges.HISTORY_FILE, "{not json")
    challenge = start("Fresh", RULES)
    assert current() == challenge and history() == (challenge,)


def test_an_oversized_or_odd_file_is_not_read(classroom_dir, caplog, monkeypatch):
    from mnist_app.classroom import folder

    monkeypatch.setattr(folder, "MAX_FILE_BYTES", 100)
    write(classroom_dir, challenges.CURRENT_FILE, json.dumps(sound()) + " " * 200)
    assert current() is None and "not a small regular file" in caplog.text


def test_a_fifo_in_the_challenges_place_is_not_waited_on(classroom_dir):
    import os

    classroom_dir.mkdir()
    os.mkfifo(classroom_dir / challenges.CURRENT_FILE)
    assert current() is None


def test_a_challenge_changed_by_another_process_is_read_again(classroom_dir):
    first = start("One", RULES)
    assert current() == first
    on_disk = {**first.as_dict(), "title": "Renamed elsewhere"}
    write(classroom_dir, challenges.CURRENT_FILE, on_disk)
    assert current().title == "Renamed elsewhere"
