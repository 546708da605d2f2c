"""Compare: two or more saved models on the same test digits, in figures and in digits."""

import numpy as np
import pandas as pd
import streamlit as st

from mnist_app.datasets.pictures import enlarge, png_data_url
from mnist_app.learning.comparison import (
    Comparison,
    all_wrong_sentence,
    compare,
    contender,
    default_choice,
    summary,
)
from mnist_app.learning.curves import HISTORY_KEY, from_history
from mnist_app.learning.model_layers import layer_titles
from mnist_app.learning.recipes import differences, network_title, recipe
from mnist_app.learning.weight_history import WEIGHTS_KEY, from_description, titled
from mnist_app.web import charts, panels, resources, weight_charts
from mnist_app.web.page_errors import attempt
from mnist_app.web.plain_text import literal
from mnist_app.web.sidebar import choose_dataset

MODELS_KEY = "compare_models"
# Set by the Train page when a run of several ends: the models it trained.
NEXT_KEY = "compare_next"  # page_jobs.COMPARE_NEXT_KEY, without importing the trainer
MAX_MODELS = 4
MAX_DIGITS = 30
MATRICES_A_ROW = 2
DIGIT_ZOOM = 6


def choose_models(usable, class_names) -> list:
    """The models picker, starting from what was just trained, else the newest MLP and CNN.

    The first choice is among the models that read this dataset's classes; a model deleted
    since is dropped from the choice, the rest kept.
    """
    names = [saved.name for saved in usable]
    wanted = st.session_state.pop(NEXT_KEY, None)
    if wanted is None:
        wanted = st.session_state.get(MODELS_KEY)
    if wanted is not None:
        wanted = [name for name in wanted if name in names]
    if not wanted:
        readable = [(saved.name, saved.metadata) for saved in usable if saved.reads(class_names)]
        wanted = default_choice(readable)
    st.session_state[MODELS_KEY] = [name for name in wanted if name in names][:MAX_MODELS]
    labels = {saved.name: saved.label for saved in usable}
    chosen = st.multiselect(
        "Models",
        names,
        key=MODELS_KEY,
        format_func=labels.get,
        max_selections=MAX_MODELS,
        persist_state="session",
        help="The first is the baseline the others are measured against.",
    )
    return [saved for name in chosen for saved in usable if saved.name == name]


def contenders_for(chosen, choice, data) -> list:
    """Each chosen model evaluated on the test split; one that cannot be is said and left out."""
    entries = []
    for saved in chosen:
        if not saved.reads(data.class_names):
            st.warning(
                f"**{literal(saved.name)}** was trained on other classes "
                f"({literal(saved.metadata.get('dataset'))}) than {literal(data.name)} has; it is left out."
            )
            continue
        entry = attempt(
            lambda saved=saved: contender(
                saved.name,
                resources.model(saved),
                resources.evaluation(saved, *choice),
                saved.metadata,
                bytes_on_disk=saved.cache_key[2],
                predict_seconds=resources.prediction_seconds(saved),
            ),
            f"Cannot compare {saved.name}",
            "It is left out.",
        )
        if entry is not None:
            entries.append((saved, entry))
    return entries


def show_table(comparison: Comparison, networks: dict[str, str]) -> None:
    """A row per model; `networks`: each model's network in words (`recipes.network_title`)."""
    rows = [
        {
            "model": c.name,
            "network": networks.get(c.name) or c.arch,
            "parameters": c.params,
            "epochs": c.epochs,
            "training time (s)": c.training_seconds,
            "test accuracy": round(c.evaluation.accuracy, 4),
            "error": round(1 - c.evaluation.accuracy, 4),
            "mistakes": c.mistakes,
            "size on disk (MB)": round(c.bytes_on_disk / 1e6, 2) if c.bytes_on_disk else None,
            "one digit (ms)": round(c.predict_seconds * 1000, 2) if c.predict_seconds else None,
        }
        for c in comparison.contenders
    ]
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        width="stretch",
        column_config={
            "parameters": st.column_config.NumberColumn(format="localized"),
            "training time (s)": st.column_config.NumberColumn(format="%.1f"),
        },
    )


