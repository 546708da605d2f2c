"""Training jobs started from a page: saved to the models folder, stopped when the page is gone."""

from __future__ import annotations

import time

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from mnist_app.datasets.dataset import Dataset
from mnist_app.jobs.training_job import TrainingJob, start_together
from mnist_app.learning import pruning
from mnist_app.learning.limits import check_job_work
from mnist_app.learning.model_store import ModelStore, trained_name
from mnist_app.learning.training import TrainConfig
from mnist_app.web.visitors import session_connected, visitor_present, visitor_token

# The models a run of several trained, for the Compare page to start from.
COMPARE_NEXT_KEY = "compare_next"
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
    if context is None or session_connected(context.session_id) is None:
        return lambda: False
    session_id, gone_since = context.session_id, []

    def abandoned() -> bool:
        if session_connected(session_id) is not False:
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
        config.validate()
        check_job_work(config.epochs, config.training_images(len(dataset.y_train)))

    def save(result) -> str:
        metadata = result.metadata(saved_by="app", owner=owner)
        saved = store.save_new(
            result.model, trained_name(result.config.network_name, result.dataset), metadata
        )
        pruning.prune(store, keep=saved.name, owner=owner, owner_active=visitor_present)
        return saved.name

    jobs = [
        TrainingJob(dataset, config, on_result=save, abandoned=session_abandoned(), visitor=owner)
        for config in configs
    ]
    return start_together(jobs)


def compare_next(saved: list[str]) -> None:
    """Several models just trained together (Train's networks, Build's variants): the Compare
    page starts from them."""
    if len(saved) > 1:
        st.session_state[COMPARE_NEXT_KEY] = saved
