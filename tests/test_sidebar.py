"""The sidebar's dataset picker on the pages that draw it: the data folder's names as a visitor sees them."""

import os
from pathlib import Path

import numpy as np
import pytest

from tests.test_cli import write_idx
from tests.test_pages import app_page, page


@pytest.fixture
def datasets_named_in_bytes(data_dir, sample):
    """`caf\\xff.npz` and an IDX folder `scans\\xff` in the data folder, and a damaged `torn\\xff.npz`:
    Linux names are bytes, and 0xff is never UTF-8 (Python holds it as `\\udcff`)."""
    root = os.fsencode(data_dir)
    with open(os.path.join(root, b"caf\xff.npz"), "wb") as file:
        np.savez(
            file,
            x_train=sample.x_train[:20],
            y_train=sample.y_train[:20],
            x_test=sample.x_test[:8],
            y_test=sample.y_test[:8],
        )
    os.mkdir(os.path.join(root, b"scans\xff"))
    folder = Path(os.fsdecode(os.path.join(root, b"scans\xff")))
    for split, images, labels in [
        ("train", sample.x_train[:30], sample.y_train[:30]),
        ("t10k", sample.x_test[:12], sample.y_test[:12]),
    ]:
        write_idx(folder / f"{split}-images-idx3-ubyte.gz", images)
        write_idx(folder / f"{split}-labels-idx1-ubyte.gz", labels)
    with open(os.path.join(root, b"torn\xff.npz"), "wb") as file:
        file.write(b"PK\x03\x04 torn")


@pytest.mark.parametrize("name", ["explore", "lab", "train", "compare"])
def test_every_page_lists_datasets_named_in_bytes_that_are_not_utf8_and_works(datasets_named_in_bytes, name):
    at = app_page(name).run()

    assert not at.exception and not at.error, [error.value for error in at.error]
    listed = at.text_input(key="dataset_path").proto.help.replace("\\", "")
    assert "cafxff.npz" in listed and "scansxff" in listed


def test_explore_opens_datasets_named_in_bytes_that_are_not_utf8_as_listed(datasets_named_in_bytes):
    at = page("explore").run()
    for typed, train in [("caf\\xff.npz", "20"), ("scans\\xff", "30")]:
        at.text_input(key="dataset_path").input(typed).run()
        assert not at.exception and not at.error, [error.value for error in at.error]
        assert {metric.label: metric.value for metric in at.metric}["Training images"] == train

    at.text_input(key="dataset_path").input("torn\\xff.npz").run()

    assert not at.exception
    assert "tornxff.npz is not a readable .npz file" in at.error[0].value.replace("\\", "")
