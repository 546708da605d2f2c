"""My digits: the learner's own labelled drawings, kept in one SQLite file in the data folder.

SQLite (Python's own `sqlite3`) in write-ahead-log mode: any number of readers, writers that
wait their turn (`busy_timeout`), and a write either wholly there or not at all, so visitors
saving at once lose nothing and a process killed mid-save leaves the collection whole. What
is kept is the prepared 28x28 digit in MNIST's own format (uint8, white ink on black) and
when it was drawn. The split is by label (`splits_by_label`): of each label's digits, in the
order they were drawn, the second, the seventh, ... are kept for testing, so every label that
has two digits has a test digit, and a copy of a drawing lands in its first copy's split.

Each digit carries its owner: the token of the browser session that saved it, or "" (nobody)
for the command line's and for those kept before digits had owners; an older file gets the
column in the transaction of its next write. A store made for one owner sees, relabels and
deletes only that owner's digits and keeps at most MNIST_APP_DIGITS_PER_VISITOR of them: what
a visitor gets on a shared server. A store without an owner is the whole collection.
"""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from mnist_app import settings
from mnist_app.datasets.dataset import DIGIT_NAMES, Dataset
from mnist_app.datasets.digit_arrays import IMAGE_SIZE, NUM_CLASSES, DatasetError

DATASET_NAME = "my-digits"
FILE_NAME = "my-digits.sqlite3"
TEST_EVERY = 5
# A bound on what one shared server keeps: 100,000 digits are 78 MB of pixels.
MAX_DIGITS = 100_000
BUSY_TIMEOUT_S = 30.0
TABLES = {"digits", "revision", "sqlite_sequence"}
SCHEMA = (
    """CREATE TABLE IF NOT EXISTS digits (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        label INTEGER NOT NULL CHECK (label BETWEEN 0 AND 9),
        split TEXT NOT NULL CHECK (split IN ('train', 'test')),
        pixels BLOB NOT NULL CHECK (length(pixels) = 784),
        drawn_at TEXT NOT NULL,
        owner TEXT NOT NULL DEFAULT ''
    )""",
    # `generation`, random, tells a new file from an old one with as many writes behind it
    # (a deleted file's inode is soon reused).
    """CREATE TABLE IF NOT EXISTS revision (
        id INTEGER PRIMARY KEY CHECK (id = 1), number INTEGER NOT NULL, generation INTEGER NOT NULL
    )""",
    "INSERT OR IGNORE INTO revision VALUES (1, 0, abs(random()))",
)


class EmptyCollection(DatasetError):
    """The collection exists (or not) but holds no digit: a state to report, not a fault."""


def _has_owners(connection: sqlite3.Connection) -> bool:
    return any(row[1] == "owner" for row in connection.execute("PRAGMA table_info(digits)"))


def _give_owners(connection: sqlite3.Connection) -> None:
    """An older file's digits get the owner "" (nobody's), inside the writer's transaction."""
    if not _has_owners(connection):
        connection.execute("ALTER TABLE digits ADD COLUMN owner TEXT NOT NULL DEFAULT ''")
    connection.execute("CREATE INDEX IF NOT EXISTS digits_by_owner ON digits (owner)")


def splits_by_label(labels, pixels) -> list[str]:
    """Each digit's split, for digits in the order they were drawn: of each label's, the
    second, then every fifth after it, is a test digit; a copy goes where its first copy went.

    Left to chance (a hash of the pixels), two test digits could both be 1s, and a learner's
    "your test digits: 100%" would say nothing about their 4s and 7s.
    """
    splits, seen, per_label = [], {}, [0] * NUM_CLASSES
    for label, image in zip(labels, pixels, strict=True):
        key = hashlib.sha256(bytes(image)).digest()
        if key not in seen:
            seen[key] = "test" if per_label[int(label)] % TEST_EVERY == 1 else "train"
            per_label[int(label)] += 1
        splits.append(seen[key])
    return splits


def as_mnist(image: np.ndarray) -> np.ndarray:
    """A prepared digit as MNIST stores one: 28x28 uint8 (floats in [0, 1] are scaled)."""
    image = np.asarray(image)
    if image.shape != (IMAGE_SIZE, IMAGE_SIZE):
        raise DatasetError(f"a digit is a {IMAGE_SIZE}x{IMAGE_SIZE} image, not {image.shape}")
    if image.dtype == np.uint8:
        return image
    if not np.issubdtype(image.dtype, np.floating) or not np.isfinite(image).all():
        raise DatasetError(f"a digit's pixels are numbers in [0, 1] or bytes, not {image.dtype}")
    return np.round(np.clip(image, 0.0, 1.0) * 255).astype(np.uint8)


def check_label(label: object) -> int:
    if isinstance(label, bool) or not isinstance(label, int | np.integer) or not 0 <= label < NUM_CLASSES:
        raise DatasetError(f"a digit's label is a whole number from 0 to 9, not {label!r}")
    return int(label)


