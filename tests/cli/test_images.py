"""Images named on the command line: refused from their bytes or header, never decoded whole."""

from PIL import Image

from tests.support import REPO
from tests.support.command_line import (
    assert_usage_error,
    run_cli,
)


def test_predict_refuses_a_text_file_named_png(tmp_path):
    fake = tmp_path / "fake.png"
    fake.write_text("hello, I am not an image")
    result = run_cli("predict", "--model", REPO / "models" / "default.keras", fake)
    assert_usage_error(result, "not a readable image")


def test_huge_image_is_refused_without_decoding_it(tmp_path):
    """A 20000x20000 picture (400 million pixels) is refused from its header alone."""
    huge = tmp_path / "huge.png"
    Image.new("1", (20000, 20000)).save(huge)
    result = run_cli("predict", "--model", REPO / "models" / "default.keras", huge)
    assert_usage_error(result, "too many pixels")
