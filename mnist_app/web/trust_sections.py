"""The Trust page's sections measured on the test split: noise, changes, calibration, non-digits
and heat maps, each for every chosen model side by side.

Each section is given the figures measured so far (`trust_jobs.figures`: one job, its progress
bar above the sections) or asks for its heavy ones on request (`trust_jobs.on_request`, the
heat maps' test), says in sentences above its chart what the figures show (computed from them,
never written in advance), then draws the chart. What the page says of Draw is what Draw does:
the not-a-digit threshold and the temperature saved with each model, not the ones measured here.
"""

from __future__ import annotations

import streamlit as st

from mnist_app.datasets.dataset import DIGIT_NAMES
from mnist_app.learning.attacks import PGD_CURVE_DIGITS, PGD_STEPS
from mnist_app.learning.calibration import BINS
from mnist_app.learning.deletion_scores import INK_SHARE
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
from mnist_app.web.trust_jobs import heat_map_scores, on_request

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
NEAR_CHANCE = 0.05  # a deletion score this close to 50% is no better than random ink
SAME = 0.005  # a saved threshold or temperature this close to the measured one is the same


def percent(value: float) -> str:
    return f"{value:.0%}"


def points(value: float) -> str:
    """A difference of two shares in percentage points, in words."""
    rounded = round(value * 100)
    return f"{rounded} percentage point{'s' if abs(rounded) != 1 else ''}"


