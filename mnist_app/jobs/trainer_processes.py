"""Training jobs in processes of their own, each started with the threads its network wants.

TensorFlow sizes its thread pools once, when a process first runs an operation, for the whole
process. The networks with convolutions or pooling train fastest on few intra-op threads
(their operations on 28x28 digits are too small to split over cores), while the MLP's XLA
steps want every core; so a job whose network wants other threads than the server's trains in
a trainer process started with them (`learning.thread_choice`); on a shared server every job
does. A trainer process runs at a lower CPU priority than the pages, so thirty students'
strokes wait neither behind two jobs' batches nor for Python's lock in the server. It serves one
job at a time, clears Keras' state after each, is kept for the next job that wants its
threads, and ends after `IDLE_S` unused, after `JOBS_PER_TRAINER` jobs (whatever memory
TensorFlow keeps between jobs goes with it), or with the server. Each holds TensorFlow and a
copy of its job's dataset: most of a gibibyte.

Like a Ray worker, the process gets the dataset and the configuration, sends its progress as
plain data (`progress_events`), reads Stop from the server, and returns the trained model as
`.keras` bytes that the server loads with Keras' safe mode on. A process that dies ends its
job with a `TrainerGone` that says so.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import logging
import multiprocessing
import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING

from mnist_app import heap
from mnist_app.errors import UserError
from mnist_app.jobs.progress_events import as_event, from_event

if TYPE_CHECKING:  # The server's side must not wait for TensorFlow.
    from mnist_app.datasets.dataset import Dataset
    from mnist_app.learning.training import Progress, TrainConfig, TrainResult

POLL_S = 0.1
# How long an unused trainer process is kept for the next job that wants its threads.
IDLE_S = 300.0
# How long a trainer process may take to end once asked.
QUIT_S = 5.0
# A trainer process yields the cores to the server's pages: a student's stroke should not wait
# behind a job's next batch (BENCHMARKS.md, "A class of thirty").
NICENESS = 10
# How many jobs a trainer process serves before a fresh one takes its place.
JOBS_PER_TRAINER = 20
# TensorFlow's own switch, read as it loads: a process made under one value serves only it.
ONEDNN_SETTING = "TF_ENABLE_ONEDNN_OPTS"
# What the server and a trainer process say to each other: the first item of each message.
TRAIN, STOP, QUIT = "train", "stop", "quit"
PROGRESS, RESULT, REFUSED, FAILED = "progress", "result", "refused", "failed"
_log = logging.getLogger(__name__)
# Forking a process whose TensorFlow has threads running is unsafe: each trainer starts afresh.
_CONTEXT = multiprocessing.get_context("spawn")


class TrainerGone(UserError):
    """The trainer process ended in the middle of a job (killed, out of memory)."""


@dataclass(frozen=True)
class _Kind:
    """What a trainer process was started with, and so which jobs it may serve."""

    intra_op_threads: int
    onednn: str


@dataclass(eq=False)
class _Trainer:
    kind: _Kind
    process: multiprocessing.process.BaseProcess
    to_trainer: Connection
    from_trainer: Connection
    idle_since: float = field(default_factory=time.monotonic)
    jobs_done: int = 0

    def alive(self) -> bool:
        return self.process.is_alive()

    def close(self) -> None:
        """Ask it to end, then make sure it has."""
        with contextlib.suppress(OSError):
            self.to_trainer.send((QUIT,))
        self.process.join(QUIT_S)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(QUIT_S)
        for end in (self.to_trainer, self.from_trainer):
            end.close()


_idle: list[_Trainer] = []
_busy: set[_Trainer] = set()
_lock = threading.Lock()
_exit_hook: list[bool] = []


def train(
    dataset: Dataset,
    config: TrainConfig,
    on_progress: Callable[[Progress], None] | None = None,
    stop: threading.Event | None = None,
    seed: int | None = None,
    *,
    intra_op_threads: int,
    on_placed: Callable[[str], None] | None = None,
) -> TrainResult:
    """`training.train` in a trainer process with `intra_op_threads` intra-op threads; blocks
    until the job ends. `on_placed` hears which process, in words, once it has one."""
    trainer = _take(_Kind(intra_op_threads, os.environ.get(ONEDNN_SETTING, "")))
    try:
        if on_placed is not None:
            threads = f"{intra_op_threads} intra-op thread{'s' * (intra_op_threads > 1)}"
            on_placed(f"trainer process {trainer.process.pid} ({threads})")
        try:
            trainer.to_trainer.send((TRAIN, dataset, config, seed, _passed_settings()))
        except OSError:  # It died starting (TensorFlow's import, say): the pipe is broken.
            raise _gone(trainer) from None
        payload = _follow(trainer, on_progress, stop)
    except _JobEnded as ended:  # The trainer process is sound: only the job ended.
        _give_back(trainer)
        raise ended.error from None
    except BaseException:
        _discard(trainer)
        raise
    _give_back(trainer)
    from mnist_app.learning.model_files import model_from_bytes

    return replace(payload["result"], model=model_from_bytes(payload["model"]), config=config)


class _JobEnded(Exception):
    """The job failed or was refused in a trainer process that goes on serving: `error` says why."""

    def __init__(self, error: Exception):
        super().__init__(str(error))
        self.error = error


def _gone(trainer: _Trainer) -> TrainerGone:
    trainer.process.join(QUIT_S)
    return TrainerGone(
        f"the trainer process ended in the middle of the job (exit status {trainer.process.exitcode}); "
        "nothing was saved"
    )


def _passed_settings() -> dict[str, str]:
    """The app's settings as the server has them now: a trainer process kept from an earlier
    job must train this one as the server would."""
    return {name: value for name, value in os.environ.items() if name.startswith("MNIST_APP_")}


def _follow(
    trainer: _Trainer, on_progress: Callable[[Progress], None] | None, stop: threading.Event | None
) -> dict:
    """Relay the job's progress and pass on Stop until its result comes; `_JobEnded` for a job
    refused or failed, `TrainerGone` for a trainer process that died."""
    asked_to_stop = False
    while True:
        try:
            if stop is not None and stop.is_set() and not asked_to_stop:
                trainer.to_trainer.send((STOP,))
                asked_to_stop = True
            message = trainer.from_trainer.recv() if trainer.from_trainer.poll(POLL_S) else None
        except (EOFError, OSError):
            raise _gone(trainer) from None
        if message is None:
            if not trainer.alive():
                raise _gone(trainer)
            continue
        kind, content = message
        if kind == PROGRESS:
            if on_progress is not None:
                on_progress(from_event(content))
        elif kind == RESULT:
            return content
        elif kind == REFUSED:
            raise _JobEnded(UserError(content))
        elif kind == FAILED:
            raise _JobEnded(RuntimeError(f"the trainer process failed: {content}"))
        else:
            raise RuntimeError(f"a trainer process said {kind!r}, which the server does not know")


def _take(kind: _Kind) -> _Trainer:
    """An idle trainer process of this kind, or a new one."""
    _close_stale()
    with _lock:
        for trainer in _idle:
            if trainer.kind == kind and trainer.alive():
                _idle.remove(trainer)
                _busy.add(trainer)
                return trainer
        if not _exit_hook:
            atexit.register(close_all)
            _exit_hook.append(True)
    trainer = _start(kind)
    with _lock:
        _busy.add(trainer)
    return trainer


def _start(kind: _Kind) -> _Trainer:
    trainer_reads, to_trainer = _CONTEXT.Pipe(duplex=False)
    from_trainer, trainer_writes = _CONTEXT.Pipe(duplex=False)
    environment = {**os.environ, ONEDNN_SETTING: kind.onednn} if kind.onednn else dict(os.environ)
    process = _CONTEXT.Process(
        target=serve,
        args=(kind.intra_op_threads, trainer_reads, trainer_writes, environment),
        name=f"mnist-app-trainer-{kind.intra_op_threads}",
        daemon=True,
    )
    process.start()
    trainer_reads.close()
    trainer_writes.close()
    return _Trainer(kind, process, to_trainer, from_trainer)


def _give_back(trainer: _Trainer) -> None:
    """Keep a trainer process for the next job of its kind, or end it once it has served enough."""
    trainer.jobs_done += 1
    if trainer.jobs_done >= JOBS_PER_TRAINER:
        _discard(trainer)
        return
    with _lock:
        _busy.discard(trainer)
        trainer.idle_since = time.monotonic()
        _idle.append(trainer)
    timer = threading.Timer(IDLE_S + 1, _close_stale)
    timer.daemon = True
    timer.start()


def _discard(trainer: _Trainer) -> None:
    with _lock:
        _busy.discard(trainer)
    threading.Thread(target=trainer.close, name="close-trainer", daemon=True).start()


def _close_stale() -> None:
    """End the trainer processes unused for `IDLE_S`, and forget dead ones; each is closed
    outside the lock, which every job's start needs."""
    now = time.monotonic()
    with _lock:
        stale = [t for t in _idle if now - t.idle_since > IDLE_S or not t.alive()]
        for trainer in stale:
            _idle.remove(trainer)
    for trainer in stale:
        trainer.close()


