"""Live limits: the teacher's change reaches every count at its next look; a broken file is ignored."""

import json
import logging
import os

import pytest

from mnist_app import settings
from mnist_app.classroom import limits
from mnist_app.errors import UserError


def test_without_changes_the_limits_are_the_operators(monkeypatch):
    monkeypatch.setenv(settings.JOBS_PER_VISITOR, "7")
    now = limits.current()
    assert set(now) == set(settings.LIVE_LIMITS)
    assert now[settings.JOBS_PER_VISITOR] == (7, 7)
    assert now[settings.TRAINING_SLOTS] == (1, 1)


def test_a_teachers_change_is_read_by_every_setting_at_once(monkeypatch, classroom_dir):
    monkeypatch.setenv(settings.TRAINING_SLOTS, "2")
    now = limits.set_limits(
        {
            settings.TRAINING_SLOTS: 4,
            settings.JOBS_PER_VISITOR: 1,
            settings.MODELS_PER_VISITOR: 3,
            settings.DIGITS_PER_VISITOR: 50,
            settings.MAX_IMAGES_PER_JOB: 60_000,
        }
    )
    assert now[settings.TRAINING_SLOTS] == (4, 2)
    assert settings.training_slots() == 4
    assert settings.jobs_per_visitor() == 1
    assert settings.models_per_visitor() == 3
    assert settings.digits_per_visitor() == 50
    assert settings.max_images_per_job() == 60_000
    assert json.loads((classroom_dir / settings.LIMITS_FILE).read_text())[settings.TRAINING_SLOTS] == 4


def test_changes_add_up_and_none_or_the_operators_value_removes_one(monkeypatch, classroom_dir):
    limits.set_limits({settings.TRAINING_SLOTS: 3})
    limits.set_limits({settings.JOBS_PER_VISITOR: 2})
    assert settings.training_slots() == 3 and settings.jobs_per_visitor() == 2
    limits.set_limits({settings.TRAINING_SLOTS: None, settings.JOBS_PER_VISITOR: 4})
    assert settings.live_overrides() == {}
    monkeypatch.setenv(settings.JOBS_PER_VISITOR, "6")
    assert settings.jobs_per_visitor() == 6, "the operator's later setting takes effect"


def test_reset_brings_every_limit_back():
    limits.set_limits({settings.TRAINING_SLOTS: 3})
    assert limits.reset()[settings.TRAINING_SLOTS] == (1, 1)
    assert limits.reset()[settings.TRAINING_SLOTS] == (1, 1)


@pytest.mark.parametrize(
    ("values", "said"),
    [
        ({"MNIST_APP_SHARED": 1}, "not a limit the teacher can change"),
        ({"MNIST_APP_MAX_MODELS": 1}, "not a limit the teacher can change"),
        ({settings.TRAINING_SLOTS: 0}, "in 1..64"),
        ({settings.TRAINING_SLOTS: 65}, "in 1..64"),
        ({settings.JOBS_PER_VISITOR: 2.5}, "whole number"),
        ({settings.JOBS_PER_VISITOR: True}, "whole number"),
        ({settings.JOBS_PER_VISITOR: "3"}, "whole number"),
    ],
)
def test_a_wrong_value_changes_nothing(values, said):
    limits.set_limits({settings.TRAINING_SLOTS: 2})
    with pytest.raises(UserError, match=said):
        limits.set_limits({settings.JOBS_PER_VISITOR: 1, **values})
    assert settings.live_overrides() == {settings.TRAINING_SLOTS: 2}


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        "[3]",
        '{"MNIST_APP_TRAINING_SLOTS": "3"}',
        '{"MNIST_APP_TRAINING_SLOTS": 0}',
        '{"MNIST_APP_TRAINING_SLOTS": true}',
        '{"MNIST_APP_TRAINING_SLOTS": 3, "MNIST_APP_SHARED": 1}',
        "[" * 100_000,
    ],
)
def test_a_broken_limits_file_is_ignored_with_one_warning(monkeypatch, classroom_dir, caplog, content):
    monkeypatch.setenv(settings.TRAINING_SLOTS, "2")
    classroom_dir.mkdir()
    (classroom_dir / settings.LIMITS_FILE).write_text(content)
    with caplog.at_level(logging.WARNING):
        assert settings.training_slots() == 2
        assert settings.training_slots() == 2
        assert limits.current()[settings.TRAINING_SLOTS] == (2, 2)
    assert [record.levelname for record in caplog.records] == ["WARNING"]
    assert "limits file" in caplog.text and "ignored" in caplog.text


def test_the_file_is_read_again_only_when_it_changes(classroom_dir, monkeypatch):
    limits.set_limits({settings.TRAINING_SLOTS: 3})
    assert settings.training_slots() == 3
    opened = []
    real_open = os.open

    def counting_open(*args, **kwargs):
        opened.append(args[0])
        return real_open(*args, **kwargs)

    monkeypatch.setattr(os, "open", counting_open)
    for _ in range(5):
        assert settings.training_slots() == 3
    assert opened == []
    (classroom_dir / settings.LIMITS_FILE).write_text('{"MNIST_APP_TRAINING_SLOTS": 5}')
    os.utime(classroom_dir / settings.LIMITS_FILE, ns=(1, 1))
    assert settings.training_slots() == 5 and len(opened) == 1


def test_a_limit_set_by_another_process_is_read(classroom_dir):
    classroom_dir.mkdir()
    (classroom_dir / settings.LIMITS_FILE).write_text('{"MNIST_APP_MODELS_PER_VISITOR": 2}')
    assert settings.models_per_visitor() == 2


def test_a_change_made_in_another_server_process_reaches_this_one(classroom_dir):
    import subprocess
    import sys

    assert settings.training_slots() == 1
    code = "from mnist_app import settings; from mnist_app.classroom import limits; limits.set_limits({settings.TRAINING_SLOTS: 3})"
    subprocess.run(
        [sys.executable, "-c", code], check=True, cwd=settings.REPOSITORY, env=os.environ.copy(), timeout=120
    )
    assert settings.training_slots() == 3


def test_an_operators_value_above_the_teachers_most_can_be_kept_and_lowered(monkeypatch):
    monkeypatch.setenv(settings.JOBS_PER_VISITOR, "200")
    assert limits.most(settings.JOBS_PER_VISITOR) == 200 > limits.MOST[settings.JOBS_PER_VISITOR]
    assert limits.set_limits({settings.JOBS_PER_VISITOR: 200})[settings.JOBS_PER_VISITOR] == (200, 200)
    assert limits.set_limits({settings.JOBS_PER_VISITOR: 150})[settings.JOBS_PER_VISITOR] == (150, 200)
    with pytest.raises(UserError, match=r"in 1\.\.200"):
        limits.set_limits({settings.JOBS_PER_VISITOR: 201})
