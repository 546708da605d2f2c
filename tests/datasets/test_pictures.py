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


def test_square_tile_lays_units_out_as_a_square():
    assert pictures.square_tile(np.arange(784)).shape == (28, 28)
    assert pictures.square_tile(np.arange(100)).shape == (10, 10)
    tile = pictures.square_tile(np.arange(128))
    assert tile.shape == (12, 12) and np.isnan(tile.ravel()[128:]).all() and tile.ravel()[127] == 127


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


def test_colour_scale_runs_from_the_maps_low_end_to_its_high_end():
    bar = pictures.colour_scale("bwr", width=64, height=4)
    assert bar.shape == (4, 64, 3)
    assert bar[0, 0, 2] > bar[0, 0, 0] and bar[0, -1, 0] > bar[0, -1, 2]


def test_a_signed_overlay_shows_strong_values_of_either_sign_and_leaves_zero_alone():
    digit = np.full((1, 3), 0.5, np.float32)
    heat = np.array([[-1.0, 0.0, 1.0]])
    picture = pictures.overlay(digit, heat, -1.0, 1.0, cmap="bwr").astype(int)
    assert (picture[0, 1] == round(0.5 * 255 * pictures.DIGIT_BRIGHTNESS)).all(), "zero leaves the digit"
    assert picture[0, 0, 2] > picture[0, 0, 0] + 40, "strong negative shows blue"
    assert picture[0, 2, 0] > picture[0, 2, 2] + 40, "strong positive shows red"
