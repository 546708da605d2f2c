"""The Inside page's "why": a heat map over the digit, what its colours mean for this digit and
class in a sentence, and a colour key whose ends say what they are.

Integrated gradients are in the probability's own units, so the map is told in percentage
points (its pixels add up to the probability's rise from a black image); the input gradient
and Grad-CAM have no unit a learner knows, so their colours are told as relative strengths.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np
import streamlit as st

from mnist_app.datasets.pictures import (
    FITTED_PERCENTILE,
    attribution_scale,
    colorize,
    enlarge,
    overlay,
)
from mnist_app.web.page_errors import attempt
from mnist_app.web.plain_text import literal

MAP_ZOOM = 10
KEY_STOPS = 11
FITTED = f"as strong as the strongest 1 in {round(100 / (100 - FITTED_PERCENTILE))} of its pixels"


@dataclass(frozen=True)
class CamLayer:
    """The convolutional layer Grad-CAM looks at: its Keras name, its title in words, its grid."""

    name: str
    title: str
    grid: tuple[int, ...]


@dataclass(frozen=True)
class Story:
    """What a heat map says, in words: a sentence above it, and its colour key's three labels."""

    sentence: str
    low: str
    middle: str
    high: str


def percent(probability: float) -> str:
    """A probability as a learner reads one (97%, 2.1%, 0.04%), never rounded up to 100% or down to 0%."""
    share = 100 * probability
    if share in (0, 100):
        return f"{share:.0f}%"
    if share >= 99.95:
        return "over 99.9%"
    if share < 0.01:
        return "under 0.01%"
    if share >= 99.5 or 1 <= share < 9.95:
        return f"{share:.1f}%"
    return f"{share:.0f}%" if share >= 9.95 else f"{share:.2g}%"


def points(amount: float) -> str:
    """A change of probability in percentage points, as plain as its size allows."""
    size = abs(100 * amount)
    return f"{size:.1f}" if size >= 0.95 else f"{size:.2g}"


def integrated_story(name: str, probability: float, rise: float, limit: float, strongest: float) -> Story:
    """Integrated gradients: each pixel's share of the rise from black, in percentage points.

    `name` is Markdown already (passed through `literal`); the key's labels are plain text.
    """
    black = probability - rise
    moved = "raised" if rise >= 0 else "lowered"
    sentence = (
        f"**Integrated gradients for {name}.** Starting from a black image, these pixels together "
        f"{moved} the probability of {name} from {percent(black)} (a black image) to "
        f"{percent(probability)} (this digit): each pixel's colour is its share of that change. "
        f"**Red pixels pushed the answer towards {name}; blue pixels pushed it away.** Colours reach "
        f"full strength at {points(limit)} percentage points (1 point: from 50% to 51%, say), "
        f"{FITTED}; the strongest pixel alone {'added' if strongest >= 0 else 'took away'} "
        f"{points(strongest)} percentage points."
    )
    return Story(
        sentence,
        f"blue: −{points(limit)} percentage points or more (away)",
        "0",
        f"red: +{points(limit)} percentage points or more (towards)",
    )


def gradient_story(name: str) -> Story:
    sentence = (
        f"**Input gradient for {name}.** How the probability of {name} would change if a pixel "
        f"were made a little brighter: **red pixels would push the answer towards {name}; blue "
        "pixels would push it away.** It marks empty pixels too, where ink would change the "
        f"answer. Colours are relative: full colour is {FITTED}."
    )
    return Story(sentence, "strongest push away", "none", "strongest push towards")


def grad_cam_story(name: str, layer: str = "", grid: tuple[int, ...] = ()) -> Story:
    """Grad-CAM at a layer (its title as Markdown; "" for the last convolutional one) whose
    feature maps are `grid` cells high and wide (unknown: ())."""
    where = f"**{layer}**" if layer else "the last convolutional layer"
    coarse = (
        f"That layer sees the digit as a grid of {grid[0]}×{grid[1]} cells, each spread over the "
        "pixels it looks at, so the patches are blurred."
        if len(grid) >= 2
        else "That layer sees the digit as a coarse grid, so the patches are blurred."
    )
    sentence = (
        f"**Grad-CAM for {name}.** Where {where} found evidence for {name}: "
        "**the brighter the colour, the more evidence; where the digit shows through, none.** "
        f"{coarse} Colours are relative: full colour is {FITTED}."
    )
    return Story(sentence, "no evidence", "some", "strongest evidence")


def colour_key_html(cmap: str, story: Story, width_px: int) -> str:
    """The colour map as a bar, its three labels beneath (escaped: they may name a class)."""
    colours = colorize(np.linspace(0.0, 1.0, KEY_STOPS), cmap, 0.0, 1.0)
    stops = ", ".join(f"rgb({r},{g},{b})" for r, g, b in colours)
    low, middle, high = (html.escape(label) for label in (story.low, story.middle, story.high))
    return (
        f'<div class="colour-key" role="img" aria-label="Colour key: {low} … {middle} … {high}" '
        f'style="max-width:{width_px}px;font-size:0.8rem;line-height:1.2">'
        f'<div style="height:0.8rem;border-radius:2px;border:1px solid #999;'
        f'background:linear-gradient(to right, {stops})"></div>'
        '<div style="display:grid;grid-template-columns:1fr auto 1fr;gap:0.5rem;margin-top:0.2rem">'
        f"<span>{low}</span><span>{middle}</span><span style='text-align:right'>{high}</span>"
        "</div></div>"
    )


def show_why(
    inspector,
    image: np.ndarray,
    probabilities: np.ndarray,
    target: int,
    method: str,
    class_names,
    layer: CamLayer | None = None,
):
    """The heat map for `target` by `method` over the digit, its sentence above and key below;
    Grad-CAM at `layer` (None: the last convolutional layer)."""
    from mnist_app.learning.inspection import METHOD_TITLES

    name = literal(class_names[target])
    if method == "integrated-gradients":
        result = attempt(lambda: inspector.integrated_gradients(image, target), "Cannot explain the answer")
        attribution = None if result is None else result.attribution
    else:
        attribution = attempt(
            lambda: inspector.attribution(image, target, method, layer.name if layer else None),
            "Cannot explain the answer",
        )
    if attribution is None:
        return
    cmap, low, high = attribution_scale(attribution)
    if method == "integrated-gradients":
        strongest = float(attribution.ravel()[np.abs(attribution).argmax()])
        story = integrated_story(name, float(probabilities[target]), result.rise, high, strongest)
    else:
        story = (
            gradient_story(name)
            if method == "gradient"
            else grad_cam_story(name, literal(layer.title) if layer else "", layer.grid if layer else ())
        )
    st.markdown(story.sentence)
    st.image(
        enlarge(overlay(image, attribution, low, high, cmap=cmap), MAP_ZOOM),
        caption=f"{METHOD_TITLES[method]} for {name}",
    )
    st.html(colour_key_html(cmap, story, 28 * MAP_ZOOM))
