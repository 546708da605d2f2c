"""The one error type a user can cause, which every layer turns into a message.

The core raises a subclass of `UserError` (`DatasetError`, `ModelError`, `ImageError`) for
anything a user can get wrong, wrapping whatever a library raised underneath; the command
line turns it into exit status 2 and one line, the pages into `st.error`. Anything else that
escapes is a bug.
"""

from __future__ import annotations


class UserError(ValueError):
    """Something a user caused (a bad file, path, name or number); the message is for them."""


def one_line(message: object) -> str:
    """The message on one line with every control character escaped.

    File names are the user's: a newline or a terminal escape code in one must not split
    the line or recolour the terminal.
    """
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in str(message))
