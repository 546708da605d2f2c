"""A training run as a job with a life of its own: queued, running, then done, stopped or failed.

The job runs on its own thread, so a page that reruns or is left does not end it; the page
only reads `snapshot()`. Jobs share the machine's cores through one queue: at most
`MNIST_APP_TRAINING_SLOTS` (default 1) train at once, the others wait their turn, visitor by
visitor (`queue`). A job trains in the server's process, or in a trainer process started with
the threads its network wants (`trainer_processes`); where a Ray cluster is configured
(`cluster`), it trains there instead, and the queue holds as many at once as the cluster has
room for. Importing this starts nothing: the queue is made, and the exit hook registered,
when first needed.
"""

from __future__ import annotations

import atexit
import functools
import logging
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field

from mnist_app.datasets.dataset import Dataset
from mnist_app.errors import UserError
from mnist_app.jobs import cluster, trainer_processes
from mnist_app.jobs.queue import TrainingQueue
from mnist_app.learning.curves import CurvePoint
from mnist_app.learning.thread_choice import trainer_threads
from mnist_app.learning.training import Progress, TrainConfig, TrainResult, train
from mnist_app.learning.weight_history import WeightSnapshot

QUEUED, RUNNING, DONE, STOPPED, FAILED = "queued", "running", "done", "stopped", "failed"
log = logging.getLogger("mnist_app")
WATCH_INTERVAL_S = 1.0
EXIT_GRACE_S = 30.0
_STARTED_JOBS: weakref.WeakSet[TrainingJob] = weakref.WeakSet()
# Sessions start jobs while the teacher's page lists them: a set must not change as it is read.
_STARTED_LOCK = threading.Lock()
# Two sessions' first jobs at once must still make one queue and one exit hook.
_FIRST_USE = threading.Lock()


def training_queue() -> TrainingQueue:
    """The queue this process's jobs share, made at first use, with `settings.training_slots()`
    slots as the setting says at each moment."""
    with _FIRST_USE:
        return _made_queue()


@functools.cache
def _made_queue() -> TrainingQueue:
    return TrainingQueue()


def _stop_jobs_at_exit_registered() -> None:
    """Register `_stop_jobs_at_exit`, once a process, when its first job starts."""
    with _FIRST_USE:
        _register_exit_hook()


@functools.cache
def _register_exit_hook() -> None:
    atexit.register(_stop_jobs_at_exit)


def _stop_jobs_at_exit() -> None:
    """When Python exits, stop the jobs still queued or training and let them end.

    A job's thread is a daemon, so exit does not wait for a run to finish; but one cut off
    inside TensorFlow's C++ code takes the whole process down with it ("terminate called
    ... FATAL: exception not rethrown", exit status 134). Stopped here, a job ends as with
    the Stop button: the model trained so far is evaluated and saved.
    """
    with _STARTED_LOCK:
        jobs = list(_STARTED_JOBS)
    for job in jobs:
        job.stop()
    for job in jobs:
        job.join(EXIT_GRACE_S)


@dataclass(frozen=True)
class JobSnapshot:
    """What the page shows: a consistent copy of the job's state at one moment."""

    state: str
    fraction: float
    epoch: int
    queue_position: int
    curve: list[CurvePoint] = field(default_factory=list)
    # The weights' snapshots so far: before training, then one an epoch.
    weights: list[WeightSnapshot] = field(default_factory=list)
    result: TrainResult | None = None
    saved_as: str = ""
    error: str = ""
    # Where it trains: a cluster's node, a trainer process, or "" for the server's own process;
    # and how many jobs train at once there.
    placement: str = ""
    at_once: int = 1

    @property
    def active(self) -> bool:
        return self.state in (QUEUED, RUNNING)


