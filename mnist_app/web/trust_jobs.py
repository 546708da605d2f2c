"""The Trust page's models and their figures, measured in the background once per server.

Each figure of each model (`learning.trust_figures`) is read from the disk cache when it is
there. The quick ones still missing are measured by one background job per page view
(`background_jobs`, `jobs.map_jobs`), one exclusive job at a time server-wide and one waiting
per visitor, so no visitor can queue work by flipping the pickers: the job a page no longer
follows is dropped before it starts. The heavy ones (PGD's curve, the heat maps' test) run only
when asked, behind a button. The heat maps' test is Inside's (`heat_map_trust`): the same key,
the same job, the same figures on both pages.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import streamlit as st

from mnist_app.jobs.map_jobs import running_job
from mnist_app.learning import heat_map_trust, trust_figures
from mnist_app.learning.model_store import SavedModel
from mnist_app.web import resources
from mnist_app.web.background_jobs import JobWords, background_result
from mnist_app.web.model_kinds import CNN, network_kind
from mnist_app.web.page_errors import attempt
from mnist_app.web.plain_text import literal
from mnist_app.web.visitors import visitor_token

STARTED_KEY = "trust_started"  # the job this session follows for each slot ("quick", "pgd")
WAITING = "Waiting for another long computation to finish: this server runs one at a time"


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
    """The model loaded (once per server) with what keys its figures: the id of the file as loaded."""
    from mnist_app.learning.model_map import cache_key_id

    model_id = cache_key_id(saved.cache_key)
    model = resources.model(saved)
    kind = network_kind(saved, model)
    return Measured(saved, model, model_id, None if kind is None else kind == CNN)


def figures(models: list[Measured], data, wanted: tuple[str, ...]) -> dict[str, dict[str, object]]:
    """Each wanted quick figure of each model that is ready, by figure then model name; the rest
    measured by one background job, its progress bar here, and the page redrawn when it ends."""
    found: dict[str, dict[str, object]] = {figure: {} for figure in wanted}
    missing = []
    for entry in models:
        for figure in wanted:
            kept = trust_figures.kept(entry.model_id, data, figure)
            if kept is None:
                missing.append((entry, figure))
            else:
                found[figure][entry.name] = kept
    if missing:
        words = JobWords("Measuring the figures below", "Cannot measure the figures", waiting=WAITING)
        results = _measure(missing, data, words, "quick")
        for (name, figure), result in (results or {}).items():
            found[figure][name] = result
    return found


def on_request(models: list[Measured], data, figure: str) -> dict[str, object]:
    """A heavy figure of each model that has it, by name; the others offered behind one button."""
    found, missing = {}, []
    for entry in models:
        kept = trust_figures.kept(entry.model_id, data, figure)
        if kept is None:
            missing.append((entry, figure))
        else:
            found[entry.name] = kept
    if missing:
        what = trust_figures.FIGURE_WORDS[figure]
        words = JobWords(
            f"Measuring {what}",
            f"Cannot measure {what}",
            offer=f"Not measured yet for {_names(entry for entry, _ in missing)}: {what}, a minute or more "
            "on a busy server, once; then everyone sees it here.",
            button="Measure it",
            button_key=f"trust_start_{figure}",
            waiting=WAITING,
        )
        results = _measure(missing, data, words, figure)
        found |= {name: result for (name, _), result in (results or {}).items()}
    return found


def heat_map_scores(entry: Measured, data) -> tuple[heat_map_trust.HeatMapTrust, ...] | None:
    """The model's heat maps' deletion scores (`heat_map_trust`, as Inside measures them), or
    None while they are offered behind a button or measured."""
    from mnist_app.learning.inspection import METHODS
    from mnist_app.learning.model_map import cache_key_id, digits_fingerprint

    inspector = resources.inspector(entry.saved)
    # Keyed as Inside keys it (`heat_map_scores`), so both pages share one job and its figures.
    key = heat_map_trust.trust_key(cache_key_id(entry.saved.cache_key), data.name, digits_fingerprint(data))
    scores = heat_map_trust.kept(key, METHODS, inspector.conv_layers)
    if scores is not None:
        return scores
    words = JobWords(
        f"Testing {entry.name}'s heat maps",
        f"Cannot test {entry.name}'s heat maps",
        offer=f"**{literal(entry.name)}**'s heat maps are not tested yet (the same test as on Inside).",
        button=f"Test the heat maps of {literal(entry.name)}",
        button_key=f"trust_heat_maps_{entry.model_id}",
        waiting="Waiting to test the heat maps: this server runs one long computation at a time",
    )
    return background_result(
        key,
        lambda on_progress: heat_map_trust.measure(inspector, key, data.x_test, on_progress),
        words,
        visitor=visitor_token(),
        icon=":material/fact_check:",
    )


def _measure(missing: list, data, words: JobWords, slot: str) -> dict | None:
    """One job measuring every (model, figure) in `missing`, keyed by them: {(name, figure): result}.

    While the job this session started for `slot` runs, it is the one followed: what is missing
    shrinks as it measures, and a new key then would queue the rest again."""
    ids = repr(sorted((entry.model_id, figure) for entry, figure in missing))
    key = trust_figures.figures_key(hashlib.sha256(ids.encode()).hexdigest(), data, "together")
    started = st.session_state.setdefault(STARTED_KEY, {})
    running = running_job(started.get(slot, key))
    if running is not None and not running.done:
        key = running.key
    started[slot] = key
    # What the job needs from the page's caches is fetched here, on the page's thread; a model
    # whose attacker cannot be made is said once and left out, not the whole section with it.
    attackers = {}
    for entry in {entry.name: entry for entry, figure in missing if figure in ("fgsm", "pgd")}.values():
        attackers[entry.name] = attempt(
            lambda entry=entry: resources.attacker(entry.saved),
            f"Cannot attack {entry.name}",
            "It is left out.",
        )
    missing = [(entry, figure) for entry, figure in missing if attackers.get(entry.name, True) is not None]
    if not missing:
        return None

    def work(on_progress):
        results = {}
        for done, (entry, figure) in enumerate(missing):

            def report(fraction: float, said: str, done=done, name=entry.name) -> None:
                on_progress((done + fraction) / len(missing), f"{name}: {said}")

            results[(entry.name, figure)] = trust_figures.compute(
                figure, entry.model_id, data, entry.model, attackers.get(entry.name), on_progress=report
            )
        return results

    return background_result(key, work, words, visitor=visitor_token(), icon=":material/speed:")


def _names(entries) -> str:
    shown = [f"**{literal(entry.name)}**" for entry in entries]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]
