"""The hidden half: disjoint from the public one, together all of the test split, seeded, the same
everywhere; students' pages get only the public half, by whatever name they open the dataset, and
nothing of a dataset kept whole (`student_view`, the one rule the pages' data goes through)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mnist_app.classroom import hidden_split
from mnist_app.classroom.challenges import Challenge, end, start
from mnist_app.classroom.hidden_split import (
    halves,
    hidden_part,
    hidden_test,
    missing,
    public_part,
    refusal,
    student_view,
)
from mnist_app.classroom.rules import Rules
from mnist_app.datasets.dataset import checked_dataset
from mnist_app.datasets.digit_arrays import DatasetError
from mnist_app.errors import UserError


def dataset(name="digits", n_test=101, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, n_test)
    return checked_dataset(name, name, (images[:5], labels[:5]), (images, labels))


@settings(max_examples=80, deadline=None)
@given(n=st.integers(0, 500), seed=st.integers(0, 2**31 - 1), stratified=st.booleans(), data=st.data())
def test_the_halves_are_disjoint_sorted_cover_the_split_and_the_hidden_is_n_over_2(n, seed, stratified, data):
    labels = np.array(data.draw(st.lists(st.integers(0, 9), min_size=n, max_size=n))) if stratified else None
    public, hidden = halves(n, seed, labels)
    assert len(np.intersect1d(public, hidden)) == 0
    np.testing.assert_array_equal(np.sort(np.concatenate([public, hidden])), np.arange(n))
    assert (np.diff(public) > 0).all() and (np.diff(hidden) > 0).all()
    assert len(hidden) == n // 2
    if stratified:
        for label in range(10):
            held = int((labels == label).sum())
            assert abs(int((labels[hidden] == label).sum()) - held / 2) <= 1, "each label split about evenly"


@given(n=st.integers(0, 300), seed=st.integers(0, 2**31 - 1))
def test_the_same_seed_gives_the_same_halves(n, seed):
    first, second = halves(n, seed), halves(n, seed)
    np.testing.assert_array_equal(first[1], second[1])


def test_the_hidden_half_is_fixed_for_a_seed_across_releases():
    # A challenge's scores stay comparable only if its half never moves: pinned here.
    assert halves(10, 0)[1].tolist() == [0, 2, 6, 7, 9]
    assert halves(20, 1, np.arange(20) % 10)[1].tolist() == [5, 7, 8, 9, 10, 11, 12, 13, 14, 16]
    assert len({tuple(halves(1_000, seed)[1][:20]) for seed in range(10)}) == 10, "seeds draw apart"


def test_bad_sizes_are_refused():
    with pytest.raises(UserError):
        halves(-1, 0)
    with pytest.raises(UserError, match="labels"):
        halves(5, 0, np.zeros(4))


def test_the_public_and_hidden_parts_share_the_training_split_and_part_the_test_split():
    data = dataset()
    public, hidden = public_part(data, 3), hidden_part(data, 3)
    assert public.x_train is data.x_train and hidden.y_train is data.y_train
    assert len(public.y_test) + len(hidden.y_test) == len(data.y_test)
    pub_rows, hid_rows = halves(len(data.y_test), 3, data.y_test)
    np.testing.assert_array_equal(public.x_test, data.x_test[pub_rows])
    np.testing.assert_array_equal(hidden.y_test, data.y_test[hid_rows])
    assert "half of the test digits are kept for the teacher's challenge" in public.notice.lower()
    assert not public.x_test.flags.writeable and not hidden.y_test.flags.writeable


def digits_ids(**ids: str):
    """A stand-in for the hash of each dataset's test split: the spec's own name unless given."""
    asked = []

    def digits_id(spec: str, root: str | None) -> str:
        asked.append(spec)
        return ids.get(spec.strip(), f"digits of {spec.strip()}")

    digits_id.asked = asked
    return digits_id


def view(spec, challenge, root=None, **ids):
    return student_view(spec, root, challenge, digits_ids(**ids))


def test_students_see_all_of_a_dataset_without_a_running_half_hidden_challenge():
    assert view("mnist", None) is None
    assert view("mnist", start("Named", Rules("mnist", hidden="exam"))) is None
    assert view("mnist", start("Half", Rules("fashion-mnist"))) is None
    start("Half", Rules("mnist", hidden_seed=4))
    assert view("mnist", end()) is None


@pytest.mark.parametrize("spec", ["mnist", " mnist ", "auto"])
def test_students_get_the_public_half_however_they_name_the_dataset(spec):
    challenge = start("Half", Rules("mnist", hidden_seed=4))
    asked = digits_ids()
    assert student_view(spec, None, challenge, asked) == 4
    assert asked.asked == [], "the names tell: no dataset is read"


def test_the_same_test_digits_under_another_name_are_halved_too():
    """A copy in the data folder, or "auto" opening the sample where MNIST cannot be had."""
    challenge = start("Half", Rules("copy.npz", hidden_seed=4))
    assert view("other.npz", challenge, "/data", **{"other.npz": "same", "copy.npz": "same"}) == 4
    assert view("other.npz", challenge, "/data", **{"other.npz": "else", "copy.npz": "same"}) is None


def test_a_data_folder_dataset_is_halved_by_any_path_to_it(data_dir):
    (data_dir / "exams").mkdir()
    (data_dir / "exams" / "june.npz").write_bytes(b"")
    (data_dir / "link.npz").symlink_to(data_dir / "exams" / "june.npz")
    challenge = start("Half", Rules("exams/june.npz"))
    for spec in (
        "exams/june.npz",
        "./exams/june.npz",
        "exams/../exams/june.npz",
        "link.npz",
        str(data_dir / "exams/june.npz"),
    ):
        assert view(spec, challenge, str(data_dir)) == 0, spec
    assert view("other/june.npz", challenge, str(data_dir)) is None, "another file of the same name"


def test_while_the_samples_test_digits_are_hidden_mnist_is_closed():
    """The sample's test digits are MNIST training digits: "mnist" and "auto" would show them."""
    challenge = start("Half", Rules("mnist-sample"))
    for spec in ("mnist", "auto", " auto "):
        refused = refusal(spec, None, challenge)
        assert isinstance(refused, DatasetError) and "Open mnist-sample instead" in str(refused)
        with pytest.raises(DatasetError, match="training digits hold the test digits"):
            view(spec, challenge)
    assert view("mnist-sample", challenge) == 0 and view("fashion-mnist", challenge) is None
    on_mnist = start("Half", Rules("mnist"))
    assert refusal("mnist-sample", None, on_mnist) is None, "the sample holds no MNIST test digit"
    assert view("mnist-sample", on_mnist) is None
    assert refusal("mnist", None, end()) is None


