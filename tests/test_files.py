"""Tests for mnist_app.files: regular files only, sizes checked first, capped reads, paths kept inside."""

import errno
import gzip
import io
import os
import re
import threading
import time
import tracemalloc
from pathlib import Path

import pytest

from mnist_app.errors import UserError
from mnist_app.files import (
    atomic_write,
    open_regular,
    read_capped,
    read_regular,
    remove_abandoned,
    resolve_inside,
    staged_file,
)

MiB = 2**20


class PathError(UserError):
    """The caller's own error type, which every refusal must use."""


def in_thread(function, *args, timeout: float = 5.0):
    """What `function(*args)` returned or raised, failing the test if it blocks."""
    box = {}

    def target():
        try:
            box["value"] = function(*args)
        except BaseException as error:  # the test inspects whatever came out
            box["value"] = error

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), f"{function.__name__} blocked for {timeout} s"
    return box["value"]


def refusal(function, *args) -> str:
    """The message of the PathError that `function(*args)` must raise without blocking."""
    error = in_thread(function, *args)
    assert isinstance(error, PathError), f"expected PathError, got {error!r}"
    return str(error)


# --- open_regular ---------------------------------------------------------------------------


def test_open_regular_reads_a_regular_file(tmp_path):
    path = tmp_path / "plain.bin"
    path.write_bytes(b"digits")

    with open_regular(path, 100, PathError) as file:
        assert file.read() == b"digits"


def test_open_regular_refuses_a_fifo_without_blocking(tmp_path):
    """Opening a FIFO for reading waits for a writer; none ever comes here."""
    fifo = tmp_path / "train-images-idx3-ubyte"
    os.mkfifo(fifo)

    assert refusal(open_regular, fifo, 100, PathError) == f"{fifo} is not a regular file"


def test_open_regular_refuses_a_directory(tmp_path):
    folder = tmp_path / "x.npz"
    folder.mkdir()

    assert refusal(open_regular, folder, 100, PathError) == f"{folder} is not a regular file"


def test_open_regular_refuses_a_device():
    assert refusal(open_regular, Path("/dev/zero"), 100, PathError) == "/dev/zero is not a regular file"


def test_open_regular_checks_the_size_before_reading(tmp_path):
    """A 50 GB sparse file is refused at once, by its size alone."""
    path = tmp_path / "huge.npz"
    with open(path, "wb") as file:
        file.truncate(50 * 10**9)

    start = time.perf_counter()
    message = refusal(open_regular, path, 2**30, PathError)

    assert time.perf_counter() - start < 1
    assert message == f"{path} is 50,000,000,000 bytes; at most 1,073,741,824 are read"


def test_open_regular_accepts_exactly_the_cap_and_refuses_one_byte_more(tmp_path):
    path = tmp_path / "edge.bin"
    path.write_bytes(bytes(1000))

    with open_regular(path, 1000, PathError) as file:
        assert len(file.read()) == 1000
    assert "1,000 bytes; at most 999 are read" in refusal(open_regular, path, 999, PathError)


@pytest.mark.parametrize(
    ("name", "reason"),
    [("absent.npz", "No such file or directory"), ("a\0b.npz", "NUL character")],
    ids=["missing", "nul"],
)
def test_open_regular_names_the_path_it_cannot_open(tmp_path, name, reason):
    message = refusal(open_regular, tmp_path / name, 100, PathError)

    assert message.startswith(f"cannot open {tmp_path / name}")
    assert reason in message


def test_open_regular_closes_what_it_refuses(tmp_path):
    (tmp_path / "folder").mkdir()
    (tmp_path / "big").write_bytes(bytes(10))
    before = len(os.listdir("/proc/self/fd"))

    for _ in range(50):
        for name in ("folder", "big"):
            with pytest.raises(PathError):
                open_regular(tmp_path / name, 5, PathError)

    assert len(os.listdir("/proc/self/fd")) == before


def test_read_regular_returns_the_whole_file_within_the_cap(tmp_path):
    path = tmp_path / "meta.json"
    path.write_bytes(b"{}" * 100)

    assert read_regular(path, 200, PathError) == b"{}" * 100
    assert "200 bytes; at most 199" in refusal(read_regular, path, 199, PathError)


