"""Every `MNIST_APP_*` setting the operator can give, read in one place, by one rule each.

Read when asked, never at import: tests and the command line change the environment between
calls. A yes/no is on for `1`, `true`, `yes` or `on` (any case) and off for anything else;
one that may also be left to the app (`bfloat16`) is off only for `0`, `false`, `no` or `off`,
and guessed for anything else. A count that is unset, not a whole number or below its floor
takes its default or floor. A count the teacher may change while the server runs
(`LIVE_LIMITS`) is read first from the classroom folder's `limits.json` (written by
`classroom.limits`), re-read only when that file changes. The README's tables ("Data", "A shared server") say what each one
is for. A name other modules pass on or print is a constant here.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from mnist_app import json_files

REPOSITORY = Path(__file__).resolve().parent.parent
_YES = frozenset({"1", "true", "yes", "on"})
_NO = frozenset({"0", "false", "no", "off"})
BFLOAT16 = "MNIST_APP_BFLOAT16"
RAY_ADDRESS = "MNIST_APP_RAY_ADDRESS"
RAY_CPUS_PER_JOB = "MNIST_APP_RAY_CPUS_PER_JOB"
TEACHER_KEY = "MNIST_APP_TEACHER_KEY"
TEACHER_KEY_FILE = "MNIST_APP_TEACHER_KEY_FILE"
CLASSROOM_DIR = "MNIST_APP_CLASSROOM_DIR"
JOBS_PER_VISITOR = "MNIST_APP_JOBS_PER_VISITOR"
MODELS_PER_VISITOR = "MNIST_APP_MODELS_PER_VISITOR"
DIGITS_PER_VISITOR = "MNIST_APP_DIGITS_PER_VISITOR"
MAX_IMAGES_PER_JOB = "MNIST_APP_MAX_IMAGES_PER_JOB"
TRAINING_SLOTS = "MNIST_APP_TRAINING_SLOTS"
# The limits a teacher changes while the server runs, and each one's default.
LIVE_DEFAULTS = {
    JOBS_PER_VISITOR: 4,
    MODELS_PER_VISITOR: 10,
    DIGITS_PER_VISITOR: 500,
    MAX_IMAGES_PER_JOB: 3_000_000,
    TRAINING_SLOTS: 1,
}
LIVE_LIMITS = tuple(LIVE_DEFAULTS)
LIMITS_FILE = "limits.json"
# A key is a line, a limits file a few numbers: more than this is not one.
MAX_KEY_FILE_BYTES = 4096
MAX_LIMITS_FILE_BYTES = 64 * 1024


def text(name: str, default: str = "") -> str:
    """A setting's text, stripped; `default` when unset or blank."""
    return os.environ.get(name, "").strip() or default


def flag(name: str, default: bool = False) -> bool:
    """A yes/no setting; `default` when unset or blank."""
    value = text(name)
    return value.lower() in _YES if value else default


def yes_no(name: str) -> bool | None:
    """A yes/no setting that may be left to the app: None unless it says yes or no."""
    value = text(name).lower()
    return True if value in _YES else False if value in _NO else None


def count(name: str, default: int, minimum: int = 1, *, live: bool = True) -> int:
    """A whole-number setting, at least `minimum`; `default` when unset or not a number.

    For one of `LIVE_LIMITS` the teacher's override comes first, unless `live` is off (what the
    operator set, which the teacher's page shows beside it).
    """
    if live and name in LIVE_DEFAULTS:
        chosen = live_overrides().get(name)
        if chosen is not None:
            return max(minimum, chosen)
    try:
        return max(minimum, int(text(name, str(default))))
    except ValueError:
        return max(minimum, default)


def live_overrides() -> dict[str, int]:
    """The limits the teacher set for the class (`classroom_dir()/limits.json`), by setting name.

    Read again only when the file changes, so every count may ask. A file that cannot be read
    or is not an object of whole numbers is ignored, with one warning per version of it: the
    class runs on the operator's limits rather than stopping.
    """
    path = classroom_dir() / LIMITS_FILE
    return json_files.read_cached(
        path, {}, MAX_LIMITS_FILE_BYTES, _overrides, f"the class's limits file {path}"
    )


def _overrides(content: object) -> dict[str, int]:
    if not isinstance(content, dict):
        raise ValueError("not a JSON object")
    for name, value in content.items():
        if name not in LIVE_DEFAULTS or type(value) is not int or value < 1:
            raise ValueError(f"{name!r} is not a live limit with a whole number of at least 1")
    return dict(content)


# Data


def dataset() -> str:
    """MNIST_APP_DATASET: the dataset the app opens with, a name or a path."""
    return text("MNIST_APP_DATASET", "auto")


def offline() -> bool:
    """MNIST_APP_OFFLINE: never try to download a dataset."""
    return flag("MNIST_APP_OFFLINE")


