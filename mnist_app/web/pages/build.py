"""Build: design a network layer by layer, see its summary and its Keras code as you edit, train
it (or up to four variants of it) on as many or as few digits as you choose, share it by link.
Opened by a teacher's challenge link (`?challenge=ID`), it shows and keeps the challenge's rules
(`build_challenge`)."""

from urllib.parse import urlencode

import streamlit as st

from mnist_app.learning import design_code, design_links, epoch_estimate
from mnist_app.learning.design_plan import Plan, plan
from mnist_app.learning.designs import KINDS, OWN_DESIGN_NAME, layers_json
from mnist_app.learning.training_choices import split_sizes
from mnist_app.web import build_challenge, build_editor, build_training, resources
from mnist_app.web.plain_text import literal
from mnist_app.web.sidebar import choose_dataset

# The query parameters last written to the address, so a run tells a new link from its own.
ADDRESS_KEY = "build_address"
LINK_MESSAGE_KEY = "build_link_message"


def restore_from_address() -> bool:
    """Open a link: its design and choices replace the session's (or its refusal is kept to show).
    Whether it did."""
    given = {key: st.query_params[key] for key in design_links.ALL_KEYS if key in st.query_params}
    if not given or given == st.session_state.get(ADDRESS_KEY):
        return False
    link = design_links.from_query(given)
    build_editor.set_layers(link.layers)
    build_training.set_choices(link.choices)
    st.session_state[LINK_MESSAGE_KEY] = link.message
    return True


def write_address(query: dict[str, str]) -> None:
    """The address follows every edit, so it is always a link to what the page shows."""
    for key, value in query.items():
        if st.query_params.get(key) != value:
            st.query_params[key] = value
    if st.session_state.get(ADDRESS_KEY) not in (None, query):
        st.session_state.pop(LINK_MESSAGE_KEY, None)
    st.session_state[ADDRESS_KEY] = query


def summary(design: Plan, seconds: epoch_estimate.Estimate, train_images: int) -> None:
    st.subheader("What Keras builds")
    st.markdown(
        "What Keras' summary counts for it: what comes out of each layer for a batch of images "
        "(None stands for however many are in the batch) and how many numbers the layer learns "
        "(its parameters: weights and biases)."
    )
    if not design.ok:
        st.markdown("The layers marked in red are left out of it until they are put right.")
    table = [
        {
            "layer": row.title,
            "output shape": build_editor.keras_shape(row.shape),
            "parameters": row.parameters,
        }
        for row in design.rows
    ]
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        key="build_summary",
        column_config={"parameters": st.column_config.NumberColumn(format="localized")},
    )
    corrected = (
        f", corrected by how long the {seconds.models} newest models trained here took"
        if seconds.models
        else ""
    )
    st.markdown(
        f"In all, **{design.parameters:,} parameters**. Reading one digit takes "
        f"**{design.multiply_adds:,} multiply-adds** (a multiplication and an addition: the "
        "network's work; learning from a digit costs about three times as much). One epoch "
        f"through {train_images:,} training images takes **{seconds.words}**.",
        help="The epoch is an estimate: the network's multiply-adds at the speed this server's "
        f"trainer reached in its benchmarks{corrected}.",
    )
    for remark in design.problems:
        if remark.position is None:
            st.error(literal(remark.message), icon=":material/error:")
    for remark in design.notes:
        if remark.position is None:
            st.info(literal(remark.message), icon=":material/info:")


def code(design: Plan, layers) -> None:
    st.subheader("The Keras code")
    if not design.ok:
        st.markdown("The code appears here once the mistakes marked in red are put right.")
    else:
        st.markdown(
            "The code that builds exactly this network, as the lab writes it (copy it with the "
            "button at its top right); the trainer builds it from the same layer calls."
        )
        source = design_code.keras_code(design)
        st.code(source, language="python", wrap_lines=True)
    buttons = st.container(horizontal=True)
    buttons.download_button(
        "The layers as JSON",
        layers_json(layers),
        file_name=f"{OWN_DESIGN_NAME}.json",
        mime="application/json",
        key="build_download_json",
        on_click="ignore",
        icon=":material/download:",
        help="The file `python -m mnist_app train --layers FILE.json` reads.",
    )
    if design.ok:
        buttons.download_button(
            "The code as a .py",
            source,
            file_name=f"{OWN_DESIGN_NAME}.py",
            mime="text/x-python",
            key="build_download_code",
            on_click="ignore",
            icon=":material/download:",
        )