def close_all() -> None:
    """End every idle trainer process (at exit; a busy one ends when its server does)."""
    with _lock:
        trainers, _idle[:] = list(_idle), []
    for trainer in trainers:
        trainer.close()


def running() -> int:
    """How many trainer processes exist now, busy or idle."""
    with _lock:
        return len(_idle) + len(_busy)


# The trainer process's side.


def serve(threads: int, requests: Connection, replies: Connection, environment: dict) -> None:
    """A trainer process's life: TensorFlow with `threads` intra-op threads, then job after job
    until the server asks it to quit or is gone."""
    os.environ.clear()
    os.environ.update(environment)
    os.nice(NICENESS)
    from mnist_app.learning import tensorflow_runtime

    tensorflow_runtime.prepare()
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    jobs: queue.Queue = queue.Queue()
    threading.Thread(target=_read_requests, args=(requests, jobs), daemon=True).start()
    while (job := jobs.get()) is not None:
        _run_job(*job, replies)
        # A job's dataset goes with it: a process waiting for the next job keeps only TensorFlow.
        del job
        heap.trim()  # what the job freed; glibc would keep it for the process


def _read_requests(requests: Connection, jobs: queue.Queue) -> None:
    """The only reader of the server's messages: each job goes to the queue with a Stop of its
    own, which a Stop sets (a Stop can come before its job has begun); the server gone (or
    "quit") ends the process."""
    stop = threading.Event()
    while True:
        try:
            message = requests.recv()
        except (EOFError, OSError):
            message = (QUIT,)
        if message[0] == TRAIN:
            stop = threading.Event()
            jobs.put((message[1:], stop))
            del message  # Not kept while waiting for the next message: it holds the dataset.
        elif message[0] == STOP:
            stop.set()
        else:
            stop.set()
            jobs.put(None)
            return


def _run_job(job: tuple, stop: threading.Event, replies: Connection) -> None:
    import keras

    from mnist_app.learning.model_files import model_bytes
    from mnist_app.learning.training import train as train_here

    dataset, config, seed, passed = job
    for name in [name for name in os.environ if name.startswith("MNIST_APP_")]:
        del os.environ[name]
    os.environ.update(passed)
    try:
        result = train_here(
            dataset, config, lambda progress: replies.send((PROGRESS, as_event(progress))), stop, seed
        )
        replies.send((RESULT, {"model": model_bytes(result.model), "result": replace(result, model=None)}))
    except UserError as error:
        replies.send((REFUSED, str(error)))
    except Exception as error:  # The server says it failed; the details go to this log.
        _log.error("training %s failed", config.network_name, exc_info=error)
        replies.send((FAILED, type(error).__name__))
    finally:
        keras.backend.clear_session()
        gc.collect()
