"""Trainer processes: a job trains in a process of its own with the threads its network wants,
reports as it goes, stops on request, and a process that dies ends its job with a message."""

import os
import threading
import time

import pytest

from mnist_app.errors import UserError
from mnist_app.jobs import trainer_processes
from mnist_app.jobs.trainer_processes import TrainerGone
from mnist_app.jobs.training_job import DONE, TrainingJob, TrainingQueue, local_trainer
from mnist_app.learning import thread_choice
from mnist_app.learning.designs import PRESETS
from mnist_app.learning.training import TrainConfig, train

TINY = TrainConfig("built", epochs=1, layers=PRESETS["A tiny CNN"], train_size=1000)


def _busy_pids() -> set[int]:
    return {trainer.process.pid for trainer in trainer_processes._busy}


def _idle_pids() -> set[int]:
    return {trainer.process.pid for trainer in trainer_processes._idle}


def test_a_job_trains_in_a_trainer_process_which_the_next_job_of_its_threads_reuses(sample):
    progress = []
    first = trainer_processes.train(sample, TINY, progress.append, intra_op_threads=1)
    assert first.model is not None and first.config == TINY
    assert first.epochs_completed == 1 and first.test_accuracy > 0.2
    assert any(event.points for event in progress), "the curve's points arrive while it trains"
    kept = _idle_pids()
    assert kept and os.getpid() not in kept
    trainer_processes.train(sample, TINY, intra_op_threads=1)
    assert _idle_pids() == kept, "the idle trainer process served the second job"


def test_stop_reaches_the_trainer_process_and_the_model_so_far_comes_back(sample):
    stop = threading.Event()
    config = TrainConfig("built", epochs=30, layers=PRESETS["A tiny CNN"])
    progress = []

    def stop_after_first_points(event):
        progress.append(event)
        if event.points:
            stop.set()

    result = trainer_processes.train(sample, config, stop_after_first_points, stop, intra_op_threads=1)
    assert result.stopped_early and result.epochs_completed < 30
    assert result.model is not None


def test_a_stop_asked_before_the_job_began_is_never_lost(sample):
    config = TrainConfig("built", epochs=8, layers=PRESETS["A tiny CNN"], train_size=300)
    for _ in range(3):
        stop = threading.Event()
        stop.set()
        result = trainer_processes.train(sample, config, stop=stop, intra_op_threads=1)
        assert result.stopped_early and result.epochs_completed < 8


def test_a_trainer_process_that_dies_ends_its_job_with_a_message(sample):
    config = TrainConfig("built", epochs=30, layers=PRESETS["A tiny CNN"])
    killed = []

    def kill_once_training(event):
        if not killed:
            pid = next(iter(_busy_pids()))
            os.kill(pid, 9)
            killed.append(pid)

    with pytest.raises(TrainerGone, match="ended in the middle of the job"):
        trainer_processes.train(sample, config, kill_once_training, intra_op_threads=1)
    assert killed[0] not in _idle_pids() | _busy_pids(), "a dead trainer process is never handed out again"
    assert trainer_processes.train(sample, TINY, intra_op_threads=1).epochs_completed == 1


def test_a_refusal_in_the_trainer_process_reaches_the_server_in_its_words(sample):
    config = TrainConfig("built", epochs=1, layers=PRESETS["A tiny CNN"], base="/nonexistent/base.keras")
    trainer_processes.train(sample, TINY, intra_op_threads=1)
    kept = _idle_pids()
    with pytest.raises(UserError) as refused:
        trainer_processes.train(sample, config, intra_op_threads=1)
    assert "Traceback" not in str(refused.value)
    assert _idle_pids() == kept, "a refused job leaves its trainer process serving"


def test_a_training_job_of_a_convolutional_network_trains_in_a_trainer_process(sample, monkeypatch):
    monkeypatch.setattr(thread_choice, "cores", lambda: 2)
    job = TrainingJob(sample, TINY, queue=TrainingQueue(1)).start()
    deadline = time.monotonic() + 120
    while job.snapshot().active and time.monotonic() < deadline:
        time.sleep(0.1)
    snapshot = job.snapshot()
    assert snapshot.state == DONE
    assert trainer_processes.running() >= 1
    assert snapshot.placement.startswith("trainer process ") and "(1 intra-op thread)" in snapshot.placement


@pytest.mark.parametrize(
    ("network", "cores", "wanted"),
    [
        ("The lab's MLP", 2, 2),
        ("Logistic regression", 2, 2),
        ("LeNet-5", 2, 1),
        ("The app's CNN", 2, 1),
        ("A tiny CNN", 1, 1),
        ("LeNet-5", 16, 8),
    ],
)
def test_convolutional_networks_want_fewer_threads_and_fused_ones_every_core(network, cores, wanted):
    config = TrainConfig("built", layers=PRESETS[network])
    assert thread_choice.wanted_threads(config, cores, slots=1) == wanted


def test_jobs_training_at_once_share_the_cores():
    lenet, mlp = (TrainConfig("built", layers=PRESETS[name]) for name in ("LeNet-5", "The lab's MLP"))
    assert thread_choice.wanted_threads(lenet, 16, slots=4) == 2
    assert thread_choice.wanted_threads(lenet, 2, slots=2) == 1
    assert thread_choice.wanted_threads(mlp, 16, slots=4) == 16


def test_only_a_job_that_wants_other_threads_leaves_the_server_unless_told(monkeypatch):
    lenet, mlp = (TrainConfig("built", layers=PRESETS[name]) for name in ("LeNet-5", "The lab's MLP"))
    monkeypatch.delenv("MNIST_APP_TRAINER_PROCESSES", raising=False)
    monkeypatch.delenv("MNIST_APP_SHARED", raising=False)
    monkeypatch.setenv("MNIST_APP_TRAINING_SLOTS", "1")
    assert thread_choice.trainer_threads(lenet, 2) == 1
    assert thread_choice.trainer_threads(mlp, 2) is None
    assert thread_choice.trainer_threads(lenet, 1) is None, "one core: the server's threads are the job's"
    assert local_trainer(mlp) is train
    monkeypatch.setenv("MNIST_APP_TRAINER_PROCESSES", "no")
    assert thread_choice.trainer_threads(lenet, 2) is None
    monkeypatch.setenv("MNIST_APP_TRAINER_PROCESSES", "yes")
    assert thread_choice.trainer_threads(mlp, 2) == 2
    monkeypatch.delenv("MNIST_APP_TRAINER_PROCESSES")
    monkeypatch.setenv("MNIST_APP_SHARED", "1")
    assert thread_choice.trainer_threads(mlp, 2) == 2, "on a shared server every job leaves the server"
