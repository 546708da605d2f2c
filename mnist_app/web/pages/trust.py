"""Trust: where a model's reading breaks. Fooled by noise, shaken by a shift, sure when wrong,
asked about things that are not digits, and how far its heat maps can be believed.

The model in use and any others the learner picks, side by side. The attack on one digit
is a fragment (a stroke or a move of ε reruns it alone); the figures on the test split are
background jobs shared by every visitor and kept on disk (`trust_jobs`), the heavy ones only
on request.
"""

import streamlit as st

from mnist_app.datasets.dataset import DIGIT_NAMES
from mnist_app.learning import trust_figures
from mnist_app.web import resources
from mnist_app.web.model_kinds import default_second, network_kind
from mnist_app.web.page_errors import attempt
from mnist_app.web.plain_text import literal
from mnist_app.web.sidebar import choose_dataset, choose_model
from mnist_app.web.trust_attack import fooled_by_noise
from mnist_app.web.trust_jobs import figures, measured
from mnist_app.web.trust_sections import calibration, changes, heat_maps, noise_curves, not_a_digit

OTHERS_KEY = "trust_others"
BESIDE_KEY = "trust_others_beside"  # the model in use the choice of others was made beside
SHOWN_KEY = "trust_shown"  # the model in use the page measured last, to say when it changes
MAX_OTHERS = 3


def choose_others(in_use, usable: list, class_names) -> list:
    """Models beside the one in use, as Draw picks its second: at first the newest of the other kind."""
    others = [saved for saved in usable if saved.name != in_use.name and saved.reads(class_names)]
    names = [saved.name for saved in others]
    if st.session_state.get(BESIDE_KEY) != in_use.name:
        kinds = {saved.name: network_kind(saved) for saved in others}
        second = default_second(network_kind(in_use), others, kinds)
        st.session_state[OTHERS_KEY] = [second] if second in names else []
        st.session_state[BESIDE_KEY] = in_use.name
    st.session_state[OTHERS_KEY] = [n for n in st.session_state.get(OTHERS_KEY, []) if n in names]
    if not others:
        st.caption(
            "Train another model on the Train page (a CNN beside an MLP, say) to see them side by side."
        )
        return []
    labels = {saved.name: saved.label for saved in others}
    chosen = st.multiselect(
        "Beside the model in use",
        names,
        key=OTHERS_KEY,
        format_func=labels.get,
        max_selections=MAX_OTHERS,
        help="Other saved models measured the same way, side by side",
    )
    return [saved for saved in others if saved.name in chosen]


def say_if_changed(saved) -> None:
    """The page measures another model in use than it did last: say so, whoever changed it."""
    before = st.session_state.get(SHOWN_KEY)
    st.session_state[SHOWN_KEY] = saved.name
    if before is not None and before != saved.name:
        st.info(
            f"The page now measures **{literal(saved.name)}** (it measured **{literal(before)}**).",
            icon=":material/swap_horiz:",
        )


def main() -> None:
    st.title("How far to trust it")
    saved_models = resources.model_store().list()
    saved = choose_model(saved_models)
    _, data = choose_dataset()
    with st.sidebar:
        st.subheader("Brush")
        brush = st.slider("Brush width", 8, 40, 22, key="trust_brush")
    if saved is None:
        st.warning("There is no saved model to question: train one on the Train page first.")
        return
    if data is None:
        return
    st.markdown(
        "A model that reads 98% of the test digits right still breaks in ways a person would not: "
        "noise no one can see, a digit moved a few pixels, a wrong answer given with full confidence, "
        "a scribble read as an 8. This page finds where, for the model in use and any others you add."
    )
    say_if_changed(saved)
    if not saved.reads(data.class_names):
        st.warning(
            f"**{literal(saved.name)}** was trained on other classes than {literal(data.name)} has: "
            "choose another model or dataset in the sidebar.",
            icon=":material/warning:",
        )
        return
    usable = [entry for entry in saved_models if not entry.error]
    chosen = [saved, *choose_others(saved, usable, data.class_names)]
    models = [
        entry
        for entry in (
            attempt(lambda s=s: measured(s), f"Cannot use {s.name}", "It is left out.") for s in chosen
        )
        if entry is not None
    ]
    if not models:
        return
    quick = tuple(f for f in trust_figures.FIGURES if f not in trust_figures.HEAVY)
    if tuple(data.class_names) != DIGIT_NAMES:  # clothes are no non-digits to a model of clothes
        quick = tuple(f for f in quick if f != "not_a_digit")
    found = attempt(lambda: figures(models, data, quick), "Measuring the figures") or {f: {} for f in quick}
    found.setdefault("not_a_digit", {})
    sections = [
        ("Fooled by noise", lambda: fooled_by_noise(models, data, brush)),
        ("Many test digits against noise", lambda: noise_curves(models, data, found)),
        ("Shaken by a shift", lambda: changes(models, found)),
        ("Sure when wrong", lambda: calibration(models, found)),
        ("That is not a digit", lambda: not_a_digit(models, data, found)),
        ("How far to trust a heat map", lambda: heat_maps(models, data)),
    ]
    for title, show in sections:
        st.header(title, divider="grey")
        attempt(show, f"Showing {title.lower()}")


main()
