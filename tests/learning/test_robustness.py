"""Moved, turned, scaled, thinner and thicker: the transforms against scipy.ndimage on hand-made
images, and the curves on the lab's MLP."""

import numpy as np
import pytest
from scipy import ndimage

from mnist_app.errors import UserError
from mnist_app.learning.robustness import (
    KINDS,
    robustness_curves,
    scaled,
    shifted,
    thickened,
    transformed,
    turned,
)

CENTRE = 13.5
CROSS = ndimage.generate_binary_structure(2, 1)


@pytest.fixture(scope="module")
def drawing():
    """A hand-made stroke: a bar, a grey crossbar and a dot, none touching the edge."""
    image = np.zeros((28, 28), np.float32)
    image[6:16, 14] = 1.0
    image[10, 9:17] = 0.5
    image[20, 19] = 0.75
    image[17:19, 7:9] = 0.25
    return image


def about_the_centre(image, matrix):
    offset = CENTRE - np.asarray(matrix) @ [CENTRE, CENTRE]
    return ndimage.affine_transform(image, matrix, offset=offset, order=1, mode="grid-constant")


@pytest.mark.parametrize(("rows", "columns"), [(0, 3), (0, -6), (4, 0), (-2, 5), (27, 0), (0, -28)])
def test_a_shift_matches_scipy_and_fills_with_black(drawing, rows, columns):
    expected = ndimage.shift(drawing, (rows, columns), order=0, mode="constant", cval=0)
    np.testing.assert_array_equal(shifted(drawing[None], rows, columns)[0], expected)


def test_a_shift_curve_moves_the_digits_in_turn_left_right_up_and_down(drawing):
    moved = transformed(np.stack([drawing] * 5), "shift", 2)
    expected = [shifted(drawing[None], *step)[0] for step in [(0, -2), (0, 2), (-2, 0), (2, 0), (0, -2)]]
    np.testing.assert_array_equal(moved, np.stack(expected))
    np.testing.assert_array_equal(transformed(drawing[None], "shift", 0)[0], drawing)


@pytest.mark.parametrize("degrees", [-45, -30, -15, 0, 7, 15, 30, 45, 90])
def test_a_turn_matches_scipy_rotate(drawing, degrees):
    expected = ndimage.rotate(drawing, degrees, reshape=False, order=1, mode="grid-constant")
    np.testing.assert_allclose(turned(drawing[None], degrees)[0], expected, atol=1e-6)


def test_a_quarter_turn_is_anticlockwise_as_seen():
    top = np.zeros((28, 28), np.float32)
    top[2, 13:15] = 1.0
    assert {tuple(p) for p in np.argwhere(turned(top[None], 90)[0] > 0.5)} == {(13, 2), (14, 2)}


@pytest.mark.parametrize("factor", [0.6, 0.8, 1.0, 1.25, 1.4])
def test_a_scale_matches_scipy_about_the_centre(drawing, factor):
    expected = about_the_centre(drawing, np.eye(2) / factor)
    np.testing.assert_allclose(scaled(drawing[None], factor)[0], expected, atol=1e-6)


def test_a_scale_by_two_doubles_a_stroke_s_length():
    bar = np.zeros((28, 28), np.float32)
    bar[12:16, 13:15] = 1.0  # rows 12..15 about the centre 13.5
    lit = np.flatnonzero(scaled(bar[None], 2.0)[0][:, 13:15].max(axis=1) >= 0.5)
    assert (lit.min(), lit.max()) == (10, 17)


@pytest.mark.parametrize("steps", [-2, -1, 1, 2])
def test_thinner_and_thicker_are_scipy_s_grey_erosion_and_dilation(drawing, steps):
    operation = ndimage.grey_dilation if steps > 0 else ndimage.grey_erosion
    expected = drawing
    for _ in range(abs(steps)):
        expected = operation(expected, footprint=CROSS, mode="constant", cval=0)
    np.testing.assert_array_equal(thickened(drawing[None], steps)[0], expected)
    assert thickened(drawing[None], 0)[0] is not drawing and (thickened(drawing[None], 0)[0] == drawing).all()


def test_a_batch_is_transformed_image_by_image(drawing):
    batch = np.stack([drawing, drawing.T, np.flipud(drawing)])
    for transform in (lambda b: turned(b, 30), lambda b: scaled(b, 0.7), lambda b: thickened(b, 1)):
        together = transform(batch)
        for i, image in enumerate(batch):
            np.testing.assert_array_equal(together[i], transform(image[None])[0])


def test_the_curves_start_where_nothing_changed_and_fall_with_a_shift(trained_mlp, sample):
    from mnist_app.learning.evaluation import evaluate

    images, labels = sample.x_test[:200], sample.y_test[:200]
    fractions = []
    curves = robustness_curves(trained_mlp.model, images, labels, on_progress=fractions.append)
    clean = evaluate(trained_mlp.model, images, labels).accuracy
    by_kind = {curve.kind: curve for curve in curves}
    assert list(by_kind) == list(KINDS) and fractions[-1] == 1.0
    assert by_kind["shift"].at(0) == by_kind["turn"].at(0) == by_kind["scale"].at(1.0) == pytest.approx(clean)
    assert by_kind["thickness"].at(0) == pytest.approx(clean)
    assert by_kind["shift"].at(6) < by_kind["shift"].at(3) < clean
    assert all(curve.n == 200 and len(curve.settings) == len(curve.accuracy) for curve in curves)
    with pytest.raises(UserError, match="unknown change"):
        robustness_curves(trained_mlp.model, images, labels, kinds=("wobble",))
