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
from mnist_app.learning.deletion_scores import INK_SHARE
from mnist_app.learning.heat_map_trust import (
    HeatMapTrust,
    best_layer,
    kept,
    measure,
    score_of,
    trust_key,
)
from mnist_app.learning.model_map import digits_fingerprint, model_file_id
from mnist_app.web.heat_maps import CamLayer
from mnist_app.web.page_errors import attempt
from mnist_app.web.plain_text import literal

POLL_S = 0.5
LAYER_KEY = "inside_cam_layer"
# Whether the learner picked the layer: until then it follows the best score as it becomes known.
PICKED_KEY = "inside_cam_layer_picked"


def share(score: HeatMapTrust) -> str:
    return f"{score.score:.0%}"


def heat_map_scores(saved, inspector, methods: list[str], data) -> tuple[HeatMapTrust, ...] | None:
    """The model's deletion scores on the dataset's test digits, said in a sentence: known, being
    measured (a progress bar), or offered behind a button. The scores, or None while unknown."""
    if data is None or len(data.y_test) == 0 or not saved.reads(data.class_names):
        return None
    model_id = attempt(lambda: model_file_id(saved.path), "Cannot use this model")
    if model_id is None:
        return None
    key = trust_key(model_id, data.name, digits_fingerprint(data))
    scores = kept(key, tuple(methods), inspector.conv_layers)
    if scores is not None:
        say_scores(scores, methods, inspector, data)
        return scores
    job = running_job(key)  # another visitor's request counts as this one's
    if job is None:
        st.markdown(
            "**How far can each heat map be trusted?** A test takes away the "
            f"{INK_SHARE:.0%} of a digit's ink that a map marks strongest, and as much ink at random, "
            f"on {min(heat_map_trust.SAMPLE_SIZE, len(data.y_test)):,} test digits of {literal(data.name)}: a map "
            "worth trusting hurts the answer more. It takes from a few seconds to a minute, once "
            "for this model; then everyone sees the figures here."
        )
        if not st.button("Test the heat maps", icon=":material/fact_check:", key="inside_trust_start"):
            return None
        job = map_job(
            key, lambda on_progress: measure(inspector, key, data.x_test, on_progress), exclusive=False
        )
    if job.done and not job.error:
        say_scores(job.result, methods, inspector, data)
        return job.result
    if job.done:
        st.error(f"Cannot test the heat maps: {literal(job.error)}.", icon=":material/error:")
        return None
    st.fragment(run_every=POLL_S)(follow_job)(job)
    return None


def follow_job(job) -> None:
    """The test's progress bar; once it has ended, the whole page again, to use its figures."""
    if job.done:
        st.rerun()
    st.progress(float(job.fraction), text=f"Testing the heat maps: {literal(job.words or 'waiting')}")


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
        "map marks strongest, and as much ink at random: for how many of "
        f"{n:,} test digits of {literal(data.name)} did the map's choice lower the answer's "
        f"probability more? {'; '.join(part for part in parts if part)}. A map of noise would "
        "score about 50%: a figure near it says that map points beside what matters, one well below it "
        "that the ink it marks matters less than ink taken at random."
    )


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
        return f"{shown} (trusted on {share(found)} of digits)" if found else shown

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
