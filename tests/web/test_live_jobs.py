"""Tests for mnist_app.web.live_jobs: a page's jobs redrawn while they run, the page rerun once when they end."""

from types import SimpleNamespace

from streamlit.testing.v1 import AppTest

from mnist_app.jobs.training_job import DONE, RUNNING, JobSnapshot
from mnist_app.web.sidebar import NEXT_MODEL_KEY


class FakeJob:
    """A job whose state the test sets: what `follow` reads of a TrainingJob."""

    def __init__(self, arch: str):
        self.config = SimpleNamespace(arch=arch, network_name=arch, epochs=3)
        self.dataset = SimpleNamespace(name="mnist-sample")
        self.state = JobSnapshot(RUNNING, 0.5, 2, 0)

    def snapshot(self) -> JobSnapshot:
        return self.state


def jobs_page():
    import streamlit as st

    from mnist_app.web import live_jobs

    st.session_state.setdefault("page_runs", 0)
    st.session_state["page_runs"] += 1

    def on_end(saved):
        st.session_state["ended_with"] = [*st.session_state.get("ended_with", []), saved]

    def curves(snapshots):
        if st.session_state.get("curves_fail"):
            raise ValueError("a bug")
        st.write(f"curves of {len(snapshots)}")

    live_jobs.follow(
        st.session_state["jobs"],
        seen_key="jobs_seen",
        doing="Showing the jobs",
        live=curves,
        outcome=lambda snapshots: st.write("the outcome"),
        on_end=on_end,
    )


def ended(job: FakeJob, saved_as: str) -> None:
    job.state = JobSnapshot(DONE, 1.0, 3, 0, result=SimpleNamespace(epochs_completed=3), saved_as=saved_as)


def test_running_jobs_show_progress_and_curves_then_once_ended_the_page_reruns_once():
    jobs = [FakeJob("mlp"), FakeJob("cnn")]
    at = AppTest.from_function(jobs_page)
    at.session_state["jobs"] = jobs
    at.run()
    assert not at.exception
    assert [bar.proto.text for bar in at.get("progress")] == [
        "Training mlp on mnist\\-sample: epoch 2 of 3",
        "Training cnn on mnist\\-sample: epoch 2 of 3",
    ]
    assert [m.value for m in at.markdown] == ["curves of 2"]

    ended(jobs[0], "mlp-1")
    at.run()
    assert [bar.proto.text for bar in at.get("progress")] == [
        "Trained mlp: 3 epochs",
        "Training cnn on mnist\\-sample: epoch 2 of 3",
    ], "one has ended, the other still trains"
    ended(jobs[1], "cnn-1")
    runs = at.session_state["page_runs"]
    at.run()
    at.run()

    assert not at.exception
    assert at.session_state["page_runs"] == runs + 3, "one rerun of the whole page, then no more"
    assert at.session_state["ended_with"] == [["mlp-1", "cnn-1"]]
    assert at.session_state[NEXT_MODEL_KEY] == "cnn-1", "the newest model saved is put in use"
    assert [m.value for m in at.markdown] == ["curves of 2", "the outcome"]


def test_a_failure_while_showing_the_jobs_is_a_message_never_a_traceback():
    at = AppTest.from_function(jobs_page)
    at.session_state["jobs"] = [FakeJob("mlp")]
    at.session_state["curves_fail"] = True
    at.run()
    assert not at.exception
    assert any("Showing the jobs" in error.value for error in at.error)
    assert [bar.proto.text for bar in at.get("progress")] == ["Training mlp on mnist\\-sample: epoch 2 of 3"]


def test_a_shared_server_redraws_live_jobs_once_a_second(monkeypatch):
    from mnist_app.web import live_jobs

    monkeypatch.delenv("MNIST_APP_SHARED", raising=False)
    assert live_jobs.refresh_s() == live_jobs.REFRESH_S
    monkeypatch.setenv("MNIST_APP_SHARED", "1")
    assert live_jobs.refresh_s() == live_jobs.SHARED_REFRESH_S > live_jobs.REFRESH_S
