"""Train: pick a network, watch its loss and accuracy curves grow, keep the model it makes."""

import time

import pandas as pd
import streamlit as st
from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from mnist_app import resources
from mnist_app.files import read_regular
from mnist_app.page_errors import attempt, show_unexpected
from mnist_app.sidebar import MODEL_KEY, choose_dataset, choose_model, use_model
from mnist_app.store import MAX_MODEL_BYTES, ModelError, ModelStore, name_from, shared_deployment
from mnist_app.visitors import visitor_present, visitor_token

st.title("Train a classifier")
with st.spinner("Starting TensorFlow…"):
    from mnist_app.jobs import FAILED, QUEUED, TrainingJob
    from mnist_app.models import ARCHITECTURES
    from mnist_app.training import TrainConfig

JOB_KEY = "training_job"
REFRESH_S = 0.25
# How long a job outlives its page (a reload, a closed tab) before it stops; long enough for
# a network blip to reconnect, short enough that the trainer is not held for nobody.
ORPHAN_GRACE_S = 10.0
BATCH_SIZES = [16, 32, 64, 128, 256, 512]
LEARNING_RATES = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2]
MAX_NAME_CHARS = 64


def curve_frame(curve) -> pd.DataFrame:
    return pd.DataFrame(
        [(p.epoch, p.split, p.loss, p.accuracy) for p in curve],
        columns=["epoch", "split", "loss", "accuracy"],
    )


def show_curves(curve) -> None:
    frame = curve_frame(curve)
    left, right = st.columns(2)
    left.line_chart(frame, x="epoch", y="loss", color="split", height=280)
    right.line_chart(frame, x="epoch", y="accuracy", color="split", height=280)


def show_job(job: TrainingJob) -> None:
    """Status, progress and curves of this session's job; reruns the page when it ends."""
    try:
        show_job_state(job)
    except Exception as error:  # A fragment's failure would otherwise reach the page raw.
        show_unexpected(error, "Showing the training job")


def show_job_state(job: TrainingJob) -> None:
    snapshot = job.snapshot()
    config = job.config
    if snapshot.state == QUEUED:
        place = snapshot.queue_position
        st.progress(
            0.0, text=f"Waiting for the trainer: number {place} in the queue" if place else "Starting…"
        )
    elif snapshot.active:
        st.progress(
            snapshot.fraction,
            text=f"Training {config.arch} on {job.dataset.name}: epoch {snapshot.epoch} of {config.epochs}",
        )
    if snapshot.curve:
        show_curves(snapshot.curve)
    if snapshot.active:
        return
    if st.session_state.get("job_seen") is not job:
        st.session_state.job_seen = job
        if snapshot.saved_as:
            use_model(snapshot.saved_as)
        st.rerun()
    show_outcome(snapshot)


def show_outcome(snapshot) -> None:
    if snapshot.state == FAILED:
        st.error(f"Training failed: {snapshot.error}")
        return
    result = snapshot.result
    if result is None:
        st.info("Left the queue before training began; nothing was trained.")
        return
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
    st.success(f"Saved as **{snapshot.saved_as}** in models/ and now in use.", icon=":material/save:")


def session_abandoned():
    """A test of whether this browser session has gone: a reload, a closed tab.

    A reload starts a new session that cannot see the old one's job, which would hold the
    trainer other sessions queue for with nobody left to stop it. So the job stops
    `ORPHAN_GRACE_S` after its page goes (and is saved, as with Stop).
    """
    grace_s = ORPHAN_GRACE_S
    context = get_script_run_ctx()
    if context is None or not Runtime.exists():
        return lambda: False
    runtime, session_id, gone_since = Runtime.instance(), context.session_id, []

    def abandoned() -> bool:
        if runtime.is_active_session(session_id):
            gone_since.clear()
            return False
        gone_since[:] = gone_since or [time.monotonic()]
        return time.monotonic() - gone_since[0] > grace_s

    return abandoned


def start_job(dataset, config: TrainConfig, store: ModelStore) -> TrainingJob:
    owner = visitor_token()

    def save(result) -> str:
        metadata = result.metadata(saved_by="app", owner=owner)
        saved = store.save_new(result.model, name_from(result.config.arch, result.dataset), metadata)
        store.prune(keep=saved.name, owner_active=visitor_present)
        return saved.name

    job = TrainingJob(dataset, config, on_result=save, abandoned=session_abandoned())
    st.session_state[JOB_KEY] = job.start()
    return job


