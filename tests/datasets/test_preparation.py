"""Tests for mnist_app.datasets.preparation: MNIST-style preparation of drawings and decoding of uploads."""

import base64
import io
import os
import struct
import subprocess
import sys
import threading
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from PIL import EpsImagePlugin, Image, ImageDraw

from mnist_app.datasets import preparation
from mnist_app.datasets.preparation import (
    MAX_DRAWING_CHARS,
    ImageError,
    canvas_png_to_rgba,
    canvas_to_grey,
    decode_image,
    load_image_file,
    prepare_digit,
)
from tests.support import REPO

ACCEPTED = "PNG, JPEG, BMP, GIF or WebP"

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


def png_data_url(image: Image.Image, format: str = "PNG") -> str:
    buffer = io.BytesIO()
    image.save(buffer, format=format)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def test_canvas_png_comes_back_as_the_rgba_array_that_was_drawn():
    rgba, strokes = canvas_rgba((0, 0, 0, 255))

    decoded = canvas_png_to_rgba(png_data_url(Image.fromarray(rgba)), SIZE)

    assert decoded.shape == (SIZE, SIZE, 4) and decoded.dtype == np.uint8
    np.testing.assert_array_equal(decoded, rgba)
    np.testing.assert_allclose(canvas_to_grey(decoded)[strokes], 1.0)


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header says width x height, followed by a few bytes of pixels only."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (None, "did not arrive as a PNG"),
        (["data:image/png;base64,"], "did not arrive as a PNG"),
        ("data:image/jpeg;base64,/9j/4AAQ", "did not arrive as a PNG"),
        ("data:image/png;base64,not base64 at all!", "did not arrive as a PNG"),
        ("data:image/png;base64," + "A" * MAX_DRAWING_CHARS, "characters long"),
        (png_data_url(Image.new("RGBA", (28, 28))), "not the canvas's 280x280"),
        (png_data_url(Image.new("RGB", (SIZE, SIZE)), "BMP"), "did not arrive as a PNG"),
        (
            "data:image/png;base64," + base64.b64encode(png_claiming(60_000, 60_000)).decode(),
            "too many pixels",
        ),
        ("data:image/png;base64," + base64.b64encode(png_claiming(5_000, 5_000)).decode(), "5000x5000"),
        ("data:image/png;base64," + base64.b64encode(png_claiming(SIZE, SIZE)).decode(), "damaged"),
    ],
    ids=[
        "none",
        "list",
        "jpeg",
        "bad-base64",
        "too-long",
        "wrong-size",
        "bmp",
        "bomb",
        "big-header",
        "no-pixels",
    ],
)
def test_a_forged_canvas_payload_is_refused_before_it_is_decoded(payload, message):
    """What arrives from a browser is a session's to forge: each is an ImageError, and a
    header claiming billions of pixels is refused before a pixel is decoded."""
    with pytest.raises(ImageError, match=message):
        canvas_png_to_rgba(payload, SIZE)


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

    assert max(grey.shape) <= preparation.MAX_SIDE
    assert grey.shape[1] > grey.shape[0], "the landscape shape is kept"


def test_decode_image_rejects_a_text_file():
    text = b"digit,label\n0,7\n" * 20

    with pytest.raises(ImageError, match="not a readable image"):
        decode_image(text)


def test_decode_image_rejects_bytes_over_the_upload_limit():
    """The size is checked before decoding, so any bytes over the limit are refused."""
    data = encode(drawing(), "PNG")
    oversized = data + b"\0" * (preparation.MAX_UPLOAD_BYTES + 1 - len(data))

    with pytest.raises(ImageError, match="images up to"):
        decode_image(oversized)


def test_decode_image_rejects_an_image_with_more_than_max_pixels():
    """An 8000x8000 bilevel PNG has 64 million pixels but compresses to a few KiB."""
    data = encode(Image.new("1", (8000, 8000)), "PNG")
    assert len(data) < preparation.MAX_UPLOAD_BYTES

    with pytest.raises(ImageError, match="8000x8000"):
        decode_image(data)


def test_decode_image_honours_a_lowered_max_pixels(monkeypatch):
    monkeypatch.setattr(preparation, "MAX_PIXELS", 100 * 100)

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


