"""Inside's "how far to trust each heat map": the deletion test's figures in a sentence above the
method picker, measured on request by a background job (one per model file and dataset on the
whole server, `map_jobs`), and the picker of the layer Grad-CAM looks at, which starts at the
layer that scored best. Nothing here runs the test during a stroke: a stroke only reads what
is known.
"""

from __future__ import annotations

import streamlit as st

from mnist_app.jobs.map_jobs import map_job, running_job
from mnist_app.learning import heat_map_trust
from mnist_app.learning.deletion_scores import INK_SHARE, RANDOM_DRAWS
from mnist_app.learning.heat_map_trust import (
    HeatMapTrust,
    best_layer,
    kept,
    measure,
    score_of,
    trust_key,
)
from mnist_app.learning.model_map import cache_key_id, digits_fingerprint
from mnist_app.web.background_jobs import POLL_S, follow_job
from mnist_app.web.heat_maps import CamLayer
from mnist_app.web.page_errors import attempt
from mnist_app.web.plain_text import literal
from mnist_app.web.visitors import visitor_token

LAYER_KEY = "inside_cam_layer"
# Whether the learner picked the layer: until then it follows the best score as it becomes known.
PICKED_KEY = "inside_cam_layer_picked"
WAITING_WORDS = "Waiting for another long computation to finish: this server runs one at a time"


def share(score: HeatMapTrust) -> str:
    return f"{score.score:.0%}"


def beat_random(score: HeatMapTrust) -> str:
    """A score beside a name: how often the map's ink mattered more than random ink."""
    return f"beat random ink on {share(score)} of digits"


def heat_map_scores(saved, inspector, methods: list[str], data) -> tuple[HeatMapTrust, ...] | None:
    """The model's deletion scores on the dataset's test digits, said in a sentence: known, being
    measured (a progress bar), or offered behind a button. The scores, or None while unknown."""
    if data is None or len(data.y_test) == 0 or not saved.reads(data.class_names):
        return None
    # The id of the file the inspector was loaded from, not of a fresh look at the path.
    model_id = attempt(lambda: cache_key_id(saved.cache_key), "Cannot use this model")
    if model_id is None:
        return None
    key = trust_key(model_id, data.name, digits_fingerprint(data))
    scores = kept(key, tuple(methods), inspector.conv_layers)
    if scores is not None:
        say_scores(scores, methods, inspector, data)
        return scores
    job = running_job(key)  # another visitor's request counts as this one's
    if job is not None and job.done and job.error:  # said, then offered again: asking again retries
        st.error(f"Cannot test the heat maps: {literal(job.error)}.", icon=":material/error:")
        job = None
    if job is None:
        st.markdown(
            "**How far can each heat map be trusted?** A test takes away the "
            f"{INK_SHARE:.0%} of a digit's ink that a map marks strongest, and as much ink at random, "
            f"on {min(heat_map_trust.SAMPLE_SIZE, len(data.y_test)):,} test digits of {literal(data.name)}: a map "
            "worth trusting hurts the answer more than random ink does. It runs once for this model, "
            "in the background; then everyone sees the figures here."
        )
        if not st.button("Test the heat maps", icon=":material/fact_check:", key="inside_trust_start"):
            return None
        job = attempt(
            lambda: map_job(
                key,
                lambda on_progress: measure(inspector, key, data.x_test, on_progress),
                visitor=visitor_token(),
                waiting_words=WAITING_WORDS,
            ),
            "Cannot test the heat maps now",
        )
        if job is None:
            return None
    if job.done and not job.error:
        say_scores(job.result, methods, inspector, data)
        return job.result
    if job.done:  # failed at once: said on the next run, with the offer to try again
        st.rerun()
    # Polling tells the job it is still awaited: one nobody follows is dropped before it starts.
    st.fragment(run_every=POLL_S)(follow_job)(job, "Testing the heat maps")
    return None


def say_scores(scores: tuple[HeatMapTrust, ...], methods: list[str], inspector, data) -> None:
    """Each method's score in one sentence, Grad-CAM's at each of its layers."""
    from mnist_app.learning.inspection import METHOD_TITLES
    from mnist_app.learning.model_layers import layer_titles

    titles = layer_titles(inspector.model)
    parts = []
    for method in methods:
        if method != "grad-cam":
            found = score_of(scores, method)
            parts.append(f"{METHOD_TITLES[method]}: {share(found)}" if found else "")
            continue
        at = [
            f"{share(found)} at **{literal(titles.get(layer, layer))}**"
            for layer in inspector.conv_layers
            if (found := score_of(scores, method, layer))
        ]
        parts.append(f"Grad-CAM: {', '.join(at)}")
    n = scores[0].n
    st.markdown(
        f"**How far to trust each heat map.** Take away the {INK_SHARE:.0%} of a digit's ink that a "
        f"map marks strongest, or as much ink at random, {RANDOM_DRAWS} times over: how often did the "
        f"map's choice lower the answer's probability more than the random ink, on {n:,} test digits "
        f"of {literal(data.name)}? {'; '.join(part for part in parts if part)}. A map of noise "
        "beats random ink half the time: a figure near 50% says that map is no better than random "
        "ink, one well above it that it points at ink the answer rests on, one well below it that "
        "the ink it marks matters less than ink taken at random."
    )


def method_title(method: str, scores: tuple[HeatMapTrust, ...] | None) -> str:
    """A method's name for the picker, with its score when known (Grad-CAM's at its best layer)."""
    from mnist_app.learning.inspection import METHOD_TITLES

    title = METHOD_TITLES.get(method, method)
    layer = best_layer(scores) if method == "grad-cam" else heat_map_trust.NO_LAYER
    found = score_of(scores, method, layer) if layer is not None else None
    if found is None:
        return title
    at_best = " at its best layer" if method == "grad-cam" else ""
    return f"{title} ({beat_random(found)}{at_best})"


def choose_cam_layer(inspector, scores: tuple[HeatMapTrust, ...] | None, views) -> CamLayer | None:
    """The layer Grad-CAM looks at: picked among the convolutional layers (titled in words, with
    their scores when known), at first the one that scored best, else the last."""
    from mnist_app.learning.model_layers import layer_titles

    layers = inspector.conv_layers
    if not layers:
        return None
    titles = layer_titles(inspector.model)
    grids = {view.name: view.shape[:2] for view in views}
    default = best_layer(scores) or layers[-1]
    if st.session_state.get(LAYER_KEY) not in layers or not st.session_state.get(PICKED_KEY):
        st.session_state[LAYER_KEY] = default
        st.session_state[PICKED_KEY] = False

    def label(layer: str) -> str:
        found = score_of(scores, "grad-cam", layer)
        shown = titles.get(layer, layer)
        return f"{shown} ({beat_random(found)})" if found else shown

    if len(layers) > 1:
        st.selectbox(
            "Grad-CAM looks at",
            layers,
            key=LAYER_KEY,
            format_func=label,
            on_change=lambda: st.session_state.__setitem__(PICKED_KEY, True),
            help="A convolutional layer near the input sees fine detail, one near the output a coarse grid: "
            + (
                "at first, the layer whose map scored best in the test above"
                if scores
                else "at first, the last"
            ),
        )
    layer = st.session_state[LAYER_KEY]
    return CamLayer(layer, titles.get(layer, layer), tuple(grids.get(layer, ())))
