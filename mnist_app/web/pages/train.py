"""Train: pick one network or several, watch their curves grow side by side, keep the models."""

import pandas as pd
import streamlit as st

from mnist_app.learning.limits import BATCH_SIZES
from mnist_app.learning.training_choices import LEARNING_RATES
from mnist_app.web import models_panel, panels, resources, weight_charts
from mnist_app.web.page_errors import attempt
from mnist_app.web.plain_text import literal
from mnist_app.web.sidebar import choose_dataset, choose_model

st.title("Train a classifier")
with st.spinner("Starting TensorFlow…"):
    from mnist_app.jobs.training_job import FAILED, TrainingJob
    from mnist_app.learning.architectures import ARCHITECTURES
    from mnist_app.learning.training import TrainConfig
    from mnist_app.web import live_jobs, page_jobs

JOBS_KEY = "training_jobs"


def show_jobs(jobs: list[TrainingJob]) -> None:
    """Status, progress and curves of this session's jobs; reruns the page when they end."""
    live_jobs.follow(
        jobs,
        seen_key="jobs_seen",
        doing="Showing the training jobs",
        live=lambda snapshots: show_curves(jobs, snapshots),
        outcome=lambda snapshots: show_ended(jobs, snapshots),
        on_end=page_jobs.compare_next,
    )


def show_curves(jobs: list[TrainingJob], snapshots: list) -> None:
    runs = {run_name(job): snapshot.curve for job, snapshot in zip(jobs, snapshots, strict=True)}
    if any(runs.values()):
        panels.taking_turns(snapshots)
        panels.curves({name: curve for name, curve in runs.items() if curve}, key="train_curves")
    weights = {run_name(job): snapshot.weights for job, snapshot in zip(jobs, snapshots, strict=True)}
    if any(weights.values()):
        st.subheader("How the weights change")
        weight_charts.show(weights, key="train_weights", models=list(runs))


def show_ended(jobs: list[TrainingJob], snapshots: list) -> None:
    if len(jobs) == 1:
        show_outcome(snapshots[0])
    else:
        show_outcomes(jobs, snapshots)


def run_name(job: TrainingJob) -> str:
    return ARCHITECTURES[job.config.arch].title


def show_outcome(snapshot) -> None:
    if live_jobs.said_why_nothing_came(snapshot):
        return
    result = snapshot.result
    if result.stopped_early:
        st.warning(
            f"Stopped early after {result.epochs_completed} of {result.config.epochs} epochs; "
            "the model as trained so far was evaluated and saved."
        )
    columns = st.columns(3)
    columns[0].metric("Test accuracy", f"{result.test_accuracy:.4f}")
    columns[1].metric("Error", f"{result.test_error:.4f}")
    columns[2].metric("Training time", f"{result.seconds:.1f} s")
    st.code(f"Accuracy: {result.test_accuracy:.4f}\nError: {result.test_error:.4f}", language=None)
    st.success(
        f"Saved as **{literal(snapshot.saved_as)}** in models/ and now in use.", icon=":material/save:"
    )


def show_outcomes(jobs: list[TrainingJob], snapshots: list) -> None:
    """Several runs: one row each, what went wrong with any, and the way to compare them."""
    rows = []
    for job, snapshot in zip(jobs, snapshots, strict=True):
        result = snapshot.result
        if snapshot.state == FAILED:
            st.error(f"Training {run_name(job)} failed: {literal(snapshot.error)}")
        elif result is None:
            st.info(f"{run_name(job)} left the queue before training began; it was not trained.")
        elif result.stopped_early:
            st.warning(
                f"{run_name(job)} stopped early after {result.epochs_completed} of "
                f"{result.config.epochs} epochs; the model as trained so far was saved."
            )
        if result is not None:
            rows.append(
                {
                    "model": snapshot.saved_as,
                    "architecture": run_name(job),
                    "epochs": result.epochs_completed,
                    "test accuracy": round(result.test_accuracy, 4),
                    "error": round(result.test_error, 4),
                    "training time (s)": round(result.seconds, 1),
                }
            )
    if rows:
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="trained_table")
    if len(rows) > 1:
        names = ", ".join(f"**{literal(row['model'])}**" for row in rows)
        st.success(
            f"Saved as {names} in models/; **{literal(rows[-1]['model'])}** is now in use.",
            icon=":material/save:",
        )
        st.page_link(
            "mnist_app/web/pages/compare.py", label="Compare them side by side", icon=":material/compare:"
        )