class TrainingJob:
    """Train on a thread; `on_result` (e.g. saving the model) runs there too when it ends.

    `abandoned` is asked every second while the job waits or trains: once it says True
    (nobody is left to watch, say), the job stops as if Stop were pressed. `visitor` is
    whose job it is, for the queue's turns and limits ("" for the command line). `queue` is
    the process's `training_queue()` unless given.
    """

    def __init__(
        self,
        dataset: Dataset,
        config: TrainConfig,
        on_result: Callable[[TrainResult], str] | None = None,
        queue: TrainingQueue | None = None,
        abandoned: Callable[[], bool] | None = None,
        visitor: str = "",
    ):
        config.validate()
        self.dataset = dataset
        self.config = config
        self.on_result = on_result
        self.queue = training_queue() if queue is None else queue
        self.abandoned = abandoned
        self.visitor = visitor
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._state = QUEUED
        self._progress: Progress | None = None
        self._curve: list[CurvePoint] = []
        self._weights: list[WeightSnapshot] = []
        self._result: TrainResult | None = None
        self._saved_as = ""
        self._error = ""
        self._placement = ""
        self.started_at = time.time()
        self._thread = threading.Thread(target=self._run, name=f"train-{config.network_name}", daemon=True)

    def start(self) -> TrainingJob:
        """Take a place in the queue (QueueFull if a limit is reached) and run."""
        return start_together([self])[0]

    def _begin(self) -> None:
        _stop_jobs_at_exit_registered()
        with _STARTED_LOCK:
            _STARTED_JOBS.add(self)
        self._thread.start()
        if self.abandoned is not None:
            threading.Thread(target=self._watch, name="watch-training", daemon=True).start()

    def stop(self) -> None:
        """Ask the job to end: the model as trained so far is still evaluated and saved."""
        self._stop.set()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def snapshot(self) -> JobSnapshot:
        with self._lock:
            progress = self._progress
            return JobSnapshot(
                state=self._state,
                fraction=progress.fraction if progress else 0.0,
                epoch=progress.epoch if progress else 0,
                queue_position=self.queue.position(self) if self._state == QUEUED else 0,
                curve=list(self._curve),
                weights=list(self._weights),
                result=self._result,
                saved_as=self._saved_as,
                error=self._error,
                placement=self._placement,
                at_once=self.queue.slots,
            )

    def _watch(self) -> None:
        while not self._stop.wait(WATCH_INTERVAL_S) and self._thread.is_alive():
            if self.abandoned():
                self.stop()

    def _on_progress(self, progress: Progress) -> None:
        with self._lock:
            self._progress = progress
            self._curve.extend(progress.points)
            self._weights.extend(progress.weights)

    def _on_placed(self, placement: cluster.Placement | str) -> None:
        with self._lock:
            self._placement = str(placement)

    def _trainer(self) -> Callable:
        """The cluster's `train`, with the queue sized to the cluster; else a trainer process's,
        where the network wants other threads than this process has; else `training.train` here."""
        if cluster.configured():
            self.queue.resize(cluster.capacity())
            return functools.partial(cluster.train, on_placed=self._on_placed)
        return local_trainer(self.config, on_placed=self._on_placed)

    def _fail(self, error: Exception) -> None:
        if not isinstance(error, UserError):
            log.error("training %s failed", self.config.network_name, exc_info=error)
        with self._lock:
            self._error = failure_message(error)
            self._state = FAILED

    def _run(self) -> None:
        try:
            trainer = self._trainer()
        except Exception as error:  # The cluster cannot be reached: say so, train nowhere.
            self.queue.leave(self)
            self._fail(error)
            return
        if not self.queue.acquire(self, self._stop):
            with self._lock:
                self._state = STOPPED
            return
        try:
            with self._lock:
                self._state = RUNNING
            try:
                result = trainer(self.dataset, self.config, self._on_progress, self._stop)
            except cluster.StoppedBeforeStart:
                with self._lock:
                    self._state = STOPPED
                return
            saved_as = self.on_result(result) if self.on_result else ""
            with self._lock:
                self._result, self._saved_as = result, saved_as
                self._curve = list(result.curve)
                self._weights = list(result.weights)
                self._state = STOPPED if result.stopped_early else DONE
        except Exception as error:  # The page shows any failure; the thread must not die silently.
            self._fail(error)
        finally:
            self.queue.release(self)


def local_trainer(config: TrainConfig, on_placed: Callable[[str], None] | None = None) -> Callable:
    """How a job of `config` trains on this server: in a trainer process started with the
    threads its network wants (`thread_choice`; `on_placed` hears which), or as
    `training.train` in this process."""
    threads = trainer_threads(config)
    if threads is None:
        return train
    return functools.partial(trainer_processes.train, intra_op_threads=threads, on_placed=on_placed)


def started_jobs() -> list[TrainingJob]:
    """Every job this process started that a page still holds, oldest first: the class's jobs
    as the teacher's page lists them."""
    with _STARTED_LOCK:
        jobs = list(_STARTED_JOBS)
    return sorted(jobs, key=lambda job: job.started_at)


def failure_message(error: Exception) -> str:
    """Why a job failed, in words fit for its page: never a path on the server.

    A UserError says it itself; an OSError gives the system's reason without the file it
    names; anything else is a bug, whose details go to the server's log.
    """
    if isinstance(error, UserError):
        return str(error)
    if isinstance(error, OSError):  # str(error) would add the path it names
        reason = error.strerror or (str(error.args[0]) if len(error.args) == 1 else "")
        return f"{type(error).__name__}: {reason}" if reason else type(error).__name__
    return f"an unexpected failure ({type(error).__name__}); the details are in the server's log"


def start_together(jobs: list[TrainingJob]) -> list[TrainingJob]:
    """Queue one visitor's jobs at once, all or none (QueueFull says why none), then run them."""
    first = jobs[0]
    if any(job.queue is not first.queue or job.visitor != first.visitor for job in jobs):
        raise ValueError("jobs started together share one queue and one visitor")
    first.queue.join(*jobs, visitor=first.visitor)
    for job in jobs:
        job._begin()
    return jobs
