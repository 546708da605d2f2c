"""Tests for mnist_app.web.plain_text: text from files shown in Markdown exactly as it is."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mnist_app.markdown import WORD_JOINER
from mnist_app.web.plain_text import literal

J = WORD_JOINER


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("mnist-sample", r"mnist\-sample"),
        ("![x](http://e/x.png)", rf"\!\[x\]\(http\:{J}\/\/e\/x\.png\)"),
        (":red[seven] **7**", r"\:red\[seven\] \*\*7\*\*"),
        ("a\nb\tc", "a b c"),
        (None, "None"),
    ],
)
def test_every_markdown_character_is_escaped_and_the_text_kept_on_one_line(text, shown):
    assert literal(text) == shown


def test_letters_digits_and_other_scripts_pass_unchanged():
    assert literal("T shirt 7 ß 七") == "T shirt 7 ß 七"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("https://elsewhere.example", rf"https\:{J}\/\/elsewhere\.example"),
        ("see WWW.elsewhere.example", rf"see WWW{J}\.elsewhere\.example"),
        ("ada@elsewhere.example", rf"ada\@{J}elsewhere\.example"),
        ("ftp://x and www.y", rf"ftp\:{J}\/\/x and www{J}\.y"),
        ("a name ending in www", f"a name ending in www{J}"),
    ],
)
def test_a_bare_address_is_broken_by_an_invisible_joiner_where_a_link_would_begin(text, shown):
    """GitHub's Markdown links bare addresses whatever their escapes (the browser's check is
    tests/e2e/test_shown_text.py)."""
    assert literal(text) == shown


DIRECTION_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def test_direction_controls_are_left_out_so_the_words_after_the_text_keep_their_direction():
    """U+202E in a name would show the rest of the page's sentence backwards."""
    assert literal(f"a{DIRECTION_CONTROLS}b") == "ab"


@given(st.text())
def test_what_is_shown_is_the_text_on_one_line(text):
    shown = literal(text).replace(J, "")
    kept = "".join(c for c in text if c not in DIRECTION_CONTROLS)
    assert re.sub(r"\\(.)", r"\1", shown) == " ".join(kept.split()).replace(J, "")


@given(st.text(alphabet="htps:/w.@ax", max_size=30))
def test_no_bare_address_survives(text):
    unescaped = re.sub(r"\\(.)", r"\1", literal(text))
    assert "://" not in unescaped
    assert "www." not in f"{unescaped}.".lower(), "nor with a full stop after it"
    assert not re.search(r"@[^\u2060]", unescaped)
