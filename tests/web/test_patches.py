"""Tests for mnist_app.web.patches: a function of Streamlit's replaced once, or a warning once."""

import logging

import pytest
import streamlit

from mnist_app.web import patches


class Owner:
    """Stands in for the Streamlit module or class whose function is replaced."""

    @staticmethod
    def its_own(value):
        return value


def doubling(original):
    return lambda value: 2 * original(value)


@pytest.fixture
def owner(monkeypatch):
    monkeypatch.setattr(Owner, "its_own", Owner.__dict__["its_own"])
    patches._say_it_cannot_apply.cache_clear()
    yield Owner
    patches._say_it_cannot_apply.cache_clear()


def test_a_replacement_wraps_the_original_once_however_often_asked(owner):
    original = owner.its_own
    for _ in range(3):
        assert patches.replace_once(owner, "its_own", doubling, "nothing") is True
    assert owner.its_own(5) == 10, "wrapped once, not three times"
    assert owner.its_own.__wrapped__ is original and getattr(owner.its_own, patches.MARK)


def test_a_function_streamlit_no_longer_has_is_said_in_the_log_once_with_the_version(owner, caplog):
    with caplog.at_level(logging.WARNING, logger=patches.__name__):
        for _ in range(3):
            assert patches.replace_once(owner, "gone", doubling, "the pages slow down.") is False
    (record,) = caplog.records
    assert record.getMessage() == (
        f"Streamlit {streamlit.__version__} has no Owner.gone to replace: the pages slow down."
    )
