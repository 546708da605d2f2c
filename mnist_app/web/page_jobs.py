"""Training jobs started from a page: saved to the models folder, stopped when the page is gone."""

from __future__ import annotations

import time

import streamlit as st
from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from mnist_app.datasets.catalogue import Dataset
from mnist_app.jobs import cluster
from mnist_app.jobs.training_job import FAILED, QUEUED, TrainingJob, start_together
from mnist_app.learning import pruning
from mnist_app.learning.limits import check_job_work
from mnist_app.learning.model_store import ModelStore, name_from
from mnist_app.learning.training import TrainConfig
from mnist_app.web.plain_text import literal
from mnist_app.web.sidebar import use_model
from mnist_app.web.visitors import visitor_present, visitor_token

# How long a job outlives its page (a reload, a closed tab) before it stops; long enough for
# a network blip to reconnect, short enough that the trainer is not held for nobody.
ORPHAN_GRACE_S = 10.0


def session_abandoned():
    """A test of whether this browser session has gone: a reload, a closed tab.

    A reload starts a new session that cannot see the old one's job, which would hold the
    trainer other sessions queue for with nobody left to stop it. So the job stops
    `ORPHAN_GRACE_S` after its page goes (and is saved, as with Stop).
    """
    grace_s = ORPHAN_GRACE_S
    context = get_script_run_ctx()
    if context is None or not Runtime.exists():
        return lambda: False
    runtime, session_id, gone_since = Runtime.instance(), context.session_id, []

    def abandoned() -> bool:
        if runtime.is_active_session(session_id):
            gone_since.clear()
            return False
        gone_since[:] = gone_since or [time.monotonic()]
        return time.monotonic() - gone_since[0] > grace_s

    return abandoned


def start(dataset: Dataset, configs: list[TrainConfig], store: ModelStore) -> list[TrainingJob]:
    """One job per configuration, on the same data, queued together; each saves its model.

    A job too big for one turn on the trainer, or one past this visitor's share of the
    queue, is refused (UserError) before any is queued.
    """
    owner = visitor_token()
    for config in configs:
        check_job_work(config.epochs, len(dataset.y_train))

    def save(result) -> str:
        metadata = result.metadata(saved_by="app", owner=owner)
        saved = store.save_new(result.model, name_from(result.config.arch, result.dataset), metadata)
        pruning.prune(store, keep=saved.name, owner=owner, owner_active=visitor_present)
        return saved.name

    jobs = [
        TrainingJob(dataset, config, on_result=save, abandoned=session_abandoned(), visitor=owner)
        for config in configs
    ]
    return start_together(jobs)


def progress_line(job: TrainingJob, snapshot, others_active: bool = False) -> None:
    """Where a job is; a finished one says so while the others of its run go on."""
    config = job.config
    if snapshot.state == QUEUED:
        place = snapshot.queue_position
        trainer = (
            f"the cluster (it trains {snapshot.at_once} at once)" if cluster.configured() else "the trainer"
        )
        st.progress(0.0, text=f"Waiting for {trainer}: number {place} in the queue" if place else "Starting…")
    elif snapshot.active:
        where = (
            f", on {snapshot.placement}; the cluster trains {snapshot.at_once} at once"
            if snapshot.placement
            else ""
        )
        st.progress(
            snapshot.fraction,
            text=f"Training {config.arch} on {literal(job.dataset.name)}: epoch {snapshot.epoch} of "
            f"{config.epochs}{where}",
        )
    elif snapshot.result is not None and others_active:
        st.progress(1.0, text=f"Trained {config.arch}: {snapshot.result.epochs_completed} epochs")


def rerun_once_ended(seen_key: str, jobs: object, saved: list[str]) -> None:
    """The first time a page sees its job(s) ended: put the newest model saved in use, rerun whole.

    The whole page then shows the new model (the sidebar, the evaluation); later runs pass.
    """
    if st.session_state.get(seen_key) is jobs:
        return
    st.session_state[seen_key] = jobs
    if saved:
        use_model(saved[-1])
    st.rerun()


def said_why_nothing_came(snapshot, action: str = "Training") -> bool:
    """For an ended job that left no model, say why (it failed, or left the queue); True if so."""
    if snapshot.state == FAILED:
        st.error(f"{action} failed: {literal(snapshot.error)}")
        return True
    if snapshot.result is None:
        st.info("Left the queue before training began; nothing was trained.")
        return True
    return False
