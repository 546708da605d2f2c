"""Training on a real Ray cluster: a head and two worker nodes, all on loopback.

The head has no CPUs, so every job runs on a worker node, in a worker process of its own.
"""

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from mnist_app import settings
from mnist_app.datasets.dataset import Dataset

pytestmark = pytest.mark.cluster


@pytest.fixture(scope="module")
def small(sample):
    """A fifth of the sample: jobs end in seconds even on two busy cores."""
    return Dataset("small", "test", sample.x_train[::5], sample.y_train[::5], sample.x_test, sample.y_test)


def test_a_job_trains_on_a_worker_node_streams_its_curve_and_returns_a_model(ray_cluster, small):
    from mnist_app.jobs import cluster
    from mnist_app.learning.evaluation import evaluate
    from mnist_app.learning.training import TrainConfig

    _, worker_nodes = ray_cluster
    progress, placements = [], []
    result = cluster.train(
        small, TrainConfig("mlp", epochs=3, batch_size=32), progress.append, on_placed=placements.append
    )
    assert placements and placements[0].node_id in worker_nodes, "a worker node, not the head"
    assert placements[0].pid != os.getpid()
    assert len(progress) >= 3 and any(0 < point.epoch < 1 for p in progress for point in p.points)
    assert result.epochs_completed == 3 and not result.stopped_early
    assert evaluate(result.model, small.x_test, small.y_test).accuracy == pytest.approx(
        result.test_accuracy, abs=1e-6
    )
    assert result.test_accuracy > 0.7


def test_stop_reaches_the_worker_and_the_model_so_far_comes_back(ray_cluster, small):
    from mnist_app.jobs import cluster
    from mnist_app.learning.training import TrainConfig

    stop, stopped_at = threading.Event(), []

    def stop_after_first_points(progress):
        if not stop.is_set():
            stop.set()
            stopped_at.append(time.monotonic())

    result = cluster.train(
        small, TrainConfig("mlp", epochs=500, batch_size=32), stop_after_first_points, stop
    )
    assert result.stopped_early and result.epochs_completed < 500
    assert time.monotonic() - stopped_at[0] < 10, "Stop reached the worker within seconds"
    assert result.model.predict_on_batch(small.x_test[:4] / 255).shape == (4, 10)


def test_a_worker_killed_mid_job_fails_the_job_with_a_reason(ray_cluster, small):
    from mnist_app.jobs import cluster
    from mnist_app.learning.training import TrainConfig

    killed = []

    def kill_the_worker(placement):
        os.kill(placement.pid, signal.SIGKILL)
        killed.append(placement.pid)

    began = time.monotonic()
    with pytest.raises(cluster.ClusterError, match="failed on the Ray cluster") as failure:
        cluster.train(small, TrainConfig("mlp", epochs=500, batch_size=32), on_placed=kill_the_worker)
    assert killed and time.monotonic() - began < 60
    assert "died" in str(failure.value) or "crash" in str(failure.value).lower()


def test_jobs_at_once_spread_over_the_nodes_and_queue_beyond_them(ray_cluster, small):
    from mnist_app.jobs.training_job import DONE, QUEUED, TrainingJob, TrainingQueue
    from mnist_app.learning.training import TrainConfig

    _, worker_nodes = ray_cluster
    queue = TrainingQueue(1)
    jobs = [TrainingJob(small, TrainConfig("mlp", epochs=2), queue=queue).start() for _ in range(3)]
    saw_a_queue = False
    deadline = time.monotonic() + 180
    while any(job.snapshot().active for job in jobs) and time.monotonic() < deadline:
        snapshots = [job.snapshot() for job in jobs]
        saw_a_queue |= any(s.state == QUEUED and s.queue_position == 1 and s.at_once == 2 for s in snapshots)
        time.sleep(0.05)
    snapshots = [job.snapshot() for job in jobs]
    assert [s.state for s in snapshots] == [DONE] * 3, [s.error for s in snapshots]
    assert queue.slots == 2, "the queue holds as many at once as the cluster's two worker CPUs"
    assert saw_a_queue, "the third job waited its turn, with its place shown"
    nodes = {s.placement.split()[1] for s in snapshots}
    assert {node[:8] for node in worker_nodes} == nodes


def test_the_command_line_trains_on_the_cluster_and_saves_here(ray_cluster, tmp_path):
    output = tmp_path / "from-the-cluster.keras"
    env = {**os.environ, "MNIST_APP_MODELS_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "mnist_app", "train", "--dataset", "mnist-sample", "--epochs", "1",
         "--output", str(output)],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "training on the Ray cluster at" in done.stderr and "worker process" in done.stderr
    from mnist_app.learning.model_files import load_model, read_metadata

    assert load_model(output).count_params() == 694_950
    assert read_metadata(output)["epochs_completed"] == 1