def test_a_named_hidden_dataset_is_refused_by_any_name_as_if_it_were_not_there(data_dir):
    (data_dir / "secret").mkdir()
    (data_dir / "secret" / "exam.npz").write_bytes(b"")
    (data_dir / "other").mkdir()
    (data_dir / "other" / "exam.npz").write_bytes(b"")
    assert refusal("secret/exam.npz", str(data_dir), None) is None
    assert refusal("secret/exam.npz", str(data_dir), start("Half", Rules("mnist"))) is None
    challenge = start("Named", Rules("mnist", hidden="secret/exam.npz"))
    for spec in (
        "secret/exam.npz",
        "./secret/exam.npz",
        "secret//exam.npz",
        str(data_dir / "secret" / "exam.npz"),
    ):
        refused = refusal(spec, str(data_dir), challenge)
        assert isinstance(refused, DatasetError) and str(refused) == missing(spec), spec
    assert refusal("other/exam.npz", str(data_dir), challenge) is None, "a file of the same name elsewhere"
    assert refusal("mnist", None, challenge) is None
    assert refusal("secret/exam.npz", str(data_dir), end()) is None


def test_a_hard_link_a_path_inside_or_a_copy_of_the_hidden_dataset_is_refused(data_dir):
    (data_dir / "exam").mkdir()
    (data_dir / "exam" / "part").mkdir()
    (data_dir / "june.npz").write_bytes(b"x")
    (data_dir / "hard.npz").hardlink_to(data_dir / "june.npz")
    challenge = start("Named", Rules("mnist", hidden="exam"))
    assert isinstance(refusal("exam/part", str(data_dir), challenge), DatasetError)
    challenge = start("Named", Rules("mnist", hidden="june.npz"))
    assert isinstance(refusal("hard.npz", str(data_dir), challenge), DatasetError)
    assert refusal("copy.npz", str(data_dir), challenge) is None, "the names and files do not tell"
    with pytest.raises(DatasetError, match="no such dataset file or folder: copy.npz"):
        view("copy.npz", challenge, str(data_dir), **{"copy.npz": "exam's", "june.npz": "exam's"})
    assert view("other.npz", challenge, str(data_dir)) is None


def test_the_hidden_test_set_is_the_hidden_half_or_the_named_dataset():
    data, exam = dataset("mnist"), dataset("exam", seed=1)
    loaded = []

    def load(spec):
        loaded.append(spec)
        return {"mnist": data, "exam": exam}[spec]

    half = start("Half", Rules("mnist", hidden_seed=2))
    np.testing.assert_array_equal(hidden_test(half, load).x_test, hidden_part(data, 2).x_test)
    named = start("Named", Rules("mnist", hidden="exam"))
    assert hidden_test(named, load) is exam
    assert loaded == ["mnist", "exam"]


def test_the_public_and_hidden_halves_of_the_sample_hold_no_common_image(sample):
    public, hidden = public_part(sample, 0), hidden_part(sample, 0)
    seen = {image.tobytes() for image in public.x_test}
    assert not any(image.tobytes() in seen for image in hidden.x_test)
    assert np.bincount(hidden.y_test, minlength=10).tolist() == [50] * 10


def test_the_notice_keeps_the_datasets_own(sample):
    from dataclasses import replace

    noted = replace(sample, notice="A sample of MNIST.")
    assert public_part(noted, 0).notice.startswith("A sample of MNIST. ")
    assert hidden_split.HIDDEN_NOTICE in hidden_part(noted, 0).notice


def test_a_challenge_read_back_hides_the_same_half_in_another_process():
    challenge = start("Half", Rules("mnist", hidden_seed=11))
    again = Challenge.from_dict(challenge.as_dict())
    assert view("mnist", again) == view("mnist", challenge) == 11