def show_evaluation(saved, choice: tuple[str, str | None], data) -> None:
    """Confusion matrix, per-class accuracy and the surest mistakes of the model in use."""
    if not saved.reads(data.class_names):
        st.info(
            f"**{literal(saved.name)}** was trained on other classes "
            f"({literal(saved.metadata.get('dataset'))}) than {literal(data.name)} has: "
            f"choose a model trained on {literal(data.name)} to see how it reads it."
        )
        return
    evaluation = attempt(
        lambda: resources.evaluation(saved, *choice),
        f"Cannot evaluate {saved.name}",
        "Choose another model in the sidebar.",
    )
    if evaluation is None:
        return
    st.caption(
        f"**{literal(saved.name)}** on the {len(data.y_test):,} test images of **{literal(data.name)}**."
    )
    columns = st.columns(2)
    columns[0].metric("Accuracy", f"{evaluation.accuracy:.4f}")
    columns[1].metric("Loss", f"{evaluation.loss:.4f}")
    names = list(data.class_names)
    left, right = st.columns([3, 2])
    with left:
        st.subheader("Confusion matrix")
        panels.confusion_matrix(evaluation, data, key="train_confusion")
    with right:
        st.subheader("Accuracy per class")
        panels.per_class_accuracy({saved.name: evaluation}, names)
    st.subheader("The most confidently wrong")
    wrong = evaluation.most_confidently_wrong(data.y_test)
    if len(wrong) == 0:
        st.success("No test image is read wrong.")
        return
    st.image(
        [data.x_test[i] for i in wrong],
        width=84,
        caption=[
            f"true {literal(names[data.y_test[i]])}, said {literal(names[evaluation.predictions[i]])} "
            f"({evaluation.confidence[i]:.0%})"
            for i in wrong
        ],
    )


store = resources.model_store()
choice, data = choose_dataset()
saved_list = store.list()
in_use = choose_model(saved_list)
jobs = st.session_state.get(JOBS_KEY, [])
running = any(job.snapshot().active for job in jobs)

st.markdown(
    "The lab trains its dense network for 10 epochs with batch size 32 and Adam's default "
    "learning rate; a convolutional network reads digits better. Choose both to train them on "
    "the same data: they take turns on this server's trainer, one after the other, and their "
    "curves count epochs and seconds from each one's own start, so they compare fairly. To "
    "design a network of your own, open **Build**."
)
columns = st.columns([2, 1, 1, 1])
archs = columns[0].multiselect(
    "Architectures",
    list(ARCHITECTURES),
    default=["mlp"],
    format_func=lambda arch: ARCHITECTURES[arch].title,
    key="train_archs",
    disabled=running,
    persist_state="session",
)
epochs = columns[1].number_input(
    "Epochs", 1, 200, 10, key="train_epochs", disabled=running, persist_state="session"
)
batch_size = columns[2].selectbox(
    "Batch size",
    BATCH_SIZES,
    index=1,
    key="train_batch_size",
    disabled=running,
    persist_state="session",
)
learning_rate = columns[3].select_slider(
    "Learning rate",
    LEARNING_RATES,
    value=1e-3,
    key="train_learning_rate",
    disabled=running,
    persist_state="session",
)

buttons = st.columns([1, 1, 4])
if running:
    buttons[0].button(
        "Stop training",
        icon=":material/stop:",
        key="stop_training",
        on_click=lambda: [job.stop() for job in jobs],
    )
elif buttons[0].button(
    "Start training",
    type="primary",
    icon=":material/play_arrow:",
    key="start_training",
    disabled=data is None or not archs,
    help=None if archs else "Choose at least one architecture.",
):
    configs = [TrainConfig(arch, int(epochs), int(batch_size), float(learning_rate)) for arch in archs]
    started = attempt(lambda: page_jobs.start(data, configs, store), "Cannot start training")
    if started:
        st.session_state[JOBS_KEY] = started
        st.rerun()

if jobs:
    show_jobs(jobs)

st.header("Saved models")
models_panel.show(store, saved_list, choice, data)

if in_use is not None and data is not None:
    st.header("How the model in use reads the test split")
    show_evaluation(in_use, choice, data)
