"""The Trust page's sections measured on the test split: noise, changes, calibration, non-digits
and heat maps, each for every chosen model side by side.

Each section asks `trust_jobs.figures` for its figure per model, says in sentences above its
chart what the figures show (computed from them, never written in advance), then draws the
chart; a model still being measured shows a progress bar until the page is redrawn.
"""

from __future__ import annotations

import streamlit as st

from mnist_app.web.plain_text import literal
from mnist_app.web.trust_charts import (
    accuracy_curves,
    bars_frame,
    confidence_chart,
    confidence_frame,
    curves_frame,
    model_bars,
    reliability_chart,
    reliability_frame,
)
from mnist_app.web.trust_jobs import figures

SHIFT = 3  # pixels: the shift the lab's promise is about
TURNED_AWAY = {
    "fashion": "the clothes",
    "noise": "the noise",
    "scribbles": "the scribbles",
    "letters": "the letters",
}
NOISE_EPSILON = 0.1
# The change charts' axes, short enough for a phone's half-width chart (the sentence above says the rest).
AXIS_TITLES = {
    "shift": "pixels moved (left, right, up or down)",
    "turn": "degrees turned (anticlockwise)",
    "scale": "size (1: as drawn)",
    "thickness": "pixels thinner (−) or thicker (+)",
}
STRIP_TITLES = {"fashion": "Clothes", "noise": "Random noise", "scribbles": "Scribbles", "letters": "Letters"}


def percent(value: float) -> str:
    return f"{value:.0%}"


def points(value: float) -> str:
    """A difference of two shares in percentage points, in words."""
    rounded = round(value * 100)
    return f"{rounded} percentage point{'s' if abs(rounded) != 1 else ''}"


def named(names: list[str]) -> str:
    shown = [f"**{literal(name)}**" for name in names]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def noise_curves(models: list, data) -> None:
    fgsm, pgd = figures(models, "fgsm", data), figures(models, "pgd", data)
    names = [m.name for m in models]
    if not fgsm:
        return
    at = [
        f"**{literal(name)}** {percent(curve.at(NOISE_EPSILON))}"
        for name, curve in fgsm.items()
        if NOISE_EPSILON in curve.settings
    ]
    first = next(iter(fgsm.values()))
    st.markdown(
        f"The share of test digits each model still reads right when every pixel of every digit is "
        f"moved by up to ε, against ε. Solid lines: noise made in one step (FGSM), on {first.n:,} test "
        f"digits; dashed: in ten steps (PGD), stronger, on the first "
        f"{next(iter(pgd.values())).n if pgd else 100:,} (ten steps cost ten times as much). "
        f"At ε = {NOISE_EPSILON} ({round(NOISE_EPSILON * 255)} grey levels of 255, a change you can "
        f"barely see), one step leaves {', '.join(at)} right."
    )
    curves = {name: [fgsm[name]] + ([pgd[name]] if name in pgd else []) for name in fgsm}
    dashed = [next(iter(fgsm.values())).title] + ([next(iter(pgd.values())).title] if pgd else [])
    st.altair_chart(
        accuracy_curves(curves_frame(curves), "ε: how far each pixel may move", names, dashed),
        width="stretch",
    )


def shift_sentence(models: list, changes: dict) -> str:
    """What a 3-pixel shift costs each model, and whether the convolutional ones lose less than the
    dense ones, from the measured curves."""
    lost = {}
    for entry in models:
        curve = next((c for c in changes.get(entry.name, []) if c.kind == "shift"), None)
        if curve is not None and SHIFT in curve.settings:
            lost[entry.name] = (curve.at(0), curve.at(SHIFT))
    if not lost:
        return ""
    each = "; ".join(
        f"**{literal(name)}** loses {points(before - after)} ({percent(before)} → {percent(after)})"
        for name, (before, after) in lost.items()
    )
    sentence = f"Moved by {SHIFT} pixels, {each}."
    convolutional = [m.name for m in models if m.convolutional and m.name in lost]
    dense = [m.name for m in models if m.convolutional is False and m.name in lost]
    if convolutional and dense:
        loss = {name: before - after for name, (before, after) in lost.items()}
        worst, best = max(loss[name] for name in convolutional), min(loss[name] for name in dense)
        kinds = (
            "the convolutional network" + ("s " if len(convolutional) > 1 else " ") + named(convolutional),
            "the dense network" + ("s " if len(dense) > 1 else " ") + named(dense),
        )
        if worst < best:
            sentence += (
                f" So {kinds[0]} loses less than {kinds[1]}: its filters find a stroke wherever it "
                "lies, where a dense layer learned each pixel's place."
            )
        else:
            sentence += f" Here {kinds[0]} does not lose less than {kinds[1]}."
    return sentence


def changes(models: list, data) -> None:
    found = figures(models, "changes", data)
    if not found:
        return
    names = [m.name for m in models]
    first = next(iter(found.values()))
    st.markdown(
        f"The share of {first[0].n:,} test digits each model reads right when every digit is changed "
        f"the same way, a chart per change (moved digits go left, right, up or down, a quarter of them each "
        f"way). {shift_sentence(models, found)}"
    )
    kinds = [curve.kind for curve in first]
    for row in range(0, len(kinds), 2):
        for column, kind in zip(st.columns(2), kinds[row : row + 2], strict=False):
            curves = {name: [c for c in kept if c.kind == kind] for name, kept in found.items()}
            curve = curves[next(iter(curves))][0]
            column.markdown(f"**{curve.title}**")
            column.altair_chart(
                accuracy_curves(curves_frame(curves), AXIS_TITLES.get(kind, curve.setting), names),
                width="stretch",
                key=f"trust_{kind}",
            )


