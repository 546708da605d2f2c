"""`digits add|list|export|import`, as a user runs them, and a full disk while exporting."""

import os
import subprocess
import sys

import numpy as np
from PIL import Image

from tests.support import REPO
from tests.support.command_line import (
    assert_usage_error,
    last_json,
    no_space_left,
)
from tests.support.files import draw_digit_image


def test_digits_add_list_export_import_round_trip(tmp_path):
    env_dir = tmp_path / "data"
    env_dir.mkdir()
    seven = tmp_path / "seven.png"
    draw_digit_image(seven, [[(40, 40), (160, 40), (90, 170)]])

    def digits(*args):
        env = {**os.environ, "MNIST_APP_OFFLINE": "1", "MNIST_APP_DATA_DIR": str(env_dir)}
        return subprocess.run([sys.executable, "-m", "mnist_app", "digits", *map(str, args)], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=120)  # fmt: skip

    assert last_json(digits("list").stdout) == {"train": [0] * 10, "test": [0] * 10, "total": 0}
    added = digits("add", "--label", "7", seven, seven)
    assert added.returncode == 0, added.stderr
    report = last_json(added.stdout)
    assert [entry["image"] for entry in report["added"]] == [str(seven)] * 2 and report["total"] == 2
    assert report["train"][7] + report["test"][7] == 2
    exported = digits("export", "--output", tmp_path / "mine.npz")
    assert exported.returncode == 0, exported.stderr
    with np.load(tmp_path / "mine.npz") as archive:
        assert sorted(archive.files) == ["x_test", "x_train", "y_test", "y_train"]
        assert archive["x_train"].shape[1:] == (28, 28) and set(archive["y_train"]) | set(
            archive["y_test"]
        ) == {7}
    imported = digits("import", tmp_path / "mine.npz")
    assert imported.returncode == 0, imported.stderr
    assert last_json(imported.stdout)["total"] == 4
    blank = tmp_path / "blank.png"
    Image.new("L", (50, 50)).save(blank)
    assert_usage_error(digits("add", "--label", "1", seven, blank), "blank.png: draw a digit")
    assert_usage_error(digits("add", "--label", "10", seven), "whole number from 0 to 9")
    assert last_json(digits("list").stdout)["total"] == 4, "a failed add keeps nothing"
    (env_dir / "my-digits.sqlite3").write_bytes(b"garbage" * 1000)
    assert_usage_error(digits("list"), "my-digits.sqlite3 in the data folder cannot be used")
    assert_usage_error(digits("export", "--output", tmp_path / "x.txt"), "must name an .npz file")
    assert_usage_error(digits("import", tmp_path / "absent.npz"), "no such file")


def test_a_full_disk_leaves_no_partial_export_and_names_the_file(
    tmp_path, data_dir, sample, monkeypatch, capsys
):
    from mnist_app import cli
    from mnist_app.datasets.digit_store import DigitStore

    DigitStore().add_many(list(sample.x_train[:10]), [int(y) for y in sample.y_train[:10]])
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.setattr(np, "savez_compressed", no_space_left())
    assert cli.main(["digits", "export", "--output", str(out / "mine.npz")]) == 2
    assert (
        capsys.readouterr().err.strip() == f"error: cannot write {out / 'mine.npz'}: No space left on device"
    )
    assert os.listdir(out) == [], "no temporary file left"
