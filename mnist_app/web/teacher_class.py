"""The teacher's view of the class, live: who is here, every job with a Stop, each student's
share of the server, and the limits the teacher changes while the class works.

The jobs are this server process's (`training_job.started_jobs`); the names, the limits and
the models are the shared folders', so a second server process on the same folders shows
the same students and limits, but only its own jobs.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from mnist_app import settings
from mnist_app.classroom import limits, names
from mnist_app.errors import UserError
from mnist_app.jobs import cluster
from mnist_app.jobs.training_job import QUEUED, TrainingJob, started_jobs
from mnist_app.learning.model_store import ModelStore
from mnist_app.web import visitors
from mnist_app.web.page_errors import attempt
from mnist_app.web.plain_text import literal

# How often the live parts redraw: often enough to follow a class, seldom enough to cost nothing.
REFRESH_S = 2.0
UNNAMED = "a visitor without a name"
COMMAND_LINE = "the command line"
# Each live limit in the teacher's words, in the order the form shows them.
LIMIT_TITLES = {
    settings.JOBS_PER_VISITOR: "Training jobs per student, waiting or training",
    settings.TRAINING_SLOTS: "Jobs training at once on this server",
    settings.MAX_IMAGES_PER_JOB: "Work per job: epochs × training images",
    settings.MODELS_PER_VISITOR: "Models kept per student",
    settings.DIGITS_PER_VISITOR: "Digits saved per student",
}


def student(token: str, known: dict[str, str]) -> str:
    """Who a visitor token is, in the teacher's words: the display name given, else said plainly."""
    if not token:
        return COMMAND_LINE
    return known.get(token) or UNNAMED


@dataclass
class Share:
    """One student's part of the server now (all their browser tabs together)."""

    tabs: int = 0
    waiting: int = 0
    training: int = 0
    models: int = 0
    digits: int = 0


def shares(
    known: dict[str, str],
    connected: set[str],
    jobs: list[tuple[str, bool]],
    model_owners: list[str],
    digits: dict[str, int],
) -> dict[str, Share]:
    """Each student's share, by display name (`known`, by token; visitors without one together),
    from the tokens connected, each active job's (owner, waiting), each app model's owner and
    each token's digits."""
    tokens = connected | {owner for owner, _ in jobs} | set(model_owners) | set(digits)
    table: dict[str, Share] = {student(token, known): Share() for token in sorted(tokens) if token}
    for token in connected:
        table[student(token, known)].tabs += 1
    for owner, waiting in jobs:
        if owner:
            share = table[student(owner, known)]
            share.waiting += waiting
            share.training += not waiting
    for owner, count in Counter(model_owners).items():
        if owner:
            table[student(owner, known)].models += count
    for owner, count in digits.items():
        if owner:
            table[student(owner, known)].digits += count
    return dict(sorted(table.items(), key=lambda item: (item[0] == UNNAMED, item[0].casefold())))


def here_now(connected: set[str], known: dict[str, str]) -> str:
    """Who has the app open, in a sentence: the tabs, the students named among them, the others."""
    named = {known[token] for token in connected if known.get(token)}
    unnamed = sum(not known.get(token) for token in connected)
    if not connected:
        return "Nobody else has the app open now."
    tabs = f"{len(connected)} browser tab{'s' * (len(connected) != 1)} {'have' if len(connected) != 1 else 'has'}"
    who = [f"{len(named)} student{'s' * (len(named) != 1)} who gave a name"] if named else []
    if unnamed:
        who.append(f"{unnamed} tab{'s' * (unnamed != 1)} without a name")
    return f"{tabs} the app open now: {' and '.join(who)}."


def shares_frame(table: dict[str, Share]) -> pd.DataFrame:
    """The shares as the page's table: a row per student, their counts in words as column titles."""
    return pd.DataFrame(
        [
            {
                "student": name,
                "browser tabs open": share.tabs,
                "jobs waiting": share.waiting,
                "jobs training": share.training,
                "models kept": share.models,
                "digits saved": share.digits,
            }
            for name, share in table.items()
        ],
        columns=[
            "student",
            "browser tabs open",
            "jobs waiting",
            "jobs training",
            "models kept",
            "digits saved",
        ],
    )


