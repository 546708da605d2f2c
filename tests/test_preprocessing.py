"""Tests for mnist_app.preprocessing: MNIST-style preparation of drawings and decoding of uploads."""

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw

from mnist_app import preprocessing
from mnist_app.preprocessing import ImageError, canvas_to_grey, decode_image, prepare_digit

SIZE = 280
FIELD_CENTRE = (28 - 1) / 2  # the middle of a 28x28 grid of pixel indices: 13.5


def draw_grey(strokes, *, ink: int = 255, paper: int = 0, size: int = SIZE) -> np.ndarray:
    """A grey image in [0, 1]: `strokes(draw, ink)` drawn with Pillow on a square of paper."""
    image = Image.new("L", (size, size), paper)
    strokes(ImageDraw.Draw(image), ink)
    return np.asarray(image, dtype=np.float32) / 255.0


def small_seven_top_left(draw, ink):
    draw.line([(10, 10), (50, 10), (25, 70)], fill=ink, width=5)


def small_zero_bottom_right(draw, ink):
    draw.ellipse([200, 190, 240, 260], outline=ink, width=6)


def small_four_top_right(draw, ink):
    draw.line([(230, 15), (215, 45), (250, 45)], fill=ink, width=4)
    draw.line([(240, 25), (240, 65)], fill=ink, width=4)


def tall_one(draw, ink):
    draw.line([(140, 60), (140, 220)], fill=ink, width=14)


def ink_box(image: np.ndarray, threshold: float = 0.05) -> tuple[int, int]:
    """Height and width of the box around the pixels brighter than threshold."""
    rows = np.flatnonzero((image > threshold).any(axis=1))
    cols = np.flatnonzero((image > threshold).any(axis=0))
    return int(rows[-1] - rows[0] + 1), int(cols[-1] - cols[0] + 1)


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    ys, xs = np.indices(image.shape)
    mass = image.sum()
    return float((ys * image).sum() / mass), float((xs * image).sum() / mass)


def encode(image: Image.Image, image_format: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


# --- prepare_digit --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "strokes", [small_seven_top_left, small_zero_bottom_right, small_four_top_right, tall_one]
)
def test_digit_is_scaled_to_a_20px_box_and_centred_by_mass_in_28x28(strokes):
    prepared = prepare_digit(draw_grey(strokes))

    image = prepared.image
    assert image is not None, prepared.reason
    assert image.shape == (28, 28)
    assert image.dtype == np.float32
    assert image.min() >= 0.0
    assert image.max() <= 1.0
    assert image.max() > 0.9
    assert abs(max(ink_box(image)) - 20) <= 1
    centre_y, centre_x = centre_of_mass(image)
    assert abs(centre_y - FIELD_CENTRE) <= 1.0 + 1e-4
    assert abs(centre_x - FIELD_CENTRE) <= 1.0 + 1e-4
    assert prepared.inverted is False
    assert prepared.reason == ""


def test_prepared_digit_keeps_its_aspect_ratio():
    """An ellipse 41 px wide and 71 px tall becomes 20 px tall and about 12 px wide."""
    prepared = prepare_digit(draw_grey(small_zero_bottom_right))

    height, width = ink_box(prepared.image)
    assert abs(height - 20) <= 1
    assert abs(width - 20 * 41 / 71) <= 1


@pytest.mark.parametrize(
    "grey",
    [np.zeros((SIZE, SIZE), np.float32), np.ones((SIZE, SIZE), np.float32)],
    ids=["all-black", "all-white"],
)
def test_blank_image_has_no_digit(grey):
    prepared = prepare_digit(grey)

    assert prepared.image is None
    assert "draw a digit" in prepared.reason


def test_single_pixel_dot_is_too_small_to_be_a_digit():
    grey = np.zeros((SIZE, SIZE), np.float32)
    grey[140, 140] = 1.0

    prepared = prepare_digit(grey)

    assert prepared.image is None
    assert "draw a digit" in prepared.reason
    assert "too small" in prepared.reason


@pytest.mark.parametrize(("ink", "paper"), [(50, 0), (205, 255)], ids=["faint-light-ink", "faint-dark-ink"])
def test_stroke_with_contrast_below_a_quarter_is_not_a_digit(ink, paper):
    """A full-size stroke 50/255 (about 0.2) away from the paper is too faint to read."""
    prepared = prepare_digit(draw_grey(tall_one, ink=ink, paper=paper))

    assert prepared.image is None
    assert "draw a digit" in prepared.reason
    assert "faint" in prepared.reason


@pytest.mark.parametrize(
    ("ink", "paper"), [(0, 255), (20, 230)], ids=["black-on-white", "dark-on-light-grey"]
)
@pytest.mark.parametrize("strokes", [tall_one, small_seven_top_left])
def test_dark_ink_on_light_paper_is_inverted_and_prepared_like_light_on_dark(strokes, ink, paper):
    light_on_dark = prepare_digit(draw_grey(strokes, ink=255, paper=0))
    dark_on_light = prepare_digit(draw_grey(strokes, ink=ink, paper=paper))

    assert light_on_dark.inverted is False
    assert dark_on_light.inverted is True
    assert dark_on_light.image is not None, dark_on_light.reason
    np.testing.assert_allclose(dark_on_light.image, light_on_dark.image, atol=1e-3)


# --- canvas_to_grey -------------------------------------------------------------------------


