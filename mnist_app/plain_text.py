"""Text that comes from files (a model's description, a dataset's name), shown literally.

Streamlit renders Markdown in captions, messages and `st.markdown`, with its own colour and
icon directives (`:red[...]`): a class named `![x](http://elsewhere/x.png)` in a model file
would make every visitor's browser fetch that address. Every ASCII punctuation character is
escaped with a backslash, which CommonMark reads as the character itself.
"""

from __future__ import annotations

import re

_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def literal(text: object) -> str:
    """`text` as Markdown that shows exactly its characters, on one line."""
    return _PUNCTUATION.sub(r"\\\1", " ".join(str(text).split()))
