"""Training jobs on a Ray cluster, when `MNIST_APP_RAY_ADDRESS` names one.

A classroom outgrows one machine's cores; a Ray cluster (`ray start --head`, then
`ray start --address=...` on each worker) spreads the jobs over many. Unset, nothing here
imports Ray and training stays in the server's process.

A job is one Ray task. The dataset travels with it through Ray's object store, and a saved
model to fine-tune as bytes, so workers need neither the data nor the server's disk. Curve
points and the Stop request go through one small actor per server process (`mailbox`), which
both sides poll a few times a second. The trained model comes back as `.keras` bytes that the
server loads with Keras' safe mode on and saves itself. A worker that dies, a node that leaves, a cluster that cannot be
reached: each ends the job with a `ClusterError` that says so; there is no quiet fallback to
training on the server.
"""

from __future__ import annotations

import contextlib
import os
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import astuple, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from mnist_app import settings
from mnist_app.errors import UserError
from mnist_app.jobs.mailbox import PostOffice
from mnist_app.jobs.progress_events import as_event, from_event

if TYPE_CHECKING:  # Checking the setting must not wait for TensorFlow.
    from mnist_app.datasets.dataset import Dataset
    from mnist_app.learning.training import Progress, TrainConfig, TrainResult

NAMESPACE = "mnist-app"
POLL_S = 0.2
# How long a call to the cluster may take before the cluster counts as gone.
CALL_TIMEOUT_S = 30.0
# How long connecting to it may take, whatever Ray does underneath.
CONNECT_TIMEOUT_S = 30.0
PROBE_TIMEOUT_S = 5.0
# HTTP/2's connection preface and an empty SETTINGS frame; a gRPC server answers with its own.
HTTP2_GREETING = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes([0, 0, 0, 4, 0, 0, 0, 0, 0])
HTTP2_SETTINGS = 4
PACKAGE_DIR = Path(__file__).resolve().parent.parent
# TensorFlow's own switch that decides how a job trains (`precision`), passed on as it is.
ONEDNN_SETTING = "TF_ENABLE_ONEDNN_OPTS"


class ClusterError(UserError):
    """The cluster could not be reached, or lost the job; the message says which."""


class StoppedBeforeStart(ClusterError):
    """Stop was pressed while the job still waited for room on the cluster: nothing trained."""


def configured() -> bool:
    """Whether jobs train on a cluster (`settings.ray_address`: `ray://host:10001`, `host:6379`, `auto`)."""
    return bool(settings.ray_address())


@dataclass(frozen=True)
class Placement:
    """Where a job trains: the Ray node, its address, and the worker process."""

    node_id: str
    host: str
    pid: int

    def __str__(self) -> str:
        return f"node {self.node_id[:8]} ({self.host}, worker process {self.pid})"


_connecting = threading.Lock()
_post_office = []
_attempts: list[_Attempt] = []  # The latest `ray.init`, which may outlive its deadline.


class _Attempt:
    """One `ray.init`, on a thread of its own so that its callers can give up on it in time.

    Past the probe, Ray connects on to the addresses the cluster gives for its nodes, and
    where it cannot reach them it retries for many minutes. Callers wait until the attempt's
    deadline at most; an attempt past it is left to end on its own (connected, or failed
    for the next caller to start another), so that two never run at once.
    """

    def __init__(self, ray, where: str):
        self.where = where
        self.deadline = time.monotonic() + CONNECT_TIMEOUT_S
        self.error: BaseException | None = None
        self.finished = threading.Event()
        threading.Thread(target=self._connect, args=(ray,), name="ray-init", daemon=True).start()

    def _connect(self, ray) -> None:
        try:
            ray.init(
                address=self.where,
                namespace=NAMESPACE,
                log_to_driver=False,
                logging_level="ERROR",
                runtime_env=_runtime_env(),
            )
        except BaseException as error:  # Ray raises ConnectionError, RuntimeError, ValueError...
            self.error = error
        finally:
            self.finished.set()

    def wait(self) -> None:
        """Return once connected; ClusterError on failure, or at the deadline."""
        if not self.finished.wait(max(0.0, self.deadline - time.monotonic())):
            probed = "" if self.where == "auto" else "the port answers HTTP/2 as Ray's does, but "
            raise ClusterError(
                f"cannot reach the Ray cluster at {self.where}: {probed}Ray did not connect within "
                f"{CONNECT_TIMEOUT_S:.0f} s (past the port, Ray connects to the addresses the cluster "
                "gives for its nodes: can this machine reach them?)"
            )
        if self.error is not None:
            raise ClusterError(f"cannot reach the Ray cluster at {self.where}: {_reason(self.error)}")


