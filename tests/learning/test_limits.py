"""Bounds on training choices: a job of the app's may not hold the trainer for hours."""

import pytest

from mnist_app.errors import UserError
from mnist_app.learning.limits import check_job_work


def test_a_job_over_the_image_cap_is_refused_with_the_most_epochs_that_fit():
    with pytest.raises(
        UserError, match=r"200 epochs of 60,000 training images is 12,000,000 images"
    ) as refused:
        check_job_work(200, 60_000)
    assert str(refused.value).endswith("lets one job take 3,000,000: choose at most 50 epochs")


def test_the_labs_run_and_a_long_run_on_the_sample_fit():
    check_job_work(10, 60_000)
    check_job_work(200, 4_000)
    check_job_work(50, 60_000)


def test_the_cap_is_a_setting_and_a_dataset_too_big_for_one_epoch_says_so(monkeypatch):
    monkeypatch.setenv("MNIST_APP_MAX_IMAGES_PER_JOB", "100000")
    with pytest.raises(UserError, match="choose at most 1 epoch$"):
        check_job_work(2, 60_000)
    with pytest.raises(UserError, match="choose a smaller dataset$"):
        check_job_work(1, 120_000)
    monkeypatch.setenv("MNIST_APP_MAX_IMAGES_PER_JOB", "lots")
    check_job_work(50, 60_000)