# --- read_capped ----------------------------------------------------------------------------


class EndlessZeros(io.RawIOBase):
    """A stream that never ends, counting what it hands out."""

    def __init__(self):
        self.handed_out = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        buffer[:] = bytes(len(buffer))
        self.handed_out += len(buffer)
        return len(buffer)


class Trickle(io.RawIOBase):
    """A stream that gives at most three bytes a read, like a slow pipe."""

    def __init__(self, content: bytes):
        self.rest = content

    def readable(self):
        return True

    def read(self, size=-1):
        chunk, self.rest = self.rest[: min(size, 3)], self.rest[min(size, 3) :]
        return chunk


def test_read_capped_returns_everything_up_to_the_limit():
    assert read_capped(io.BytesIO(b"x" * 10), 10, "ten bytes", PathError) == b"x" * 10
    assert read_capped(io.BytesIO(b""), 0, "nothing", PathError) == b""


def test_read_capped_gathers_short_reads():
    assert read_capped(Trickle(b"0123456789"), 100, "a pipe", PathError) == b"0123456789"


def test_read_capped_raises_past_the_limit_naming_what_it_read():
    with pytest.raises(PathError, match="the member holds more than 9 bytes"):
        read_capped(io.BytesIO(b"x" * 10), 9, "the member", PathError)


def test_read_capped_reads_at_most_one_byte_past_the_limit():
    stream = EndlessZeros()

    with pytest.raises(PathError):
        read_capped(stream, 10 * MiB + 5, "endless", PathError)
    assert stream.handed_out == 10 * MiB + 6


def test_read_capped_allocates_for_the_bytes_that_come_not_for_the_limit():
    """A header may claim 1 GiB in front of ten bytes: memory follows the ten bytes.

    A buffered stream's `read(n)` allocates n bytes up front, whatever then comes.
    """
    stream = gzip.GzipFile(fileobj=io.BytesIO(gzip.compress(b"0123456789")))
    tracemalloc.start()
    try:
        content = read_capped(stream, 2**30, "a liar", PathError)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert content == b"0123456789"
    assert peak < 16 * MiB


def test_read_capped_stops_a_gzip_bomb_early():
    """16 MB of gzip members that would inflate to 16 GiB; read_capped stops after 1 MiB."""
    bomb = gzip.compress(bytes(64 * MiB)) * 256
    start = time.perf_counter()

    with pytest.raises(PathError, match="the bomb holds more than 1,048,576 bytes"):
        read_capped(gzip.GzipFile(fileobj=io.BytesIO(bomb)), MiB, "the bomb", PathError)
    assert time.perf_counter() - start < 3


# --- resolve_inside -------------------------------------------------------------------------


@pytest.fixture
def root(tmp_path):
    """A data folder with one file and one subfolder; tmp_path/secret lies outside it."""
    folder = tmp_path / "data"
    (folder / "sets").mkdir(parents=True)
    (folder / "digits.npz").write_bytes(b"")
    (tmp_path / "secret").write_text("outside")
    return folder


@pytest.mark.parametrize(
    ("typed", "relative"),
    [
        ("digits.npz", "digits.npz"),
        ("./sets/../digits.npz", "digits.npz"),
        ("sets", "sets"),
        ("sets/not-yet.npz", "sets/not-yet.npz"),
        ("", "."),
        (".", "."),
    ],
)
def test_resolve_inside_accepts_paths_inside_the_root(root, typed, relative):
    assert resolve_inside(root, typed, PathError) == (root / relative).resolve()


def test_resolve_inside_accepts_an_absolute_path_inside_the_root(root):
    assert resolve_inside(root, str(root / "digits.npz"), PathError) == (root / "digits.npz").resolve()


def test_resolve_inside_accepts_a_symlink_that_stays_inside(root):
    (root / "sets" / "alias.npz").symlink_to(root / "digits.npz")

    assert resolve_inside(root, "sets/alias.npz", PathError) == (root / "digits.npz").resolve()


def outside_paths(root: Path) -> list[str]:
    return [
        "..",
        "../secret",
        "sets/../../secret",
        str(root.parent / "secret"),
        "/etc/passwd",
        "link",
        "sets/up",
    ]


