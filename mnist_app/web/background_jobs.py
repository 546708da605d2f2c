"""Work that outlasts a page run, followed from a page: a background job (`jobs.map_jobs`) shared
with every visitor asking for the same key, offered behind a button or started at once, its
progress polled by a fragment until it ends.

A failed job is not kept from the next asker. Work offered behind a button is offered again:
the session that asked is told why once, anyone else as if it had never run. Work started at
once is not started again by every page view: each is told why, with a button to try again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

from mnist_app.jobs.map_jobs import map_job, running_job
from mnist_app.web.page_errors import attempt
from mnist_app.web.plain_text import literal

POLL_S = 0.5
ASKED_KEY = "background_asked"  # the jobs this session asked for, by key
MAX_ASKED = 32


@dataclass(frozen=True)
class JobWords:
    """What the page says about one job: while it runs, when it fails, and to offer it."""

    doing: str  # "Drawing the t-SNE map": its progress bar's words
    failure: str  # "Cannot draw the t-SNE map": before why it failed
    offer: str = ""  # why to ask for it, above the button; none: the job starts at once
    button: str = ""  # the button's words (and "Try again" after a failure)
    button_key: str = ""
    waiting: str | None = None  # what it says while it waits its turn (None: the map's words)


def background_result(
    key: str,
    work: Callable,
    words: JobWords,
    *,
    exclusive: bool = True,
    visitor: str | None = None,
    icon: str = ":material/scatter_plot:",
):
    """The job's result once it has one; None while it is offered, running, refused or failed,
    each said on the page. `work(on_progress)` runs only if no job for `key` runs already."""
    asked = st.session_state.setdefault(ASKED_KEY, [])
    job = running_job(key)  # another visitor's request counts as this one's
    failed = job is not None and job.done and bool(job.error)
    if failed:
        if key in asked or not words.offer:  # this session's, or one it would have started itself
            st.error(f"{literal(words.failure)}: {literal(job.error)}.", icon=":material/error:")
        if key in asked:
            asked.remove(key)
        job = None
    if job is None and key not in asked and (words.offer or failed):
        if words.offer:
            st.markdown(words.offer)
        label, shown_icon = (words.button, icon) if words.offer else ("Try again", ":material/refresh:")
        if not st.button(label, icon=shown_icon, key=words.button_key or f"job_{key}"):
            return None
    if job is None:
        job = attempt(
            lambda: map_job(key, work, exclusive=exclusive, visitor=visitor, waiting_words=words.waiting),
            words.failure,
        )
        if job is None:  # refused: too many waiting
            return None
    if key not in asked:
        asked.append(key)
        del asked[:-MAX_ASKED]
    if job.done and not job.error:
        return job.result
    if job.done:  # failed at once: said on the next run, with the offer to try again
        st.rerun()
    st.fragment(run_every=POLL_S)(follow_job)(job, words.doing)
    return None


def shared_result(key: str, work: Callable, failure: str):
    """Quick work that visitors arriving together share: computed once, here, while this run
    waits; the result, or None after saying why it failed."""
    job = map_job(key, work, exclusive=False)
    job.wait()
    if job.error:
        st.error(f"{literal(failure)}: {literal(job.error)}.", icon=":material/error:")
        return None
    return job.result


def follow_job(job, doing: str) -> None:
    """The job's progress bar; once it has ended, the whole page again, to use its result. Each
    poll tells the job it is still awaited (`map_jobs` drops a waiting job nobody follows)."""
    if job.done:
        st.rerun()
    st.progress(float(job.fraction), text=f"{literal(doing)}: {literal(job.words or 'waiting')}")
