"""The My digits page with Streamlit's AppTest: the learner's digits read and fine-tuned on."""

import shutil

from tests.support.pages import app_page, as_read, wait_until


def test_my_digits_page_reads_and_fine_tunes_on_the_learners_digits(
    default_model, models_dir, data_dir, sample
):
    from mnist_app.datasets.digit_store import DigitStore

    DigitStore().add_many(list(sample.x_train[:60]), [int(y) for y in sample.y_train[:60]])
    at = app_page("my_digits").run()
    assert not at.exception
    assert [h.value for h in at.header] == [
        "Your digits",
        "How default reads them",
        "Teach it your handwriting",
    ]
    assert at.metric[0].label.startswith("default on your")
    at.number_input(key="finetune_epochs").set_value(1).run()
    at.button(key="finetune_start").click().run()
    wait_until(at, lambda at: any("Saved as" in s.value for s in at.success))
    assert not at.exception and not at.error
    assert "started from **default**" in at.success[-1].value
    table = at.dataframe[-1].value
    assert table["test split"].tolist() == ["your test digits", "mnist-sample test split"]
    assert ((table[["before", "after"]] >= 0) & (table[["before", "after"]] <= 1)).all().all()


def test_with_few_digits_the_page_says_how_many_test_digits_each_label_has_and_that_they_are_too_few(
    default_model, data_dir, sample
):
    from mnist_app.datasets.digit_store import DigitStore

    fours, sevens = (sample.x_train[sample.y_train == label][:2] for label in (4, 7))
    DigitStore().add_many([*fours, *sevens], [4, 4, 7, 7])
    at = app_page("my_digits").run()
    assert not at.exception
    assert any("2 kept for testing (1 4, 1 7)" in m.value for m in at.markdown)
    assert at.metric[0].label == "default on your 2 test digits"
    assert "moves them by 50 points" in at.warning[0].value


def test_my_digits_page_without_digits_says_where_to_draw_them(default_model, data_dir):
    at = app_page("my_digits").run()
    assert not at.exception
    assert "You have saved no digits yet" in at.info[0].value


def test_my_digits_page_fine_tunes_a_network_of_every_layer_kind(
    every_kind_model, models_dir, data_dir, sample
):
    from mnist_app.datasets.digit_store import DigitStore
    from mnist_app.learning.model_files import read_metadata

    shutil.copy(every_kind_model, models_dir / "every-kind.keras")
    DigitStore().add_many(list(sample.x_train[:60]), [int(y) for y in sample.y_train[:60]])
    at = app_page("my_digits").run()
    assert not at.exception and not at.error
    at.number_input(key="finetune_epochs").set_value(1).run()
    at.button(key="finetune_start").click().run()
    wait_until(at, lambda at: any("Saved as" in s.value for s in at.success) or at.error)
    assert not at.exception and not at.error
    assert "started from **every-kind**" in as_read(at.success[-1].value)
    tuned = [path for path in models_dir.glob("*.keras") if path.name != "every-kind.keras"]
    (description,) = [read_metadata(path) for path in tuned]
    assert description["arch"] == "built" and description["fine_tuned_from"] == "every-kind"
    assert description["layers"] == read_metadata(every_kind_model)["layers"]
