"""Any text as Markdown that shows exactly its characters: for Streamlit and for notebooks.

Every ASCII punctuation character is escaped with a backslash, which CommonMark reads as the
character itself, so no link, image, emphasis, HTML or directive (`:red[...]`) can begin.
The pages reach it through their one boundary, `mnist_app.web.plain_text`.
"""

from __future__ import annotations

import re

_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def literal(text: object) -> str:
    """`text` as Markdown that shows exactly its characters, on one line."""
    return _PUNCTUATION.sub(r"\\\1", " ".join(str(text).split()))
