"""The Explore page with Streamlit's AppTest: the dataset in use, any image, and the learner's own digits corrected or deleted."""

import subprocess
import sys

import numpy as np

from tests.support import REPO
from tests.support.datasets import write_npz
from tests.support.pages import PAGES, as_read, page


def test_explore_shows_the_sample_and_says_why():
    at = page("explore").run()
    assert not at.exception
    said = as_read(at.info[0].value)
    assert said == (
        "You are looking at 5,000 real MNIST digits that come with the app "
        "(4,000 to train on, 1,000 to test); the full MNIST has 70,000."
    )
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Training images"] == "4,000" and metrics["Test images"] == "1,000"
    assert [h.value for h in at.header] == [
        "Samples",
        "Any image by index",
        "Class balance",
        "The mean image of each class",
        "Pixel intensities",
    ]
    balance, histogram = (element.proto.body for element in at.get("html"))
    assert "0: 400 train, 100 test;" in balance, "the sample's 400/100 a class"
    assert 'class="histogram"' in histogram and "the tallest column is" in histogram


def shown_text(node) -> list[str]:
    """The titles, headers, Markdown, notes and captions in page order, outside any fold."""
    if node.type == "expander":
        return []
    if hasattr(node, "children"):
        return [text for child in node.children.values() for text in shown_text(child)]
    if node.type in {"title", "header", "subheader", "markdown", "info", "warning", "caption"}:
        return [as_read(node.value)]
    return []


def test_explore_opens_in_the_learners_words_with_the_operators_how_to_in_a_fold():
    at = page("explore").run()
    assert not at.exception
    opening = " ".join(shown_text(at.main))[:300]
    assert "MNIST_APP_" not in opening and "real MNIST digits" in opening, opening
    (fold,) = at.expander
    assert fold.label == "How to get full MNIST on this server"
    how_to = " ".join(as_read(text.value) for text in fold.markdown)
    assert "mnist.npz" in how_to and "MNIST_APP_DATASET" in how_to