def canvas_rgba(background: tuple[int, int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    """A 280x280 RGBA canvas with white opaque strokes on background, and the stroke mask."""
    rgba = np.empty((SIZE, SIZE, 4), dtype=np.uint8)
    rgba[...] = background
    strokes = np.zeros((SIZE, SIZE), dtype=bool)
    strokes[60:220, 130:150] = True
    strokes[60:80, 100:150] = True
    rgba[strokes] = (255, 255, 255, 255)
    return rgba, strokes


@pytest.mark.parametrize(
    "background",
    [(0, 0, 0, 0), (255, 255, 255, 0), (0, 0, 0, 255)],
    ids=["transparent-black", "transparent-white", "opaque-black"],
)
def test_canvas_to_grey_gives_one_on_white_strokes_and_zero_elsewhere(background):
    rgba, strokes = canvas_rgba(background)

    grey = canvas_to_grey(rgba)

    assert grey.shape == (SIZE, SIZE)
    np.testing.assert_allclose(grey[strokes], 1.0)
    np.testing.assert_allclose(grey[~strokes], 0.0)


def test_canvas_to_grey_scales_a_2d_array_to_0_1():
    grey = canvas_to_grey(np.array([[0, 51], [255, 102]], dtype=np.uint8))

    np.testing.assert_allclose(grey, [[0.0, 0.2], [1.0, 0.4]])


def test_transparent_canvas_drawing_is_prepared_as_light_ink_on_dark():
    rgba, _ = canvas_rgba((0, 0, 0, 0))

    prepared = prepare_digit(canvas_to_grey(rgba))

    assert prepared.image is not None, prepared.reason
    assert prepared.inverted is False
    assert abs(max(ink_box(prepared.image)) - 20) <= 1


# --- decode_image ---------------------------------------------------------------------------


def drawing(mode: str = "L", size: tuple[int, int] = (SIZE, SIZE)) -> Image.Image:
    """A black '0' on white paper."""
    image = Image.new(mode, size, "white")
    ImageDraw.Draw(image).ellipse([90, 40, 190, 240], outline="black", width=18)
    return image


@pytest.mark.parametrize(("image_format", "mode"), [("PNG", "L"), ("PNG", "RGB"), ("JPEG", "RGB")])
def test_decode_image_gives_2d_grey_array_in_0_1(image_format, mode):
    grey = decode_image(encode(drawing(mode), image_format))

    assert grey.ndim == 2
    assert grey.shape == (SIZE, SIZE)
    assert np.issubdtype(grey.dtype, np.floating)
    assert grey.min() >= 0.0
    assert grey.max() <= 1.0
    assert grey[0, 0] > 0.9, "white paper stays light"
    assert grey[140, 90 + 9] < 0.1, "the black stroke stays dark"


def test_decoded_drawing_of_dark_ink_on_paper_is_prepared_as_inverted_digit():
    prepared = prepare_digit(decode_image(encode(drawing("RGB"), "JPEG", quality=90)))

    assert prepared.inverted is True
    assert prepared.image is not None, prepared.reason
    assert abs(max(ink_box(prepared.image, threshold=0.25)) - 20) <= 1


def test_decode_image_shrinks_a_large_photo_to_max_side():
    grey = decode_image(encode(drawing("RGB", size=(1600, 1200)), "JPEG"))

    assert max(grey.shape) <= preprocessing.MAX_SIDE
    assert grey.shape[1] > grey.shape[0], "the landscape shape is kept"


def test_decode_image_rejects_a_text_file():
    text = b"digit,label\n0,7\n" * 20

    with pytest.raises(ImageError, match="not a readable image"):
        decode_image(text)


def test_decode_image_rejects_bytes_over_the_upload_limit():
    """The size is checked before decoding, so any bytes over the limit are refused."""
    data = encode(drawing(), "PNG")
    oversized = data + b"\0" * (preprocessing.MAX_UPLOAD_BYTES + 1 - len(data))

    with pytest.raises(ImageError, match="images up to"):
        decode_image(oversized)


def test_decode_image_rejects_an_image_with_more_than_max_pixels():
    """An 8000x8000 bilevel PNG has 64 million pixels but compresses to a few KiB."""
    data = encode(Image.new("1", (8000, 8000)), "PNG")
    assert len(data) < preprocessing.MAX_UPLOAD_BYTES

    with pytest.raises(ImageError, match="8000x8000"):
        decode_image(data)


def test_decode_image_honours_a_lowered_max_pixels(monkeypatch):
    monkeypatch.setattr(preprocessing, "MAX_PIXELS", 100 * 100)

    assert decode_image(encode(drawing(size=(100, 100)), "PNG")).shape == (100, 100)
    with pytest.raises(ImageError, match="101x100"):
        decode_image(encode(drawing(size=(101, 100)), "PNG"))


@pytest.mark.parametrize("mode", ["RGBA", "LA"])
def test_transparent_png_with_black_strokes_is_treated_as_dark_ink_on_light(mode):
    image = Image.new(mode, (SIZE, SIZE), (0, 0, 0, 0) if mode == "RGBA" else (0, 0))
    stroke = (0, 0, 0, 255) if mode == "RGBA" else (0, 255)
    ImageDraw.Draw(image).line([(140, 40), (140, 240)], fill=stroke, width=16)

    grey = decode_image(encode(image, "PNG"))
    prepared = prepare_digit(grey)

    assert grey[0, 0] == pytest.approx(1.0), "transparent pixels read as white paper"
    assert grey[140, 140] == pytest.approx(0.0)
    assert prepared.inverted is True
    assert prepared.image is not None, prepared.reason
    assert abs(max(ink_box(prepared.image)) - 20) <= 1
