"""The weights' snapshots on their way to the page: in each Progress, through the event
encoding a Ray worker and a trainer process send, and kept by a job's snapshot."""

import json

import pytest

from mnist_app.datasets.dataset import Dataset
from mnist_app.jobs import progress_events
from mnist_app.jobs.training_job import DONE, TrainingJob, TrainingQueue
from mnist_app.learning.training import TrainConfig


class ListenedJob(TrainingJob):
    """A training job that also keeps every Progress it hears."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.heard = []

    def _on_progress(self, progress):
        self.heard.append(progress)
        super()._on_progress(progress)


@pytest.fixture(scope="module")
def job(sample):
    """One job, two epochs on an eighth of the sample's training digits, shared by the tests."""
    small = Dataset("small", "test", sample.x_train[::8], sample.y_train[::8], sample.x_test, sample.y_test)
    job = ListenedJob(small, TrainConfig("mlp", epochs=2, batch_size=64), queue=TrainingQueue(1)).start()
    job.join(120)
    return job


def test_progress_carries_epoch_zero_and_each_epochs_snapshot(job):
    events = job.heard
    sent = [snapshot for event in events for snapshot in event.weights]
    assert [s.epoch for s in sent] == [0, 1, 2] == [s.epoch for s in job.snapshot().result.weights]
    assert all(event.points for event in events), "every Progress carries curve points"
    with_weights = [event for event in events if event.weights and event.weights[-1].epoch > 0]
    assert all(any(p.split == "validation" for p in event.points) for event in with_weights)

    for event in events:
        plain = json.loads(json.dumps(progress_events.as_event(event)))
        back = progress_events.from_event(plain)
        assert [s.epoch for s in back.weights] == [s.epoch for s in event.weights]
        for before, after in zip(event.weights, back.weights, strict=True):
            assert [layer.weights.counts for layer in after.layers] == [
                layer.weights.counts for layer in before.layers
            ]
            assert [layer.title for layer in after.layers] == [layer.title for layer in before.layers]


def test_a_jobs_snapshot_keeps_the_weights(job):
    snapshot = job.snapshot()
    assert snapshot.state == DONE
    assert [s.epoch for s in snapshot.weights] == [0, 1, 2]
    assert snapshot.weights == snapshot.result.weights
