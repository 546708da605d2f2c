"""Build's training: the learner's choices, the variants trained side by side, and their jobs.

TensorFlow is imported only when a network is trained (or a job is shown): the editor above
must answer every edit at once, even while the server is still starting TensorFlow.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from mnist_app import settings
from mnist_app.datasets.dataset import Dataset
from mnist_app.learning import design_variants, epoch_estimate
from mnist_app.learning.design_plan import Plan, plan
from mnist_app.learning.design_variants import MAX_VARIANTS, Variant
from mnist_app.learning.designs import Layer
from mnist_app.learning.limits import BATCH_SIZES, OPTIMIZERS
from mnist_app.learning.model_store import ModelStore
from mnist_app.learning.training_choices import (
    EPOCHS_RANGE,
    LABEL_NOISES,
    LEARNING_RATES,
    SEED_RANGE,
    Choices,
    train_sizes,
    value_text,
)
from mnist_app.web.build_editor import YOURS
from mnist_app.web.page_errors import attempt
from mnist_app.web.plain_text import literal

if TYPE_CHECKING:
    from mnist_app.classroom.challenges import Challenge
    from mnist_app.classroom.rules import Rules

JOBS_KEY = "build_jobs"
LABELS_KEY = "build_job_labels"
VARY_KEY = "build_vary"
# The models a run of several trained, for the Compare page to start from (as Train's).
# Each choice's widget.
KEYS = {
    "optimizer": "build_optimizer",
    "learning_rate": "build_learning_rate",
    "batch_size": "build_batch_size",
    "epochs": "build_epochs",
    "augment": "build_augment",
    "train_size": "build_train_size",
    "label_noise": "build_label_noise",
    "seed": "build_seed",
}
TRAINING_ACCURACY, TEST_ACCURACY = "training images read right (%)", "test digits read right (%)"
# How often the saved models' descriptions are read again for the epoch estimate, in seconds.
DESCRIPTIONS_TTL_S = 5


@st.cache_resource(show_spinner=False, ttl=DESCRIPTIONS_TTL_S, max_entries=4)
def _descriptions(root: str) -> tuple[dict, ...]:
    """The saved models' descriptions, read again every few seconds rather than on every edit."""
    return tuple(saved.metadata for saved in ModelStore(Path(root)).list() if not saved.error)


def epoch_seconds(
    design: Plan, chosen: Choices, data: Dataset | None, store: ModelStore
) -> tuple[epoch_estimate.Estimate, int]:
    """About how long an epoch of the design takes with these choices on `data`, and how many
    training images that epoch reads."""
    train_images, test_images = chosen.images(data)
    estimate = epoch_estimate.estimate(
        design, train_images, test_images, chosen.batch_size, chosen.augment, _descriptions(str(store.root))
    )
    return estimate, train_images


def set_choices(choices: Choices) -> None:
    """Put these choices in the widgets (before they are drawn): a link's, or the defaults."""
    for name, key in KEYS.items():
        st.session_state[key] = getattr(choices, name)


def choices(available: int, rules: Rules | None = None) -> Choices:
    """The choices as the widgets hold them (the defaults on a first visit), on a dataset of
    `available` training images; a challenge's `rules` may fix a training-set size the page
    would not offer otherwise."""
    if any(key not in st.session_state for key in KEYS.values()):
        defaults = Choices()
        for name, key in KEYS.items():
            st.session_state.setdefault(key, getattr(defaults, name))
    held = Choices(**{name: st.session_state[key] for name, key in KEYS.items()})
    fitted = held.fitted(available)
    if rules is not None and held.train_size == rules.train_size:
        fitted = replace(fitted, train_size=held.train_size)
    return fitted


def _sizes(available: int, rules: Rules | None) -> tuple[int, ...]:
    """The training-set sizes offered, with a challenge's own among them ("all", 0, last)."""
    offered = train_sizes(available)
    if rules is None or rules.train_size in offered:
        return offered
    return (*sorted({*offered[:-1], rules.train_size}), 0)


def _noises(rules: Rules | None) -> tuple[float, ...]:
    """The shares of wrong labels offered, with a challenge's own among them."""
    return LABEL_NOISES if rules is None else tuple(sorted({*LABEL_NOISES, rules.label_noise}))


