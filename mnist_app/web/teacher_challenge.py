"""The teacher's challenge: the rules as a form, then the link students open, as a QR code and
as text to copy.

The link is Build's address with `?challenge=ID`: Build reads the rules from the classroom
folder by that id, shows them and enforces them on the server; nothing of the rules travels in
the link itself, so a student cannot edit them there.
"""

from __future__ import annotations

import io
from urllib.parse import quote, urlsplit

import streamlit as st

from mnist_app import settings
from mnist_app.classroom import challenges, hidden_split
from mnist_app.classroom.challenges import MAX_TITLE
from mnist_app.classroom.rules import HALF, Rules, describe
from mnist_app.datasets.catalogue import NAMED_DATASETS
from mnist_app.datasets.digit_store import DATASET_NAME as MY_DIGITS
from mnist_app.errors import UserError
from mnist_app.learning.design_plan import MAX_PARAMETERS
from mnist_app.learning.designs import KIND_TITLES, KINDS
from mnist_app.learning.limits import MAX_SEED
from mnist_app.learning.training_choices import EPOCHS_RANGE, LABEL_NOISES, TRAIN_SIZES, value_text
from mnist_app.web import resources
from mnist_app.web.page_errors import attempt
from mnist_app.web.plain_text import literal

BUILD_PATH = "build"
TEACHER_PATH = "teacher"
HIDDEN_CHOICES = {
    HALF: "Half of the dataset's own test digits, drawn with a seed (students see the other half)",
    "folder": "Another dataset of the data folder, which students cannot open",
}


def challenge_link(page_url: str | None, challenge_id: str) -> str:
    """Build's address for a challenge, from the address of the teacher's page in their browser
    (`st.context.url`): the same server, however the class reaches it. Without one (no browser:
    a test), the path alone."""
    base = (page_url or "").split("?", 1)[0].split("#", 1)[0].rstrip("/")
    base = base.removesuffix(f"/{TEACHER_PATH}")
    return f"{base}/{BUILD_PATH}?challenge={quote(challenge_id, safe='')}"


def on_this_computer_only(link: str) -> bool:
    """Whether the link names the loopback address, which only the server's own machine reaches."""
    host = urlsplit(link).hostname or ""
    return host == "localhost" or host.startswith("127.") or host == "::1"


def qr_png(link: str) -> bytes:
    """The link as a QR code, a PNG big enough to scan from the back of a classroom."""
    import segno

    buffer = io.BytesIO()
    segno.make(link, error="m").save(buffer, kind="png", scale=10, border=2)
    return buffer.getvalue()


def dataset_choices() -> list[str]:
    """The datasets a challenge may set: those the sidebar offers, bar a student's own digits."""
    offered = [settings.dataset(), *NAMED_DATASETS, *resources.datasets_found(str(settings.data_dir()))]
    return [name for name in dict.fromkeys(offered) if name != MY_DIGITS]


def show() -> None:
    """The running challenge with its link, then the form that starts a new one."""
    challenge = challenges.current()
    if challenge is None:
        st.write(
            "No challenge runs now. Set its rules below: students who open its link get Build with "
            "the rules shown and kept, and the leaderboard ranks their models on a test set they "
            "never see."
        )
        rules_form(expanded=True)
        return
    show_running(challenge)
    rules_form(expanded=False)


def show_running(challenge) -> None:
    st.subheader(literal(challenge.title))
    st.write("The rules, as students read them on Build:")
    st.markdown("\n".join(f"- {literal(sentence)}" for sentence in describe(challenge.rules)))
    hidden = (
        f"half of the test digits of {challenge.rules.dataset}, drawn with seed {challenge.rules.hidden_seed}"
        if challenge.rules.hides_half
        else f"the dataset {challenge.rules.hidden} of the data folder"
    )
    st.caption(literal(f"Scored on {hidden}: only this page names it."))
    link = challenge_link(st.context.url, challenge.id)
    if on_this_computer_only(link):
        st.warning(
            "This link names this computer itself, which students' devices cannot reach: open this "
            "page at the server's address on the class's network (http://<its address>:8501/teacher), "
            "and the link follows it.",
            icon=":material/wifi_off:",
        )
    st.write("Students open this link, or scan the code with a phone's camera:")
    code, text = st.columns([1, 2])
    if link.startswith("http"):
        code.image(qr_png(link), caption="The challenge's link as a QR code", width=260)
    text.markdown(f"### {literal(link)}")
    text.code(link, language=None)
    text.caption("The button at the code's right copies the link.")


