"""Fixtures of the classroom tests: every test gets its own models and classroom folders."""

import pytest

from mnist_app import settings


@pytest.fixture(autouse=True)
def classroom_dir(tmp_path, monkeypatch):
    """An empty classroom folder (and models folder), no teacher key, the limits at their defaults,
    no wrong key counted against any network address."""
    from mnist_app.classroom import teacher_key

    teacher_key.forget_addresses()
    models = tmp_path / "models"
    models.mkdir()
    monkeypatch.setenv("MNIST_APP_MODELS_DIR", str(models))
    monkeypatch.setenv(settings.CLASSROOM_DIR, str(tmp_path / "classroom"))
    for name in (settings.TEACHER_KEY, settings.TEACHER_KEY_FILE, *settings.LIVE_LIMITS):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "classroom"
