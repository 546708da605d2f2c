"""Tests for mnist_app.web.html_bars: bar charts as plain HTML (probabilities, class balance, histogram)."""

import re

import numpy as np
import pytest

from mnist_app.web.html_bars import class_balance_html, histogram_html, probability_bars_html

DIGITS = [str(label) for label in range(10)]


def bar_widths(html: str) -> list[float]:
    return [float(width) for width in re.findall(r"width:([0-9.]+)%", html)]


def test_each_class_gets_a_bar_as_long_as_its_probability():
    probabilities = np.array([0.05, 0.0, 0.6, 0.1, 0.05, 0.05, 0.05, 0.04, 0.03, 0.03])

    html = probability_bars_html(probabilities, DIGITS)

    np.testing.assert_allclose(bar_widths(html), probabilities * 100, atol=0.005)
    assert re.findall(r">([0-9.]+)%</span>", html) == [f"{p * 100:.1f}" for p in probabilities]


def test_the_most_likely_class_is_in_bold_and_the_whole_reads_aloud():
    probabilities = np.eye(10)[7]

    html = probability_bars_html(probabilities, DIGITS)

    assert html.count("font-weight:700") == 2, "the name and the percentage of the 7"
    assert re.search(r'font-weight:700;">7</span>', html)
    assert 'aria-label="Probability of each class: 0 0.0%, 1 0.0%' in html and "7 100.0%" in html


def test_class_names_from_a_model_file_cannot_inject_html():
    names = [*DIGITS[:9], '<img src=x onerror="alert(1)">']

    html = probability_bars_html(np.full(10, 0.1), names)

    assert "<img" not in html and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html


def test_values_outside_zero_to_one_are_drawn_within_the_track():
    html = probability_bars_html(np.array([1.5, -0.2]), ["a", "b"])

    assert bar_widths(html) == [100.0, 0.0]


def test_a_model_that_answers_nan_draws_empty_bars_not_broken_markup():
    html = probability_bars_html(np.array([np.nan, 0.5, np.inf]), ["a", "b", "c"])

    assert bar_widths(html) == [0.0, 50.0, 100.0] and "nan" not in html


def test_probabilities_and_names_must_pair_up():
    with pytest.raises(ValueError, match="3 probabilities for 10 classes"):
        probability_bars_html(np.ones(3) / 3, DIGITS)


def test_class_balance_draws_every_split_to_one_scale_with_its_counts():
    html = class_balance_html(["0", "1", "<2>"], {"train": [400, 200, 0], "test": [100, 50, 25]})

    assert bar_widths(html) == [100.0, 25.0, 50.0, 12.5, 0.0, 6.25]
    assert ">400 / 100<" in html and ">0 / 25<" in html
    assert "&lt;2&gt;" in html and "<2>" not in html
    assert 'aria-label="Images per class (train / test): 0: 400 train, 100 test;' in html


def test_class_balance_refuses_counts_for_other_classes():
    with pytest.raises(ValueError, match=r"counts for \[2\] classes, not 3"):
        class_balance_html(["a", "b", "c"], {"train": [1, 2]})
    with pytest.raises(ValueError, match=r"counts for \[2, 3\] classes, not 3"):
        class_balance_html(["a", "b", "c"], {"train": [1, 2, 3], "test": [1, 2]})
    with pytest.raises(ValueError, match=r"counts for \[\] classes"):
        class_balance_html(["a"], {})


def test_histogram_columns_are_as_tall_as_their_bins_with_a_tooltip_each():
    html = histogram_html([1, 18, 35], 17, [10, 40, 0], "pixels")

    assert [float(h) for h in re.findall(r"height:([0-9.]+)%", html)] == [25.0, 100.0, 0.0]
    assert 'title="18–34: 40 pixels"' in html
    assert "the tallest column is 40" in html


def test_an_empty_histogram_draws_flat_columns():
    html = histogram_html([1, 18], 17, [0, 0], "pixels")

    assert [float(h) for h in re.findall(r"height:([0-9.]+)%", html)] == [0.0, 0.0]
