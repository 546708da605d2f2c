"""Lab: "Classification Models with Keras" step by step, each cell beside what it gives here.

Every step's words and code reach the browser before anything slow: TensorFlow, pandas and
Altair (the tables and curves) are imported only where the results are drawn, below them.
"""

import streamlit as st

from mnist_app.lab import steps
from mnist_app.lab.export import notebook, script
from mnist_app.learning.design_plan import plan
from mnist_app.learning.designs import OWN_DESIGN_NAME
from mnist_app.learning.limits import BATCH_SIZES
from mnist_app.web import build_editor, resources
from mnist_app.web.page_errors import attempt
from mnist_app.web.plain_text import literal
from mnist_app.web.sidebar import choose_dataset

JOB_KEY = "lab_job"
RESULTS_KEY = "lab_results"
FILE_STEM = "classification-models-with-keras"
# The step that trains: its choices come before its code.
TRAINING_STEP = 5


def show_cells(step: steps.Step) -> None:
    for code in step.cells:
        st.code(code, language="python")
    if step.today:
        st.caption(f"Keras 3: {step.today}", help="Where the 2018 lab's code was changed, and why.")


def heading(number: int, step: steps.Step) -> None:
    st.header(f"{number}. {step.title}")
    st.write(step.words)


def show_loading(data, prepared) -> None:
    source = (
        "the embedded sample: 5,000 real MNIST digits, because full MNIST is not on this server"
        if data.name == "mnist-sample"
        else f"**{literal(data.name)}** ({literal(data.source)})"
    )
    st.markdown(f"This page runs the lab on {source}.")
    st.caption("The page hands the data straight from the app's copy; the data cell is for home.")
    st.code(prepared.shapes, language=None)


def show_first_image(prepared) -> None:
    left, _ = st.columns([1, 2])
    with left, steps.CELL_LOCK:
        st.pyplot(prepared.first_image, clear_figure=False)


def show_preparation(prepared) -> None:
    import pandas as pd

    before, after = prepared.pixel_range_before, prepared.pixel_range_after
    columns = st.columns(3)
    columns[0].metric("num_pixels", prepared.num_pixels)
    columns[1].metric("Pixels before", f"{before[0]:g} to {before[1]:g}")
    columns[2].metric("Pixels after", f"{after[0]:g} to {after[1]:g}")
    rows = pd.DataFrame(prepared.first_rows.astype(int), columns=[str(c) for c in range(10)])
    rows.insert(0, "label", prepared.first_labels)
    st.caption("The first labels and their one-hot rows:")
    st.dataframe(rows, hide_index=True, width="content")
    st.code(prepared.num_classes_printed, language=None)


def show_network(prepared) -> None:
    import pandas as pd

    st.dataframe(
        pd.DataFrame(prepared.layers),
        hide_index=True,
        column_config={"parameters": st.column_config.NumberColumn(format="localized")},
    )
    st.metric("Parameters in all", f"{prepared.total_params:,}")


def choose_training(running: bool) -> tuple[int, int]:
    left, right, _ = st.columns([1, 1, 2])
    epochs = left.number_input("Epochs", 1, 200, 10, key="lab_epochs", disabled=running)
    batch_size = right.selectbox("Batch size", BATCH_SIZES, index=1, key="lab_batch_size", disabled=running)
    return int(epochs), int(batch_size)


def show_training(data, epochs: int, batch_size: int) -> None:
    """Step 5's controls and its job: the lab's fit as the app's job, with curves and the lab's log."""
    from mnist_app.learning.training import TrainConfig
    from mnist_app.web import live_jobs, page_jobs

    job = st.session_state.get(JOB_KEY)
    running = job is not None and job.snapshot().active
    st.caption(
        "The app trains this network as its own job: the same layers and Adam, with the "
        "flattening done by the model's first layer so that it reads the Draw page's digits too."
    )
    if running:
        st.button("Stop training", icon=":material/stop:", key="lab_stop", on_click=job.stop)
    elif st.button("Run this step", type="primary", icon=":material/play_arrow:", key="lab_train"):
        config = TrainConfig("mlp", epochs, batch_size)
        started = attempt(lambda: page_jobs.start(data, [config], resources.model_store()), "Cannot train")
        if started:
            st.session_state[JOB_KEY] = started[0]
            st.session_state.pop(RESULTS_KEY, None)
            st.rerun()
    if job is not None:
        live_jobs.follow(
            [job],
            seen_key="lab_job_seen",
            doing="Showing the lab's training",
            live=lambda snapshots: show_curves(job, snapshots[0]),
            outcome=lambda snapshots: show_outcome(snapshots[0]),
        )


def show_curves(job, snapshot) -> None:
    from mnist_app.web import panels

    if snapshot.curve:
        panels.curves({"the lab's network": snapshot.curve}, key="lab_curves")
        log = steps.fit_log(snapshot.curve, job.config.epochs)
        if log:
            st.code("\n".join(log), language=None)


def show_outcome(snapshot) -> None:
    from mnist_app.web.live_jobs import said_why_nothing_came

    if not said_why_nothing_came(snapshot) and snapshot.result.stopped_early:
        st.warning(
            f"Stopped early after {snapshot.result.epochs_completed} epochs; steps 6 and 7 use that model."
        )