@dataclass(frozen=True)
class Digits:
    """The whole collection, in the order it was drawn."""

    ids: np.ndarray
    images: np.ndarray
    labels: np.ndarray
    splits: np.ndarray
    drawn_at: list[str]

    def counts(self) -> dict:
        """How many of each label in each split: what `digits list` prints."""
        return {
            split: np.bincount(self.labels[self.splits == split], minlength=NUM_CLASSES).tolist()
            for split in ("train", "test")
        }

    def ids_of(self, split: str) -> np.ndarray:
        """The ids of one split's digits, in the order its images have in `dataset()`."""
        return self.ids[self.splits == split]

    def dataset(self) -> Dataset:
        train, test = self.splits == "train", self.splits == "test"
        return Dataset(
            DATASET_NAME,
            f"your own digits, saved from the Draw page ({FILE_NAME} in the data folder)",
            self.images[train],
            self.labels[train],
            self.images[test],
            self.labels[test],
            DIGIT_NAMES,
        )


class DigitStore:
    """The collection's file, or one owner's part of it (`owner`, a visitor's token).

    Each call opens its own connection: safe from any thread or process.
    """

    def __init__(self, folder: Path | None = None, owner: str | None = None):
        self.path = Path(folder or settings.data_dir()) / FILE_NAME
        self.owner = owner

    def _mine(self, column: str = "owner") -> tuple[str, tuple]:
        """The SQL condition that picks this store's digits, and its parameters."""
        return (f"{column} = ?", (self.owner,)) if self.owner is not None else ("1", ())

    @contextlib.contextmanager
    def _connection(self, write: bool = False) -> Iterator[sqlite3.Connection]:
        """A connection in a transaction: BEGIN IMMEDIATE for writers, so they queue, never clash."""
        try:
            if not write and not self.path.exists():
                raise EmptyCollection(f"{DATASET_NAME} holds no digits yet: draw some and save them")
            connection = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        except sqlite3.Error as error:
            raise DatasetError(f"cannot open {FILE_NAME} in the data folder ({error})") from None
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            tables = {
                row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
            if not tables <= TABLES:
                raise DatasetError(
                    f"{FILE_NAME} in the data folder is another program's database; move it away"
                )
            if write:
                for statement in SCHEMA:
                    connection.execute(statement)
                _give_owners(connection)
            yield connection
            connection.execute("COMMIT")
        except sqlite3.Error as error:
            with contextlib.suppress(sqlite3.Error):
                connection.execute("ROLLBACK")
            raise DatasetError(f"{FILE_NAME} in the data folder cannot be used: {error}") from None
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                connection.execute("ROLLBACK")
            raise
        finally:
            connection.close()

    @staticmethod
    def _changed(connection: sqlite3.Connection) -> None:
        connection.execute("UPDATE revision SET number = number + 1 WHERE id = 1")

    def add(self, image: np.ndarray, label: int, drawn_at: str | None = None) -> tuple[int, str]:
        """Keep one prepared digit with its label; its id and split."""
        return self.add_many([image], [label], [drawn_at])[0]

    def add_many(self, images, labels, drawn_at=None) -> list[tuple[int, str]]:
        """Keep several digits in one transaction: all of them, or (on any error) none."""
        rows = []
        now = datetime.now(UTC).isoformat(timespec="seconds")
        for index, (image, label) in enumerate(zip(images, labels, strict=True)):
            pixels = as_mnist(image)
            when = (drawn_at[index] if drawn_at else None) or now
            rows.append((check_label(label), pixels.tobytes(), str(when), self.owner or ""))
        with self._connection(write=True) as connection:
            held = connection.execute("SELECT count(*) FROM digits").fetchone()[0]
            if held + len(rows) > MAX_DIGITS:
                raise DatasetError(f"{DATASET_NAME} keeps at most {MAX_DIGITS:,} digits; it holds {held:,}")
            if self.owner is not None:
                self._check_share(connection, len(rows))
            mine, owner = self._mine()
            kept = connection.execute(
                f"SELECT label, pixels FROM digits WHERE {mine} ORDER BY id", owner
            ).fetchall()
            splits = splits_by_label(
                [label for label, _ in kept] + [row[0] for row in rows],
                [pixels for _, pixels in kept] + [row[1] for row in rows],
            )[len(kept) :]
            rows = [(label, split, *rest) for (label, *rest), split in zip(rows, splits, strict=True)]
            added = []
            for row in rows:
                cursor = connection.execute(
                    "INSERT INTO digits (label, split, pixels, drawn_at, owner) VALUES (?, ?, ?, ?, ?)", row
                )
                added.append((int(cursor.lastrowid), row[1]))
            self._changed(connection)
        return added

    def _check_share(self, connection: sqlite3.Connection, adding: int) -> None:
        limit = settings.digits_per_visitor()
        held = connection.execute("SELECT count(*) FROM digits WHERE owner = ?", (self.owner,)).fetchone()[0]
        if held + adding > limit:
            raise DatasetError(
                f"you have saved {held:,} digits, and one visitor keeps at most {limit:,} on this server: "
                "delete some on the Explore page (dataset my-digits) to save more"
            )

    def relabel(self, digit_id: int, label: int) -> int:
        """Give a digit another label; its id."""
        label = check_label(label)
        mine, owner = self._mine()
        with self._connection(write=True) as connection:
            if (
                connection.execute(
                    f"UPDATE digits SET label = ? WHERE id = ? AND {mine}", (label, int(digit_id), *owner)
                ).rowcount
                != 1
            ):
                raise DatasetError(f"no digit #{digit_id} in {DATASET_NAME}")
            self._changed(connection)
        return int(digit_id)

    def delete(self, digit_id: int) -> int:
        """Forget a digit for good; its id."""
        mine, owner = self._mine()
        with self._connection(write=True) as connection:
            if (
                connection.execute(
                    f"DELETE FROM digits WHERE id = ? AND {mine}", (int(digit_id), *owner)
                ).rowcount
                != 1
            ):
                raise DatasetError(f"no digit #{digit_id} in {DATASET_NAME}")
            self._changed(connection)
        return int(digit_id)

    def owners(self) -> dict[str, int]:
        """How many digits each owner keeps, by token ("" for nobody's)."""
        if not self.path.exists():
            return {}
        with self._connection() as connection:
            if not _has_owners(connection):
                total = int(connection.execute("SELECT count(*) FROM digits").fetchone()[0])
                return {"": total} if total else {}
            rows = connection.execute("SELECT owner, count(*) FROM digits GROUP BY owner").fetchall()
        return {str(owner): int(held) for owner, held in rows}

    def delete_owner(self, owner: str) -> int:
        """Forget every digit of the visitor with this token, in one transaction; how many there were.

        For the teacher clearing a student's digits: a store of the whole collection only.
        """
        if self.owner is not None:
            raise DatasetError("only the whole collection's store clears a visitor's digits")
        if not self.path.exists():
            return 0
        with self._connection(write=True) as connection:
            removed = connection.execute("DELETE FROM digits WHERE owner = ?", (str(owner),)).rowcount
            if removed:
                self._changed(connection)
        return int(removed)

    def revision(self) -> tuple[int, int]:
        """(generation, number of writes): changes with every change, and when the file is replaced."""
        if not self.path.exists():
            return (0, 0)
        with self._connection() as connection:
            try:
                generation, number = connection.execute("SELECT generation, number FROM revision").fetchone()
                return (int(generation), int(number))
            except (sqlite3.Error, TypeError, ValueError):  # Being created, or damaged: read() says which.
                return (-1, -1)

    def counts(self) -> dict:
        """How many of each label in each split, and in all: zeros for an empty or absent collection."""
        try:
            counts = self.read().counts()
        except EmptyCollection:
            counts = {"train": [0] * NUM_CLASSES, "test": [0] * NUM_CLASSES}
        return {**counts, "total": sum(counts["train"]) + sum(counts["test"])}

    def read(self) -> Digits:
        """Every digit kept (of this store's owner), checked as it is read: a damaged row is a
        DatasetError, not a crash. A file from before owners is read as it is: nobody's digits."""
        with self._connection() as connection:
            try:
                mine, owner = self._mine("owner" if _has_owners(connection) else "''")
                rows = connection.execute(
                    f"SELECT id, label, split, pixels, drawn_at FROM digits WHERE {mine} ORDER BY id LIMIT ?",
                    (*owner, MAX_DIGITS),
                ).fetchall()
            except sqlite3.OperationalError as error:
                raise DatasetError(
                    f"{FILE_NAME} in the data folder is not a collection of digits ({error})"
                ) from None
        if not rows:
            raise EmptyCollection(f"{DATASET_NAME} holds no digits yet: draw some and save them")
        ids, labels, splits, pixels, drawn_at = zip(*rows, strict=True)
        # The schema's checks can be switched off by whoever writes the file: check again.
        if not (
            all(isinstance(p, bytes) and len(p) == IMAGE_SIZE * IMAGE_SIZE for p in pixels)
            and all(type(label) is int and 0 <= label < NUM_CLASSES for label in labels)
            and all(split in ("train", "test") for split in splits)
        ):
            raise DatasetError(f"{FILE_NAME} in the data folder holds a damaged digit")
        images = np.frombuffer(b"".join(pixels), np.uint8).reshape(-1, IMAGE_SIZE, IMAGE_SIZE)
        images.flags.writeable = False
        return Digits(
            np.asarray(ids, np.int64),
            images,
            np.asarray(labels, np.uint8),
            # By label as the collection is now: a relabelled or deleted digit moves the others.
            np.asarray(splits_by_label(labels, pixels)),
            [str(when) for when in drawn_at],
        )
