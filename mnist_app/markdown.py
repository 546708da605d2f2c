"""Any text as Markdown that shows exactly its characters: for Streamlit and for notebooks.

Every ASCII punctuation character is escaped with a backslash, which CommonMark reads as the
character itself, so no link, image, emphasis, HTML or directive (`:red[...]`) can begin.
GitHub's Markdown, which Streamlit and Jupyter render, also makes a link of a bare address
(`https://…`, `www.…`, `someone@…`) whatever its escapes; an invisible word joiner inside each
of them keeps it text (copied, the text keeps them too). Unicode's direction controls, which
would turn the words after them around, are left out. The pages reach it through their one
boundary, `mnist_app.web.plain_text`.
"""

from __future__ import annotations

import re

_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
# U+2060: joins the characters on either side, shows nothing, and is no part of an address.
WORD_JOINER = "\u2060"
# Where GitHub's Markdown starts a link without brackets: after a scheme's "://", at "www.",
# and at the domain after an "@"; and at the end of a text ending in "www", which the Markdown
# around it may follow with a ".".
_BARE_ADDRESS = re.compile(r"(?<=:)(?=//)|(?<=www)(?=\.)|(?<=@)|(?<=www)$", re.IGNORECASE)
# Unicode's explicit direction controls (embeddings, overrides, isolates): invisible, they turn
# the text after them around, the app's own words beyond the text included.
_DIRECTION_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def literal(text: object) -> str:
    """`text` as Markdown that shows exactly its characters, on one line."""
    plain = _BARE_ADDRESS.sub(WORD_JOINER, " ".join(_DIRECTION_CONTROLS.sub("", str(text)).split()))
    return _PUNCTUATION.sub(r"\\\1", plain)