def calibration(models: list, data) -> None:
    found = figures(models, "calibration", data)
    if not found:
        return
    st.markdown(
        "A model that says it is 90% sure should be right 9 times in 10. Each chart puts the test "
        "digits in ten bins by how sure the model was and plots how often it was right in each "
        "(grey); the black dashed diagonal is a model exactly as sure as it is right, and a point below "
        "it means over-confident. The **calibration error** is the average gap, weighted by the digits "
        "in each bin. **Temperature scaling** divides the numbers the model turns into probabilities by "
        "one number, fitted on test digits held apart from these, so that its confidence matches "
        "(orange): no answer changes, only how sure it is."
    )
    for column, (name, result) in zip(st.columns(len(found)), found.items(), strict=True):
        before, after = result.before.error, result.after.error
        if after < before - 0.0005:
            verdict = f"brings it to {after:.1%}"
        else:
            verdict = f"leaves it at {after:.1%}: it did not help here"
        column.markdown(
            f"**{literal(name)}**: calibration error {before:.1%}; a temperature of "
            f"{result.temperature:.2f}, fitted on {result.fitted_on:,} held-apart digits, {verdict}."
        )
        column.altair_chart(
            reliability_chart(reliability_frame(result)), width="stretch", key=f"trust_rel_{name}"
        )


def not_a_digit(models: list, data) -> None:
    if tuple(data.class_names) != tuple(str(d) for d in range(10)):
        st.info(f"{literal(data.name)} is not a dataset of digits: choose one of digits in the sidebar.")
        return
    found = figures(models, "not_a_digit", data)
    if not found:
        return
    names = list(found)
    first = next(iter(found.values())).result
    if "fashion" in first.skipped:
        st.markdown("Clothes (Fashion-MNIST) are not installed on this server, so they are left out.")
    st.markdown(
        "How well each model's confidence in its answer tells digits from things that are not digits: "
        "clothes, random noise, scribbles and letters drawn as you would draw them. The bars show the "
        "**area under the ROC curve**, the chance that a digit gets a higher confidence than a "
        "non-digit: 100% always, 50% (the grey line) no better than a coin."
    )
    aurocs = {
        name: {STRIP_TITLES.get(s.source, s.title): s.auroc for s in kept.result.sources}
        for name, kept in found.items()
    }
    st.altair_chart(model_bars(bars_frame(aurocs, "items", "AUROC"), "items", "AUROC", "AUROC", names, 0.5),
                    width="stretch")  # fmt: skip
    titles = {"digits": "Test digits", **STRIP_TITLES}
    for column, (name, kept) in zip(st.columns(len(found)), found.items(), strict=True):
        rejected = ", ".join(
            f"{s.rejected:.0%} of {TURNED_AWAY.get(s.source, s.title)}" for s in kept.result.sources
        )
        column.markdown(
            f'**{literal(name)}** says "this does not look like a digit to me" below a confidence of '
            f"**{kept.result.threshold:.0%}** (the red line), which keeps {kept.result.kept:.0%} of the "
            f"test digits and turns away {rejected}. Each row is one kind of item; the darker a cell, "
            "the more of that row's items the model was that sure of."
        )
        order = [titles[s] for s in kept.shares]
        column.altair_chart(
            confidence_chart(confidence_frame(kept, titles), kept.result.threshold, order),
            width="stretch",
            key=f"trust_confidence_{name}",
        )


def below_chance(found: dict) -> str:
    """The heat maps that did worse than random ink, said plainly: they point beside what matters."""
    worse = [
        f"{score.title} for **{literal(name)}** ({score.score:.0%})"
        for name, scores in found.items()
        for score in scores
        if score.score < 0.5
    ]
    if not worse:
        return ""
    return (
        f" Below the grey line, {', '.join(worse)}: removing the ink that map marks hurts the answer "
        "less than removing ink at random, so it points mostly beside what matters."
    )


def heat_maps(models: list, data) -> None:
    found = figures(models, "deletion", data)
    if not found:
        return
    first = next(iter(found.values()))[0]
    best = "; ".join(
        f"for **{literal(name)}**, {max(scores, key=lambda s: s.score).title} ({max(s.score for s in scores):.0%})"
        for name, scores in found.items()
    )
    st.markdown(
        f"Inside's heat maps say which pixels made the answer. The **deletion score** checks them on "
        f"{first.n:,} test digits: the share for which removing the 10% of the ink the map marks most "
        f"lowers the answer's probability more than removing as much ink at random. 50% (the grey "
        f"line) is what a map of noise would score; 100%, a map that always points at ink that matters. "
        f"The most trustworthy: {best}.{below_chance(found)}"
    )
    scores = {name: {s.title: s.score for s in kept} for name, kept in found.items()}
    st.altair_chart(
        model_bars(
            bars_frame(scores, "heat map", "score"), "heat map", "score", "deletion score", list(found), 0.5
        ),
        width="stretch",
    )
