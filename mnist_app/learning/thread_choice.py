"""How many intra-op threads a training job's network trains fastest with, and so where it trains.

The networks with convolutions or pooling train on oneDNN's kernels, whose operations on
28x28 digits are too small to gain from being split over cores: on this project's two-core
machines one intra-op thread trains each of them faster (BENCHMARKS.md, "One thread a
convolutional job"). The XLA-fused networks (no convolution, no pooling) want every core.
TensorFlow fixes the threads for its whole process as it starts, so a job that wants other
threads than the server's trains in a trainer process of its own (`jobs.trainer_processes`).
Half the cores, shared between the jobs that train at once, is the guess for a larger machine,
where nothing was measured.
"""

from __future__ import annotations

import os

from mnist_app import settings
from mnist_app.learning.design_plan import plan
from mnist_app.learning.training_choices import TrainConfig


def cores() -> int:
    """The CPUs this process may run on, as TensorFlow counts them for its default threads."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # Not on Linux.
        return os.cpu_count() or 1


def wanted_threads(config: TrainConfig, available: int | None = None, slots: int | None = None) -> int:
    """The intra-op threads a job of `config`'s network trains fastest with, `slots` jobs
    (`settings.training_slots()`) training at once on `available` cores."""
    available = cores() if available is None else available
    if plan(config.design).fused:
        return available
    slots = settings.training_slots() if slots is None else slots
    return max(1, available // (2 * max(1, slots)))


def trainer_threads(config: TrainConfig, available: int | None = None) -> int | None:
    """The threads of the trainer process this job should train in; None to train in the
    server's own process. `MNIST_APP_TRAINER_PROCESSES` off keeps every job in the server's
    process, on sends every job to a trainer process; unset, every job goes on a shared server
    (where a trainer process yields the cores to the students' pages, `trainer_processes`),
    and elsewhere only the jobs that want other threads than the server's default."""
    chosen = settings.trainer_processes()
    if chosen is None and settings.shared():
        chosen = True
    if chosen is False:
        return None
    available = cores() if available is None else available
    wanted = wanted_threads(config, available)
    return wanted if chosen or wanted != available else None