def trained_results(data):
    """Steps 6 and 7 run on the model step 5 trained, once per training run.

    What `evaluate` printed, what loading the saved model printed, and its name in models/.
    """
    job = st.session_state.get(JOB_KEY)
    result = job.snapshot().result if job is not None else None
    if result is None:
        return None
    held = st.session_state.get(RESULTS_KEY)
    if held is None or held[0] is not job:
        with st.spinner("Evaluating, saving and loading the model…"):
            outputs = attempt(
                lambda: steps.evaluate_and_save(result.model, data.x_test, data.y_test),
                "Cannot run steps 6 and 7",
            )
        if outputs is None:
            return None
        held = (job, *outputs, job.snapshot().saved_as)
        st.session_state[RESULTS_KEY] = held
    return held[1:]


def show_downloads(data, spec: str, epochs: int, batch_size: int) -> None:
    """The lab to take home, made when clicked: the same cells as a notebook or a script; and,
    beside it, the same with the network designed on Build, when there is one."""
    design = build_editor.designed_layers()
    offers = [
        ("Download as notebook", notebook, ".ipynb", "application/x-ipynb+json", "lab_notebook", None),
        ("Download as script", script, ".py", "text/x-python", "lab_script", None),
    ]
    if design is not None:
        yours = build_editor.YOURS.capitalize()
        offers += [
            (f"{yours} as notebook", notebook, ".ipynb", "application/x-ipynb+json", "lab_build_notebook",
             design),
            (f"{yours} as script", script, ".py", "text/x-python", "lab_build_script", design),
        ]  # fmt: skip
        if plan(design).ok:
            st.markdown(
                f"**Take {build_editor.YOURS} home** too: the same lab, with the network you "
                "designed on Build built by the code Build shows, and trained as the lab trains."
            )
        else:
            st.markdown(
                f"**Take {build_editor.YOURS} home** once it builds: the network you designed on "
                "Build has a mistake, shown there at its layer."
            )
    for column, (label, write, suffix, mime, key, layers) in zip(st.columns(4), offers, strict=False):
        column.download_button(
            label,
            data=lambda write=write, layers=layers: write(data.name, spec, epochs, batch_size, layers=layers),
            file_name=(FILE_STEM if layers is None else OWN_DESIGN_NAME) + suffix,
            mime=mime,
            icon=":material/download:",
            on_click="ignore",
            key=key,
            disabled=layers is not None and not plan(layers).ok,
        )


def main() -> None:
    st.title("The lab, step by step")
    st.caption(
        f'"{steps.LAB_TITLE}", the lab this app grows from: each step\'s code, and what it gives '
        "on the data in use. Take it home as a notebook that runs on its own."
    )
    choice, data = choose_dataset()
    if data is None:
        return
    if len(data.y_train) == 0:
        st.error(f"{literal(data.name)} has no training images: choose another dataset in the sidebar.")
        return
    # The choices step 5 draws, read ahead: the fit cell and the downloads show them already.
    epochs = int(st.session_state.get("lab_epochs", 10))
    batch_size = int(st.session_state.get("lab_batch_size", 32))
    lab_steps = steps.steps(data.name, choice[0], epochs, batch_size)
    show_downloads(data, choice[0], epochs, batch_size)
    # Every step's words and code first, each with a place for what it gives: a learner reads
    # them while TensorFlow starts and the first steps run, and the results fill in below them.
    results = []
    for number, step in enumerate(lab_steps, start=1):
        heading(number, step)
        if number == TRAINING_STEP:
            job = st.session_state.get(JOB_KEY)
            epochs, batch_size = choose_training(job is not None and job.snapshot().active)
        show_cells(step)
        results.append(st.container())
    with results[0], st.spinner("Starting TensorFlow…"):
        import mnist_app.jobs.training_job  # noqa: F401  (TensorFlow, loaded here behind a spinner)
    with results[0], st.spinner("Running the lab's first steps on the data…"):
        prepared = attempt(lambda: resources.lab_prepared(*choice), "Cannot run the lab on this dataset")
    if prepared is None:
        return
    renderers = [
        lambda: show_loading(data, prepared),
        lambda: show_first_image(prepared),
        lambda: show_preparation(prepared),
        lambda: show_network(prepared),
    ]
    for place, render in zip(results[:4], renderers, strict=True):
        with place:
            render()
    with results[4]:
        show_training(data, epochs, batch_size)
    with results[5]:
        trained = trained_results(data)
    for place, index in ((results[5], 0), (results[6], 1)):
        with place:
            if trained is None:
                st.info("Run step 5 first: this step uses the model it trains.")
            else:
                st.code(trained[index], language=None)
    if trained is not None and trained[2]:
        results[6].success(
            f"The trained model is also saved in models/ as **{literal(trained[2])}** and now in use."
        )
    left, right, _ = results[7].columns([1, 1, 2])
    left.page_link("mnist_app/web/pages/train.py", label="Train the CNN", icon=":material/model_training:")
    right.page_link("mnist_app/web/pages/compare.py", label="Compare the two", icon=":material/compare:")


main()
