"""Nothing is lost: a process killed with SIGKILL while training or saving leaves a whole model."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from mnist_app.learning.model_store import ModelStore, load_model, read_metadata

REPO = Path(__file__).resolve().parent.parent

SAVE_FOREVER = """
import itertools, sys
import numpy as np
from mnist_app.learning.architectures import build_model
from mnist_app.learning.model_store import save_model

model = build_model("mlp")
for version in itertools.count(1):
    model.layers[-1].bias.assign(np.full(10, float(version), np.float32))
    save_model(model, sys.argv[1], {"version": version})
    print(version, flush=True)
"""


def start(args):
    return subprocess.Popen(
        [sys.executable, *args],
        cwd=REPO,
        env={**os.environ, "MNIST_APP_OFFLINE": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def assert_whole_and_in_step(path: Path) -> int:
    """The file loads, and the description inside it belongs to the weights inside it."""
    version = read_metadata(path)["version"]
    bias = load_model(path).layers[-1].bias.numpy()
    assert np.all(bias == version), f"metadata says version {version}, weights say {bias[0]}"
    return version


@pytest.mark.parametrize("delay", [0.0, 0.13, 0.41])
def test_kill_during_repeated_saves_leaves_a_whole_model(tmp_path, delay):
    path = tmp_path / "model.keras"
    saver = start(["-c", SAVE_FOREVER, str(path)])
    try:
        first = saver.stdout.readline()
        assert first.strip() == "1", saver.stderr.read()
        time.sleep(delay)
        saver.send_signal(signal.SIGKILL)
        saver.wait(10)
    finally:
        saver.kill()
    assert assert_whole_and_in_step(path) >= 1
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "model.keras"]
    assert all(name.startswith(".model.") for name in leftovers), "only hidden temporary files remain"
    assert sorted(ModelStore(tmp_path).clean_up()) == sorted(leftovers), "the next start removes them"
    assert [p.name for p in tmp_path.iterdir()] == ["model.keras"]


def test_clean_up_leaves_a_save_in_progress_alone(tmp_path):
    """A temporary file whose writer is alive (it holds the lock) is not a leftover."""
    path = tmp_path / "model.keras"
    saver = start(["-c", SAVE_FOREVER, str(path)])
    try:
        assert saver.stdout.readline().strip() == "1", saver.stderr.read()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            for removed in ModelStore(tmp_path).clean_up():
                raise AssertionError(f"removed {removed} while it was being written")
            if saver.poll() is not None:
                break
            if int(saver.stdout.readline()) >= 5:
                break
    finally:
        saver.kill()
        saver.wait(10)
    assert assert_whole_and_in_step(path) >= 5


def test_kill_during_training_keeps_the_previous_model(tmp_path):
    from mnist_app.learning.architectures import build_model
    from mnist_app.learning.model_store import save_model

    path = tmp_path / "model.keras"
    previous = build_model("mlp")
    previous.layers[-1].bias.assign(np.full(10, 7.0, np.float32))
    save_model(previous, path, {"version": 7})
    trainer = start(
        ["-m", "mnist_app", "train", "--dataset", "mnist-sample", "--epochs", "50", "--output", str(path)]
    )
    try:
        output = ""
        while "epoch 2/50" not in output:
            chunk = trainer.stderr.read(64)
            assert chunk, "the trainer ended before its second epoch"
            output += chunk
        trainer.send_signal(signal.SIGKILL)
        trainer.wait(10)
    finally:
        trainer.kill()
    assert assert_whole_and_in_step(path) == 7
