"""Bar charts as plain HTML, for `st.html`: where a Vega-Lite chart costs more than it shows.

A Vega-Lite chart costs the browser a re-embed whenever it changes, and the server pandas
and Arrow (Streamlit converts its data through them). On the Draw page, redrawn on every
stroke, the probability chart more than doubled the 90th percentile from mouse-up to
prediction with eight people drawing (673 ms with it, 299 ms with these bars; BENCHMARKS
§6); on the Explore page, the first chart's imports ran while the browser waited for the
sample digits (BENCHMARKS §8). These charts are a few rows of HTML that
read the same: every label, its bar and its figure. Labels come from a model's description
or a dataset's class names, so they are escaped.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

import numpy as np

# The first colours of Streamlit's own charts, so these sit well beside them.
COLOURS = ("#0068c9", "#83c9ff")
TRACK = "rgba(128, 128, 128, 0.15)"
COLUMN_HEIGHT = "12rem"


def _bar(share: float, colour: str, height: str = "0.8rem") -> str:
    return (
        f'<span style="display:block;height:{height};background:{TRACK};border-radius:3px;overflow:hidden">'
        f'<span style="display:block;height:100%;width:{share * 100:.2f}%;background:{colour}"></span></span>'
    )


def _grid(name: str, label: str, columns: str, rows: str) -> str:
    return (
        f'<div class="{name}" role="img" aria-label="{label}" style="display:grid;grid-template-columns:{columns};'
        'gap:0.2rem 0.6rem;align-items:center;font-size:0.875rem;margin:0.25rem 0 1rem">'
        f"{rows}</div>"
    )


def probability_bars_html(probabilities: np.ndarray, class_names: Sequence[str]) -> str:
    """A row per class: its name, a bar as long as its probability and the percentage; the
    most likely class in bold."""
    probabilities = np.clip(np.nan_to_num(np.asarray(probabilities, dtype=np.float64)), 0.0, 1.0)
    if len(probabilities) != len(class_names):
        raise ValueError(f"{len(probabilities)} probabilities for {len(class_names)} classes")
    best = int(probabilities.argmax()) if len(probabilities) else -1
    names = [html.escape(str(name)) for name in class_names]
    summary = ", ".join(f"{name} {share:.1%}" for name, share in zip(names, probabilities, strict=True))
    rows = []
    for index, (name, share) in enumerate(zip(names, probabilities, strict=True)):
        weight = "font-weight:700;" if index == best else ""
        rows.append(
            f'<span style="{weight}">{name}</span>{_bar(share, COLOURS[0])}'
            f'<span style="text-align:right;font-variant-numeric:tabular-nums;{weight}">{share:.1%}</span>'
        )
    return _grid(
        "probability-bars",
        f"Probability of each class: {summary}",
        "minmax(1.5rem,max-content) 1fr 3.5rem",
        "".join(rows),
    )


def class_balance_html(class_names: Sequence[str], counts: Mapping[str, Sequence[int]]) -> str:
    """A row per class with a bar for each split (train, test), all to one scale, and the counts."""
    splits = list(counts)
    if len(splits) > len(COLOURS):
        raise ValueError(f"at most {len(COLOURS)} splits, not {len(splits)}")
    lengths = {len(counts[split]) for split in splits}
    if lengths != {len(class_names)}:
        raise ValueError(f"counts for {sorted(lengths)} classes, not {len(class_names)}")
    table = np.array([np.asarray(counts[split], dtype=np.int64) for split in splits])
    most = max(1, int(table.max(initial=0)))
    legend = " ".join(
        f'<span style="color:{colour}">■</span> {html.escape(split)}'
        for split, colour in zip(splits, COLOURS, strict=False)
    )
    rows = [f"<span></span><span>{legend}</span><span></span>"]
    for index, name in enumerate(class_names):
        bars = "".join(_bar(table[row, index] / most, COLOURS[row], "0.55rem") for row in range(len(splits)))
        figures = " / ".join(f"{table[row, index]:,}" for row in range(len(splits)))
        rows.append(
            f"<span>{html.escape(str(name))}</span>"
            f'<span style="display:flex;flex-direction:column;gap:2px">{bars}</span>'
            f'<span style="text-align:right;font-variant-numeric:tabular-nums">{figures}</span>'
        )
    summary = "; ".join(
        f"{html.escape(str(name))}: "
        + ", ".join(f"{table[row, index]:,} {html.escape(split)}" for row, split in enumerate(splits))
        for index, name in enumerate(class_names)
    )
    return _grid(
        "class-balance",
        f"Images per class ({' / '.join(map(html.escape, splits))}): {summary}",
        "minmax(1.5rem,max-content) 1fr max-content",
        "".join(rows),
    )


def histogram_html(bin_starts: Sequence[int], bin_width: int, counts: Sequence[int], unit: str) -> str:
    """Columns as tall as each bin's count, the bins' first values beneath; a tooltip on each."""
    counts = np.asarray(counts, dtype=np.int64)
    if len(bin_starts) != len(counts):
        raise ValueError(f"{len(bin_starts)} bins for {len(counts)} counts")
    most = max(1, int(counts.max(initial=0)))
    columns, labels = [], []
    for start, count in zip(bin_starts, counts, strict=True):
        tip = f"{start}–{start + bin_width - 1}: {count:,} {html.escape(unit)}"
        columns.append(
            f'<span title="{tip}" style="flex:1;height:{count / most * 100:.2f}%;min-height:1px;'
            f'background:{COLOURS[0]};border-radius:2px 2px 0 0"></span>'
        )
        labels.append(f'<span style="flex:1;text-align:center">{start}</span>')
    summary = ", ".join(f"{start}: {count:,}" for start, count in zip(bin_starts, counts, strict=True))
    return (
        f'<div class="histogram" role="img" aria-label="{html.escape(unit)} per intensity from: {summary}" '
        'style="font-size:0.75rem;margin:0.25rem 0 1rem">'
        f'<div style="margin-bottom:2px">{html.escape(unit)}: the tallest column is {most:,}</div>'
        f'<div style="display:flex;align-items:flex-end;gap:3px;height:{COLUMN_HEIGHT};'
        f'border-bottom:1px solid {TRACK}">{"".join(columns)}</div>'
        f'<div style="display:flex;gap:3px;margin-top:2px">{"".join(labels)}</div></div>'
    )