def test_decode_image_turns_a_16_bit_grey_png_into_the_same_shades():
    """Pillow's own conversion clips 16-bit levels at 255, which would make every pixel white."""
    levels = np.array([[0, 16384], [32768, 65535]], dtype=np.uint16).repeat(8, 0).repeat(8, 1)
    image = Image.fromarray(levels)
    assert image.mode == "I;16"

    grey = decode_image(encode(image, "PNG"))

    np.testing.assert_allclose(grey[::8, ::8], levels[::8, ::8] / 65535, atol=1 / 255)


# --- only the formats the page accepts --------------------------------------------------------

MINIMAL_EPS = (
    b"%!PS-Adobe-3.0 EPSF-3.0\n"
    b"%%BoundingBox: 0 0 28 28\n"
    b"%%EndComments\n"
    b"newpath 14 4 moveto 14 24 lineto 4 setlinewidth stroke\n"
    b"showpage\n"
    b"%%EOF\n"
)


@pytest.mark.parametrize(
    ("image_format", "mode"),
    [
        ("IM", "L"),
        ("SPIDER", "F"),
        ("TIFF", "L"),
        ("PPM", "L"),
        ("SGI", "L"),
        ("ICO", "RGBA"),
        ("DDS", "RGBA"),
    ],
)
def test_decode_image_refuses_formats_pillow_reads_but_the_page_does_not_accept(image_format, mode):
    data = encode(drawing(size=(32, 32)).convert(mode), image_format)
    assert Image.open(io.BytesIO(data)).format == image_format, "Pillow alone would read it"

    with pytest.raises(ImageError, match=ACCEPTED):
        decode_image(data)


def test_decode_image_refuses_eps_without_ever_reaching_ghostscript(monkeypatch):
    ran = []
    monkeypatch.setattr(EpsImagePlugin, "Ghostscript", lambda *args, **kwargs: ran.append(args))
    assert Image.open(io.BytesIO(MINIMAL_EPS)).format == "EPS", "Pillow alone would open it"

    with pytest.raises(ImageError, match=ACCEPTED):
        decode_image(MINIMAL_EPS)
    assert ran == []


@pytest.mark.parametrize("image_format", ["PNG", "JPEG", "BMP", "GIF", "WEBP"])
def test_decode_image_reads_every_accepted_format(image_format):
    grey = decode_image(encode(drawing("RGB"), image_format))

    assert grey.shape == (SIZE, SIZE)
    assert grey[0, 0] > 0.9
    assert grey[140, 90 + 9] < 0.1


# --- every decoder failure is an ImageError ---------------------------------------------------


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_bytes(
    width: int = 8, height: int = 8, *, before_idat: bytes = b"", after_idat: bytes = b"", rgba: bool = False
) -> bytes:
    """A PNG built by hand, every pixel 0 (black, or transparent when `rgba`), rows compressed as they go."""
    colour_type, channels = (6, 4) if rgba else (0, 1)
    header = png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0))
    compressor = zlib.compressobj()
    row = bytes(1 + channels * width)
    pixels = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    return (
        b"\x89PNG\r\n\x1a\n"
        + header
        + before_idat
        + png_chunk(b"IDAT", pixels)
        + after_idat
        + png_chunk(b"IEND", b"")
    )


BIG_TEXT = zlib.compress(b"a" * 4_000_000)


def bmp_with_bad_palette() -> bytes:
    """An 8-bit BMP whose header claims 300 palette colours: Pillow raises ValueError."""
    image = Image.new("P", (64, 64), 0)
    image.putpalette([255, 255, 255, 200, 30, 30])
    data = bytearray(encode(image, "BMP"))
    struct.pack_into("<I", data, 46, 300)  # biClrUsed, in the BITMAPINFOHEADER
    return bytes(data)


