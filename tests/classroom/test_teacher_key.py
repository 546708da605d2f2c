"""The teacher's key: missing, wrong, right, throttled after five wrong tries, never echoed."""

import logging

import pytest

from mnist_app import settings
from mnist_app.classroom import teacher_key
from mnist_app.classroom.teacher_key import (
    CLIENT_TRIES,
    LOCK_S,
    MAX_LOCK_S,
    MAX_TRIES,
    Tries,
    configured,
    session_mark,
    sign_in,
    still_signed_in,
)
from mnist_app.errors import UserError

KEY = "correct horse battery staple"


@pytest.fixture
def key(monkeypatch):
    monkeypatch.setenv(settings.TEACHER_KEY, KEY)
    return KEY


def test_without_a_key_there_is_no_teacher_and_no_sign_in():
    assert not configured()
    with pytest.raises(UserError, match="this server has no teacher key"):
        sign_in("anything", Tries(), now=0)


def test_the_right_key_signs_in_and_a_wrong_one_does_not(key):
    assert configured()
    tries = Tries()
    assert sign_in(KEY, tries, now=0) is True
    assert sign_in(KEY + "x", tries, now=0) is False
    assert sign_in(KEY[:-1], tries, now=0) is False
    assert sign_in("", tries, now=0) is False
    assert tries.failures == 3


def test_spaces_pasted_around_the_key_do_not_matter(key):
    assert sign_in(f"  {KEY}\n", Tries(), now=0)


def test_text_that_is_not_a_key_is_only_a_wrong_key(key):
    tries = Tries()
    for given in (None, 12345, "\udcff", "\0" * 10_000):
        assert sign_in(given, tries, now=0) is False
    assert tries.failures == 4


def test_the_fifth_wrong_key_in_a_row_locks_the_session_for_a_minute(key):
    tries = Tries()
    for _ in range(MAX_TRIES):
        assert sign_in("wrong", tries, now=100.0) is False
    assert tries.locked_until == 100.0 + LOCK_S
    # Even the right key waits: the lock is what stops guessing.
    with pytest.raises(UserError, match=r"Too many wrong keys: wait 60 s"):
        sign_in(KEY, tries, now=100.0)
    with pytest.raises(UserError, match=r"wait 1 s"):
        sign_in(KEY, tries, now=100.0 + LOCK_S - 0.5)
    assert sign_in(KEY, tries, now=100.0 + LOCK_S) is True
    assert tries == Tries()


def test_a_right_key_resets_the_count_of_wrong_ones(key):
    tries = Tries()
    for _ in range(MAX_TRIES - 1):
        sign_in("wrong", tries, now=0)
    assert sign_in(KEY, tries, now=0)
    for _ in range(MAX_TRIES - 1):
        assert sign_in("wrong", tries, now=0) is False
    assert tries.locked_until == 0.0


def test_after_the_wait_the_session_has_five_more_tries(key):
    tries = Tries()
    for _ in range(MAX_TRIES):
        sign_in("wrong", tries, now=0)
    for _ in range(MAX_TRIES - 1):
        assert sign_in("wrong", tries, now=LOCK_S) is False
    assert tries.locked_until == LOCK_S, "still the first lock's end"
    assert sign_in("wrong", tries, now=LOCK_S) is False
    assert tries.locked_until == 2 * LOCK_S


def test_sessions_are_throttled_apart(key):
    mine, theirs = Tries(), Tries()
    for _ in range(MAX_TRIES):
        sign_in("wrong", mine, now=0)
    assert sign_in(KEY, theirs, now=0)


def test_without_a_clock_given_the_monotonic_clock_is_used(key, monkeypatch):
    monkeypatch.setattr(teacher_key.time, "monotonic", lambda: 1_000.0)
    tries = Tries()
    for _ in range(MAX_TRIES):
        sign_in("wrong", tries)
    assert tries.locked_until == 1_000.0 + LOCK_S


def test_the_key_is_never_in_a_message_a_repr_or_the_log(key, caplog):
    caplog.set_level(logging.DEBUG)
    tries = Tries()
    messages = []
    for given in ["wrong"] * MAX_TRIES + [KEY]:
        try:
            messages.append(repr(sign_in(given, tries, now=0)))
        except UserError as error:
            messages += [str(error), repr(error)]
        messages.append(repr(tries))
    assert not any(KEY in message for message in [*messages, caplog.text])


def test_the_comparison_is_of_digests_in_constant_time(key, monkeypatch):
    compared = []
    real = teacher_key.hmac.compare_digest

    def spy(a, b):
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(teacher_key.hmac, "compare_digest", spy)
    sign_in("short", Tries(), now=0)
    sign_in(KEY * 10, Tries(), now=0)
    assert all(len(a) == len(b) == 32 for a, b in compared), "SHA-256 digests, whatever the lengths given"


def test_new_sessions_from_one_address_are_counted_together(key):
    """A script that opens a new session every few tries is slowed all the same."""
    for attempt in range(CLIENT_TRIES):
        assert sign_in("wrong", Tries(), now=0, client="10.0.0.5") is False, attempt
    with pytest.raises(UserError, match=r"Too many wrong keys: wait 60 s"):
        sign_in(KEY, Tries(), now=0, client="10.0.0.5")
    assert sign_in(KEY, Tries(), now=0, client="10.0.0.6"), "another address is not held up"
    for _ in range(CLIENT_TRIES):
        sign_in("wrong", Tries(), now=LOCK_S, client="10.0.0.5")
    with pytest.raises(UserError, match=r"wait 120 s"):
        sign_in(KEY, Tries(), now=LOCK_S, client="10.0.0.5")
    assert sign_in(KEY, Tries(), now=3 * LOCK_S, client="10.0.0.5")
    for _ in range(CLIENT_TRIES):
        sign_in("wrong", Tries(), now=3 * LOCK_S, client="10.0.0.5")
    # A right key started the waits over.
    with pytest.raises(UserError, match=r"wait 60 s"):
        sign_in(KEY, Tries(), now=3 * LOCK_S, client="10.0.0.5")


def test_where_the_address_is_unknown_every_such_session_counts_together_and_waits_grow(key):
    now = 0.0
    for lock in range(12):
        for _ in range(CLIENT_TRIES):
            sign_in("wrong", Tries(), now=now)
        wait = min(MAX_LOCK_S, LOCK_S * 2**lock)
        with pytest.raises(UserError, match=rf"wait {int(wait)} s"):
            sign_in(KEY, Tries(), now=now, client=None)
        now += wait
    assert sign_in(KEY, Tries(), now=now)


def test_a_signed_in_session_keeps_a_mark_that_a_changed_key_no_longer_matches(key, monkeypatch):
    mark = session_mark()
    assert still_signed_in(mark) and KEY not in mark
    assert not still_signed_in(True) and not still_signed_in("") and not still_signed_in(None)
    assert not still_signed_in("é" + mark[1:])
    monkeypatch.setenv(settings.TEACHER_KEY, "a new key")
    assert not still_signed_in(mark)
    monkeypatch.delenv(settings.TEACHER_KEY)
    assert session_mark() == "" and not still_signed_in("")


def test_a_short_key_is_said_once_in_the_log_without_the_key(monkeypatch, caplog):
    monkeypatch.setenv(settings.TEACHER_KEY, "class7b")
    teacher_key._say_the_key_is_short.cache_clear()
    for _ in range(2):
        sign_in("wrong", Tries(), now=0)
    said = [record.getMessage() for record in caplog.records if record.name == teacher_key.__name__]
    assert len(said) == 1 and "shorter than 16 characters" in said[0] and "class7b" not in caplog.text
