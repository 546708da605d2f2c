"""Training jobs started from a page: saved to the models folder, stopped when the page is gone.

Here, not in the page, a challenge's rules are enforced: whatever a page's widgets held (a
browser can send any value, for a disabled widget too, and press a disabled button), a job
that breaks them is refused before anything is queued.
"""

from __future__ import annotations

import time

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from mnist_app.classroom import challenges, rules
from mnist_app.classroom.challenges import Challenge
from mnist_app.datasets.dataset import Dataset
from mnist_app.errors import UserError
from mnist_app.jobs.training_job import TrainingJob, start_together
from mnist_app.learning import pruning
from mnist_app.learning.limits import check_job_work
from mnist_app.learning.model_store import ModelStore, trained_name
from mnist_app.learning.training import TrainConfig
from mnist_app.learning.training_choices import Choices
from mnist_app.web.visitors import display_name, session_connected, visitor_present, visitor_token

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


def start(
    dataset: Dataset,
    configs: list[TrainConfig],
    store: ModelStore,
    challenge: Challenge | None = None,
    spec: str | None = None,
) -> list[TrainingJob]:
    """One job per configuration, on the same data, queued together; each saves its model.

    A job too big for one turn on the trainer, one past this visitor's share of the queue,
    or, under a `challenge`, one its rules forbid, is refused (UserError) before any is queued.
    `spec` names the dataset as the page opened it (its name by default), for the challenge's
    rule on the data. Each model's description says whose it is (`owner`, `owner_name`) and,
    under a challenge, which (`challenge`).
    """
    owner = visitor_token()
    for config in configs:
        config.validate()
        check_job_work(config.epochs, config.training_images(len(dataset.y_train)))
    extra = {"owner_name": name} if (name := display_name()) else {}
    if challenge is not None:
        check_rules(challenge, configs, dataset.name if spec is None else spec)
        extra["challenge"] = challenge.id

    def save(result) -> str:
        metadata = result.metadata(saved_by="app", owner=owner, **extra)
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


def check_rules(challenge: Challenge, configs: list[TrainConfig], spec: str) -> None:
    """UserError listing every rule of the challenge the runs break; the challenge must still run."""
    running = challenges.current()
    if running is None or running.id != challenge.id:
        raise UserError(f"the challenge “{challenge.title}” has ended: train outside it, or open the new one")
    broken: list[str] = []
    for config in configs:
        found = rules.violations(running.rules, config.design, Choices.of(config), spec)
        if config.base:
            found.append("a challenge's network starts from new weights, not from a saved model")
        broken += [problem for problem in found if problem not in broken]
    if broken:
        raise UserError(f"this breaks the challenge's rules: {'; '.join(broken)}")


def compare_next(saved: list[str]) -> None:
    """Several models just trained together (Train's networks, Build's variants): the Compare
    page starts from them."""
    if len(saved) > 1:
        st.session_state[COMPARE_NEXT_KEY] = saved
