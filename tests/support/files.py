"""Files the tests write as a user would give them: photos of digits (datasets: `support.datasets`)."""

from PIL import Image, ImageDraw


def draw_digit_image(path, digit_strokes, dark_on_light=False):
    """A photo-like image of strokes (point lists, as `support.digit_strokes.SEVEN`) on 280x280."""
    background, ink = (255, 0) if dark_on_light else (0, 255)
    image = Image.new("L", (280, 280), background)
    draw = ImageDraw.Draw(image)
    for stroke in digit_strokes:
        draw.line(stroke, fill=ink, width=14, joint="curve")
    image.save(path)
