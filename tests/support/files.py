"""Files the tests write as a user would give them: gzipped IDX datasets and photos of digits."""

import gzip
import struct

import numpy as np
from PIL import Image, ImageDraw


def write_idx(path, array):
    magic = 0x0803 if array.ndim == 3 else 0x0801
    header = struct.pack(f">I{array.ndim}I", magic, *array.shape)
    path.write_bytes(gzip.compress(header + array.astype(np.uint8).tobytes()))


def draw_digit_image(path, digit_strokes, dark_on_light=False):
    """A 200x200 photo-like image of strokes: lines given as point lists."""
    background, ink = (255, 0) if dark_on_light else (0, 255)
    image = Image.new("L", (200, 200), background)
    draw = ImageDraw.Draw(image)
    for stroke in digit_strokes:
        draw.line(stroke, fill=ink, width=14, joint="curve")
    image.save(path)


ONE = [[(100, 30), (100, 170)]]
SEVEN = [[(50, 40), (150, 40), (85, 170)]]