def test_fine_tuning_sends_the_base_model_with_the_job(ray_cluster, small, trained_mlp, tmp_path):
    from mnist_app.jobs import cluster
    from mnist_app.learning.model_files import save_model
    from mnist_app.learning.training import TrainConfig

    base = save_model(trained_mlp.model, tmp_path / "base.keras", trained_mlp.metadata())
    tuned = cluster.train(small, TrainConfig("mlp", epochs=1, learning_rate=3e-4, base=str(base)))
    assert tuned.metadata()["fine_tuned_from"] == "base"
    assert tuned.test_accuracy > 0.85, "it started from the trained model, not from scratch"


def test_an_unreachable_cluster_is_said_plainly_and_nothing_trains_here(tmp_path):
    from tests.support.browser import free_port

    env = {
        **os.environ,
        "MNIST_APP_RAY_ADDRESS": f"127.0.0.1:{free_port()}",
        "MNIST_APP_MODELS_DIR": str(tmp_path),
    }
    began = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "mnist_app", "train", "--dataset", "mnist-sample", "--epochs", "1"],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert done.returncode == 2
    assert "cannot reach the Ray cluster at 127.0.0.1:" in done.stderr
    assert not list(tmp_path.glob("*.keras")), "no quiet fallback to training on this machine"
    assert time.monotonic() - began < 120