def show_saved_models(store: ModelStore, saved: list) -> None:
    if not saved:
        st.info("No saved models yet.")
        return
    rows = [
        {
            "name": m.name,
            "problem": m.error or ("stopped early" if m.metadata.get("stopped_early") else ""),
            "architecture": m.metadata.get("arch"),
            "dataset": m.metadata.get("dataset"),
            "test accuracy": m.metadata.get("test_accuracy"),
            "epochs": f"{m.metadata['epochs_completed']} of {m.metadata['epochs']}"
            if {"epochs", "epochs_completed"} <= m.metadata.keys()
            else None,
            "batch size": m.metadata.get("batch_size"),
            "learning rate": m.metadata.get("learning_rate"),
            "training time (s)": m.metadata.get("training_seconds"),
            "created": m.metadata.get("created"),
        }
        for m in saved
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    names = [m.name for m in saved]
    chosen_name = st.selectbox("Manage", names, key="manage_model")
    chosen = saved[names.index(chosen_name)]
    owner = visitor_token()
    refused = chosen.change_refused(owner, shared_deployment())
    use, download, rename, delete = st.columns(4)
    use.button(
        "Use this model",
        key="use_model",
        disabled=bool(chosen.error),
        on_click=use_model,
        args=(chosen.name,),
    )
    download.download_button(
        "Download",
        data=lambda: read_regular(chosen.path, MAX_MODEL_BYTES, ModelError),
        file_name=chosen.path.name,
        mime="application/zip",
        key="download_model",
        on_click="ignore",
        disabled=bool(chosen.error),
    )
    if refused:
        rename.button("Rename", disabled=True, help=refused, key="rename_off")
        delete.button("Delete", disabled=True, help=refused, key="delete_off")
        st.caption(f"Rename and delete are off for **{chosen.name}**: {refused}.")
    else:
        show_rename_and_delete(store, chosen, rename, delete, owner)


def show_rename_and_delete(store: ModelStore, chosen, rename, delete, owner: str) -> None:
    """The two changes a visitor may make to a model (drawn only when they may)."""
    with rename.popover("Rename"):
        new_name = st.text_input(
            "New name", value=chosen.name, key=f"rename_to_{chosen.name}", max_chars=MAX_NAME_CHARS
        )
        if st.button("Rename", key="rename_model"):
            renamed = attempt(
                lambda: store.rename(chosen.name, new_name, owner), f"Cannot rename {chosen.name}"
            )
            if renamed is not None:
                if st.session_state.get(MODEL_KEY) == chosen.name:
                    use_model(renamed.name)
                st.rerun()
    with delete.popover("Delete"):
        st.write(f"Delete **{chosen.name}** for good?")
        deleting = st.button("Delete", type="primary", key="delete_model")
        if deleting and attempt(lambda: store.delete(chosen.name, owner), f"Cannot delete {chosen.name}"):
            st.rerun()


def show_evaluation(saved, choice: tuple[str, str | None], data) -> None:
    """Confusion matrix, per-class accuracy and the surest mistakes of the model in use."""
    trained_on = saved.metadata.get("classes")
    if trained_on and list(trained_on) != list(data.class_names):
        st.info(
            f"**{saved.name}** was trained on other classes ({saved.metadata.get('dataset')}) than "
            f"{data.name} has: choose a model trained on {data.name} to see how it reads it."
        )
        return
    evaluation = attempt(
        lambda: resources.evaluation(saved, *choice),
        f"Cannot evaluate {saved.name}",
        "Choose another model in the sidebar.",
    )
    if evaluation is None:
        return
    st.caption(f"**{saved.name}** on the {len(data.y_test):,} test images of **{data.name}**.")
    columns = st.columns(2)
    columns[0].metric("Accuracy", f"{evaluation.accuracy:.4f}")
    columns[1].metric("Loss", f"{evaluation.loss:.4f}")
    names = list(data.class_names)
    left, right = st.columns([3, 2])
    with left:
        st.subheader("Confusion matrix")
        confusion = pd.DataFrame(evaluation.confusion, index=names, columns=names)
        st.dataframe(confusion.style.background_gradient(cmap="Blues", axis=None), width="stretch")
        st.caption("Rows: the true class; columns: what the model said.")
    with right:
        st.subheader("Accuracy per class")
        st.bar_chart(pd.DataFrame({"accuracy": evaluation.per_class_accuracy}, index=names), height=320)
    st.subheader("The most confidently wrong")
    wrong = evaluation.most_confidently_wrong(data.y_test)
    if len(wrong) == 0:
        st.success("No test image is read wrong.")
        return
    st.image(
        [data.x_test[i] for i in wrong],
        width=84,
        caption=[
            f"true {names[data.y_test[i]]}, said {names[evaluation.predictions[i]]} "
            f"({evaluation.confidence[i]:.0%})"
            for i in wrong
        ],
    )


store = resources.model_store()
choice, data = choose_dataset()
saved_models = store.list()
in_use = choose_model(saved_models)
job = st.session_state.get(JOB_KEY)
running = job is not None and job.snapshot().active

st.caption(
    "The lab trains its dense network for 10 epochs with batch size 32 and Adam's "
    "default learning rate; a convolutional network reads digits better."
)
columns = st.columns(4)
arch = columns[0].selectbox(
    "Architecture",
    list(ARCHITECTURES),
    format_func=lambda arch: ARCHITECTURES[arch].title,
    key="train_arch",
    disabled=running,
    persist_state="session",
)
epochs = columns[1].number_input(
    "Epochs", 1, 200, 10, key="train_epochs", disabled=running, persist_state="session"
)
batch_size = columns[2].selectbox(
    "Batch size", BATCH_SIZES, index=1, key="train_batch_size", disabled=running, persist_state="session"
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
    buttons[1].button("Stop training", icon=":material/stop:", key="stop_training", on_click=job.stop)
elif buttons[0].button(
    "Start training",
    type="primary",
    icon=":material/play_arrow:",
    key="start_training",
    disabled=data is None,
):
    config = TrainConfig(arch, int(epochs), int(batch_size), float(learning_rate))
    if attempt(lambda: start_job(data, config, store), "Cannot start training"):
        st.rerun()

if job is not None:
    st.fragment(run_every=REFRESH_S if running else None)(show_job)(job)

st.header("Saved models")
show_saved_models(store, saved_models)

if in_use is not None and data is not None:
    st.header("How the model in use reads the test split")
    show_evaluation(in_use, choice, data)