def choice_widgets(available: int, disabled: bool, rules: Rules | None = None) -> Choices:
    """The training choices, each with a word on what it does; only the training-set sizes the
    dataset has (one it lacks, from a link or another dataset, shows as all of them). Under a
    challenge's `rules` the data choices are fixed and the epochs capped."""
    st.session_state[KEYS["train_size"]] = choices(available, rules).train_size
    options = {"disabled": disabled, "persist_state": "session"}
    fixed = {"disabled": True, "persist_state": "session"} if rules is not None else options
    why_fixed = " Fixed by the challenge." if rules is not None else ""
    first = st.columns(4)
    first[0].selectbox(
        "Optimizer",
        OPTIMIZERS,
        format_func=lambda name: value_text("optimizer", name),
        key=KEYS["optimizer"],
        help="How the weights change after each batch. Adam, the lab's, gives each weight its own "
        "step size; SGD with momentum takes plain steps that gather speed; RMSprop scales each "
        "step by the recent gradients.",
        **options,
    )
    first[1].select_slider(
        "Learning rate",
        LEARNING_RATES,
        format_func=lambda rate: value_text("learning_rate", rate),
        key=KEYS["learning_rate"],
        help="How big each step is: too small learns slowly, too big jumps past the answer.",
        **options,
    )
    first[2].selectbox(
        "Batch size",
        BATCH_SIZES,
        key=KEYS["batch_size"],
        help="How many images each step learns from (the lab's: 32).",
        **options,
    )
    first[3].number_input(
        "Epochs",
        EPOCHS_RANGE[0],
        EPOCHS_RANGE[1] if rules is None else rules.max_epochs,
        key=KEYS["epochs"],
        help="How many times it goes through the training images."
        + (f" The challenge allows at most {rules.max_epochs}." if rules is not None else ""),
        **options,
    )
    second = st.columns(4)
    second[0].select_slider(
        "Training images",
        _sizes(available, rules),
        format_func=lambda size: value_text("train_size", size),
        key=KEYS["train_size"],
        help=f"How many of the dataset's {available:,} training images it learns from, drawn at "
        "random (the seed fixes which)." + why_fixed,
        **fixed,
    )
    second[1].select_slider(
        "Wrong labels",
        _noises(rules),
        format_func=lambda share: value_text("label_noise", share),
        key=KEYS["label_noise"],
        help="The share of training labels replaced by another digit at random; the test digits "
        "keep their true labels." + why_fixed,
        **fixed,
    )
    second[2].toggle(
        "Augmentation",
        key=KEYS["augment"],
        help="Train on copies of each digit turned, shifted and zoomed a little at random.",
        **options,
    )
    second[3].number_input(
        "Seed",
        *SEED_RANGE,
        key=KEYS["seed"],
        help="The number that fixes the random draws (which images, which labels go wrong): "
        "the same seed draws the same.",
        **options,
    )
    return choices(available, rules)


# The choices a challenge fixes, never varied under one.
FIXED_BY_CHALLENGE = ("train_size", "label_noise")


def variant_picker(
    layers: tuple[Layer, ...], chosen: Choices, available: int, disabled: bool, challenge: bool = False
) -> list[Variant] | None:
    """One network, or up to four variants differing in one choice; None until two are chosen.
    Under a `challenge`, the data choices it fixes are not offered."""
    found = {
        variable.key: variable
        for variable in design_variants.variables(layers, available)
        if not (challenge and variable.key in FIXED_BY_CHALLENGE)
    }
    left, right = st.columns(2)
    vary = left.selectbox(
        "Train side by side, varying",
        ["", *found],
        format_func=lambda key: found[key].title if key else "nothing: train this one network",
        key=VARY_KEY,
        disabled=disabled,
        help=f"Train up to {most_variants()} copies of this network that differ in one choice, on the "
        "same images, then compare them.",
    )
    if not vary:
        return [Variant(layers, chosen, YOURS)]
    variable = found[vary]
    values = right.multiselect(
        f"Values of {variable.title}",
        variable.options,
        format_func=variable.value_text,
        max_selections=most_variants(),
        key=f"build_vary_values_{variable.key}",
        disabled=disabled,
        placeholder=f"Choose 2 to {most_variants()}",
    )
    return design_variants.variants(layers, chosen, variable, values) if len(values) > 1 else None


def most_variants() -> int:
    """Build's four variants, or fewer where the server lets one visitor train fewer at once."""
    return max(2, min(MAX_VARIANTS, settings.jobs_per_visitor()))