def _model_owners(store: ModelStore) -> list[str]:
    return [
        str(saved.metadata.get("owner") or "")
        for saved in store.list()
        if saved.metadata.get("saved_by") == "app"
    ]


def digits_by_owner() -> dict[str, int]:
    """How many digits each visitor saved, by token (none where the collection cannot be read);
    the command line's, nobody's, left out."""
    from mnist_app.datasets.digit_store import DigitStore

    try:
        held = DigitStore().owners()
    except UserError:  # A damaged collection: My digits says why; here nobody has digits.
        return {}
    return {token: count for token, count in held.items() if token}


def show(store: ModelStore) -> None:
    """The class, redrawn every REFRESH_S: who is here and their shares, then every job."""
    st.fragment(run_every=REFRESH_S)(_live)(store)
    show_limits()


def _live(store: ModelStore) -> None:
    # The teacher's own tab is no student's.
    connected = set(visitors.connected_visitors()) - {st.session_state.get(visitors.OWNER_KEY)}
    active = [(job, job.snapshot()) for job in started_jobs()]
    active = [(job, snapshot) for job, snapshot in active if snapshot.active]
    known = names.names()
    table = shares(
        known,
        connected,
        [(job.visitor, snapshot.state == QUEUED) for job, snapshot in active],
        _model_owners(store),
        digits_by_owner(),
    )
    st.subheader("Who is here")
    st.write(here_now(connected, known))
    st.write(
        "Each row is one student's share of the server: their jobs waiting and training, the models "
        "they keep and the digits they saved (visitors who gave no name together)."
    )
    if table:
        st.dataframe(shares_frame(table), hide_index=True, width="stretch")
    st.subheader("Training now")
    if not active:
        st.caption("No job is waiting or training.")
        return
    st.write(
        f"{len(active)} job{'s' * (len(active) != 1)} waiting or training, oldest first. Stop ends a job "
        "as the student's own Stop does: the model as trained so far is kept."
    )
    for job, snapshot in active:
        _job_row(job, snapshot, known)


def _job_row(job: TrainingJob, snapshot, known: dict[str, str]) -> None:
    who, what, stop = st.columns([2, 5, 1], vertical_alignment="center")
    who.markdown(f"**{literal(student(job.visitor, known))}**")
    network = f"{job.config.network_name} on {job.dataset.name}"
    if snapshot.state == QUEUED:
        place = snapshot.queue_position
        what.progress(
            0.0, text=literal(f"{network}: waiting, number {place} in the queue" if place else network)
        )
    else:
        where = (
            f"on {snapshot.placement}"
            if snapshot.placement
            else "on the cluster"
            if cluster.configured()
            else ""
        )
        what.progress(
            snapshot.fraction,
            text=literal(
                f"{network}: epoch {snapshot.epoch} of {job.config.epochs}" + (f", {where}" if where else "")
            ),
        )
    stop.button("Stop", key=f"teacher_stop_{id(job)}", on_click=job.stop, icon=":material/stop:")


def show_limits() -> None:
    """The class's limits as number boxes; applied at once to whatever starts next."""
    st.subheader("Limits for the class")
    st.write(
        "A change applies at once to new jobs, models and digits; jobs already waiting or training go "
        "on. Each box says the server's own setting in its help."
    )
    current = attempt(limits.current, "Cannot read the class's limits") or {}
    with st.form("teacher_limits", border=False):
        chosen = {}
        columns = st.columns(len(LIMIT_TITLES))
        for column, (name, title) in zip(columns, LIMIT_TITLES.items(), strict=True):
            if name not in current:
                continue
            value, default = current[name]
            chosen[name] = column.number_input(
                title,
                min_value=1,
                max_value=limits.MOST[name],
                value=int(value),
                step=1,
                key=f"teacher_limit_{name}",
                help=f"The server's own setting: {default:,} ({name}).",
            )
        applied = st.form_submit_button("Apply the limits", key="teacher_apply_limits")
    if applied and attempt(lambda: limits.set_limits(chosen) or True, "Cannot change the limits"):
        st.success("The new limits apply from now on.", icon=":material/check:")
