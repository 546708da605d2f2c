"""One visitor's digits in the shared collection: counted and cleared by the teacher, nobody else's touched."""

import sqlite3

import numpy as np
import pytest

from mnist_app.datasets.digit_arrays import DatasetError
from mnist_app.datasets.digit_store import DigitStore


def digits(n: int, seed: int = 0) -> list[np.ndarray]:
    return list(np.random.default_rng(seed).integers(0, 256, (n, 28, 28), dtype=np.uint8))


def test_an_empty_or_absent_collection_counts_nobody(data_dir):
    whole = DigitStore()
    assert whole.owners() == {} and whole.delete_owner("ada") == 0


def test_each_owners_digits_are_counted_and_cleared_alone(data_dir):
    DigitStore(owner="ada").add_many(digits(3), [1, 2, 3])
    DigitStore(owner="bob").add_many(digits(2, 1), [4, 5])
    DigitStore().add_many(digits(1, 2), [6])
    whole = DigitStore()
    assert whole.owners() == {"ada": 3, "bob": 2, "": 1}
    before = whole.revision()
    assert whole.delete_owner("ada") == 3
    assert whole.revision() != before, "pages holding the collection read it again"
    assert whole.owners() == {"bob": 2, "": 1}
    assert DigitStore(owner="bob").read().labels.tolist() == [4, 5]
    unchanged = whole.revision()
    assert whole.delete_owner("ada") == 0 and whole.revision() == unchanged


def test_only_the_whole_collections_store_clears_a_visitor(data_dir):
    DigitStore(owner="ada").add_many(digits(1), [1])
    with pytest.raises(DatasetError, match="whole collection"):
        DigitStore(owner="bob").delete_owner("ada")
    assert DigitStore().owners() == {"ada": 1}


def test_a_collection_from_before_owners_is_nobodys(data_dir):
    path = DigitStore().path
    connection = sqlite3.connect(path)
    connection.execute(
        "CREATE TABLE digits (id INTEGER PRIMARY KEY AUTOINCREMENT, label INTEGER, split TEXT, pixels BLOB, drawn_at TEXT)"
    )
    connection.execute(
        "INSERT INTO digits (label, split, pixels, drawn_at) VALUES (1, 'train', ?, 'x')", (bytes(784),)
    )
    connection.commit()
    connection.close()
    whole = DigitStore()
    assert whole.owners() == {"": 1}
