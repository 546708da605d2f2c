"""Tests for mnist_app.web.plain_text: text from files shown in Markdown exactly as it is."""

import pytest

from mnist_app.web.plain_text import literal


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("mnist-sample", r"mnist\-sample"),
        ("![x](http://e/x.png)", r"\!\[x\]\(http\:\/\/e\/x\.png\)"),
        (":red[seven] **7**", r"\:red\[seven\] \*\*7\*\*"),
        ("a\nb\tc", "a b c"),
        (None, "None"),
    ],
)
def test_every_markdown_character_is_escaped_and_the_text_kept_on_one_line(text, shown):
    assert literal(text) == shown


def test_letters_digits_and_other_scripts_pass_unchanged():
    assert literal("T shirt 7 ß 七") == "T shirt 7 ß 七"
