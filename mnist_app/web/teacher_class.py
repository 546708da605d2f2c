"""The teacher's view of the class, live: who is here, every job with a Stop, each visitor's
share of the server, and the limits the teacher changes while the class works.

The jobs are this server process's (`training_job.started_jobs`); the names, the limits and
the models are the shared folders', so a second server process on the same folders shows
the same students and limits, but only its own jobs.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from mnist_app import settings
from mnist_app.classroom import limits, names
from mnist_app.classroom.class_view import Share, digits_by_owner, here_now, model_owners, shares
from mnist_app.classroom.leaderboard import spreadsheet_safe
from mnist_app.jobs import cluster
from mnist_app.jobs.training_job import QUEUED, TrainingJob, started_jobs
from mnist_app.learning.model_store import ModelStore
from mnist_app.web import visitors
from mnist_app.web.page_errors import attempt, show_unexpected
from mnist_app.web.plain_text import literal

# How often the live parts redraw: often enough to follow a class, seldom enough to cost nothing.
REFRESH_S = 2.0
SHARE_COLUMNS = ["student", "here now", "jobs waiting", "jobs training", "models kept", "digits saved"]


def shares_frame(table: dict[str, Share], known: dict[str, str]) -> pd.DataFrame:
    """The shares as the page's table: a row per visitor, named and told apart by their token's
    end; spreadsheet-safe, as the table's own "Download as CSV" writes names as they are."""
    return pd.DataFrame(
        [
            {
                "student": spreadsheet_safe(names.told_apart(token, known)),
                "here now": share.here,
                "jobs waiting": share.waiting,
                "jobs training": share.training,
                "models kept": share.models,
                "digits saved": share.digits,
            }
            for token, share in table.items()
        ],
        columns=SHARE_COLUMNS,
    )


def show(store: ModelStore) -> None:
    """The class, redrawn every REFRESH_S: who is here and their shares, then every job."""
    st.fragment(run_every=REFRESH_S)(_live)(store)
    show_limits()


def _live(store: ModelStore) -> None:
    try:
        _class_now(store)
    except Exception as error:  # A fragment's failure would otherwise reach the page raw.
        show_unexpected(error, "Showing the class")


def _class_now(store: ModelStore) -> None:
    # The teacher's own tab is no student's.
    connected = visitors.connected_visitors() - {st.session_state.get(visitors.OWNER_KEY)}
    active = [(job, job.snapshot()) for job in started_jobs()]
    active = [(job, snapshot) for job, snapshot in active if snapshot.active]
    known = names.names()
    table = shares(
        known,
        connected,
        [(job.visitor, snapshot.state == QUEUED) for job, snapshot in active],
        model_owners(store),
        digits_by_owner(),
    )
    st.subheader("Who is here")
    st.write(here_now(connected, known))
    st.write(
        "Each row is one visitor's share of the server: a browser tab a student opened, named as they "
        "named themselves, with the end of its token after the name, so that two students of the "
        "same name (or two without one) are never one row: whether the tab is open now (ticked), its "
        "jobs waiting and training, the models it keeps and the digits it saved."
    )
    if table:
        st.dataframe(
            shares_frame(table, known),
            hide_index=True,
            width="stretch",
            column_config={"here now": st.column_config.CheckboxColumn()},
        )
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
    who.markdown(f"**{literal(names.told_apart(job.visitor, known))}**")
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
    # On a Ray cluster the cluster's room sets how many jobs train at once.
    pinned = {settings.TRAINING_SLOTS} if cluster.configured() else set()
    with st.form("teacher_limits", border=False):
        chosen = {}
        columns = st.columns(len(limits.TITLES))
        for column, (name, title) in zip(columns, limits.TITLES.items(), strict=True):
            if name not in current:
                continue
            value, default = current[name]
            typed = column.number_input(
                title,
                min_value=1,
                max_value=limits.most(name),
                value=int(value),
                step=1,
                key=f"teacher_limit_{name}",
                disabled=name in pinned,
                help="Jobs train on the Ray cluster, whose room says how many train at once: this box "
                "changes nothing there."
                if name in pinned
                else f"The server's own setting: {default:,} ({name}).",
            )
            if name not in pinned:
                chosen[name] = typed
        applied = st.form_submit_button("Apply the limits", key="teacher_apply_limits")
    if pinned:
        st.caption("Jobs train on a Ray cluster: its room, not this page, says how many train at once.")
    if applied and attempt(lambda: limits.set_limits(chosen) or True, "Cannot change the limits"):
        st.success("The new limits apply from now on.", icon=":material/check:")