def test_without_the_setting_ray_is_never_imported():
    code = (
        "import sys; from mnist_app.jobs.training_job import TrainingJob; import mnist_app.cli, mnist_app.web.page_jobs;"
        "print('ray' in sys.modules)"
    )
    env = {key: value for key, value in os.environ.items() if key != "MNIST_APP_RAY_ADDRESS"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert done.stdout.strip() == "False", done.stderr


@pytest.mark.parametrize("setting", ["no-port-here", "ray://127.0.0.1:notaport", "127.0.0.1:99999999"])
def test_a_malformed_address_is_named_in_the_message(monkeypatch, setting):
    from mnist_app.jobs import cluster

    monkeypatch.setenv(settings.RAY_ADDRESS, setting)
    with pytest.raises(cluster.ClusterError, match="MNIST_APP_RAY_ADDRESS|cannot reach"):
        cluster._check_reachable(setting)


def test_a_job_no_node_has_room_for_is_refused_at_once(ray_cluster, monkeypatch):
    from mnist_app.jobs import cluster

    monkeypatch.setenv(settings.RAY_CPUS_PER_JOB, "2")
    with pytest.raises(cluster.ClusterError, match="no node of the Ray cluster .* has the 2 CPUs"):
        cluster.capacity()


def test_stop_on_a_job_still_waiting_for_room_cancels_it(ray_cluster, small):
    """Both worker nodes busy: a third job waits in Ray; Stop ends it with nothing trained."""
    from mnist_app.jobs import cluster
    from mnist_app.learning.training import TrainConfig

    stops = [threading.Event(), threading.Event()]
    placed = threading.Semaphore(0)
    busy = [
        threading.Thread(
            target=cluster.train,
            args=(small, TrainConfig("mlp", epochs=500), None, stop),
            kwargs={"on_placed": lambda _: placed.release()},
        )
        for stop in stops
    ]
    for thread in busy:
        thread.start()
    try:
        assert placed.acquire(timeout=120) and placed.acquire(timeout=120), "both nodes took a job"
        waiting = threading.Event()
        threading.Timer(2.0, waiting.set).start()
        began = time.monotonic()
        with pytest.raises(cluster.StoppedBeforeStart):
            cluster.train(small, TrainConfig("mlp", epochs=1), stop=waiting)
        assert time.monotonic() - began < 10
    finally:
        for stop in stops:
            stop.set()
        for thread in busy:
            thread.join(120)


@pytest.mark.parametrize("answer", [None, b"HTTP/1.1 400 Bad Request\r\n\r\n"], ids=["silent", "not-grpc"])
def test_an_address_where_something_else_listens_is_refused_in_seconds(monkeypatch, answer):
    """Ray itself would retry such an address for minutes."""
    import socket

    from mnist_app.jobs import cluster

    listener = socket.create_server(("127.0.0.1", 0))
    address = f"127.0.0.1:{listener.getsockname()[1]}"

    def serve():
        connection, _ = listener.accept()
        with connection:
            if answer:
                connection.recv(64)
                connection.sendall(answer)
            else:
                time.sleep(cluster.PROBE_TIMEOUT_S + 1)

    threading.Thread(target=serve, daemon=True).start()
    began = time.monotonic()
    with pytest.raises(cluster.ClusterError, match=f"cannot reach the Ray cluster at {address}"):
        cluster._check_reachable(address)
    assert time.monotonic() - began < cluster.PROBE_TIMEOUT_S + 2
    listener.close()


@pytest.fixture
def not_ray():
    """A listener that greets as HTTP/2 (so as gRPC, so as Ray) does, then says nothing more:
    the probe passes, and Ray's own connection finds no Ray. Yields its address."""
    import socket

    from mnist_app.jobs import cluster

    listener = socket.create_server(("127.0.0.1", 0))
    connections = []

    def serve():
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            connections.append(connection)
            with contextlib.suppress(OSError):
                connection.recv(len(cluster.HTTP2_GREETING))
                connection.sendall(cluster.HTTP2_GREETING[-9:])  # An empty SETTINGS frame.

    threading.Thread(target=serve, daemon=True).start()
    yield f"127.0.0.1:{listener.getsockname()[1]}"
    listener.close()
    for connection in connections:
        connection.close()


@pytest.fixture
def ray_that_never_connects(monkeypatch, not_ray):
    """A `ray` whose `init` blocks until the test releases it (the real one, past the probe,
    once retried for minutes), pointed at the listener; the deadline cut to three seconds.
    Yields (the module, the release, the calls to init)."""
    import types

    from mnist_app.jobs import cluster

    release, calls = threading.Event(), []
    ray = types.ModuleType("ray")
    ray.is_initialized = lambda: bool(calls) and release.is_set()
    ray.init = lambda **options: calls.append(options) or release.wait()
    monkeypatch.setitem(sys.modules, "ray", ray)
    monkeypatch.setenv(settings.RAY_ADDRESS, not_ray)
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT_S", 3.0)
    monkeypatch.setattr(cluster, "_attempts", [])
    yield ray, release, calls
    release.set()


def test_a_connection_ray_never_completes_fails_at_its_deadline_and_is_not_started_twice(
    ray_that_never_connects, not_ray
):
    from mnist_app.jobs import cluster

    ray, release, calls = ray_that_never_connects
    began = time.monotonic()
    with pytest.raises(
        cluster.ClusterError, match=f"cannot reach the Ray cluster at {not_ray}: .* within 3 s"
    ):
        cluster.connect()
    assert time.monotonic() - began < 10, "at the deadline, not when Ray gives up after minutes"

    began = time.monotonic()
    with pytest.raises(cluster.ClusterError, match="did not connect within"):
        cluster.capacity()
    assert time.monotonic() - began < 2, "the attempt past its deadline is not waited on again"
    assert len(calls) == 1 and calls[0]["address"] == not_ray, "nor started again beside it"

    release.set()
    assert cluster._attempts[0].finished.wait(1)
    assert cluster.connect() is ray, "a connection that ends late is used"
    assert len(calls) == 1


def test_a_job_whose_cluster_ray_cannot_connect_to_fails_at_the_deadline(
    ray_that_never_connects, not_ray, small
):
    from mnist_app.jobs.training_job import FAILED, TrainingJob
    from mnist_app.learning.training import TrainConfig

    began = time.monotonic()
    job = TrainingJob(small, TrainConfig("mlp", epochs=1)).start()
    while job.snapshot().active and time.monotonic() - began < 60:
        time.sleep(0.05)
    snapshot = job.snapshot()
    assert snapshot.state == FAILED and f"cannot reach the Ray cluster at {not_ray}" in snapshot.error
    assert time.monotonic() - began < 15, "at the deadline, not when Ray gives up after minutes"


def test_a_listener_that_greets_like_ray_but_is_not_fails_the_command_within_the_deadline(not_ray, tmp_path):
    """Real Ray against it: the probe passes, and Ray's connection would retry for minutes."""
    from mnist_app.jobs import cluster

    env = {**os.environ, settings.RAY_ADDRESS: not_ray, "MNIST_APP_MODELS_DIR": str(tmp_path)}
    began = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "mnist_app", "train", "--dataset", "mnist-sample", "--epochs", "1"],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    took = time.monotonic() - began
    assert done.returncode == 2, done.stderr
    assert f"cannot reach the Ray cluster at {not_ray}: the port answers HTTP/2" in done.stderr
    assert f"did not connect within {cluster.CONNECT_TIMEOUT_S:.0f} s" in done.stderr
    assert took < cluster.CONNECT_TIMEOUT_S + 30, f"the command ended {took:.0f} s after it began"
    assert not list(tmp_path.glob("*.keras"))


@pytest.mark.parametrize(
    ("arch", "text", "gpu"),
    [
        ("cnn", "", True),
        ("built", "conv:6:5:relu:1:same,pool:2,flatten,dense:84", True),
        ("mlp", "", False),
        ("built", "pool:2,flatten,dense:64", False),
        ("built", "", False),
    ],
)
def test_a_convolutional_network_asks_for_a_gpu_where_the_cluster_has_one(arch, text, gpu):
    """The choice follows the layers: any network that convolves, the CNN or one built on Build."""
    from mnist_app.jobs import cluster
    from mnist_app.learning.designs import parse_text
    from mnist_app.learning.training import TrainConfig

    class Ray:
        def __init__(self, gpus):
            self.gpus = gpus

        def cluster_resources(self):
            return {"CPU": 8, "GPU": self.gpus}

    config = TrainConfig(arch, layers=parse_text(text) if arch == "built" else ())
    assert ("num_gpus" in cluster._resources(Ray(1), config)) is gpu
    assert "num_gpus" not in cluster._resources(Ray(0), config)