def show_differences(compared, data) -> None:
    """Each model against the first chosen: its layers and training choices, in words."""
    sizes = {data.name: len(data.y_train)}
    made = [recipe(saved.metadata, resources.model(saved), sizes) for saved in compared]
    first = f"**{literal(compared[0].name)}**"
    lines = []
    for saved, theirs in zip(compared[1:], made[1:], strict=True):
        phrases = differences(made[0], theirs)
        said = literal("; ".join(phrases)) if phrases else f"the same layers and training choices as {first}"
        lines.append(f"- **{literal(saved.name)}**: {said}.")
    st.markdown(f"What each model does otherwise than the first, {first}, as their descriptions say:")
    st.markdown("\n".join(lines))


def show_summary(comparison: Comparison) -> None:
    for j in range(1, len(comparison.contenders)):
        sentences = summary(comparison, 0, j, name=lambda n: f"**{literal(n)}**")
        st.markdown("\n".join(f"- {sentence}" for sentence in sentences))
    st.markdown(all_wrong_sentence(comparison))


def kept_histories(runs: dict, what: str, kept_since: str) -> dict:
    """The models' histories that were read back; those without one named in a caption."""
    missing = [name for name, kept in runs.items() if not kept]
    if missing:
        st.caption(
            f"No {what} for {', '.join(f'**{literal(name)}**' for name in missing)}: saved before the app "
            f"kept {kept_since}, by another program, or a history that does not add up."
        )
    return {name: kept for name, kept in runs.items() if kept}


def show_curves(chosen) -> None:
    runs = {saved.name: from_history(saved.metadata.get(HISTORY_KEY)) for saved in chosen}
    kept = kept_histories(runs, "curve history", "the whole curve")
    if kept:
        panels.curves(kept, key="compare_curves", models=list(runs))


def show_weights(chosen, models: dict) -> None:
    """Each model's weights epoch by epoch, side by side; its layers titled by the model itself."""
    runs = {}
    for saved in chosen:
        snapshots = from_description(saved.metadata.get(WEIGHTS_KEY))
        runs[saved.name] = titled(snapshots, layer_titles(models[saved.name])) if snapshots else None
    kept = kept_histories(runs, "weight history", "one")
    if kept:
        weight_charts.show(kept, key="compare_weights", models=list(runs))


def show_per_class(comparison: Comparison, data) -> None:
    names = list(data.class_names)
    panels.per_class_accuracy({c.name: c.evaluation for c in comparison.contenders}, names)
    for first in range(0, len(comparison.contenders), MATRICES_A_ROW):
        row = comparison.contenders[first : first + MATRICES_A_ROW]
        for column, entry in zip(st.columns(MATRICES_A_ROW), row, strict=False):
            with column:
                st.markdown(f"**{literal(entry.name)}**")
                # Keyed by name: a selection stays with its model when others come or go.
                panels.confusion_matrix(entry.evaluation, data, key=f"compare_confusion_{entry.name}")


def choose_pair(comparison: Comparison) -> tuple[int, int]:
    if len(comparison.contenders) == 2:
        return 0, 1
    names = [c.name for c in comparison.contenders]
    left, right = st.columns(2)
    first = left.selectbox("Between", names, key="pair_a")
    second = right.selectbox("and", [name for name in names if name != first], key="pair_b")
    return names.index(first), names.index(second)


