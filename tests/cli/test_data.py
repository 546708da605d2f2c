"""`data`: a dataset's figures, from a name, a folder or an archive, as a user runs it."""

import gzip
import os
import subprocess
import sys
from pathlib import Path

from tests.support import REPO
from tests.support.command_line import (
    assert_usage_error,
    last_json,
    run_cli,
)
from tests.support.datasets import write_sample_npz, write_split


def test_data_prints_the_dataset_figures_as_json():
    result = run_cli("data", "--dataset", "mnist-sample")
    assert result.returncode == 0, result.stderr
    assert last_json(result.stdout) == {
        "dataset": "mnist-sample",
        "source": last_json(result.stdout)["source"],
        "train": 4000,
        "test": 1000,
        "classes": [str(d) for d in range(10)],
    }


def test_data_auto_falls_back_to_the_sample_offline():
    result = run_cli("data")
    assert result.returncode == 0 and last_json(result.stdout)["dataset"] == "mnist-sample"


def test_truncated_idx_files_exit_2(tmp_path, sample):
    write_split(tmp_path, "t10k", sample.x_test[:10], sample.y_test[:10])
    labels = tmp_path / "t10k-labels-idx1-ubyte.gz"
    labels.write_bytes(gzip.compress(gzip.decompress(labels.read_bytes())[:-3]))
    write_split(tmp_path, "train", sample.x_train[:10], sample.y_train[:10])
    assert_usage_error(run_cli("data", "--dataset", tmp_path), "truncated")


def test_data_and_digits_import_read_datasets_whose_names_are_not_utf8(tmp_path, sample):
    """Linux names are bytes and 0xff is never UTF-8: such a name is the file's, not an error."""
    folder = os.path.join(os.fsencode(tmp_path), b"scans\xff")
    os.mkdir(folder)
    for split, images, labels in [
        ("train", sample.x_train[:30], sample.y_train[:30]),
        ("t10k", sample.x_test[:12], sample.y_test[:12]),
    ]:
        write_split(Path(os.fsdecode(folder)), split, images, labels)
    archive = os.path.join(os.fsencode(tmp_path), b"mine\xff.npz")
    write_sample_npz(archive, sample)

    for path, counts in [(folder, (30, 12)), (archive, (20, 8))]:
        result = run_cli("data", "--dataset", os.fsdecode(path))
        assert result.returncode == 0, result.stderr
        summary = last_json(result.stdout)
        assert (summary["train"], summary["test"]) == counts
        assert summary["source"] == os.fsdecode(path).replace("\udcff", "\\xff")

    env = {**os.environ, "MNIST_APP_OFFLINE": "1", "MNIST_APP_DATA_DIR": str(tmp_path)}
    imported = subprocess.run([sys.executable, "-m", "mnist_app", "digits", "import", os.fsdecode(archive)], cwd=REPO,
                              env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert imported.returncode == 0, imported.stderr
    assert last_json(imported.stdout)["added"] == 28
