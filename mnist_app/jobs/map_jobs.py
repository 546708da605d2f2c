"""Heavy work computed in the background, one computation per key on a whole server: maps,
the Trust page's figures, the heat maps' test.

UMAP, t-SNE or an attack on many digits take far longer than a page run may wait on the few
cores of a classroom server: a page starts one as a job on a thread and polls its progress. A
second visitor asking for the same key gets the same running job, not a second computation;
and only one exclusive computation runs at a time, server-wide, the others waiting and saying
so (in their own `waiting_words`). Waiting jobs are bounded, since each holds a thread and what
it computes from: a visitor who says who they are (`visitor`) may have one exclusive job
waiting, whatever its kind, and no one may start one when MAX_WAITING wait already. A waiting
job nobody has asked about for ABANDONED_SECONDS (its page closed or moved on) is dropped when
its turn comes, before it starts. A finished job is kept a while (FINISHED_SECONDS, at most
MAX_FINISHED of them), so the page that started it finds its result on its next poll even if
the disk cache could not be written. Threads, not processes: the work is mostly NumPy, numba,
C++ and TensorFlow that leave Python's lock.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from mnist_app.errors import UserError

FINISHED_SECONDS = 600
MAX_FINISHED = 32
MAX_WAITING = 4  # heavy jobs waiting their turn, server-wide, beyond which a visitor's is refused
# A waiting job whose page has not asked about it for this long is dropped when its turn comes.
ABANDONED_SECONDS = 30.0
WAITING_WORDS = "Waiting for another map to finish: this server draws one such map at a time"
ABANDONED = "nobody was waiting for it any more, so it was not started: ask again"

Progress = Callable[[float, str], None]
_log = logging.getLogger(__name__)


class MapJob:
    """One map being computed: its progress (`fraction`, `words`), then `result` or `error`."""

    def __init__(
        self,
        key: str,
        work: Callable[[Progress], object],
        exclusive: bool,
        visitor: str | None = None,
        waiting_words: str | None = None,
    ):
        self.key, self.visitor = key, visitor
        self.waiting_words = waiting_words or WAITING_WORDS
        self.asked_at = time.monotonic()
        self.fraction, self.words = 0.0, "Waiting to start"
        self.result: object = None
        self.error: str = ""
        self.finished_at: float | None = None
        self._work, self._exclusive = work, exclusive
        self.waiting = exclusive  # for its turn at the heavy work; read under the jobs' lock
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"map-{key[:12]}", daemon=True)

    @property
    def done(self) -> bool:
        """Whether it ended. Asking counts as following it: a page polling any job this way keeps
        it from being dropped as abandoned while it waits."""
        self.touch()
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Whether the job ended within `timeout` seconds (for the command line and tests)."""
        return self._done.wait(timeout)

    def touch(self) -> None:
        """Someone still waits for this job (a page polled it): it is not abandoned."""
        self.asked_at = time.monotonic()

    def _progress(self, fraction: float, words: str) -> None:
        self.fraction, self.words = min(1.0, max(0.0, float(fraction))), words

    def _run(self) -> None:
        try:
            if self._exclusive:
                if not _heavy.acquire(blocking=False):
                    self._progress(0.0, self.waiting_words)
                    _heavy.acquire()
                self.waiting = False
                try:
                    if self.visitor is not None and time.monotonic() - self.asked_at > ABANDONED_SECONDS:
                        raise UserError(ABANDONED)
                    self._compute()
                finally:
                    _heavy.release()
            else:
                self._compute()
        except Exception as error:  # a job's failure is its page's to show, never the server's end
            self.error = failure_message(error)
            if not isinstance(error, UserError):
                _log.exception("background job %s failed", self.key)
        finally:
            self.waiting = False
            self.finished_at = time.monotonic()
            self._work = None  # what it computed from may be large: let it go
            self._done.set()

    def _compute(self) -> None:
        self._progress(0.0, "Starting")
        self.result = self._work(self._progress)
        self._progress(1.0, "Done")


_heavy = threading.Semaphore(1)
_jobs: dict[str, MapJob] = {}
_lock = threading.Lock()


def map_job(
    key: str,
    work: Callable[[Progress], object],
    *,
    exclusive: bool = True,
    visitor: str | None = None,
    waiting_words: str | None = None,
) -> MapJob:
    """The job computing `key`: the one already running or recently finished, or a new one
    running `work(on_progress)`. `exclusive` work (UMAP, t-SNE, attacks) runs one at a time
    server-wide, saying `waiting_words` while it waits (by default, the map's).

    A job that failed is not kept for the next asker: asking again tries again. A `visitor`
    (a session's token) starting new exclusive work is held to the limits on waiting jobs,
    refused in words (UserError) beyond them; joining a job that exists is never refused. Only a
    visitor's job is dropped when abandoned: one started without (the command line, tests) is
    waited for by its caller.
    """
    with _lock:
        _forget_old()
        job = _jobs.get(key)
        if job is not None and not (job.done and job.error):
            job.touch()
            return job
        if exclusive and visitor is not None:
            _check_waiting(visitor)
        job = MapJob(key, work, exclusive, visitor, waiting_words)
        _jobs[key] = job
    job._thread.start()
    return job


def running_job(key: str) -> MapJob | None:
    """The job for `key` if one is running or recently finished, failed ones too (a page may show
    why and offer to try again, rather than start it again on every poll); None otherwise."""
    with _lock:
        _forget_old()
        job = _jobs.get(key)
        if job is not None:
            job.touch()
        return job


def _check_waiting(visitor: str) -> None:
    """Refuse a visitor's new heavy job when too many wait already, or one of theirs does: every
    exclusive job counts, whatever page started it."""
    waiting = [job for job in _jobs.values() if job.waiting]
    if any(job.visitor == visitor for job in waiting):
        raise UserError(
            "the server is busy: something you asked for (a map, figures, a test) is still waiting its "
            "turn; once it has started, ask for the next one"
        )
    if len(waiting) >= MAX_WAITING:
        raise UserError(
            f"the server is busy: {len(waiting)} long computations are already waiting their turn, and it "
            "runs one at a time; try again in a minute or two"
        )


def _forget_old() -> None:
    """Drop finished jobs past FINISHED_SECONDS, and the oldest finished past MAX_FINISHED."""
    now = time.monotonic()
    finished = sorted(
        (job for job in _jobs.values() if job._done.is_set() and job.finished_at is not None),
        key=lambda job: job.finished_at,
    )
    for position, job in enumerate(finished):
        if now - job.finished_at > FINISHED_SECONDS or position < len(finished) - MAX_FINISHED:
            del _jobs[job.key]


def failure_message(error: Exception) -> str:
    """Why a job failed, in words fit for its page (which says what the job was): never a path on
    the server."""
    if isinstance(error, UserError):
        return str(error)
    if isinstance(error, MemoryError):
        return "the server ran out of memory; try again when it is less busy"
    if isinstance(error, OSError):
        reason = error.strerror or ""
        return f"{type(error).__name__}: {reason}" if reason else type(error).__name__
    return f"an unexpected failure ({type(error).__name__}); the details are in the server's log"
