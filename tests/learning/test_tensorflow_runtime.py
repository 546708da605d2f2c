"""TensorFlow's settings: given by the learning modules before TensorFlow loads, never at import."""

import json
import os
import subprocess
import sys

from mnist_app.learning import tensorflow_runtime
from tests.support import REPO

TF_SETTINGS = ("TF_CPP_MIN_LOG_LEVEL", "XLA_FLAGS")


def run_python(code: str, **env) -> str:
    """`code` run by a fresh Python without TensorFlow's settings (or with those given); its stdout."""
    clean = {name: value for name, value in os.environ.items() if name not in TF_SETTINGS}
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**clean, **env},
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_importing_the_app_leaves_the_environment_alone():
    code = (
        "import json, os\n"
        "before = dict(os.environ)\n"
        "import mnist_app.errors, mnist_app.settings, mnist_app.learning.limits\n"
        "print(json.dumps(dict(os.environ) == before))\n"
    )
    assert json.loads(run_python(code)) is True


def test_a_module_that_loads_keras_prepares_tensorflow_first():
    code = (
        "import json, os, sys\n"
        "import mnist_app.learning.architectures\n"
        "print(json.dumps([os.environ.get(name) for name in ('TF_CPP_MIN_LOG_LEVEL', 'XLA_FLAGS')]))\n"
    )
    assert json.loads(run_python(code)) == [tensorflow_runtime.LOG_LEVEL, tensorflow_runtime.FUSION_OPTION]


def test_a_users_own_settings_are_kept(monkeypatch):
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "0")
    monkeypatch.setenv("XLA_FLAGS", "--xla_dump_to=/tmp/x")
    tensorflow_runtime.prepare()
    assert os.environ["XLA_FLAGS"] == f"--xla_dump_to=/tmp/x {tensorflow_runtime.FUSION_OPTION}"
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "0"
    monkeypatch.setenv("XLA_FLAGS", "--xla_backend_extra_options=something_else")
    tensorflow_runtime.prepare()
    assert os.environ["XLA_FLAGS"] == "--xla_backend_extra_options=something_else"


def test_the_log_level_is_left_alone_once_tensorflow_has_read_it():
    code = (
        "import json, os\n"
        "import tensorflow\n"
        "from mnist_app.learning import tensorflow_runtime\n"
        "tensorflow_runtime.prepare()\n"
        "print(json.dumps([os.environ.get(name) for name in ('TF_CPP_MIN_LOG_LEVEL', 'XLA_FLAGS')]))\n"
    )
    assert json.loads(run_python(code)) == [None, tensorflow_runtime.FUSION_OPTION]
