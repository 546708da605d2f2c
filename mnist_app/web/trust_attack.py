"""Fooled by noise, on one digit: the learner's drawing or a test image, attacked for each model.

A fragment: a stroke, a move of the ε slider or another target reruns it alone, and costs
one attack per model (a few milliseconds each, `Attacker` traced once per model). The
smallest ε that fools a model, a bisection of about ten attacks, is found once per digit,
method and target and kept in the session, so sliding ε does not search again.
"""

from __future__ import annotations

import hashlib

import numpy as np
import streamlit as st

from mnist_app.datasets.dataset import to_model_input
from mnist_app.datasets.pictures import enlarge
from mnist_app.datasets.preparation import canvas_to_grey, prepare_digit
from mnist_app.timing import timed
from mnist_app.web import resources
from mnist_app.web.canvas import sketch
from mnist_app.web.page_errors import attempt, show_unexpected
from mnist_app.web.plain_text import literal
from mnist_app.web.trust_charts import change_picture

SOURCE_KEY, INDEX_KEY = "trust_source", "trust_index"
METHOD_KEY, EPSILON_KEY, TARGET_KEY = "trust_method", "trust_epsilon", "trust_target"
SMALLEST_KEY = "trust_smallest"  # {(model file, digit, method, target): SmallestEpsilon}
MAX_KEPT = 32
ZOOM = 5
DRAWING, TEST_IMAGE = "Your drawing", "A test image"
METHOD_TITLES = {"fgsm": "One step (FGSM)", "pgd": "Ten steps (PGD)"}
ANY = -1


def grey_levels(epsilon: float) -> str:
    """ε as a learner can picture it: grey levels of the 255 between black and white."""
    return f"{round(epsilon * 255)} grey level{'s' if round(epsilon * 255) != 1 else ''} of 255"


