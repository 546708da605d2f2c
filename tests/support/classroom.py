"""What the students' page tests share: a classroom folder of their own and a running challenge."""

from __future__ import annotations

from mnist_app import settings
from tests.support import REPO

# The teacher's page, for AppTest.from_file.
TEACHER_PAGE = REPO / "mnist_app" / "web" / "pages" / "teacher.py"
TEACHER_KEY = "sesame"


def classroom_folder(tmp_path, monkeypatch):
    """An empty classroom folder for one test; no teacher key."""
    folder = tmp_path / "classroom"
    monkeypatch.setenv(settings.CLASSROOM_DIR, str(folder))
    for name in (settings.TEACHER_KEY, settings.TEACHER_KEY_FILE):
        monkeypatch.delenv(name, raising=False)
    return folder


def teacher_classroom(tmp_path, monkeypatch):
    """A classroom folder for one test, and a teacher's key."""
    folder = tmp_path / "classroom"
    monkeypatch.setenv(settings.CLASSROOM_DIR, str(folder))
    monkeypatch.setenv(settings.TEACHER_KEY, TEACHER_KEY)
    return folder


def start_challenge(title: str = "Smallest network that reads 9 in 10", **rules):
    """Start a challenge on the sample (by default) with these rules; the Challenge."""
    from mnist_app.classroom import challenges
    from mnist_app.classroom.rules import Rules

    return challenges.start(title, Rules(**{"dataset": "mnist-sample", **rules}))
