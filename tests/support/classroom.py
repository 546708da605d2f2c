"""What the students' page tests share: a classroom folder of their own and a running challenge."""

from __future__ import annotations

from mnist_app import settings


def classroom_folder(tmp_path, monkeypatch):
    """An empty classroom folder for one test; no teacher key."""
    folder = tmp_path / "classroom"
    monkeypatch.setenv(settings.CLASSROOM_DIR, str(folder))
    for name in (settings.TEACHER_KEY, settings.TEACHER_KEY_FILE):
        monkeypatch.delenv(name, raising=False)
    return folder


def start_challenge(title: str = "Smallest network that reads 9 in 10", **rules):
    """Start a challenge on the sample (by default) with these rules; the Challenge."""
    from mnist_app.classroom import challenges
    from mnist_app.classroom.rules import Rules

    return challenges.start(title, Rules(**{"dataset": "mnist-sample", **rules}))
