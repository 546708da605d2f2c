"""A challenge's leaderboard, live: every model trained under it, ranked on the hidden test set.

New models are scored in the background: a `map_jobs` job on a thread of this server's process
(one per challenge at a time, never in a page's run), each model loaded in Keras' safe mode.
Any view of the ranking starts it (the teacher's table, the projector, a student's Leaderboard
page), and each redraws itself as scores arrive. The teacher sees a table with every column and
a CSV of all runs; the projector view and the students' Leaderboard page show the ranking in
big type, without controls, and read the challenge again at every redraw: the students' view
goes blank as soon as the teacher hides it or ends the challenge. No view shows a hidden image,
label or per-digit result: only each model's accuracy.
"""

from __future__ import annotations

import hashlib
import html
import logging
import threading

import pandas as pd
import streamlit as st

from mnist_app.classroom import challenges, hidden_split, leaderboard
from mnist_app.classroom.challenges import Challenge
from mnist_app.classroom.leaderboard import Entry
from mnist_app.jobs.map_jobs import MapJob, map_job
from mnist_app.learning.model_store import ModelStore
from mnist_app.web.page_errors import attempt, show_unexpected
from mnist_app.web.plain_text import literal

# How often a leaderboard redraws while the class trains.
REFRESH_S = 3.0
SCORING = "being scored…"
UNREADABLE = "cannot be scored"
NOT_SHOWN = "The teacher is not showing a leaderboard now."
_log = logging.getLogger(__name__)
_lock = threading.Lock()
# The job scoring each challenge's newest models, and the models that could not be scored
# (not tried again on every redraw): shared by every session of this server process.
_scoring: dict[str, MapJob] = {}
_unreadable: set[tuple[str, str]] = set()


def ranked(challenge: Challenge, store: ModelStore) -> list[Entry]:
    """The challenge's models, ranked; those not scored yet are handed to the background."""
    entries = leaderboard.entries(store, challenge)
    waiting = [
        entry.model for entry in entries if entry.accuracy is None and not unreadable(challenge, entry)
    ]
    if waiting:
        score_in_background(challenge, store, waiting)
    return entries


def unreadable(challenge: Challenge, entry: Entry) -> bool:
    return (challenge.id, entry.model) in _unreadable


def score_in_background(challenge: Challenge, store: ModelStore, models: list[str]) -> None:
    """Start scoring `models` unless this challenge's scoring job is still busy (its next poll
    starts the rest)."""
    with _lock:
        busy = _scoring.get(challenge.id)
        if busy is not None and not busy.done:
            return
        digest = hashlib.sha256("\n".join(sorted(models)).encode()).hexdigest()[:16]
        _scoring[challenge.id] = map_job(
            f"leaderboard {challenge.id} {digest}",
            lambda progress: _score(challenge, store, models, progress),
            exclusive=False,
        )


def _score(challenge: Challenge, store: ModelStore, models: list[str], progress) -> int:
    hidden = hidden_split.hidden_test(challenge, hidden_split.read_whole)
    scored = 0
    for done, name in enumerate(models):
        progress(done / len(models), "Scoring the newest models")
        try:
            leaderboard.score(store.get(name), hidden)
            scored += 1
        except Exception as error:  # One broken file must not hold up the others' scores.
            _log.warning(
                "model %s of challenge %s cannot be scored: %s", name, challenge.id, type(error).__name__
            )
            with _lock:
                _unreadable.add((challenge.id, name))
    return scored


def frame(challenge: Challenge, entries: list[Entry]) -> pd.DataFrame:
    """The teacher's table: a row per model, best first. Its texts are spreadsheet-safe, as the
    table's own "Download as CSV" writes them as they are."""
    safe = leaderboard.spreadsheet_safe
    return pd.DataFrame(
        [
            {
                "rank": str(entry.rank or ""),
                "student": safe(entry.student),
                "network": safe(entry.network),
                "parameters": entry.parameters,
                "epochs": entry.epochs,
                "training time (s)": round(entry.seconds, 1),
                "hidden-test accuracy": entry.accuracy,
                "model": safe(entry.model),
                "note": UNREADABLE
                if unreadable(challenge, entry)
                else SCORING
                if entry.accuracy is None
                else "",
            }
            for entry in entries
        ],
        columns=[
            "rank",
            "student",
            "network",
            "parameters",
            "epochs",
            "training time (s)",
            "hidden-test accuracy",
            "note",
            "model",
        ],
    )


