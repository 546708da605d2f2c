"""The command line run as a user runs it, `python -m mnist_app ...` in a subprocess, and what
its tests check of every answer: a last JSON line, or one error line and exit 2."""

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.support import REPO


def run_cli(*args, models_dir=None, timeout=300, cwd=REPO):
    env = {**os.environ, "MNIST_APP_OFFLINE": "1"}
    if cwd != REPO:  # `python -m mnist_app` finds the app in the folder it runs in, or here
        env["PYTHONPATH"] = str(REPO)
    if models_dir is not None:
        env["MNIST_APP_MODELS_DIR"] = str(models_dir)
    return subprocess.run(
        [sys.executable, "-m", "mnist_app", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def last_json(stdout: str) -> dict:
    return json.loads(stdout.strip().splitlines()[-1])


def assert_usage_error(result, fragment):
    """Exit 2 and exactly one line on stderr naming the problem: no traceback, no log lines."""
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and fragment in lines[0], result.stderr
    assert "\x1b" not in result.stderr, "no terminal escape codes"


WATCH_IMPORTS = (
    "import sys, mnist_app.cli; status = mnist_app.cli.main(sys.argv[1:]); "
    "print('tensorflow imported' if 'tensorflow' in sys.modules else 'no tensorflow'); sys.exit(status)"
)


def run_cli_watching_imports(*args, **env):
    """`run_cli`, whose last stdout line says whether TensorFlow was imported."""
    return subprocess.run(
        [sys.executable, "-c", WATCH_IMPORTS, *map(str, args)],
        cwd=REPO,
        env={**os.environ, "MNIST_APP_OFFLINE": "1", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def no_space_left(written: int = 20_000):
    """A write that puts `written` bytes down, then finds the disk full."""

    import errno

    def write(file, *args, **kwargs):
        (file.write if hasattr(file, "write") else Path(file).write_bytes)(b"\0" * written)
        raise OSError(errno.ENOSPC, "No space left on device")

    return write