def rules_form(expanded: bool) -> None:
    """The rules of a new challenge; starting it ends the one running."""
    label = "Start a challenge" if expanded else "Start a new challenge (it ends this one)"
    with st.expander(label, expanded=expanded, icon=":material/flag:"), st.form("teacher_challenge"):
        title = st.text_input("Title", value="Digits challenge", max_chars=MAX_TITLE, key="challenge_title")
        datasets = dataset_choices()
        dataset = st.selectbox("Dataset", datasets, key="challenge_dataset")
        left, right = st.columns(2)
        train_size = left.selectbox(
            "Training images",
            TRAIN_SIZES,
            index=len(TRAIN_SIZES) - 1,
            format_func=lambda size: value_text("train_size", size),
            key="challenge_train_size",
            help="A size the dataset does not have trains on all of its images.",
        )
        label_noise = right.select_slider(
            "Wrong labels",
            LABEL_NOISES,
            value=0.0,
            format_func=lambda share: value_text("label_noise", share),
            key="challenge_label_noise",
        )
        max_parameters = left.number_input(
            "Parameter budget", 1, MAX_PARAMETERS, 100_000, step=10_000, key="challenge_parameters"
        )
        max_epochs = right.number_input("Epoch budget", *EPOCHS_RANGE, 5, key="challenge_epochs")
        kinds = st.multiselect(
            "Layer kinds allowed",
            KINDS,
            default=list(KINDS),
            format_func=KIND_TITLES.get,
            key="challenge_kinds",
        )
        hidden_kind = st.radio(
            "Hidden test set", list(HIDDEN_CHOICES), format_func=HIDDEN_CHOICES.get, key="challenge_hidden"
        )
        left, right = st.columns(2)
        seed = left.number_input("Seed of the half", 0, MAX_SEED, 0, key="challenge_seed")
        found = resources.datasets_found(str(settings.data_dir()))
        hidden_dataset = right.selectbox(
            "Hidden dataset of the data folder",
            found,
            key="challenge_hidden_dataset",
            placeholder="The data folder holds none",
            help="Students are never offered it while the challenge runs. Its digits must be ones no "
            "student can open elsewhere: starting checks the challenge's dataset, not the others.",
        )
        started = st.form_submit_button("Start the challenge", type="primary", key="challenge_start")
    if not started:
        return
    if hidden_kind != HALF and not hidden_dataset:
        st.error(
            "Cannot start the challenge: the data folder holds no dataset to keep hidden. Keep half of "
            "the test digits instead, or put a dataset in the data folder.",
            icon=":material/error:",
        )
        return
    hidden = HALF if hidden_kind == HALF else hidden_dataset
    if hidden != HALF and not attempt(lambda: _hidden_apart(hidden, dataset), "Cannot start the challenge"):
        return
    made = attempt(
        lambda: challenges.start(
            title,
            Rules(
                dataset=dataset,
                train_size=int(train_size),
                label_noise=float(label_noise),
                max_parameters=int(max_parameters),
                max_epochs=int(max_epochs),
                layer_kinds=tuple(kinds),
                hidden=hidden,
                hidden_seed=int(seed),
            ),
        ),
        "Cannot start the challenge",
    )
    if made is not None:
        st.rerun()


def _hidden_apart(hidden: str, dataset: str) -> bool:
    """True if the hidden set holds no test digit of the challenge's dataset; else UserError
    saying how many students would see there."""
    with st.spinner("Comparing the hidden set's digits with the challenge's dataset…"):
        shared = hidden_split.shared_digits(hidden_split.read_whole(hidden), hidden_split.read_whole(dataset))
    if shared:
        raise UserError(
            f"{shared:,} of the hidden set's test digits are in {dataset} too, which students open: "
            "they would see them. Keep half of the test digits instead, or choose a hidden set of other digits"
        )
    return True