def digit_table(comparison: Comparison, indices: np.ndarray, data, key: str) -> int | None:
    """The digits as rows of a table, each with what every model said; the row selected, if any."""
    names = list(data.class_names)
    shown = indices[:MAX_DIGITS]
    rows = []
    for index in shown:
        row = {"digit": png_data_url(data.x_test[index]), "test image": int(index)}
        row["true"] = names[comparison.labels[index]]
        for c in comparison.contenders:
            said = c.evaluation.predictions[index]
            row[f"{c.name} said"] = f"{names[said]} ({c.evaluation.confidence[index]:.0%})"
        rows.append(row)
    event = st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        width="stretch",
        key=key,
        on_select="rerun",
        selection_mode="single-row",
        row_height=48,
        column_config={"digit": st.column_config.ImageColumn("digit", width="small")},
    )
    if len(indices) > len(shown):
        st.caption(f"The {len(shown)} surest of {len(indices):,}.")
    selected = event.selection.get("rows") or []
    return int(shown[selected[0]]) if selected and 0 <= selected[0] < len(shown) else None


def show_disagreements(comparison: Comparison, models: dict, data) -> None:
    i, j = choose_pair(comparison)
    a, b = comparison.contenders[i].name, comparison.contenders[j].name
    shown_a, shown_b = literal(a), literal(b)
    groups = [
        (f"{shown_a} right, {shown_b} wrong", comparison.right_only(i, j), "a"),
        (f"{shown_b} right, {shown_a} wrong", comparison.right_only(j, i), "b"),
        ("every model wrong", comparison.wrong_in_all(), "all"),
    ]
    tabs = st.tabs([f"{title} ({len(found):,})" for title, found, _ in groups])
    for tab, (title, found, tag) in zip(tabs, groups, strict=True):
        with tab:
            if len(found) == 0:
                st.success(f"No test digit is {title}.")
                continue
            st.caption("Surest mistakes first. Select a row to see every model's probabilities.")
            index = digit_table(comparison, found, data, key=f"disagree_{tag}_{a}_{b}")
            if index is not None:
                show_closer_look(index, models, data)


def show_closer_look(index: int, models: dict, data) -> None:
    from mnist_app.learning.evaluation import predict_probabilities

    names = list(data.class_names)
    rows = [
        (name, names[label], float(p))
        for name, model in models.items()
        for label, p in enumerate(predict_probabilities(model, data.x_test[index][None])[0])
    ]
    table = pd.DataFrame(rows, columns=["model", "class", "probability"])
    left, right = st.columns([1, 3])
    left.image(
        enlarge(data.x_test[index], DIGIT_ZOOM),
        caption=f"Test image #{index}, labelled {literal(names[data.y_test[index]])}",
    )
    chart = charts.grouped_bars(table, "class", "probability", "model", "probability", list(models))
    right.altair_chart(chart, width="stretch")


def main() -> None:
    st.title("Compare models")
    choice, data = choose_dataset()
    usable = [saved for saved in resources.model_store().list() if not saved.error]
    if len(usable) < 2:
        st.info(
            "Comparing needs two saved models. On the Train page, choose both architectures "
            "and train them on the same data."
        )
        st.page_link("mnist_app/web/pages/train.py", label="Train both", icon=":material/model_training:")
        return
    chosen = choose_models(usable, data.class_names if data is not None else ())
    if len(chosen) < 2:
        st.info("Choose two or more models to compare.")
        return
    if data is None:
        return
    entries = contenders_for(chosen, choice, data)
    if len(entries) < 2:
        st.info("Fewer than two of the chosen models can be compared on this dataset.")
        return
    comparison = compare([entry for _, entry in entries], data.y_test)
    st.caption(f"On the {comparison.n:,} test images of **{literal(data.name)}**.")
    show_table(comparison, {saved.name: network_title(saved.metadata) for saved, _ in entries})
    models = {saved.name: resources.model(saved) for saved, _ in entries}
    sections = [
        ("What differs", lambda: show_differences([saved for saved, _ in entries], data)),
        ("In plain words", lambda: show_summary(comparison)),
        ("Training curves", lambda: show_curves([saved for saved, _ in entries])),
        ("Weights over time", lambda: show_weights([saved for saved, _ in entries], models)),
        ("Accuracy per class", lambda: show_per_class(comparison, data)),
        ("Where they disagree", lambda: show_disagreements(comparison, models, data)),
    ]
    for title, show in sections:
        st.subheader(title)
        attempt(show, f"Showing {title.lower()}")


main()