def share(query: dict[str, str]) -> None:
    st.subheader("Share it")
    st.markdown(
        "This page's address holds the whole network and its training choices: copy the link "
        "below (the button at its top right) and whoever opens it gets this page as you see it"
        + (", in the challenge too." if build_challenge.QUERY_KEY in query else ".")
    )
    st.code(f"{st.context.url or '/build'}?{urlencode(query, safe=':,')}", language=None, wrap_lines=True)


def train_button(
    data,
    variants,
    problems: list[str],
    broken: list[str],
    *,
    challenge,
    running: bool,
    store,
    spec: str,
) -> None:
    """Train (or Stop while this session's jobs run), off with the reason while it cannot train:
    the design's mistakes, the variants, the dataset (`spec` as the page opened it, the
    `challenge`'s if any) and the challenge's rules broken."""
    why_not = (
        "Put right the mistakes marked in red first."
        if problems
        else "Choose at least two values to vary."
        if variants is None
        else "Choose a dataset in the sidebar."
        if data is None and challenge is None
        else "The challenge's dataset cannot be opened (see above): tell your teacher."
        if data is None
        else "Put right what breaks the challenge's rules first (in red above)."
        if broken
        else None
    )
    if running:
        st.button("Stop training", icon=":material/stop:", key="build_stop", on_click=build_training.stop_all)
    elif st.button(
        f"Train {len(variants)} variants" if variants and len(variants) > 1 else "Train it",
        type="primary",
        icon=":material/play_arrow:",
        key="build_train",
        disabled=why_not is not None,
        help=why_not,
    ):
        build_training.start(data, variants, store, challenge=challenge, spec=spec)


st.title("Build a network")
st.markdown(
    "Design your own network, layer by layer, between the 28x28 image that goes in and the ten "
    "digit probabilities that come out; see its size and its Keras code change as you edit. "
    "Then train it on as many or as few digits as you choose, compare it, look inside it and "
    "share it by link."
)
linked = restore_from_address()
if message := st.session_state.get(LINK_MESSAGE_KEY):
    st.warning(literal(message), icon=":material/link_off:")
challenge = build_challenge.opened()
build_challenge.say_left()
build_editor.read_edits()
layers = build_editor.layers()
design = plan(layers)
store = resources.model_store()
rules = challenge.rules if challenge is not None else None
(dataset_spec, _), data = (
    choose_dataset(build_challenge.dataset_choice(challenge), build_challenge.WHY_LOCKED)
    if challenge is not None
    else choose_dataset()
)
running = build_training.running()
available, _ = split_sizes(data)
if challenge is not None:
    build_challenge.lock_choices(challenge, available, again=linked)
    build_challenge.show(challenge, design)
chosen = build_training.choices(available, rules)
kinds = rules.layer_kinds if rules is not None else KINDS

edit, results = st.columns([1, 1], gap="large")
with edit:
    st.subheader("Its layers")
    build_editor.preset_picker(kinds)
    build_editor.editor(design, kinds)
estimate, train_images = build_training.epoch_seconds(design, chosen, data, store)
with results:
    summary(design, estimate, train_images)
    code(design, layers)

st.header("Train it")
st.markdown(
    "Why these choices: a network shown only 300 digits, some with wrong labels, learns them by "
    "heart and reads new digits worse. Make one do that, then watch Dropout, augmentation or "
    "more images fix it: train the variants side by side and compare their curves."
    if challenge is None
    else "The challenge fixes how many training images and how many wrong labels; the other "
    "choices are yours. Train variants side by side to see which does best."
)
chosen = build_training.choice_widgets(available, disabled=running, rules=rules)
variants = build_training.variant_picker(
    layers, chosen, available, disabled=running, challenge=rules is not None
)
problems = build_training.variant_problems(variants or [])
for problem in problems if design.ok else []:
    st.error(literal(problem), icon=":material/error:")
broken = build_challenge.broken(challenge, variants or [], dataset_spec) if challenge is not None else []
for problem in [] if problems else broken:
    st.error(f"The challenge's rules: {literal(problem)}.", icon=":material/gavel:")
train_button(
    data, variants, problems, broken, challenge=challenge, running=running, store=store, spec=dataset_spec
)
build_training.show_jobs()

query = design_links.to_query(layers, chosen)
share({**query, build_challenge.QUERY_KEY: challenge.id} if challenge is not None else query)
write_address(query)
