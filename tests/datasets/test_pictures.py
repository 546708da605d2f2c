"""Pictures made from arrays: checked pixel by pixel on arrays the tests make."""

import numpy as np
import pytest

from mnist_app.datasets import pictures


def test_enlarge_turns_each_pixel_into_a_block():
    image = np.array([[0, 255], [128, 7]], np.uint8)
    big = pictures.enlarge(image, 3)
    assert big.shape == (6, 6) and big.dtype == np.uint8
    assert (big[:3, 3:] == 255).all() and (big[3:, :3] == 128).all()


def test_to_grey_stretches_to_the_full_range_and_blacks_out_a_constant():
    assert pictures.to_grey(np.array([2.0, 4.0, 6.0])).tolist() == [0, 128, 255]
    assert pictures.to_grey(np.full((3, 3), 5.0)).max() == 0


def test_diverging_map_is_blue_below_zero_white_at_zero_red_above():
    colours = pictures.diverging(np.array([-1.0, 0.0, 1.0]))
    blue, white, red = colours.astype(int)
    assert blue[2] > 200 and blue[0] < 60
    assert (white > 240).all()
    assert red[0] > 200 and red[2] < 60


@pytest.mark.parametrize(("channels", "grid"), [(32, (6, 6)), (64, (8, 8)), (3, (2, 2))])
def test_montage_places_every_channel_in_a_grid(channels, grid):
    maps = np.random.default_rng(0).random((4, 5, channels))
    picture = pictures.montage(maps)
    rows, columns = grid
    assert picture.shape == (rows * 5 - 1, columns * 6 - 1)
    second = picture[0:4, 6:11]
    np.testing.assert_array_equal(second, pictures.to_grey(maps[..., 1]))


def test_overlay_leaves_cold_pixels_as_the_digit_and_colours_hot_ones():
    digit = np.zeros((2, 2), np.float32)
    digit[0, 0] = 1.0
    heat = np.array([[0.0, 1.0], [0.0, 0.0]])
    picture = pictures.overlay(digit, heat, 0.0, 1.0)
    assert picture.shape == (2, 2, 3)
    assert (picture[0, 0] == round(255 * pictures.DIGIT_BRIGHTNESS)).all() and (picture[1, 1] == 0).all()
    assert picture[0, 1].max() > 100, "the hot pixel takes the colour map's hot end"


def test_a_signed_overlay_shows_strong_values_of_either_sign_and_leaves_zero_alone():
    digit = np.full((1, 3), 0.5, np.float32)
    heat = np.array([[-1.0, 0.0, 1.0]])
    picture = pictures.overlay(digit, heat, -1.0, 1.0, cmap="bwr").astype(int)
    assert (picture[0, 1] == round(0.5 * 255 * pictures.DIGIT_BRIGHTNESS)).all(), "zero leaves the digit"
    assert picture[0, 0, 2] > picture[0, 0, 0] + 40, "strong negative shows blue"
    assert picture[0, 2, 0] > picture[0, 2, 2] + 40, "strong positive shows red"


def test_a_fitted_scale_is_not_washed_out_by_a_few_extreme_pixels():
    """Three pixels 50 times stronger than the rest: on a scale to the largest value the other
    97 would show at a fiftieth of full colour; fitted, they show at full colour."""
    values = np.zeros((28, 28))
    values.ravel()[:100] = 0.01
    values.ravel()[:3] = 0.5
    values.ravel()[50] = -0.01
    cmap, low, high = pictures.attribution_scale(values)
    assert (cmap, low, high) == (pictures.DIVERGING, -0.01, 0.01)
    picture = pictures.overlay(np.zeros((28, 28)), values, low, high, cmap=cmap).astype(int)
    assert picture.ravel()[3 * 10] > 150, "an ordinary pixel shows red at the fitted scale's full strength"
    assert pictures.attribution_scale(np.abs(values))[0] == pictures.HEAT
    assert pictures.fitted_limit(np.zeros(5)) == pytest.approx(1e-12)


def test_unit_bars_draw_units_as_a_wide_chart_with_the_marked_ones_red():
    values = np.zeros(784)
    values[[17, 400]] = [3.0, 1.5]
    values[600] = -1.0
    chart = pictures.unit_bars(values, marked=[17, 400])
    height, width, _ = chart.shape
    assert width >= 784 and width > 8 * height, "a strip, not a square that looks like a digit"
    (zero,) = np.flatnonzero((chart[:, 300] == pictures.AXIS).all(axis=1))
    assert zero == pytest.approx(8 + 0.75 * (height - 8), abs=2), "the line at zero, a quarter up for -1..3"
    red = (chart[8:, 17] == pictures.MARKED).all(axis=1)
    assert red[: zero - 8].all() and not red[zero - 7 :].any(), "the strongest bar runs from the top to zero"
    assert (chart[:8, 17] == pictures.MARKED).all(axis=1).any(), "a tick above it"
    assert (chart[8:, 400] == pictures.MARKED).all(axis=1).sum() == pytest.approx((zero - 8) / 2, abs=2)
    below = (chart[:, 600] == pictures.BAR).all(axis=1)
    assert below.any() and np.flatnonzero(below).min() > zero, "a negative unit hangs below the line"
    assert (chart[:, 300] == pictures.BACKGROUND).all(axis=1).sum() == height - 1


def test_units_get_bars_apart_when_there_are_few():
    chart = pictures.unit_bars(np.arange(1, 101, dtype=float), marked=[99])
    assert chart.shape[1] == 800
    bottom = chart[-2]  # just above the line at zero
    assert (bottom[7] == pictures.BACKGROUND).all() and (bottom[8] == pictures.BAR).all()


def test_a_framed_tile_keeps_its_pixels_inside_a_grey_border():
    tile = np.full((4, 4, 3), 255, np.uint8)
    boxed = pictures.framed(tile, border=2)
    assert boxed.shape == (8, 8, 3)
    assert (boxed[2:6, 2:6] == 255).all() and (boxed[0] == pictures.FRAME).all()