def connect():
    """Ray, connected to the configured cluster (once a process); ClusterError if it cannot
    be, within CONNECT_TIMEOUT_S."""
    import ray

    with _connecting:
        if ray.is_initialized():
            return ray
        if not _attempts or _attempts[0].finished.is_set():
            _post_office.clear()  # A post office of an earlier connection is gone with it.
            _check_reachable(settings.ray_address())
            _attempts[:] = [_Attempt(ray, settings.ray_address())]
        attempt = _attempts[0]
    attempt.wait()
    return ray


def _runtime_env() -> dict:
    """The app's code for every worker, and the server's choices that change how a job trains."""
    bfloat16 = settings.bfloat16()
    passed_on = {} if bfloat16 is None else {settings.BFLOAT16: "1" if bfloat16 else "0"}
    if ONEDNN_SETTING in os.environ:
        passed_on[ONEDNN_SETTING] = os.environ[ONEDNN_SETTING]
    return {"py_modules": [str(PACKAGE_DIR)], "excludes": ["__pycache__"], "env_vars": passed_on}


def _check_reachable(where: str) -> None:
    """Fail in seconds where no Ray answers: Ray itself retries for minutes, even against a
    server of another kind. Ray's head and Ray Client both speak gRPC, so the address must
    answer HTTP/2's greeting with its own."""
    if where == "auto":
        return
    host, _, port = where.removeprefix("ray://").rpartition(":")
    try:
        number = int(port)
        if not host or not 0 < number < 65536:
            raise ValueError(port)
        with socket.create_connection((host.strip("[]"), number), timeout=PROBE_TIMEOUT_S) as connection:
            connection.sendall(HTTP2_GREETING)
            reply = connection.recv(9)
    except ValueError:
        raise ClusterError(
            f"{settings.RAY_ADDRESS}={where!r} is not host:port, ray://host:port or auto"
        ) from None
    except OSError as error:
        raise ClusterError(f"cannot reach the Ray cluster at {where}: {error.strerror or error}") from None
    if len(reply) < 9 or reply[3] != HTTP2_SETTINGS:
        raise ClusterError(f"cannot reach the Ray cluster at {where}: something answers there, but not Ray")


