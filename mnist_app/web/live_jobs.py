"""A page's training jobs, live: redrawn a few times a second while they run, then what they came to.

Every page that trains (Train, Lab, My digits) shows its jobs the same way: a fragment of its
own that reruns every `refresh_s()` while any job is queued or training, with a progress line
per job and the page's curves; once they have all ended, the whole page reruns once (the
newest model saved now in use, in the sidebar and all), and the fragment shows the outcome.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import streamlit as st

from mnist_app import settings
from mnist_app.jobs import cluster
from mnist_app.jobs.training_job import FAILED, QUEUED, JobSnapshot, TrainingJob
from mnist_app.web.page_errors import show_unexpected
from mnist_app.web.plain_text import literal
from mnist_app.web.sidebar import use_model

# How often a page redraws its running jobs: alone, four times a second; on a shared server
# once, as redrawing the curves of thirty open Train pages held Python's lock more than all the
# drawing students' predictions together (BENCHMARKS.md, "A class of thirty").
REFRESH_S = 0.25
SHARED_REFRESH_S = 1.0


def refresh_s() -> float:
    return SHARED_REFRESH_S if settings.shared() else REFRESH_S


Show = Callable[[list[JobSnapshot]], None]


def follow(
    jobs: Sequence[TrainingJob],
    *,
    seen_key: str,
    doing: str,
    live: Show,
    outcome: Show,
    on_end: Callable[[list[str]], None] | None = None,
) -> None:
    """Show `jobs` in a fragment that refreshes while any is active.

    Each run draws a progress line per job, then `live(snapshots)` (the page's curves). Once
    all have ended: the first time, `on_end(saved model names)` and a rerun of the whole page
    (`seen_key` remembers these jobs were seen ended); then `outcome(snapshots)`. A failure
    is shown as `doing` failing, never raw.
    """
    running = any(job.snapshot().active for job in jobs)
    st.fragment(run_every=refresh_s() if running else None)(_show_jobs)(
        tuple(jobs), seen_key, doing, live, outcome, on_end
    )


def _show_jobs(
    jobs: tuple[TrainingJob, ...],
    seen_key: str,
    doing: str,
    live: Show,
    outcome: Show,
    on_end: Callable[[list[str]], None] | None,
) -> None:
    try:
        snapshots = [job.snapshot() for job in jobs]
        active = any(snapshot.active for snapshot in snapshots)
        for job, snapshot in zip(jobs, snapshots, strict=True):
            progress_line(job, snapshot, active)
        live(snapshots)
        if active:
            return
        rerun_once_ended(
            seen_key, jobs, [snapshot.saved_as for snapshot in snapshots if snapshot.saved_as], on_end
        )
        outcome(snapshots)
    except Exception as error:  # A fragment's failure would otherwise reach the page raw.
        show_unexpected(error, doing)


def progress_line(job: TrainingJob, snapshot: JobSnapshot, others_active: bool = False) -> None:
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
            if snapshot.placement and cluster.configured()
            else ""
        )
        st.progress(
            snapshot.fraction,
            text=f"Training {config.network_name} on {literal(job.dataset.name)}: epoch {snapshot.epoch} of "
            f"{config.epochs}{where}",
        )
    elif snapshot.result is not None and others_active:
        st.progress(1.0, text=f"Trained {config.network_name}: {snapshot.result.epochs_completed} epochs")


def rerun_once_ended(
    seen_key: str,
    jobs: tuple[TrainingJob, ...],
    saved: list[str],
    on_end: Callable[[list[str]], None] | None = None,
) -> None:
    """The first time a page sees its jobs ended: put the newest model saved in use, rerun whole.

    The whole page then shows the new model (the sidebar, the evaluation) and says once that
    the model in use changed, and from which; later runs pass.
    """
    if st.session_state.get(seen_key) == jobs:
        return
    st.session_state[seen_key] = jobs
    if on_end is not None:
        on_end(saved)
    if saved:
        use_model(saved[-1], reason="trained just now")
    st.rerun()


def said_why_nothing_came(snapshot: JobSnapshot, action: str = "Training") -> bool:
    """For an ended job that left no model, say why (it failed, or left the queue); True if so."""
    if snapshot.state == FAILED:
        st.error(f"{action} failed: {literal(snapshot.error)}")
        return True
    if snapshot.result is None:
        st.info("Left the queue before training began; nothing was trained.")
        return True
    return False