def board_html(challenge: Challenge, entries: list[Entry], font_size: str = "1.6rem") -> str:
    """The ranking in big type: rank, name, network, parameters, accuracy; every text escaped."""
    cell = "padding:0.15em 0.5em;vertical-align:baseline;text-align:left"
    figure = f"{cell};text-align:right;font-variant-numeric:tabular-nums"
    rows = []
    for entry in entries:
        if entry.accuracy is not None:
            accuracy = f"{entry.accuracy:.1%}"
        else:
            accuracy = UNREADABLE if unreadable(challenge, entry) else SCORING
        rows.append(
            f'<tr><td style="{figure}">{entry.rank or ""}</td>'
            f'<td style="{cell};font-weight:600">{html.escape(entry.student)}</td>'
            f'<td style="{cell};font-size:0.6em">{html.escape(entry.network)}</td>'
            f'<td style="{figure}">{entry.parameters:,}</td>'
            f'<td style="{figure};font-weight:600">{html.escape(accuracy)}</td></tr>'
        )
    heads = [
        ("Rank", figure),
        ("Name", cell),
        ("Network", cell),
        ("Parameters", figure),
        ("Accuracy", figure),
    ]
    head = "".join(f'<th style="{style}">{title}</th>' for title, style in heads)
    return (
        f'<table class="leaderboard" style="font-size:{font_size};line-height:1.25;width:100%;'
        f'border-collapse:collapse"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
    )


def shown_challenge() -> Challenge | None:
    """The running challenge, else the one that ended last (its results stay to be read)."""
    running = challenges.current()
    if running is not None:
        return running
    ended = challenges.history()
    return ended[-1] if ended else None


def show(store: ModelStore) -> None:
    """The teacher's leaderboard: shown to the class or not, the live table, the CSV."""
    challenge = shown_challenge()
    if challenge is None:
        st.write("No challenge has run yet: start one under Challenge, and its models are ranked here.")
        return
    if challenge.running:
        # The file says whether it is shown (another tab of the teacher's may have changed it);
        # only the teacher's own flick of the switch changes the file.
        key = f"teacher_public_{challenge.id}"
        st.session_state[key] = challenge.leaderboard_public
        st.toggle(
            "Show it to the class",
            key=key,
            on_change=lambda: attempt(
                lambda: challenges.show_leaderboard(st.session_state[key]),
                "Cannot change who sees the leaderboard",
            ),
            help="Students then find a Leaderboard page in their navigation (at their next click), with "
            "the ranking in big type.",
        )
    else:
        st.caption(literal(f"{challenge.title} has ended: its results stay here."))
    st.fragment(run_every=REFRESH_S if challenge.running else None)(_table)(challenge, store)


def _table(challenge: Challenge, store: ModelStore) -> None:
    try:
        entries = ranked(challenge, store)
        if not entries:
            st.write("No model has been trained for this challenge yet.")
            return
        st.write(
            f"{len(entries)} model{'s' * (len(entries) != 1)}, best first: ranked by their accuracy on "
            "the hidden test set, then by fewer parameters, then by who trained first. A model just "
            f"trained says “{SCORING}” until its score is in."
        )
        st.dataframe(
            frame(challenge, entries),
            hide_index=True,
            width="stretch",
            column_config={
                "hidden-test accuracy": st.column_config.NumberColumn(format="percent"),
                "parameters": st.column_config.NumberColumn(format="localized"),
            },
        )
        st.download_button(
            "Download every run as CSV",
            leaderboard.csv_text(entries),
            file_name=f"challenge-{challenge.id}.csv",
            mime="text/csv",
            key="teacher_leaderboard_csv",
            on_click="ignore",
            icon=":material/download:",
        )
    except Exception as error:  # A fragment's failure would otherwise reach the page raw.
        show_unexpected(error, "Showing the leaderboard")


def show_big(store: ModelStore, font_size: str = "1.6rem", public_only: bool = False) -> None:
    """The ranking in big type, redrawn live: the projector view (the running challenge's, else
    the last ended one's) and, `public_only`, the students' page (the running challenge's while
    the teacher shows it). Each redraw reads the challenge again."""
    shown = _shown_big(public_only)
    live = shown is not None and shown.running
    st.fragment(run_every=REFRESH_S if live else None)(_big)(store, font_size, public_only)


def _shown_big(public_only: bool) -> Challenge | None:
    if not public_only:
        return shown_challenge()
    running = challenges.current()
    return running if running is not None and running.leaderboard_public else None


def _big(store: ModelStore, font_size: str, public_only: bool) -> None:
    try:
        challenge = _shown_big(public_only)
        if challenge is None:
            st.info(NOT_SHOWN if public_only else "No challenge runs now.")
            return
        st.header(literal(challenge.title))
        entries = ranked(challenge, store)
        if not entries:
            st.markdown(
                f'<p style="font-size:{font_size}">No model yet: be the first!</p>', unsafe_allow_html=True
            )
            return
        st.caption("Ranked by accuracy on test digits nobody in the class has seen; then fewer parameters.")
        st.html(board_html(challenge, entries, font_size))
    except Exception as error:  # A fragment's failure would otherwise reach the page raw.
        show_unexpected(error, "Showing the leaderboard")
