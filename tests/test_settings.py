"""Tests for mnist_app.settings: one rule for a yes/no, one for a count, and the folders' defaults."""

import pytest

from mnist_app import settings

YES_NO = "MNIST_APP_TEST_YES_NO"


@pytest.mark.parametrize("value", ["1", "true", "TRUE", "Yes", "on", "ON", " on "])
def test_a_yes_in_any_case_is_on(monkeypatch, value):
    monkeypatch.setenv(YES_NO, value)
    assert settings.flag(YES_NO) is True
    assert settings.yes_no(YES_NO) is True


@pytest.mark.parametrize("value", ["0", "false", "No", "OFF", "2", "sure"])
def test_anything_else_is_off(monkeypatch, value):
    monkeypatch.setenv(YES_NO, value)
    assert settings.flag(YES_NO, default=True) is False


@pytest.mark.parametrize("value", [None, "", "   "])
def test_a_yes_no_unset_or_blank_takes_its_default(monkeypatch, value):
    if value is None:
        monkeypatch.delenv(YES_NO, raising=False)
    else:
        monkeypatch.setenv(YES_NO, value)
    assert settings.flag(YES_NO) is False
    assert settings.flag(YES_NO, default=True) is True
    assert settings.yes_no(YES_NO) is None


@pytest.mark.parametrize(
    ("value", "chosen"),
    [
        ("1", True),
        ("on", True),
        ("True", True),
        ("0", False),
        ("false", False),
        ("NO", False),
        ("off", False),
        ("", None),
        ("2", None),
        ("maybe", None),
    ],
)
def test_bfloat16_is_yes_no_or_left_to_the_guess(monkeypatch, value, chosen):
    monkeypatch.setenv(settings.BFLOAT16, value)
    assert settings.bfloat16() is chosen


@pytest.mark.parametrize(
    ("value", "counted"), [(None, 10), ("", 10), ("7", 7), ("0", 1), ("-3", 1), ("ten", 10), ("2.5", 10)]
)
def test_a_count_takes_its_default_when_unset_or_not_a_number_and_never_goes_below_its_floor(
    monkeypatch, value, counted
):
    if value is None:
        monkeypatch.delenv("MNIST_APP_MODELS_PER_VISITOR", raising=False)
    else:
        monkeypatch.setenv("MNIST_APP_MODELS_PER_VISITOR", value)
    assert settings.models_per_visitor() == counted


def test_a_count_below_its_floor_takes_the_floor_even_from_its_default(monkeypatch):
    monkeypatch.setenv("MNIST_APP_TEST_COUNT", "1")
    assert settings.count("MNIST_APP_TEST_COUNT", 5, minimum=3) == 3
    monkeypatch.setenv("MNIST_APP_TEST_COUNT", "many")
    assert settings.count("MNIST_APP_TEST_COUNT", 2, minimum=3) == 3


def test_the_cache_is_nowhere_when_off_and_under_the_users_cache_by_default(monkeypatch, tmp_path):
    monkeypatch.setenv("MNIST_APP_CACHE_DIR", "off")
    assert settings.cache_dir() is None
    monkeypatch.setenv("MNIST_APP_CACHE_DIR", str(tmp_path / "decoded"))
    assert settings.cache_dir() == tmp_path / "decoded"
    monkeypatch.delenv("MNIST_APP_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert settings.cache_dir() == tmp_path / "mnist-app" / "decoded"


def test_the_data_and_models_folders_are_the_repositorys_unless_set(monkeypatch, tmp_path):
    monkeypatch.delenv("MNIST_APP_DATA_DIR", raising=False)
    monkeypatch.delenv("MNIST_APP_MODELS_DIR", raising=False)
    assert settings.data_dir() == settings.REPOSITORY / "data"
    assert settings.models_dir() == settings.REPOSITORY / "models"
    assert (settings.REPOSITORY / "mnist_app" / "settings.py").is_file()
    monkeypatch.setenv("MNIST_APP_DATA_DIR", str(tmp_path / "d"))
    monkeypatch.setenv("MNIST_APP_MODELS_DIR", str(tmp_path / "m"))
    assert settings.data_dir() == tmp_path / "d" and settings.models_dir() == tmp_path / "m"
