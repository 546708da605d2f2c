"""Tests for mnist_app.timing: a line per timed part where MNIST_APP_TIMING_LOG names a file, nothing otherwise."""

from mnist_app.timing import timed


def test_each_timed_part_appends_its_final_name_and_milliseconds(tmp_path, monkeypatch):
    log = tmp_path / "timings.txt"
    monkeypatch.setenv("MNIST_APP_TIMING_LOG", str(log))
    with timed("page draw"):
        pass
    with timed("draw") as part:
        part.name = "draw reading"

    lines = [line.rsplit(" ", 1) for line in log.read_text().splitlines()]
    assert [name for name, _ in lines] == ["page draw", "draw reading"]
    assert all(float(ms) >= 0 for _, ms in lines)


def test_without_the_setting_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_APP_TIMING_LOG", " ")
    monkeypatch.chdir(tmp_path)
    with timed("page explore"):
        pass
    assert not list(tmp_path.iterdir())
