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


# The classroom


@pytest.fixture
def no_key(monkeypatch):
    monkeypatch.delenv(settings.TEACHER_KEY, raising=False)
    monkeypatch.delenv(settings.TEACHER_KEY_FILE, raising=False)


def test_no_teacher_key_unless_one_is_given(no_key):
    assert settings.teacher_key() == ""


def test_the_teacher_key_comes_from_the_environment_stripped_before_any_file(no_key, monkeypatch, tmp_path):
    (tmp_path / "key").write_text("from the file\n")
    monkeypatch.setenv(settings.TEACHER_KEY_FILE, str(tmp_path / "key"))
    assert settings.teacher_key() == "from the file"
    monkeypatch.setenv(settings.TEACHER_KEY, "  from the environment ")
    assert settings.teacher_key() == "from the environment"


@pytest.mark.parametrize(
    ("content", "key"),
    [
        (b"  first line  \nsecond line\n", "first line"),
        (b"key-without-newline", "key-without-newline"),
        (b"crlf key\r\nnext", "crlf key"),
        (b"", ""),
        (b"\n\nkey on the third line", ""),
        (b"   \n", ""),
        (b"k" * 5000, "k" * 4096),
    ],
)
def test_the_key_file_gives_its_first_line_of_at_most_4_kib(no_key, monkeypatch, tmp_path, content, key):
    (tmp_path / "key").write_bytes(content)
    monkeypatch.setenv(settings.TEACHER_KEY_FILE, str(tmp_path / "key"))
    assert settings.teacher_key() == key


def test_a_key_file_that_cannot_be_read_gives_no_key(no_key, monkeypatch, tmp_path):
    import os

    (tmp_path / "a-folder").mkdir()
    os.mkfifo(tmp_path / "a-fifo")
    for name in ("missing", "a-folder", "a-fifo"):
        monkeypatch.setenv(settings.TEACHER_KEY_FILE, str(tmp_path / name))
        assert settings.teacher_key() == "", name


def test_the_classroom_folder_is_in_the_models_folder_unless_set(monkeypatch, tmp_path):
    monkeypatch.delenv(settings.CLASSROOM_DIR, raising=False)
    monkeypatch.setenv("MNIST_APP_MODELS_DIR", str(tmp_path / "m"))
    assert settings.classroom_dir() == tmp_path / "m" / ".classroom"
    monkeypatch.setenv(settings.CLASSROOM_DIR, str(tmp_path / "class"))
    assert settings.classroom_dir() == tmp_path / "class"


def test_the_live_limits_are_the_five_the_teacher_may_change():
    assert settings.LIVE_LIMITS == (
        "MNIST_APP_JOBS_PER_VISITOR",
        "MNIST_APP_MODELS_PER_VISITOR",
        "MNIST_APP_DIGITS_PER_VISITOR",
        "MNIST_APP_MAX_IMAGES_PER_JOB",
        "MNIST_APP_TRAINING_SLOTS",
    )


def test_an_override_comes_first_for_a_live_limit_only(monkeypatch, tmp_path):
    import json

    monkeypatch.setenv(settings.CLASSROOM_DIR, str(tmp_path))
    monkeypatch.setenv(settings.TRAINING_SLOTS, "2")
    (tmp_path / settings.LIMITS_FILE).write_text(json.dumps({settings.TRAINING_SLOTS: 6}))
    assert settings.training_slots() == 6
    assert settings.count(settings.TRAINING_SLOTS, 1, live=False) == 2
    assert settings.count(settings.TRAINING_SLOTS, 1, minimum=8) == 8, "the floor still holds"
    monkeypatch.setenv("MNIST_APP_MAX_MODELS", "9")
    (tmp_path / settings.LIMITS_FILE).write_text(json.dumps({"MNIST_APP_MAX_MODELS": 1}))
    assert settings.max_models() == 9