def variant_problems(variants: list[Variant]) -> list[str]:
    """What stops a variant being trained (a layer made too big, say), in the learner's words."""
    found = []
    for variant in variants:
        for remark in plan(variant.layers).problems:
            at = f"layer {remark.position}: " if remark.position else ""
            found.append(f"With {variant.label}, {at}{remark.message}")
    return found


def start(
    data: Dataset,
    variants: list[Variant],
    store: ModelStore,
    challenge: Challenge | None = None,
    spec: str | None = None,
) -> None:
    """A training job per variant, on the same data (`spec`: as the sidebar opened it); the
    page follows them from the next run. Under a `challenge`, the server checks its rules."""
    with st.spinner("Starting TensorFlow…"):
        from mnist_app.web import page_jobs
    configs = [variant.choices.config(variant.layers) for variant in variants]
    started = attempt(
        lambda: page_jobs.start(data, configs, store, challenge=challenge, spec=spec), "Cannot start training"
    )
    if started:
        st.session_state[JOBS_KEY] = started
        st.session_state[LABELS_KEY] = [variant.label for variant in variants]
        st.rerun()


def stop_all() -> None:
    for job in st.session_state.get(JOBS_KEY, []):
        job.stop()


def running() -> bool:
    return any(job.snapshot().active for job in st.session_state.get(JOBS_KEY, []))


def show_jobs() -> None:
    """This session's Build jobs: progress and curves while they run, then what they came to."""
    jobs = st.session_state.get(JOBS_KEY, [])
    if not jobs:
        return
    from mnist_app.web import live_jobs, page_jobs

    labels = st.session_state.get(LABELS_KEY) or [YOURS] * len(jobs)
    live_jobs.follow(
        jobs,
        seen_key="build_jobs_seen",
        doing="Showing the training jobs",
        live=lambda snapshots: _curves(labels, snapshots),
        outcome=lambda snapshots: _outcome(labels, snapshots),
        on_end=page_jobs.compare_next,
    )


def _curves(labels: list[str], snapshots: list) -> None:
    from mnist_app.web import panels

    runs = {label: snapshot.curve for label, snapshot in zip(labels, snapshots, strict=True)}
    if any(runs.values()):
        panels.taking_turns(snapshots)
        st.markdown(
            "Loss (how wrong its answers are; lower is better) and accuracy (the share of digits "
            "read right) after each stretch of training."
        )
        panels.curves({label: curve for label, curve in runs.items() if curve}, key="build_curves")


def _outcome(labels: list[str], snapshots: list) -> None:
    from mnist_app.jobs.training_job import FAILED

    rows = []
    for label, snapshot in zip(labels, snapshots, strict=True):
        result = snapshot.result
        if snapshot.state == FAILED:
            st.error(f"Training {literal(label)} failed: {literal(snapshot.error)}")
        elif result is None:
            st.info(
                f"{literal(label).capitalize()} left the queue before training began; it was not trained."
            )
        elif result.stopped_early:
            st.warning(
                f"{literal(label).capitalize()} stopped early after {result.epochs_completed} of "
                f"{result.config.epochs} epochs; the model as trained so far was saved."
            )
        if result is not None and snapshot.saved_as:
            trained = [point.accuracy for point in result.curve if point.split == "train"]
            rows.append(
                {
                    "network": label,
                    "saved as": snapshot.saved_as,
                    "epochs": result.epochs_completed,
                    TRAINING_ACCURACY: round(100 * trained[-1], 1) if trained else None,
                    TEST_ACCURACY: round(100 * result.test_accuracy, 1),
                    "training time (s)": round(result.seconds, 1),
                }
            )
    if not rows:
        return
    st.markdown(
        "How each network reads the images it learnt from (during its last epoch) and the test "
        "digits it never saw: the percentage of them it reads right."
    )
    st.dataframe(rows, hide_index=True, width="stretch", key="build_trained")
    names = ", ".join(f"**{literal(row['saved as'])}**" for row in rows)
    st.success(
        f"Saved as {names}; **{literal(rows[-1]['saved as'])}** is now the model in use.",
        icon=":material/save:",
    )
    links = st.container(horizontal=True)
    if len(rows) > 1:
        links.page_link(
            "mnist_app/web/pages/compare.py", label="Compare them side by side", icon=":material/compare:"
        )
    links.page_link("mnist_app/web/pages/inside.py", label="Look inside it", icon=":material/neurology:")