def truncated(image_format: str) -> bytes:
    data = encode(drawing("RGB", size=(64, 64)), image_format)
    return data[: len(data) // 2]


DAMAGED = {
    "zTXt-chunk-inflating-to-4-MB": png_bytes(before_idat=png_chunk(b"zTXt", b"comment\0\0" + BIG_TEXT)),
    "iTXt-chunk-inflating-to-4-MB": png_bytes(
        before_idat=png_chunk(b"iTXt", b"comment\0\1\0\0\0" + BIG_TEXT)
    ),
    "iCCP-chunk-inflating-to-4-MB": png_bytes(before_idat=png_chunk(b"iCCP", b"icc\0\0" + BIG_TEXT)),
    "zTXt-after-the-pixels": png_bytes(after_idat=png_chunk(b"zTXt", b"comment\0\0" + BIG_TEXT)),
    "truncated-IHDR-chunk": b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">II", 8, 8)[:6]),
    "BMP-with-bad-palette": bmp_with_bad_palette(),
    "truncated-PNG": truncated("PNG"),
    "truncated-JPEG": truncated("JPEG"),
    "truncated-GIF": truncated("GIF"),
    "truncated-WebP": truncated("WEBP"),
    "truncated-BMP": truncated("BMP"),
}


@pytest.mark.parametrize("data", DAMAGED.values(), ids=DAMAGED.keys())
def test_decode_image_turns_every_decoder_failure_into_an_image_error(data):
    with pytest.raises(ImageError, match="not a readable image"):
        decode_image(data)


def test_decode_image_refuses_a_decompression_bomb_that_pillow_itself_refuses():
    """20000x20000 is past Pillow's own limit, which raises before our pixel count is checked."""
    header = png_chunk(b"IHDR", struct.pack(">IIBBBBB", 20_000, 20_000, 8, 0, 0, 0, 0))
    data = b"\x89PNG\r\n\x1a\n" + header + png_chunk(b"IEND", b"")

    with pytest.raises(ImageError, match="too many pixels"):
        decode_image(data)


def small_images() -> dict[str, bytes]:
    """Small valid images of each accepted format, in the modes and options uploads have."""
    grey = drawing(size=(24, 24))
    ImageDraw.Draw(grey).line([(4, 4), (20, 20)], fill=128, width=3)
    rgba = grey.convert("RGBA")
    rgba.putalpha(grey.point(lambda value: 255 - value))
    exif = Image.Exif()
    exif[0x0112] = 6
    return {
        "PNG": encode(rgba, "PNG"),
        "PNG-palette": encode(grey.convert("P"), "PNG", transparency=0),
        "JPEG": encode(grey.convert("RGB"), "JPEG", quality=80, exif=exif),
        "JPEG-progressive": encode(grey, "JPEG", progressive=True),
        "BMP": encode(grey.convert("P"), "BMP"),
        "BMP-RLE-like-RGB": encode(grey.convert("RGB"), "BMP"),
        "GIF": encode(grey.convert("P"), "GIF", transparency=0),
        "WebP-lossy": encode(rgba, "WEBP", quality=50),
        "WebP-lossless": encode(grey.convert("RGB"), "WEBP", lossless=True),
    }


SMALL_IMAGES = small_images()


@st.composite
def mutated(draw, data: bytes) -> bytes:
    """`data` with a few byte flips, overwrites with extreme numbers, insertions or a truncation."""
    data = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        kind = draw(st.sampled_from(["flip", "extreme", "insert", "truncate"]))
        if kind == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "extreme":
            data[at : at + 4] = draw(
                st.sampled_from([b"\xff\xff\xff\xff", b"\x7f\xff\xff\xff", b"\0\0\0\0", b"\0\0\x10\0"])
            )
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        else:
            del data[at:]
    if data.startswith(b"\x89PNG") and draw(st.booleans()):
        fix_png_checksums(data)
    return bytes(data)


def fix_png_checksums(data: bytearray) -> None:
    """Recompute every chunk's CRC, so that mutations reach the decoder past Pillow's CRC check."""
    at = 8
    while at + 12 <= len(data):
        (length,) = struct.unpack_from(">I", data, at)
        end = at + 8 + length
        if end + 4 > len(data):
            return
        struct.pack_into(">I", data, end, zlib.crc32(data[at + 4 : end]))
        at = end + 4


