"""Digits as pen strokes, the way a person draws them.

`DIGIT_STROKES`, the ten in fractions of a square canvas, is shared by the tests that draw
digits with Pillow and the browser test that draws them with the mouse, so both draw the same
thing. `ONE` and `SEVEN` are in pixels of the Draw page's 280x280 canvas, for the tests that
need one digit drawn (`support.pages.canvas_drawing`, `support.files.draw_digit_image`).
"""

import math


def _loop(cx, cy, rx, ry, start=0.0, turns=1.0, points=28):
    return [
        (cx + rx * math.cos(start + 2 * math.pi * turns * i / points),
         cy + ry * math.sin(start + 2 * math.pi * turns * i / points))
        for i in range(points + 1)
    ]  # fmt: skip


DIGIT_STROKES = {
    0: [_loop(0.5, 0.5, 0.2, 0.32)],
    1: [[(0.42, 0.24), (0.52, 0.14), (0.52, 0.86)]],
    2: [[(0.3, 0.3), (0.38, 0.18), (0.5, 0.15), (0.62, 0.18), (0.68, 0.3), (0.62, 0.45), (0.3, 0.85), (0.72, 0.85)]],
    3: [[(0.3, 0.2), (0.5, 0.14), (0.67, 0.22), (0.67, 0.37), (0.5, 0.47), (0.69, 0.58), (0.69, 0.77),
         (0.5, 0.86), (0.3, 0.8)]],
    4: [[(0.36, 0.14), (0.3, 0.56), (0.74, 0.56)], [(0.62, 0.14), (0.62, 0.88)]],
    5: [[(0.7, 0.15), (0.36, 0.15), (0.33, 0.45), (0.55, 0.42), (0.69, 0.54), (0.69, 0.74), (0.55, 0.86),
         (0.3, 0.82)]],
    6: [[(0.64, 0.14), (0.45, 0.3), (0.34, 0.55), (0.36, 0.78), (0.5, 0.86), (0.65, 0.78), (0.65, 0.6),
         (0.5, 0.52), (0.36, 0.6)]],
    7: [[(0.28, 0.18), (0.72, 0.18), (0.45, 0.86)]],
    8: [_loop(0.5, 0.31, 0.15, 0.16, start=math.pi / 2) + _loop(0.5, 0.67, 0.18, 0.19, start=-math.pi / 2)],
    9: [_loop(0.5, 0.32, 0.16, 0.17, start=0.0), [(0.66, 0.32), (0.62, 0.86)]],
}  # fmt: skip

ONE = [[(140, 40), (140, 240)]]
SEVEN = [[(60, 60), (220, 60), (120, 240)]]