def data_dir() -> Path:
    """MNIST_APP_DATA_DIR: the only folder a visitor's typed path can reach; `data/` by default."""
    return Path(text("MNIST_APP_DATA_DIR") or REPOSITORY / "data")


def cache_dir() -> Path | None:
    """MNIST_APP_CACHE_DIR: where decoded datasets are kept; `off` for nowhere."""
    chosen = text("MNIST_APP_CACHE_DIR")
    if chosen == "off":
        return None
    if chosen:
        return Path(chosen)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "mnist-app" / "decoded"


def digits_per_visitor() -> int:
    """MNIST_APP_DIGITS_PER_VISITOR: on a shared server, the digits one visitor may keep."""
    return count(DIGITS_PER_VISITOR, LIVE_DEFAULTS[DIGITS_PER_VISITOR])


# Models


def models_dir() -> Path:
    """MNIST_APP_MODELS_DIR: where models are saved and listed; `models/` by default."""
    return Path(text("MNIST_APP_MODELS_DIR") or REPOSITORY / "models")


def shared() -> bool:
    """MNIST_APP_SHARED: visitors may change only what their own browser session made."""
    return flag("MNIST_APP_SHARED")


def max_models() -> int:
    """MNIST_APP_MAX_MODELS: how many models trained in the app are kept on disk."""
    return count("MNIST_APP_MAX_MODELS", 50)


def models_per_visitor() -> int:
    """MNIST_APP_MODELS_PER_VISITOR: on a shared server, one visitor's models kept."""
    return count(MODELS_PER_VISITOR, LIVE_DEFAULTS[MODELS_PER_VISITOR])


def bfloat16() -> bool | None:
    """MNIST_APP_BFLOAT16: train the CNN's steps in bfloat16 (yes) or not (no); None to guess."""
    return yes_no(BFLOAT16)


# Training jobs


def training_slots() -> int:
    """MNIST_APP_TRAINING_SLOTS: how many jobs train at once on this server."""
    return count(TRAINING_SLOTS, LIVE_DEFAULTS[TRAINING_SLOTS])


def jobs_per_visitor() -> int:
    """MNIST_APP_JOBS_PER_VISITOR: training jobs one visitor may have queued or running (Build
    trains up to four variants at once)."""
    return count(JOBS_PER_VISITOR, LIVE_DEFAULTS[JOBS_PER_VISITOR])


def max_queued_jobs() -> int:
    """MNIST_APP_MAX_QUEUED_JOBS: jobs waiting, all visitors together."""
    return count("MNIST_APP_MAX_QUEUED_JOBS", 100)


def max_images_per_job() -> int:
    """MNIST_APP_MAX_IMAGES_PER_JOB: epochs times training images for one job from the app."""
    return count(MAX_IMAGES_PER_JOB, LIVE_DEFAULTS[MAX_IMAGES_PER_JOB])


# The classroom


def teacher_key() -> str:
    """MNIST_APP_TEACHER_KEY, else the first line of the file MNIST_APP_TEACHER_KEY_FILE names:
    the key that opens the teacher's page; "" (no teacher's page) when neither gives one.

    A file keeps the key out of the process's environment; a FIFO, a device or an unreadable
    file gives no key rather than a hang or an error that would show its path.
    """
    key = text(TEACHER_KEY)
    if key:
        return key
    name = text(TEACHER_KEY_FILE)
    if not name:
        return ""
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except (OSError, ValueError):
        return ""
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return ""
        content = os.read(fd, MAX_KEY_FILE_BYTES)
    except OSError:
        return ""
    finally:
        os.close(fd)
    lines = content.decode("utf-8", "replace").splitlines()
    return lines[0].strip() if lines else ""


def classroom_dir() -> Path:
    """MNIST_APP_CLASSROOM_DIR: the challenge, the class's limits, the display names and the
    hidden-test scores, shared by every server process; `models_dir()/.classroom` by default."""
    return Path(text(CLASSROOM_DIR) or models_dir() / ".classroom")


def trainer_processes() -> bool | None:
    """MNIST_APP_TRAINER_PROCESSES: every job in a trainer process of its own (yes), none (no),
    or only those whose network wants other threads than the server's (unset)."""
    return yes_no("MNIST_APP_TRAINER_PROCESSES")


def ray_address() -> str:
    """MNIST_APP_RAY_ADDRESS: the Ray cluster every job trains on; "" for this server."""
    return text(RAY_ADDRESS)


def ray_cpus_per_job() -> int:
    """MNIST_APP_RAY_CPUS_PER_JOB: the CPUs a job asks the cluster for."""
    return count(RAY_CPUS_PER_JOB, 1)


# Measuring


def timing_log() -> str:
    """MNIST_APP_TIMING_LOG: a file the timed parts of a script run append to; "" for none."""
    return text("MNIST_APP_TIMING_LOG")
