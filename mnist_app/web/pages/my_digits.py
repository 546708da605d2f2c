"""My digits: how the model in use reads your handwriting, and teaching it to read it better."""

import numpy as np
import pandas as pd
import streamlit as st

from mnist_app.datasets.catalogue import NAMED_DATASETS
from mnist_app.datasets.dataset import DIGIT_NAMES
from mnist_app.datasets.digit_store import DATASET_NAME
from mnist_app.learning.finetune import too_few
from mnist_app.web import panels, resources
from mnist_app.web.page_errors import attempt
from mnist_app.web.plain_text import literal
from mnist_app.web.sidebar import choose_model

JOB_KEY = "finetune_job"
RESULT_KEY = "finetune_result"
REPLAYS = [name for name in NAMED_DATASETS if name not in ("fashion-mnist", DATASET_NAME)]
WRONG_SHOWN = 24


def show_collection(digits) -> None:
    counts = digits.counts()
    table = pd.DataFrame({"label": list(DIGIT_NAMES), "train": counts["train"], "test": counts["test"]})
    st.bar_chart(
        table, x="label", y=["train", "test"], x_label="label", y_label="digits", stack=False, height=220
    )
    tested = ", ".join(
        f"{count} {name}" for name, count in zip(DIGIT_NAMES, counts["test"], strict=True) if count
    )
    st.markdown(
        f"{len(digits.labels):,} digits: {sum(counts['train']):,} to learn from, {sum(counts['test']):,} "
        f"kept for testing ({tested or 'none yet'}): of each label's digits the second, then one in "
        "five, so that every label you drew twice is tested. Correct or delete them on the Explore "
        "page with the dataset **my-digits**."
    )


def show_reading(saved, data) -> None:
    """Accuracy, confusion and the wrong digits of the model in use on your test digits."""
    evaluation = attempt(lambda: resources.evaluation(saved, DATASET_NAME), f"Cannot evaluate {saved.name}")
    if evaluation is None:
        return
    st.metric(f"{literal(saved.name)} on your {len(data.y_test):,} test digits", f"{evaluation.accuracy:.1%}")
    if warning := too_few(data):
        st.warning(warning, icon=":material/scale:")
    left, right = st.columns([3, 2])
    with left:
        panels.confusion_matrix(evaluation, data, key="my_digits_confusion")
    with right:
        wrong = np.flatnonzero(evaluation.predictions != data.y_test)[:WRONG_SHOWN]
        if len(wrong) == 0:
            st.success("It reads every one of your test digits right.")
        else:
            st.image(
                [data.x_test[i] for i in wrong],
                width=56,
                caption=[f"{data.y_test[i]}, read {evaluation.predictions[i]}" for i in wrong],
            )


def start_teaching(saved, own, replay_name: str, epochs: int):
    """A training job that starts from `saved` and learns your digits among replayed ones."""
    from mnist_app.errors import UserError
    from mnist_app.learning.finetune import LEARNING_RATE, base_network, mixed
    from mnist_app.learning.training import TrainConfig
    from mnist_app.web import page_jobs

    arch, layers = base_network(saved.metadata, saved.name)
    if not saved.reads(own.class_names):
        raise UserError(
            f"{saved.name} reads other classes ({saved.metadata.get('dataset')}); choose a digit model"
        )
    replay = resources.dataset(replay_name)
    config = TrainConfig(arch, epochs, 32, LEARNING_RATE, base=str(saved.path), layers=layers)
    job = page_jobs.start(mixed(own, replay), [config], resources.model_store())[0]
    st.session_state[JOB_KEY] = (job, saved, replay_name)
    st.session_state.pop(RESULT_KEY, None)
    return job