def test_the_first_page_imports_neither_pandas_nor_altair():
    """Streamlit converts any chart's data through pandas and Arrow: importing them on a
    server's first page held the sample digits back (BENCHMARKS §8)."""
    code = (
        "import sys\n"
        "from streamlit.testing.v1 import AppTest\n"
        f"at = AppTest.from_file({str(PAGES / 'explore.py')!r}, default_timeout=120).run()\n"
        "assert not at.exception, at.exception\n"
        "print(sorted(name for name in ('pandas', 'altair') if name in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_explore_opens_with_the_dataset_the_operator_set(monkeypatch):
    """MNIST_APP_DATASET naming one of the known datasets is the picker's first choice."""
    monkeypatch.setenv("MNIST_APP_DATASET", "mnist-sample")
    at = page("explore").run()
    assert not at.exception
    assert at.selectbox(key="dataset").value == "mnist-sample"
    assert not at.info, "the sample chosen outright: no fallback notice"


def test_explore_filters_by_class_and_shows_any_index(sample):
    at = page("explore").run()
    at.selectbox(key="explore_class").select("7").run()
    at.number_input(key="explore_index").set_value(3999).run()
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["Label"] == str(sample.y_train[3999])


def test_explore_reports_a_bad_dataset_path_with_st_error(tmp_path):
    at = page("explore").run()
    at.text_input(key="dataset_path").input(str(tmp_path / "missing")).run()
    assert not at.exception
    assert "Cannot open the dataset" in at.error[0].value


def test_a_dataset_in_the_data_folder_opens_from_the_browser(data_dir, sample):
    write_npz(
        data_dir / "mine.npz",
        x_train=sample.x_train[:50],
        y_train=sample.y_train[:50],
        x_test=sample.x_test[:20],
        y_test=sample.y_test[:20],
    )
    at = page("explore").run()
    assert "mine.npz" in as_read(at.text_input(key="dataset_path").proto.help)
    at.text_input(key="dataset_path").input("mine.npz").run()
    assert not at.exception and not at.error
    assert {m.label: m.value for m in at.metric}["Training images"] == "50"


def test_explore_corrects_and_deletes_my_digits(data_dir):
    from mnist_app.datasets.digit_store import DigitStore

    store = DigitStore()
    rng = np.random.default_rng(0)
    store.add_many([rng.integers(0, 256, (28, 28), dtype=np.uint8) for _ in range(12)], [4] * 12)
    at = page("explore")
    at.session_state["dataset"] = "my-digits"
    at.run()
    assert not at.exception and not at.error
    split = at.segmented_control(key="explore_split").value
    first = int(store.read().ids_of(split)[0])
    at.selectbox(key=f"relabel_{first}").select(9).run()
    at.button(key=f"relabel_digit_{first}").click().run()
    assert not at.exception
    assert dict(zip(store.read().ids.tolist(), store.read().labels.tolist(), strict=True))[first] == 9
    assert {m.label: m.value for m in at.metric}["Label"] == "9"
    at.button(key=f"delete_digit_{first}").click().run()
    assert first not in store.read().ids.tolist() and len(store.read().ids) == 11
    assert not at.exception


def test_explore_deletes_the_digit_on_screen_even_after_another_visitor_deleted_one(data_dir):
    """The button carries the id of the digit shown: a delete elsewhere shifts no index onto it."""
    from mnist_app.datasets.digit_store import DigitStore

    store = DigitStore()
    store.add_many([np.full((28, 28), i, np.uint8) for i in range(40)], [i % 10 for i in range(40)])
    at = page("explore")
    at.session_state["dataset"] = "my-digits"
    at.run()
    split = at.segmented_control(key="explore_split").value
    ids = [int(i) for i in store.read().ids_of(split)]
    at.number_input(key="explore_index").set_value(3).run()
    shown = ids[3]
    store.delete(ids[0])
    at.button(key=f"delete_digit_{shown}").click().run()
    assert not at.exception
    left = store.read().ids.tolist()
    assert shown not in left and ids[4] in left, "the digit on screen went, its neighbour stayed"
    at.number_input(key="explore_index").set_value(0).run()
    target = int(store.read().ids_of(split)[0])
    store.delete(target)
    at.button(key=f"delete_digit_{target}").click().run()
    assert not at.exception
    assert f"Cannot change your digit #{target}: no digit #{target} in my-digits." in [
        as_read(e.value) for e in at.error
    ]


def test_an_empty_my_digits_says_how_to_fill_it(data_dir):
    at = page("explore")
    at.session_state["dataset"] = "my-digits"
    at.run()
    assert not at.exception
    assert "my-digits holds no digits yet: draw some and save them" in as_read(at.error[0].value)


def test_on_a_shared_server_a_visitor_sees_and_changes_only_their_own_digits(data_dir, monkeypatch):
    """The issue's case: B saw A's drawing on Explore as "Your digit #31" and could delete it."""
    from mnist_app.datasets.digit_store import DigitStore

    monkeypatch.setenv("MNIST_APP_SHARED", "1")
    DigitStore(owner="token-a").add_many([np.full((28, 28), i, np.uint8) for i in range(10)], list(range(10)))
    DigitStore().add(np.full((28, 28), 99, np.uint8), 9)
    (mine, split) = DigitStore(owner="token-b").add(np.full((28, 28), 100, np.uint8), 4)
    assert split == "train", "a label's first digit trains"
    at = page("explore")
    at.session_state["visitor_token"] = "token-b"
    at.session_state["dataset"] = "my-digits"
    at.run()
    assert not at.exception and not at.error
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Training images"], metrics["Test images"]) == ("1", "0")
    assert f"Your digit #{mine}, kept in the train split." in [c.value for c in at.caption]
    at.text_input(key="dataset_path").input("my-digits").run()
    assert {m.label: m.value for m in at.metric}["Training images"] == "1", "typed, the name is theirs too"
    at.text_input(key="dataset_path").input("").run()
    at.button(key=f"delete_digit_{mine}").click().run()
    assert not at.exception
    assert DigitStore(owner="token-b").counts()["total"] == 0
    assert DigitStore().counts()["total"] == 11, "A's and the command line's digits stay"