def choose_digit(brush: int, data):
    """The digit to attack, as [0, 1] pixels, and what it is in words; (None, "") before there is one."""
    source = st.segmented_control(
        "Digit", [DRAWING, TEST_IMAGE], default=DRAWING, required=True, key=SOURCE_KEY
    )
    if source == TEST_IMAGE:
        if len(data.y_test) == 0:
            st.info("This dataset has no test images: draw a digit instead.")
            return None, ""
        index = int(st.number_input("Test image", 0, len(data.y_test) - 1, 0, key=INDEX_KEY))
        label = data.class_names[int(data.y_test[index])]
        st.image(enlarge(data.x_test[index], ZOOM // 2), caption=f"Test image #{index}")
        return to_model_input(data.x_test[index]), f"test image #{index} (labelled {literal(label)})"
    drawing = sketch(brush, prefix="trust_")
    if drawing is None:
        return None, ""
    prepared = prepare_digit(canvas_to_grey(drawing))
    if prepared.image is None:
        st.info(f"{prepared.reason[0].upper()}{prepared.reason[1:]}.", icon=":material/edit:")
        return None, ""
    st.image(
        enlarge(np.round(prepared.image * 255).astype(np.uint8), ZOOM // 2), caption="What the models see"
    )
    return prepared.image, "your drawing"


def choose_attack(class_names) -> tuple[str, float, int | None]:
    method = st.segmented_control(
        "Noise made in",
        list(METHOD_TITLES),
        default="fgsm",
        required=True,
        key=METHOD_KEY,
        format_func=METHOD_TITLES.get,
        help="One step moves every pixel by ε at once; ten smaller steps find stronger noise within the same ε",
    )
    epsilon = st.slider(
        "ε: how far each pixel may move (0 none, 1 from black to white)",
        0.0,
        0.5,
        0.1,
        0.01,
        key=EPSILON_KEY,
        format="%.2f",
    )
    target = st.selectbox(
        "Make it read as",
        [ANY, *range(len(class_names))],
        key=TARGET_KEY,
        format_func=lambda c: "any other answer" if c == ANY else f"a {class_names[c]}",
        help="Noise that pushes towards one class instead of away from the model's answer",
    )
    return method, float(epsilon), None if target == ANY else int(target)


def smallest(entry, attacker, image: np.ndarray, method: str, target: int | None):
    """The smallest ε for this model, digit, method and target: searched once, then kept."""
    digit = hashlib.blake2b(np.ascontiguousarray(image, np.float32).tobytes(), digest_size=12).hexdigest()
    key = (entry.saved.cache_key, digit, method, target)
    kept = st.session_state.setdefault(SMALLEST_KEY, {})
    if key not in kept:
        while len(kept) >= MAX_KEPT:
            kept.pop(next(iter(kept)))
        kept[key] = attacker.smallest_epsilon(image, method, target)
    return kept[key]


def one_model(entry, image: np.ndarray, method: str, epsilon: float, target, class_names) -> None:
    """One model's column: its answer before and after, the pictures, the smallest ε."""
    attacker = resources.attacker(entry.saved)
    names = list(class_names) if attacker.num_classes == len(class_names) else [
        str(c) for c in range(attacker.num_classes)
    ]  # fmt: skip
    if target is not None and target >= attacker.num_classes:
        st.info(f"**{literal(entry.name)}** has no class {literal(class_names[target])}.")
        return
    attack = attacker.attack(image, epsilon, method, target)
    before, after = literal(names[attack.before]), literal(names[attack.after])
    st.markdown(f"**{literal(entry.name)}** reads it as **{before}** ({attack.before_confidence:.0%} sure).")
    if target is not None and attack.before == target:
        st.markdown(f"It already reads it as **{before}**: choose another class to aim for.")
        return
    moved = f"every pixel moved by at most ε = {epsilon:.2f} ({grey_levels(epsilon)})"
    if attack.fooled:
        verdict = f"With {moved}, it reads **{after}** ({attack.after_confidence:.0%} sure): **fooled**."
    else:
        verdict = f"With {moved}, it reads **{after}** ({attack.after_confidence:.0%} sure): not fooled yet."
    st.markdown(verdict)
    found = smallest(entry, attacker, image, method, target)
    aim = f"makes it read {literal(names[target])}" if target is not None else "changes its answer"
    if found.epsilon is None:
        largest = found.attack.epsilon
        st.markdown(
            f"Not even ε = {largest:.3f} ({round(largest * 255)} grey levels of 255, about half the way from black to white) {aim}."
        )
    else:
        st.markdown(
            f"The smallest ε that {aim}: **{found.epsilon:.3f}** ({grey_levels(found.epsilon)}), "
            f"where it reads {literal(names[found.attack.after])}."
        )
    st.image(
        [enlarge(np.round(attack.image * 255).astype(np.uint8), ZOOM), enlarge(change_picture(attack.change, epsilon), ZOOM)],
        caption=["The digit with the noise", "The noise alone"],
    )  # fmt: skip


@st.fragment
def fooled_by_noise(models: list, data, brush: int) -> None:
    """The digit on the left; the controls and a column per model on the right (stacked on a phone)."""
    try:
        with timed("trust attack"):
            st.markdown(
                "Noise made to fool a model: every pixel moved by at most ε, each in the direction that "
                "raises the model's error most. Draw a digit or pick a test image, then slide ε up until "
                "the answer changes."
            )
            digit_column, right = st.columns([2, 3], gap="large")
            with digit_column:
                image, what = choose_digit(brush, data)
            with right:
                method, epsilon, target = choose_attack(list(data.class_names))
                if image is None:
                    return
                st.markdown(
                    f"Each model attacks **{what}** with its own noise. Under each, the digit with the "
                    "noise, then the noise alone: mid grey is a pixel left alone, white a pixel made "
                    "lighter by ε, black one made darker."
                )
                for column, entry in zip(st.columns(len(models)), models, strict=True):
                    with column:
                        attempt(
                            lambda entry=entry: one_model(
                                entry, image, method, epsilon, target, data.class_names
                            ),
                            f"Cannot attack {entry.name}",
                        )
    except Exception as error:  # A fragment's own rerun is outside app.py's net.
        show_unexpected(error, "Fooled by noise")