# Pillow warns about damage it skips over (a broken EXIF tag) and about sizes past its own
# limit, which our lower MAX_PIXELS refuses anyway: neither is a failure.
@pytest.mark.filterwarnings("ignore::UserWarning:PIL")
@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize("name", SMALL_IMAGES)
@settings(
    max_examples=200,
    deadline=1000,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_mutated_images_give_a_grey_image_or_an_image_error_and_nothing_else(name, data):
    damaged = data.draw(mutated(SMALL_IMAGES[name]))

    try:
        grey = decode_image(damaged)
    except ImageError as error:
        event(str(error))
        return
    event("decoded")
    assert grey.ndim == 2
    assert max(grey.shape) <= preparation.MAX_SIDE
    assert np.isfinite(grey).all()
    assert grey.min() >= 0.0
    assert grey.max() <= 1.0


# --- bounded cost -------------------------------------------------------------------------------

MEASURE_DECODE = """
import resource, sys
from mnist_app.datasets.preparation import ImageError, decode_image
data = open(sys.argv[1], "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    decode_image(data)
except ImageError:
    pass
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)
"""


def decode_peak_mib(data: bytes, tmp_path: Path) -> int:
    """The growth of peak resident memory, in MiB, of a fresh process decoding `data`."""
    path = tmp_path / "upload"
    path.write_bytes(data)
    result = subprocess.run(
        [sys.executable, "-c", MEASURE_DECODE, str(path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    return int(result.stdout.split()[-1])


@pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss is in KiB on Linux")
def test_a_194_kb_png_of_7070x7070_pixels_costs_little_memory(tmp_path):
    """Decoded and composited at full size, this file took about 730 MiB for every upload."""
    data = png_bytes(7070, 7070, rgba=True)
    assert len(data) < 200_000

    assert decode_peak_mib(data, tmp_path) < 100


@pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss is in KiB on Linux")
def test_an_rgba_png_at_the_pixel_cap_is_read_with_two_full_size_copies_at_most(tmp_path):
    """4000x4000 RGBA is 61 MiB a copy: the decoded image and Pillow's premultiplied one.

    Here that measures about 107 MiB; converting and compositing at full size before
    shrinking took over 200.
    """
    data = png_bytes(4000, 4000, rgba=True)

    assert decode_peak_mib(data, tmp_path) < 160


def test_a_burst_of_decodes_runs_a_few_at_a_time(monkeypatch):
    running, most = 0, 0
    lock = threading.Lock()
    decode = preparation._decode

    def counted(image):
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.02)
        with lock:
            running -= 1
        return decode(image)

    monkeypatch.setattr(preparation, "_decode", counted)
    data = encode(drawing(), "PNG")
    results = []
    threads = [threading.Thread(target=lambda: results.append(decode_image(data))) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(results) == 12
    assert most <= preparation.DECODE_THREADS


def test_jpeg_is_decoded_at_reduced_size_so_a_large_photo_is_within_the_pixel_cap():
    """5000x4000 is over MAX_PIXELS, but JPEG decodes it at an eighth of its size."""
    grey = decode_image(encode(drawing("RGB", size=(5000, 4000)), "JPEG"))

    assert grey.shape == (410, 512)


# --- EXIF orientation -----------------------------------------------------------------------------

# What a camera does to the upright pixels, for each orientation tag; the reader undoes it.
CAMERA_TURNS = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


def upright_seven() -> Image.Image:
    image = Image.new("L", (200, 240), 255)
    ImageDraw.Draw(image).line([(40, 40), (160, 40), (90, 210)], fill=0, width=14)
    return image


@pytest.mark.parametrize("orientation", CAMERA_TURNS)
def test_decode_image_turns_a_png_upright_as_its_exif_orientation_says(orientation):
    upright = upright_seven()
    stored = upright.transpose(CAMERA_TURNS[orientation])
    exif = Image.Exif()
    exif[0x0112] = orientation
    assert not np.array_equal(np.asarray(stored), np.asarray(upright)), "the stored pixels are turned"

    grey = decode_image(encode(stored, "PNG", exif=exif))

    np.testing.assert_array_equal(grey, np.asarray(upright, dtype=np.float32) / 255.0)


def test_a_phone_photo_of_a_seven_stored_sideways_is_prepared_as_the_upright_seven():
    upright = upright_seven().convert("RGB")
    exif = Image.Exif()
    exif[0x0112] = 6
    sideways = encode(upright.transpose(Image.Transpose.ROTATE_90), "JPEG", quality=95, exif=exif)

    expected = prepare_digit(decode_image(encode(upright, "JPEG", quality=95)))
    prepared = prepare_digit(decode_image(sideways))

    assert prepared.image is not None, prepared.reason
    np.testing.assert_allclose(prepared.image, expected.image, atol=0.1)
    assert centre_of_mass(prepared.image) == pytest.approx(centre_of_mass(expected.image), abs=0.1)


# --- transparency -----------------------------------------------------------------------------------


def transparent_digit(
    colour: tuple[int, int, int], hidden: tuple[int, int, int], size: int = SIZE
) -> Image.Image:
    """A stroke of `colour` on a fully transparent background whose hidden colour is `hidden`."""
    image = Image.new("RGBA", (size, size), (*hidden, 0))
    scale = size / SIZE
    ImageDraw.Draw(image).line(
        [(140 * scale, 40 * scale), (140 * scale, 240 * scale)], fill=(*colour, 255), width=round(16 * scale)
    )
    return image


@pytest.mark.parametrize("hidden", [(0, 0, 0), (255, 255, 255)], ids=["hidden-black", "hidden-white"])
@pytest.mark.parametrize("image_format", ["PNG", "WEBP"])
def test_a_white_digit_on_a_transparent_background_is_light_ink_on_dark(image_format, hidden):
    options = {"lossless": True} if image_format == "WEBP" else {}
    data = encode(transparent_digit((255, 255, 255), hidden), image_format, **options)

    grey = decode_image(data)
    prepared = prepare_digit(grey)

    assert grey[0, 0] == pytest.approx(0.0), "transparent pixels read as black under white ink"
    assert grey[140, 140] == pytest.approx(1.0)
    assert prepared.inverted is False
    assert prepared.image is not None, prepared.reason
    assert abs(max(ink_box(prepared.image)) - 20) <= 1


def test_a_white_digit_on_a_transparent_gif_is_light_ink_on_dark():
    image = Image.new("P", (SIZE, SIZE), 0)
    image.putpalette([0, 0, 0, 255, 255, 255])
    ImageDraw.Draw(image).line([(140, 40), (140, 240)], fill=1, width=16)

    grey = decode_image(encode(image, "GIF", transparency=0))

    assert grey[0, 0] == pytest.approx(0.0)
    assert grey[140, 140] == pytest.approx(1.0)
    assert prepare_digit(grey).inverted is False


@pytest.mark.parametrize("colour", [(0, 0, 0), (255, 255, 255)], ids=["black-ink", "white-ink"])
def test_the_hidden_colour_of_transparent_pixels_does_not_bleed_when_a_large_image_shrinks(colour):
    """Resizing with alpha premultiplied: what lies under transparent pixels cannot show."""
    under_black = decode_image(encode(transparent_digit(colour, (0, 0, 0), size=2000), "PNG"))
    under_white = decode_image(encode(transparent_digit(colour, (255, 255, 255), size=2000), "PNG"))

    assert under_black.shape == (512, 512)
    np.testing.assert_allclose(under_black, under_white, atol=1 / 255)


# --- load_image_file, for the command line ---------------------------------------------------------


def test_load_image_file_reads_an_image_whatever_it_is_called(tmp_path):
    path = tmp_path / "digit.tif"
    path.write_bytes(encode(drawing(), "PNG"))

    np.testing.assert_array_equal(load_image_file(path), decode_image(path.read_bytes()))


def test_load_image_file_refuses_a_tiff_called_png_naming_the_file(tmp_path):
    path = tmp_path / "digit.png"
    path.write_bytes(encode(drawing(), "TIFF"))

    with pytest.raises(ImageError, match=f"{path}: not a readable image.*{ACCEPTED}"):
        load_image_file(path)


@pytest.mark.parametrize("kind", ["missing", "directory", "fifo"])
def test_load_image_file_refuses_what_is_not_a_regular_file_at_once(tmp_path, kind):
    path = tmp_path / "digit.png"
    if kind == "directory":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)

    started = time.monotonic()
    with pytest.raises(ImageError, match=str(path)):
        load_image_file(path)
    assert time.monotonic() - started < 5, "a FIFO is refused, never waited on"


def test_load_image_file_refuses_a_file_over_the_upload_limit_without_reading_it(tmp_path, monkeypatch):
    path = tmp_path / "huge.png"
    with path.open("wb") as file:
        file.truncate(64 * 1024**3)  # sparse: 64 GiB that take no disk
    monkeypatch.setattr(preparation, "decode_image", lambda data: pytest.fail("decoded"))

    with pytest.raises(ImageError, match=rf"{path} is 68,719,476,736 bytes; at most 10,485,760"):
        load_image_file(path)
