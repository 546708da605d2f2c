"""Tests for mnist_app.json_files: small JSON files read with a cap, again only when they change."""

import logging
import os

from mnist_app import json_files


def an_object(value):
    if not isinstance(value, dict):
        raise ValueError("not an object")
    return value


def test_a_file_is_read_again_only_when_it_changes(tmp_path, monkeypatch):
    where = tmp_path / "a.json"
    where.write_text('{"n": 1}')
    reads = []
    checked = lambda value: reads.append(value) or value  # noqa: E731
    assert json_files.read_cached(where, None, 100, checked) == {"n": 1}
    assert json_files.read_cached(where, None, 100, checked) == {"n": 1}
    assert len(reads) == 1
    where.write_text('{"n": 22}')
    assert json_files.read_cached(where, None, 100, checked) == {"n": 22}
    assert len(reads) == 2


def test_what_is_not_a_small_json_file_reads_as_the_default_with_one_warning_a_version(tmp_path, caplog):
    where = tmp_path / "b.json"
    with caplog.at_level(logging.WARNING, logger=json_files.__name__):
        for content in (
            "[1, 2]",
            "{not json",
            "[" * 100_000 + "]" * 100_000,
            '"a string"',
            "{}" + " " * 300_000,
        ):
            where.write_text(content)
            for _ in range(3):
                read = json_files.read_cached(where, "default", 300_000, an_object, "the test's file")
                assert read == "default"
    assert len(caplog.records) == 5
    assert "maximum recursion depth" in caplog.records[2].getMessage()
    assert "not a small regular file" in caplog.records[4].getMessage()
    assert all("the test's file is ignored" in record.getMessage() for record in caplog.records)


def test_an_absent_file_or_a_pipe_in_its_place_reads_as_the_default_at_once(tmp_path):
    assert json_files.read_cached(tmp_path / "absent.json", {}, 100) == {}
    os.mkfifo(tmp_path / "pipe.json")
    assert json_files.read_cached(tmp_path / "pipe.json", {}, 100) == {}
    assert json_files.read_cached(tmp_path, {}, 100) == {}, "nor a folder"


def test_a_file_that_cannot_be_opened_now_is_tried_again_on_the_next_call(tmp_path, monkeypatch):
    where = tmp_path / "c.json"
    where.write_text('{"n": 3}')
    real_open = os.open
    monkeypatch.setattr(os, "open", lambda *args: (_ for _ in ()).throw(OSError(24, "Too many open files")))
    assert json_files.read_cached(where, "default", 100) == "default"
    monkeypatch.setattr(os, "open", real_open)
    assert json_files.read_cached(where, "default", 100) == {"n": 3}
