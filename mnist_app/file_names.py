"""File names as text a page can show and send back, even when they are not UTF-8.

Linux file names are bytes. Python reads a byte that is not UTF-8 as a lone surrogate
(`x\\udcff`), which no page can send to a browser: one such file in the models folder broke
every page that lists models. Its text here has each such byte written `\\xff` and each
backslash doubled, so every name is printable text that leads back to exactly one file.
"""

from __future__ import annotations

import re

_ESCAPE = re.compile(r"\\(\\|x[89a-f][0-9a-f])")
# What Python makes of the bytes 0x80 to 0xff that do not decode (its "surrogateescape").
_RAW_BYTES = range(0xDC80, 0xDD00)


def escaped(name: str) -> str:
    """A file name as text: itself, unless it holds a backslash or bytes that are not UTF-8."""
    return "".join(
        "\\\\" if char == "\\" else f"\\x{ord(char) - 0xDC00:02x}" if ord(char) in _RAW_BYTES else char
        for char in name
    )


def unescaped(text: str) -> str | None:
    """The file name `escaped` turned into `text`; None for text it never gives."""
    name = _ESCAPE.sub(lambda m: "\\" if m[1] == "\\" else chr(0xDC00 + int(m[1][1:], 16)), text)
    return name if escaped(name) == text and not any("\ud800" <= char <= "\udfff" for char in text) else None
