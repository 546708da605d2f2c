"""The training job: runs apart from the page, reports, stops on request, queues behind others."""

import json
import subprocess
import sys
import threading
import time

import pytest

from mnist_app.jobs.queue import QueueFull
from mnist_app.jobs.training_job import (
    DONE,
    FAILED,
    QUEUED,
    RUNNING,
    STOPPED,
    TrainingJob,
    TrainingQueue,
    start_together,
)
from mnist_app.learning.training import TrainConfig
from tests.support import REPO


def wait_for(condition, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_job_runs_on_its_own_thread_and_hands_over_its_result(sample):
    saved = []
    job = TrainingJob(
        sample,
        TrainConfig("mlp", epochs=1),
        on_result=lambda r: saved.append(r) or "m1",
        queue=TrainingQueue(1),
    )
    assert job.snapshot().state == QUEUED
    job.start()
    assert job._thread is not threading.current_thread()
    job.join(120)
    snapshot = job.snapshot()
    assert snapshot.state == DONE and snapshot.saved_as == "m1"
    assert snapshot.result is saved[0] and snapshot.result.test_accuracy > 0.8
    assert {p.split for p in snapshot.curve} == {"train", "validation"}


def test_stop_ends_a_running_job_within_two_seconds(sample):
    job = TrainingJob(sample, TrainConfig("mlp", epochs=50), queue=TrainingQueue(1)).start()
    assert wait_for(lambda: job.snapshot().state == RUNNING and job.snapshot().curve)
    asked = time.monotonic()
    job.stop()
    assert wait_for(lambda: not job.snapshot().active, timeout=10)
    assert time.monotonic() - asked < 2.0
    snapshot = job.snapshot()
    assert snapshot.state == STOPPED and snapshot.result.stopped_early


def test_second_job_waits_in_the_queue_until_the_first_ends(sample):
    queue = TrainingQueue(1)
    first = TrainingJob(sample, TrainConfig("mlp", epochs=50), queue=queue).start()
    assert wait_for(lambda: first.snapshot().state == RUNNING)
    second = TrainingJob(sample, TrainConfig("mlp", epochs=1), queue=queue).start()
    assert wait_for(lambda: second.snapshot().queue_position == 1)
    assert second.snapshot().state == QUEUED
    first.stop()
    assert wait_for(lambda: second.snapshot().state in (RUNNING, DONE))
    second.join(120)
    assert second.snapshot().state == DONE


def test_stopping_a_queued_job_leaves_the_queue(sample):
    queue = TrainingQueue(1)
    first = TrainingJob(sample, TrainConfig("mlp", epochs=50), queue=queue).start()
    assert wait_for(lambda: first.snapshot().state == RUNNING)
    waiting = TrainingJob(sample, TrainConfig("mlp", epochs=1), queue=queue).start()
    assert wait_for(lambda: waiting.snapshot().queue_position == 1)
    waiting.stop()
    assert wait_for(lambda: waiting.snapshot().state == STOPPED)
    assert waiting.snapshot().result is None
    first.stop()
    first.join(30)


def test_failure_while_saving_is_reported_not_lost(sample):
    def fail(result):
        raise OSError("disk full")

    job = TrainingJob(sample, TrainConfig("mlp", epochs=1), on_result=fail, queue=TrainingQueue(1)).start()
    job.join(120)
    snapshot = job.snapshot()
    assert snapshot.state == FAILED and "disk full" in snapshot.error


def test_a_failed_job_says_why_without_the_servers_paths(sample, caplog):
    """What a job's page shows: the system's reason or the kind of bug, never a server path."""
    folder = "/srv/mnist-app/models"
    failures = [PermissionError(13, "Permission denied", f"{folder}/.mlp.tmp.keras"), KeyError(f"{folder}/x")]
    said = []
    for failure in failures:

        def fail(result, failure=failure):
            raise failure

        job = TrainingJob(
            sample, TrainConfig("mlp", epochs=1), on_result=fail, queue=TrainingQueue(1)
        ).start()
        job.join(120)
        said.append(job.snapshot().error)
    assert said == [
        "PermissionError: Permission denied",
        "an unexpected failure (KeyError); the details are in the server's log",
    ]
    assert folder in caplog.text, "the server's log has the whole story"


def test_abandoned_job_stops_by_itself(sample):
    """Nobody left to press Stop (the browser session is gone): the job stops and saves."""
    job = TrainingJob(sample, TrainConfig("mlp", epochs=50), queue=TrainingQueue(1), abandoned=lambda: True)
    job.start()
    assert wait_for(lambda: not job.snapshot().active, timeout=20)
    assert job.snapshot().state == STOPPED


def test_job_is_in_line_as_soon_as_it_starts(sample):
    queue = TrainingQueue(1)
    first = TrainingJob(sample, TrainConfig("mlp", epochs=50), queue=queue).start()
    second = TrainingJob(sample, TrainConfig("mlp", epochs=1), queue=queue).start()
    assert second.snapshot().queue_position in (1, 2)
    second.stop()
    first.stop()
    first.join(30)
    second.join(30)


def test_a_visitors_jobs_are_queued_together_or_not_at_all(sample):
    """Both networks of one Train run, past the visitor's limit: neither is queued, none runs."""
    queue = TrainingQueue(1, per_visitor=2)
    queue.join("their first job", visitor="a")
    assert queue.acquire("their first job", threading.Event())
    pair = [
        TrainingJob(sample, TrainConfig(arch, epochs=1), queue=queue, visitor="a") for arch in ("mlp", "cnn")
    ]
    with pytest.raises(QueueFull, match="; you have 1 and ask for 2 more: wait for one to end"):
        start_together(pair)
    assert [queue.position(job) for job in pair] == [0, 0]
    assert not any(job._thread.is_alive() for job in pair)
    other = TrainingJob(sample, TrainConfig("mlp", epochs=1), queue=queue, visitor="b").start()
    assert other.snapshot().queue_position == 1 and other.visitor == "b"
    other.stop()
    other.join(30)
    assert other.snapshot().state == STOPPED and queue.position(other) == 0


EXIT_WHILE_TRAINING = """
import sys, time
from mnist_app.datasets.sources import load_mnist_sample
from mnist_app.jobs.training_job import TrainingJob
from mnist_app.learning.training import TrainConfig

def hand_over(result):
    open(sys.argv[1], "w").write(f"{result.epochs_completed} {result.stopped_early}")
    return "kept"

job = TrainingJob(load_mnist_sample(), TrainConfig("mlp", epochs=100), on_result=hand_over).start()
while job.snapshot().fraction == 0:
    time.sleep(0.05)
"""


def test_python_exits_cleanly_while_a_job_trains(tmp_path):
    """Exit stops the job as Stop would; cut off inside TensorFlow, it would abort Python."""
    handed_over = tmp_path / "result.txt"
    finished = subprocess.run(
        [sys.executable, "-c", EXIT_WHILE_TRAINING, str(handed_over)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert finished.returncode == 0, finished.stderr[-2000:]
    assert handed_over.read_text().endswith("True")


IMPORT_ONLY = """
import atexit, json, threading
import mnist_app.learning.training  # Keras and TensorFlow, with whatever they register themselves
threads, hooks = threading.active_count(), atexit._ncallbacks()
import mnist_app.jobs.training_job
print(json.dumps([threading.active_count() - threads, atexit._ncallbacks() - hooks]))
"""


def test_importing_starts_no_thread_and_registers_no_exit_hook():
    imported = subprocess.run(
        [sys.executable, "-c", IMPORT_ONLY], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert imported.returncode == 0, imported.stderr[-2000:]
    assert json.loads(imported.stdout.strip().splitlines()[-1]) == [0, 0]


def test_the_jobs_of_a_process_share_one_queue_made_when_first_needed(sample):
    from mnist_app.jobs.training_job import training_queue

    first = TrainingJob(sample, TrainConfig("mlp", epochs=1))
    assert first.queue is training_queue() is TrainingJob(sample, TrainConfig("mlp", epochs=1)).queue
