"""TensorFlow's settings: given by the learning modules before TensorFlow loads, never at import."""

import ast
import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

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


# What starts TensorFlow's or Streamlit's machinery when imported; a module importing one at
# its top level (itself or through another of the app's) is expected to.
HEAVY = {"tensorflow", "keras", "streamlit"}


def _top_level_imports(tree: ast.Module) -> Iterator[str]:
    """The modules a module's import runs: its top-level imports, those under `TYPE_CHECKING` aside."""
    pending = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.If) and not (
            isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"
        ):
            pending.extend(node.body + node.orelse)
        elif isinstance(node, ast.Try):
            pending.extend(node.body + node.orelse + node.finalbody)
            pending.extend(statement for handler in node.handlers for statement in handler.body)


def light_modules() -> list[str]:
    """Every module of the app that imports neither TensorFlow, Keras nor Streamlit when imported."""
    package = REPO / "mnist_app"
    imports = {}
    for path in package.rglob("*.py"):
        parts = path.relative_to(REPO).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        imports[name] = set(_top_level_imports(ast.parse(path.read_text(encoding="utf-8"))))
    for name in imports:  # Importing a module runs its packages' __init__ too.
        parents = name.split(".")
        imports[name] |= {".".join(parents[:end]) for end in range(1, len(parents))}
    heavy = {name for name, used in imports.items() if {module.split(".")[0] for module in used} & HEAVY}
    while grown := {name for name, used in imports.items() if used & heavy} - heavy:
        heavy |= grown
    return sorted(set(imports) - heavy - {"mnist_app.__main__"})


def test_importing_the_app_leaves_the_environment_threads_and_exit_hooks_alone():
    modules = light_modules()
    assert {
        "mnist_app.settings",
        "mnist_app.files",
        "mnist_app.errors",
        "mnist_app.datasets.catalogue",
        "mnist_app.jobs.queue",
        "mnist_app.jobs.cluster",
        "mnist_app.lab.export",
        "mnist_app.learning.tensorflow_runtime",
        "mnist_app.cli.parser",
    } <= set(modules), modules
    code = (
        "import atexit, importlib, json, os, sys, threading\n"
        "hooks = []\n"
        "register = atexit.register\n"
        "atexit.register = lambda hook, *args, **kwargs: hooks.append(hook) or register(hook, *args, **kwargs)\n"
        "before = (dict(os.environ), threading.enumerate())\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "after = (dict(os.environ), threading.enumerate())\n"
        "own_hooks = [hook.__qualname__ for hook in hooks if hook.__module__.startswith('mnist_app')]\n"
        f"loaded = sorted(set(sys.modules) & {HEAVY!r})\n"
        "print(json.dumps({'unchanged': before == after, 'hooks': own_hooks, 'loaded': loaded}))\n"
    )
    # Libraries may register their own exit hooks when imported (logging, Pillow); the app's wait.
    assert json.loads(run_python(code)) == {"unchanged": True, "hooks": [], "loaded": []}


@pytest.mark.parametrize(
    "loads_keras",
    [
        "import mnist_app.learning.architectures",
        "from mnist_app.lab import steps; steps.run_cell('import keras', {})",
    ],
    ids=["a-learning-module", "a-lab-cell"],
)
def test_what_loads_keras_prepares_tensorflow_first(loads_keras):
    code = (
        "import json, os, sys\n"
        f"{loads_keras}\n"
        "assert 'tensorflow' in sys.modules\n"
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