def capacity() -> int:
    """How many jobs the cluster trains at once: on each live node, its CPUs over a job's.

    A cluster where no node has room for one job is an error now, not a job that waits
    for ever.
    """
    ray = connect()
    try:
        nodes = [node for node in ray.nodes() if node.get("Alive")]
    except Exception as error:
        raise ClusterError(
            f"the Ray cluster at {settings.ray_address()} does not answer: {_reason(error)}"
        ) from None
    per_job = settings.ray_cpus_per_job()
    room = sum(int(node.get("Resources", {}).get("CPU", 0)) // per_job for node in nodes)
    if room == 0:
        raise ClusterError(
            f"no node of the Ray cluster at {settings.ray_address()} has the {per_job} CPU{'s' * (per_job > 1)} "
            f"a job asks for ({settings.RAY_CPUS_PER_JOB})"
        )
    return room


def train(
    dataset: Dataset,
    config: TrainConfig,
    on_progress: Callable[[Progress], None] | None = None,
    stop: threading.Event | None = None,
    seed: int | None = None,
    on_placed: Callable[[Placement], None] | None = None,
) -> TrainResult:
    """`training.train`, run as a Ray task on the cluster; blocks until the job ends."""
    config.validate()
    ray = connect()
    base = Path(config.base).read_bytes() if config.base else b""
    job_id = uuid.uuid4().hex
    try:
        post_office = _open_post_office(ray)
        ray.get(post_office.open.remote(job_id), timeout=CALL_TIMEOUT_S)
        task = _task(ray).options(**_resources(ray, config))
        job = task.remote(dataset, replace(config, base=""), base, post_office, job_id, seed)
    except Exception as error:
        with _connecting:
            _post_office.clear()
        raise ClusterError(
            f"the Ray cluster at {settings.ray_address()} did not take the job: {_reason(error)}"
        ) from None
    try:
        payload = _follow(ray, job, post_office, job_id, on_progress, stop, on_placed)
    finally:
        with contextlib.suppress(Exception):  # The post office may have gone with its node.
            post_office.close.remote(job_id)
    from mnist_app.learning.model_files import model_from_bytes

    return replace(payload["result"], model=model_from_bytes(payload["model"]), config=config)


def _open_post_office(ray):
    """This server's post office actor, started on first use and again if it died."""
    with _connecting:
        if not _post_office:
            # No CPU of its own: it must never wait behind the jobs it serves.
            _post_office.append(ray.remote(num_cpus=0)(PostOffice).remote())
        return _post_office[0]


def _follow(ray, job, post_office, job_id, on_progress, stop, on_placed) -> dict:
    """Relay the job's placement and curve points, pass on Stop, and return what it returns.

    Stop reaches a running job through the post office; a job still waiting for room on
    the cluster is cancelled instead, and `StoppedBeforeStart` says nothing was trained.
    """
    asked_to_stop, placed = False, False
    try:
        while True:
            finished, _ = ray.wait([job], timeout=POLL_S)
            placement, events = ray.get(post_office.take.remote(job_id), timeout=CALL_TIMEOUT_S)
            if placement is not None:
                placed = True
                if on_placed is not None:
                    on_placed(Placement(*placement))
            for event in events:
                if on_progress is not None:
                    on_progress(from_event(event))
            if stop is not None and stop.is_set() and not asked_to_stop:
                if not placed and not finished:
                    ray.cancel(job, force=True)
                    raise StoppedBeforeStart(
                        "stopped while waiting for room on the cluster; nothing was trained"
                    )
                post_office.ask_to_stop.remote(job_id)
                asked_to_stop = True
            if finished:
                return ray.get(job, timeout=CALL_TIMEOUT_S)
    except StoppedBeforeStart:
        raise
    except Exception as error:
        if isinstance(error, ray.exceptions.RayActorError):
            with _connecting:
                _post_office.clear()
        raise ClusterError(f"the training job failed on the Ray cluster: {_reason(error)}") from None


def _resources(ray, config: TrainConfig) -> dict:
    """What a job asks Ray for: CPUs, and a GPU for a convolutional network where the cluster has GPUs."""
    wanted = {"num_cpus": settings.ray_cpus_per_job(), "max_retries": 0}
    if config.convolutional and ray.cluster_resources().get("GPU", 0) >= 1:
        wanted["num_gpus"] = 1
    return wanted


def train_on_worker(
    dataset: Dataset, config: TrainConfig, base: bytes, post_office, job_id: str, seed
) -> dict:
    """The Ray task's body: train as the server would, posting progress; return the model as bytes."""
    import ray

    from mnist_app.learning.model_files import model_bytes
    from mnist_app.learning.training import train as train_here

    placement = Placement(ray.get_runtime_context().get_node_id(), _host(), os.getpid())
    post_office.placed.remote(job_id, astuple(placement))
    stop = threading.Event()
    watcher = threading.Thread(target=_watch_for_stop, args=(ray, post_office, job_id, stop), daemon=True)
    watcher.start()

    def post(progress: Progress) -> None:
        post_office.post.remote(job_id, as_event(progress))

    with tempfile.TemporaryDirectory(prefix="mnist-app-job-") as folder:
        if base:
            path = Path(folder) / "base.keras"
            path.write_bytes(base)
            config = replace(config, base=str(path))
        try:
            result = train_here(dataset, config, post, stop, seed)
        finally:
            stop.set()
    return {"model": model_bytes(result.model), "result": replace(result, model=None)}


def _watch_for_stop(ray, post_office, job_id: str, stop: threading.Event) -> None:
    """Stop when the server asks, or when its post office is gone (the server with it)."""
    while not stop.wait(POLL_S):
        try:
            if ray.get(post_office.stop_asked.remote(job_id), timeout=CALL_TIMEOUT_S):
                stop.set()
        except ray.exceptions.GetTimeoutError:
            continue  # A busy post office is not a Stop.
        except Exception:
            stop.set()


def _host() -> str:
    try:
        import ray

        return ray.util.get_node_ip_address()
    except Exception:
        return socket.gethostname()


def _task(ray):
    return ray.remote(train_on_worker)


def _reason(error: BaseException) -> str:
    """One line on why, without Ray's multi-line tracebacks; a task's own error by its name."""
    cause = getattr(error, "cause", None)
    if isinstance(cause, BaseException):
        error = cause
    text = str(error).strip().splitlines()
    first = next((line.strip() for line in text if line.strip()), "")
    return f"{type(error).__name__}: {first}"[:300] if first else type(error).__name__