def named(names: list[str]) -> str:
    shown = [f"**{literal(name)}**" for name in names]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def noise_curves(models: list, data, found: dict) -> None:
    """FGSM's curves (measured with the page), PGD's on request, in one chart."""
    fgsm = found["fgsm"]
    names = [m.name for m in models]
    top, below = st.container(), st.container()
    with below:
        pgd = on_request(models, data, "pgd")
    if not fgsm:
        return
    at = [
        f"**{literal(name)}** {percent(curve.at(NOISE_EPSILON))}"
        for name, curve in fgsm.items()
        if NOISE_EPSILON in curve.settings
    ]
    first = next(iter(fgsm.values()))
    if pgd:
        stronger = (
            f"dashed: in {PGD_STEPS} steps (PGD), stronger, on the first "
            f"{next(iter(pgd.values())).n:,} ({PGD_STEPS} steps cost {PGD_STEPS} times as much)"
        )
    else:
        stronger = (
            f"noise made in {PGD_STEPS} steps (PGD), stronger, on the first {PGD_CURVE_DIGITS:,}, is "
            "measured on request (below)"
        )
    top.markdown(
        f"The share of test digits each model still reads right when every pixel of every digit is "
        f"moved by up to ε, against ε. Solid lines: noise made in one step (FGSM), on {first.n:,} test "
        f"digits; {stronger}. "
        f"At ε = {NOISE_EPSILON} ({round(NOISE_EPSILON * 255)} grey levels of 255, a change you can "
        f"barely see), one step leaves {', '.join(at)} right."
    )
    curves = {name: [fgsm[name]] + ([pgd[name]] if name in pgd else []) for name in fgsm}
    dashed = [first.title] + ([next(iter(pgd.values())).title] if pgd else [])
    top.altair_chart(
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


def changes(models: list, found: dict) -> None:
    found = found["changes"]
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


def calibration(models: list, found: dict) -> None:
    found = found["calibration"]
    if not found:
        return
    st.markdown(
        "A model that says it is 90% sure should be right 9 times in 10. Each chart puts the test "
        f"digits in {BINS} bins by how sure the model was and plots how often it was right in each "
        "(grey); the black dashed diagonal is a model exactly as sure as it is right, and a point below "
        "it means over-confident. The **calibration error** is the average gap, weighted by the digits "
        "in each bin. **Temperature scaling** divides the numbers the model turns into probabilities by "
        "one number, fitted on test digits held apart from these, so that its confidence matches "
        "(orange): no answer changes, only how sure it is."
    )
    saved = {m.name: m.saved for m in models}
    for column, (name, result) in zip(st.columns(len(found)), found.items(), strict=True):
        before, after = result.before.error, result.after.error
        if after < before - 0.0005:
            verdict = f"brings it to {after:.1%}"
        else:
            verdict = f"leaves it at {after:.1%}: it did not help here"
        column.markdown(
            f"**{literal(name)}**: calibration error {before:.1%}; a temperature of "
            f"{result.temperature:.2f}, fitted on {result.fitted_on:,} held-apart digits, {verdict}. "
            + draw_temperature(saved[name].trust.temperature, result.temperature)
        )
        column.altair_chart(
            reliability_chart(reliability_frame(result)), width="stretch", key=f"trust_rel_{name}"
        )


def draw_temperature(saved: float | None, measured: float) -> str:
    """Whether Draw can show this model's calibrated probabilities, and with which temperature."""
    if saved is None:
        return (
            "It was saved without a temperature, so Draw cannot show its calibrated probabilities "
            f"(with this one, {measured:.2f}, it would)."
        )
    if abs(saved - measured) <= SAME * max(1.0, measured):
        return "Draw uses this temperature, saved with the model, for its calibrated probabilities."
    return f"Draw uses the temperature saved with the model, {saved:.2f}, for its calibrated probabilities."


def not_a_digit(models: list, data, found: dict) -> None:
    if tuple(data.class_names) != DIGIT_NAMES:
        st.info(f"{literal(data.name)} is not a dataset of digits: choose one of digits in the sidebar.")
        return
    found = found["not_a_digit"]
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
    saved = {m.name: m.saved for m in models}
    for column, (name, kept) in zip(st.columns(len(found)), found.items(), strict=True):
        threshold = saved[name].trust.threshold
        column.markdown(
            threshold_words(name, threshold, kept.result)
            + " Each row is one kind of item; the darker a cell, the more of that row's items the model "
            "was that sure of."
        )
        order = [titles[s] for s in kept.shares]
        line = kept.result.threshold if threshold is None else threshold
        column.altair_chart(
            confidence_chart(confidence_frame(kept, titles), line, order),
            width="stretch",
            key=f"trust_confidence_{name}",
        )


def threshold_words(name: str, saved: float | None, result) -> str:
    """What Draw says of this model's readings: "not a digit" below the threshold saved with it,
    or never, for a model saved without one; and what the threshold measured here would do."""
    rejected = ", ".join(f"{s.rejected:.0%} of {TURNED_AWAY.get(s.source, s.title)}" for s in result.sources)
    would = f"keeps {result.kept:.0%} of the test digits and turns away {rejected}"
    if saved is None:
        return (
            f'**{literal(name)}** was saved without a not-a-digit threshold, so Draw never says "this '
            f'does not look like a digit to me" for it. Measured here, the threshold would be '
            f"**{result.threshold:.0%}** (the red line), which {would}."
        )
    said = (
        f'On Draw, **{literal(name)}** says "this does not look like a digit to me" below a confidence '
        f"of **{saved:.0%}** (the red line), the threshold saved with it"
    )
    if abs(saved - result.threshold) <= SAME:
        return f"{said}, which {would}."
    return f"{said}. Measured on these digits, it would be {result.threshold:.0%}, which {would}."


def heat_maps(models: list, data) -> None:
    """Each model's heat maps weighed by Inside's test, Grad-CAM at the layer where it scores best."""
    from mnist_app.learning.heat_map_trust import NO_LAYER, best_layer
    from mnist_app.learning.inspection import METHOD_TITLES
    from mnist_app.learning.model_layers import layer_titles

    found, layers = {}, {}
    for entry in models:
        scores = heat_map_scores(entry, data)
        if not scores:
            continue
        best = best_layer(scores)
        shown = [s for s in scores if s.layer in (NO_LAYER, best)]
        found[entry.name] = {METHOD_TITLES[s.method]: s for s in shown}
        if best is not None:
            layers[entry.name] = layer_titles(entry.model).get(best, best)
    if not found:
        return
    n = next(iter(next(iter(found.values())).values())).n
    at = "; ".join(f"for **{literal(name)}**, at **{literal(title)}**" for name, title in layers.items())
    best = "; ".join(
        f"for **{literal(name)}**, {title} (it beat random ink on {score.score:.0%} of digits)"
        for name, scores in found.items()
        for title, score in [max(scores.items(), key=lambda item: item[1].score)]
    )
    st.markdown(
        f"Inside's heat maps say which pixels made the answer. The **deletion score** checks them on "
        f"{n:,} test digits: take away the {INK_SHARE:.0%} of the ink the map marks most, and as much "
        "ink at random; the score is how often the map's choice lowers the answer's probability more. "
        "50% (the grey line) is no better than random ink; 100%, a map that always points at ink "
        "that matters. "
        + (f"Grad-CAM is shown at the layer where it scores best: {at}. " if at else "")
        + f"The best: {best}.{near_chance(found)}"
    )
    scores = {name: {title: s.score for title, s in kept.items()} for name, kept in found.items()}
    st.altair_chart(
        model_bars(
            bars_frame(scores, "heat map", "score"), "heat map", "score", "deletion score", list(found), 0.5
        ),
        width="stretch",
    )


def near_chance(found: dict) -> str:
    """The heat maps that did no better than random ink, or worse, said plainly."""
    none = [
        f"{title} for **{literal(name)}** ({score.score:.0%})"
        for name, scores in found.items()
        for title, score in scores.items()
        if abs(score.score - 0.5) <= NEAR_CHANCE
    ]
    worse = [
        f"{title} for **{literal(name)}** ({score.score:.0%})"
        for name, scores in found.items()
        for title, score in scores.items()
        if score.score < 0.5 - NEAR_CHANCE
    ]
    said = f" No better than random ink: {', '.join(none)}." if none else ""
    if worse:
        said += (
            f" Below it, {', '.join(worse)}: the ink that map marks matters less to the answer than ink "
            "taken at random."
        )
    return said
