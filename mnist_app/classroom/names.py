"""Students' display names: one line of text each, checked here, kept for the whole class.

A name is shown to the teacher, on the leaderboard and in a model's description, always as
literal text; what is refused here is what would change how the text around it reads: a line
break, a control or format character (a right-to-left override turns "evil.exe" around), or a
name too long for a table's cell. Names are kept by visitor token in the classroom folder, so
the teacher's page, served by any process, knows who is who.
"""

from __future__ import annotations

import unicodedata

from mnist_app.classroom import folder
from mnist_app.errors import UserError

MAX_NAME = 40
NAMES_FILE = "names.json"
# Who made what, where no name tells.
NO_NAME = "a visitor without a name"
COMMAND_LINE = "the command line"
# How much of a token tells two visitors of the same name apart.
TOKEN_END = 4
# Tokens kept: a term's visitors, many times over; the oldest name given is forgotten first.
MAX_NAMES = 5_000
MAX_TOKEN = 200
# Names that would pass a student off as the teacher, folded (`check_name`).
_TEACHERS = frozenset({"teacher", "the teacher", "your teacher", "admin"})
# Separators that end a line as surely as "\n" does (Unicode's line and paragraph separators).
_LINE_BREAKS = frozenset({"Zl", "Zp"})


def check_text(text: object, most: int, what: str) -> str:
    """`text` stripped, if it is one line of 1..`most` visible characters; else UserError saying what.

    The message never repeats the text: it may be anything a visitor typed.
    """
    if not isinstance(text, str):
        raise UserError(f"{what} must be text")
    text = text.strip()
    if not text:
        raise UserError(f"{what} is empty: type at least one letter")
    categories = {unicodedata.category(char) for char in text}
    if any(char in text for char in "\r\n") or categories & _LINE_BREAKS:
        raise UserError(f"{what} must be one line: it holds a line break")
    if any(category.startswith("C") for category in categories):
        raise UserError(
            f"{what} holds an invisible control or formatting character (such as a tab or a "
            "right-to-left mark): type it again without one"
        )
    if len(text) > most:
        raise UserError(f"{what} has {len(text)} characters; at most {most} are allowed")
    return text


def check_name(text: object) -> str:
    """A display name: one line of 1..MAX_NAME characters, no control or format character, and
    not one that reads as the teacher's (in any case, spacing or character width)."""
    name = check_text(text, MAX_NAME, "a name")
    if " ".join(unicodedata.normalize("NFKC", name).casefold().split()) in _TEACHERS:
        raise UserError("a name cannot say that you are the teacher: give your own")
    return name


def _checked_names(content: object) -> dict[str, str]:
    """The names a file holds; an entry this app would not write is left out."""
    if not isinstance(content, dict):
        raise folder.Damaged("not a JSON object")
    kept = {}
    for token, name in content.items():
        try:
            kept[_check_token(token)] = check_name(name)
        except UserError:
            continue
    return kept


def _check_token(token: object) -> str:
    if not isinstance(token, str) or not 0 < len(token) <= MAX_TOKEN:
        raise UserError("a visitor's token is text of at most 200 characters")
    return token


def names() -> dict[str, str]:
    """Every display name given, by visitor token (a copy: change it freely)."""
    return dict(folder.read_json(NAMES_FILE, {}, _checked_names))


def name_of(token: str) -> str:
    """The display name the visitor with this token gave; "" if none."""
    return names().get(token, "") if isinstance(token, str) else ""


def remember(token: str, name: str) -> str:
    """Keep `name` (checked) as the display name of `token`; the name as kept."""
    token, name = _check_token(token), check_name(name)
    with folder.locked():
        kept = names()
        kept.pop(token, None)
        kept[token] = name
        while len(kept) > MAX_NAMES:
            kept.pop(next(iter(kept)))
        folder.write_json(NAMES_FILE, kept)
    return name


def who(token: str, known: dict[str, str], saved_name: object = "") -> str:
    """Who the visitor with this token is, in words: the display name given now (`known`, by
    token), else `saved_name` (the one saved with their model) if it is a name, else said plainly."""
    if known.get(token):
        return known[token]
    try:
        return check_name(saved_name)
    except UserError:
        return NO_NAME if token else COMMAND_LINE


def told_apart(token: str, known: dict[str, str]) -> str:
    """Who the token is, with the end of the token: two students of the same name, or two
    visitors without one, are never one ("Ada (…3f9a)")."""
    return f"{who(token, known)} (…{token[-TOKEN_END:]})" if token else COMMAND_LINE


def by_name(token: str, known: dict[str, str]) -> tuple:
    """The order of visitors in the teacher's lists: by name, those without one last, then by token."""
    name = known.get(token, "")
    return (not name, name.casefold(), token)
