"""Every `MNIST_APP_*` setting the operator can give, read in one place, by one rule each.

Read when asked, never at import: tests and the command line change the environment between
calls. A yes/no is on for `1`, `true`, `yes` or `on` (any case) and off for anything else;
one that may also be left to the app (`bfloat16`) is off only for `0`, `false`, `no` or `off`,
and guessed for anything else. A count that is unset, not a whole number or below its floor
takes its default or floor. The README's tables ("Data", "A shared server") say what each one
is for. A name other modules pass on or print is a constant here.
"""

from __future__ import annotations

import os
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
_YES = frozenset({"1", "true", "yes", "on"})
_NO = frozenset({"0", "false", "no", "off"})
BFLOAT16 = "MNIST_APP_BFLOAT16"
RAY_ADDRESS = "MNIST_APP_RAY_ADDRESS"
RAY_CPUS_PER_JOB = "MNIST_APP_RAY_CPUS_PER_JOB"


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


def count(name: str, default: int, minimum: int = 1) -> int:
    """A whole-number setting, at least `minimum`; `default` when unset or not a number."""
    try:
        return max(minimum, int(text(name, str(default))))
    except ValueError:
        return max(minimum, default)


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
    return count("MNIST_APP_DIGITS_PER_VISITOR", 500)


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
    return count("MNIST_APP_MODELS_PER_VISITOR", 10)


def bfloat16() -> bool | None:
    """MNIST_APP_BFLOAT16: train the CNN's steps in bfloat16 (yes) or not (no); None to guess."""
    return yes_no(BFLOAT16)


# Training jobs


def training_slots() -> int:
    """MNIST_APP_TRAINING_SLOTS: how many jobs train at once on this server."""
    return count("MNIST_APP_TRAINING_SLOTS", 1)


def jobs_per_visitor() -> int:
    """MNIST_APP_JOBS_PER_VISITOR: training jobs one visitor may have queued or running (Build
    trains up to four variants at once)."""
    return count("MNIST_APP_JOBS_PER_VISITOR", 4)


def max_queued_jobs() -> int:
    """MNIST_APP_MAX_QUEUED_JOBS: jobs waiting, all visitors together."""
    return count("MNIST_APP_MAX_QUEUED_JOBS", 100)


def max_images_per_job() -> int:
    """MNIST_APP_MAX_IMAGES_PER_JOB: epochs times training images for one job from the app."""
    return count("MNIST_APP_MAX_IMAGES_PER_JOB", 3_000_000)


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
