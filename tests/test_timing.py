"""Tests for mnist_app.timing: a line per timed part where MNIST_APP_TIMING_LOG names a file, nothing otherwise."""

import gc

from mnist_app.timing import timed


def test_each_timed_part_appends_its_final_name_and_milliseconds(tmp_path, monkeypatch):
    log = tmp_path / "timings.txt"
    monkeypatch.setenv("MNIST_APP_TIMING_LOG", str(log))
    with timed("page draw"):
        pass
    with timed("draw") as part:
        part.name = "draw reading"

    lines = [line.rsplit(" ", 1) for line in log.read_text().splitlines() if not line.startswith("gc")]
    assert [name for name, _ in lines] == ["page draw", "draw reading"]
    assert all(float(ms) >= 0 for _, ms in lines)


def test_without_the_setting_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_APP_TIMING_LOG", " ")
    monkeypatch.chdir(tmp_path)
    with timed("page explore"):
        pass
    assert not list(tmp_path.iterdir())


def test_garbage_collections_are_timed_with_the_parts(tmp_path, monkeypatch):
    """A full collection holds every session up: the log says how long, by generation."""
    log = tmp_path / "timings.txt"
    monkeypatch.setenv("MNIST_APP_TIMING_LOG", str(log))
    with timed("page draw"):
        gc.collect()
    with timed("page explore"):
        pass

    names = [line.rsplit(" ", 1)[0] for line in log.read_text().splitlines()]
    assert names.index("gc2") < names.index("page draw") < names.index("page explore")
