"""The Trust page's models and their figures, measured in the background once per server.

Each figure of each model (`learning.trust_figures`) is read from the disk cache when it is
there; otherwise it is a background job keyed by the model file, the test digits and the
figure (`jobs.map_jobs`), so a second visitor asking for the same figure waits for the same
job, and heavy jobs run one at a time server-wide: no visitor can make the server attack
thousands of digits per page view. A fragment polls the jobs still running and redraws the
page once they have ended.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from mnist_app.jobs.map_jobs import map_job, running_job
from mnist_app.learning import trust_figures
from mnist_app.learning.model_store import SavedModel
from mnist_app.web import resources
from mnist_app.web.plain_text import literal

POLL_S = 0.5


@dataclass(frozen=True)
class Measured:
    """A model the page measures: its file, the loaded model, its file's id, its kind in words."""

    saved: SavedModel
    model: object
    model_id: str
    convolutional: bool | None  # None: its layers are unknown

    @property
    def name(self) -> str:
        return self.saved.name


def measured(saved: SavedModel) -> Measured:
    """The model loaded (once per server) with what keys its figures."""
    from mnist_app.learning.designs import CONV, DesignError
    from mnist_app.learning.model_map import model_file_id
    from mnist_app.learning.recipes import recipe

    model = resources.model(saved)
    try:
        convolutional = any(layer.kind == CONV for layer in recipe(saved.metadata, model).layers)
    except DesignError:
        convolutional = None
    return Measured(saved, model, model_file_id(saved.path), convolutional)


def figures(models: list[Measured], figure: str, data) -> dict[str, object]:
    """Each model's figure that is ready, by name; those still measured get a progress bar, and a
    failure its message. The page shows what it has and is redrawn when the rest arrives."""
    ready: dict[str, object] = {}
    pending = []
    for entry in models:
        found = trust_figures.kept(entry.model_id, data, figure)
        if found is not None:
            ready[entry.name] = found
            continue
        key = trust_figures.figures_key(entry.model_id, data, figure)
        job = running_job(key)  # a failed job is shown, not started again on every poll
        if job is None:
            job = map_job(key, _work(entry, figure, data))
        if job.done and not job.error:
            ready[entry.name] = job.result
        elif job.done:
            st.error(
                f"Cannot measure {trust_figures.FIGURE_WORDS[figure]} for **{literal(entry.name)}**: "
                f"{literal(job.error)}.",
                icon=":material/error:",
            )
        else:
            pending.append((entry.name, job))
    if pending:
        st.fragment(run_every=POLL_S)(_follow)(pending, figure)
    return ready


def _work(entry: Measured, figure: str, data):
    """What the job runs: what it needs from the page's caches is fetched here, on the page's thread."""
    attacker = resources.attacker(entry.saved) if figure in ("fgsm", "pgd") else None
    inspector = resources.inspector(entry.saved) if figure == "deletion" else None

    def work(on_progress):
        return trust_figures.compute(
            figure, entry.model_id, data, entry.model, attacker, inspector, on_progress=on_progress
        )

    return work


def _follow(pending: list, figure: str) -> None:
    """A bar per job still running; once all have ended, the whole page again, to draw them."""
    if all(job.done for _, job in pending):
        st.rerun()
    for name, job in pending:
        st.progress(float(job.fraction), text=f"**{literal(name)}**: {literal(job.words or 'waiting')}")