@pytest.mark.parametrize(
    "which",
    range(7),
    ids=["parent", "dot-dot", "nested-dot-dot", "absolute", "etc", "symlink", "folder-link"],
)
def test_resolve_inside_refuses_paths_leading_outside_the_same_whether_or_not_they_exist(root, which):
    (root / "link").symlink_to(root.parent / "secret")
    (root / "sets" / "up").symlink_to(root.parent)
    typed = outside_paths(root)[which]

    present = refusal(resolve_inside, root, typed, PathError)
    (root.parent / "secret").unlink()
    absent = refusal(resolve_inside, root, typed, PathError)

    assert present == absent == f"paths are read inside the data folder only (data/): {typed!r} is not in it"


def test_resolve_inside_refuses_a_symlink_into_a_sibling_named_like_the_root(root):
    """`data-old` starts with `data`: a check on the string prefix would let it through."""
    sibling = root.parent / "data-old"
    sibling.mkdir()
    (root / "old").symlink_to(sibling)

    assert "is not in it" in refusal(resolve_inside, root, "old", PathError)


@pytest.mark.parametrize("typed", ["loop/x", "a\0b"], ids=["symlink-loop", "nul"])
def test_resolve_inside_refuses_what_cannot_be_resolved_with_the_same_message(root, typed):
    (root / "loop").symlink_to("loop")

    message = refusal(resolve_inside, root, typed, PathError)

    assert message == f"paths are read inside the data folder only (data/): {typed!r} is not in it"


def test_resolve_inside_message_does_not_reveal_where_the_root_is(root):
    message = refusal(resolve_inside, root, "../secret", PathError)

    assert str(root.parent) not in message


def test_atomic_write_replaces_the_file_whole_and_leaves_nothing_beside_it(tmp_path):
    target = tmp_path / "lab.py"
    target.write_text("old")
    atomic_write(target, lambda file: file.write(b"new"))
    assert target.read_text() == "new" and os.listdir(tmp_path) == ["lab.py"]
    assert target.stat().st_mode & 0o777 == 0o644


def test_atomic_write_on_a_full_disk_keeps_the_old_file_and_names_the_new_one(tmp_path):
    """A disk that fills half way: no partial temporary file, the old file whole, the message naming it."""
    target = tmp_path / "mine.npz"
    target.write_bytes(b"old")

    def fills_the_disk(file):
        file.write(b"\0" * 20_000)
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(PathError, match=re.escape(f"cannot write {target}: No space left on device")):
        atomic_write(target, fills_the_disk, PathError)
    assert target.read_bytes() == b"old" and os.listdir(tmp_path) == ["mine.npz"]


def test_atomic_write_removes_its_temporary_file_on_any_failure(tmp_path, monkeypatch):
    def fails(file):
        file.write(b"half")
        raise RuntimeError("a bug in the writer")

    with pytest.raises(RuntimeError, match="a bug in the writer"):
        atomic_write(tmp_path / "x.png", fails)

    def disk_error(fd):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "fsync", disk_error)
    with pytest.raises(UserError, match="x.png: Input/output error"):
        atomic_write(tmp_path / "x.png", lambda file: file.write(b"whole"))
    assert os.listdir(tmp_path) == []


def test_a_staged_file_claims_a_free_name_by_link_and_never_overwrites_a_taken_one(tmp_path):
    taken = tmp_path / "taken.keras"
    taken.write_bytes(b"someone else's")
    with staged_file(tmp_path / "mine.keras") as staged:
        os.write(staged.fd, b"mine")
        with pytest.raises(FileExistsError):
            staged.link(taken)
        staged.link(tmp_path / "free.keras")
    assert taken.read_bytes() == b"someone else's" and (tmp_path / "free.keras").read_bytes() == b"mine"
    assert sorted(os.listdir(tmp_path)) == ["free.keras", "taken.keras"], "the staged file is gone"


def test_remove_abandoned_leaves_a_file_being_written_and_removes_one_left_behind(tmp_path):
    left = tmp_path / ".old.keras.x.tmp"
    left.write_bytes(b"a writer was killed")
    with staged_file(tmp_path / "new.keras") as staged:
        assert remove_abandoned(tmp_path, ".*.tmp") == [left.name]
        assert staged.path.exists()
