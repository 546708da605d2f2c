"""Every class's probability as a row of plain HTML bars, for the Draw page's every stroke.

A Vega-Lite chart is re-embedded in the browser on every run that changes it: on the Draw
page that was most of a stroke's cost once eight people drew at once (90th percentile 673 ms
from mouse-up to prediction with the chart, 323 ms without; BENCHMARKS §6). Ten rows of
HTML cost the browser next to nothing and read the same: class, bar, percentage.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np

BAR_COLOUR = "#0068c9"  # the first colour of Streamlit's own charts
TRACK_COLOUR = "rgba(128, 128, 128, 0.15)"


def probability_bars_html(probabilities: np.ndarray, class_names: Sequence[str]) -> str:
    """A row per class: its name, a bar as long as its probability and the percentage; the
    most likely class in bold. Names come from a model's description, so they are escaped."""
    probabilities = np.clip(np.asarray(probabilities, dtype=np.float64), 0.0, 1.0)
    if len(probabilities) != len(class_names):
        raise ValueError(f"{len(probabilities)} probabilities for {len(class_names)} classes")
    best = int(probabilities.argmax()) if len(probabilities) else -1
    summary = ", ".join(
        f"{html.escape(str(name))} {share:.1%}"
        for name, share in zip(class_names, probabilities, strict=True)
    )
    rows = []
    for index, (name, share) in enumerate(zip(class_names, probabilities, strict=True)):
        weight = "font-weight:700;" if index == best else ""
        rows.append(
            f'<span style="{weight}">{html.escape(str(name))}</span>'
            f'<span style="height:0.8rem;background:{TRACK_COLOUR};border-radius:3px;overflow:hidden">'
            f'<span style="display:block;height:100%;width:{share * 100:.2f}%;background:{BAR_COLOUR}">'
            "</span></span>"
            f'<span style="text-align:right;font-variant-numeric:tabular-nums;{weight}">{share:.1%}</span>'
        )
    return (
        f'<div class="probability-bars" role="img" aria-label="Probability of each class: {summary}" '
        'style="display:grid;grid-template-columns:minmax(1.5rem,max-content) 1fr 3.5rem;'
        'gap:0.2rem 0.6rem;align-items:center;font-size:0.875rem;margin:0.25rem 0 1rem">'
        + "".join(rows)
        + "</div>"
    )