def show_teaching(job, saved, replay_name: str) -> None:
    """The fine-tuning job live, then your digits and the replayed ones before and after."""
    from mnist_app.web import live_jobs

    live_jobs.follow(
        [job],
        seen_key="finetune_seen",
        doing="Showing the fine-tuning",
        live=lambda snapshots: show_curves(saved, snapshots[0]),
        outcome=lambda snapshots: show_outcome(job, snapshots[0], saved, replay_name),
    )


def show_curves(saved, snapshot) -> None:
    if snapshot.curve:
        panels.curves({f"{saved.name}, fine-tuned": snapshot.curve}, key="finetune_curves")


def show_outcome(job, snapshot, saved, replay_name: str) -> None:
    from mnist_app.web.live_jobs import said_why_nothing_came

    if not said_why_nothing_came(snapshot, "Fine-tuning"):
        show_before_and_after(job, snapshot, saved, replay_name)


def show_before_and_after(job, snapshot, saved, replay_name: str) -> None:
    from mnist_app.learning.finetune import before_and_after

    held = st.session_state.get(RESULT_KEY)
    if held is None or held[0] is not job:
        with st.spinner("Measuring before and after…"):
            own, replay = resources.dataset(DATASET_NAME), resources.dataset(replay_name)
            figures = attempt(
                lambda: before_and_after(resources.model(saved), snapshot.result.model, own, replay),
                "Cannot measure the fine-tuned model",
            )
        if figures is None:
            return
        held = (job, figures.rows("your test digits", f"{replay.name} test split"))
        st.session_state[RESULT_KEY] = held
    if warning := too_few(resources.dataset(DATASET_NAME)):
        st.warning(warning, icon=":material/scale:")
    st.dataframe(
        pd.DataFrame(held[1]),
        hide_index=True,
        column_config={
            "before": st.column_config.NumberColumn(format="percent"),
            "after": st.column_config.NumberColumn(format="percent"),
        },
    )
    st.success(
        f"Saved as **{literal(snapshot.saved_as)}**, started from **{literal(saved.name)}**, and now in use."
    )


def main() -> None:
    st.title("Your handwriting")
    st.caption(
        "Save digits from the Draw page with their right labels; see how a model reads them; "
        "fine-tune it on them without letting it forget MNIST."
    )
    saved = choose_model(resources.model_store().list())
    store = resources.digit_store()
    counts = attempt(store.counts, "Cannot read your digits")
    if counts is None:
        return
    if counts["total"] == 0:
        st.info("You have saved no digits yet: draw some on the Draw page and save them.")
        st.page_link("mnist_app/web/pages/draw.py", label="Draw digits", icon=":material/draw:")
        return
    digits = attempt(resources.my_digits, "Cannot read your digits")
    if digits is None:
        return
    st.header("Your digits")
    show_collection(digits)
    data = attempt(lambda: resources.dataset(DATASET_NAME), "Cannot use your digits")
    if data is None or saved is None:
        return
    st.header(f"How {literal(saved.name)} reads them")
    if len(data.y_test) == 0:
        st.info("None of your digits is kept for testing yet: save a few more.")
    else:
        show_reading(saved, data)

    st.header("Teach it your handwriting")
    held = st.session_state.get(JOB_KEY)
    running = held is not None and held[0].snapshot().active
    left, right, _ = st.columns([2, 1, 1])
    replay_name = left.selectbox(
        "Replay", REPLAYS, key="finetune_replay", disabled=running,
        help="Digits the model already knows, mixed in so that it does not forget them",
    )  # fmt: skip
    epochs = right.number_input("Epochs", 1, 50, 5, key="finetune_epochs", disabled=running)
    if running:
        st.button("Stop", icon=":material/stop:", key="finetune_stop", on_click=held[0].stop)
    elif st.button(
        f"Fine-tune {literal(saved.name)}", type="primary", icon=":material/school:", key="finetune_start"
    ) and (attempt(lambda: start_teaching(saved, data, replay_name, int(epochs)), "Cannot fine-tune")):
        st.rerun()
    if held is not None:
        show_teaching(*held)


main()
