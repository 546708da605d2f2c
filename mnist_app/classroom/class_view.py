"""The class as the teacher's page tells it: each visitor's share of the server, who is here.

A visitor is a browser session's token: two students who typed the same name, or every visitor
who gave none, are told apart by their tokens (`names.told_apart`), never added up into one row
that one click would act on.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from mnist_app.classroom.names import by_name
from mnist_app.errors import UserError
from mnist_app.learning.model_store import ModelStore


@dataclass
class Share:
    """One visitor's part of the server now."""

    here: bool = False
    waiting: int = 0
    training: int = 0
    models: int = 0
    digits: int = 0


def shares(
    known: dict[str, str],
    connected: set[str],
    jobs: list[tuple[str, bool]],
    model_owners: list[str],
    digits: dict[str, int],
) -> dict[str, Share]:
    """Each visitor's share, by token, in the teacher's order (`names.by_name`), from the tokens
    connected, each active job's (owner, waiting), each app model's owner and each token's
    digits; the command line's (no token) is nobody's share."""
    tokens = connected | {owner for owner, _ in jobs} | set(model_owners) | set(digits)
    table = {token: Share(here=token in connected) for token in tokens if token}
    for owner, waiting in jobs:
        if owner:
            table[owner].waiting += waiting
            table[owner].training += not waiting
    for owner, count in Counter(model_owners).items():
        if owner:
            table[owner].models += count
    for owner, count in digits.items():
        if owner:
            table[owner].digits += count
    return {token: table[token] for token in sorted(table, key=lambda token: by_name(token, known))}


def here_now(connected: set[str], known: dict[str, str]) -> str:
    """Who has the app open, in a sentence: the tabs, the students named among them, the others."""
    named = {known[token] for token in connected if known.get(token)}
    unnamed = sum(not known.get(token) for token in connected)
    if not connected:
        return "Nobody else has the app open now."
    tabs = f"{len(connected)} browser tab{'s' * (len(connected) != 1)} {'have' if len(connected) != 1 else 'has'}"
    who = [f"{len(named)} student{'s' * (len(named) != 1)} who gave a name"] if named else []
    if unnamed:
        who.append(f"{unnamed} tab{'s' * (unnamed != 1)} without a name")
    return f"{tabs} the app open now: {' and '.join(who)}."


def model_owners(store: ModelStore) -> list[str]:
    """The owner (token, "" for nobody) of each model the app trained."""
    return [
        str(saved.metadata.get("owner") or "")
        for saved in store.list()
        if saved.metadata.get("saved_by") == "app"
    ]


def digits_by_owner() -> dict[str, int]:
    """How many digits each visitor saved, by token (none where the collection cannot be read);
    the command line's, nobody's, left out."""
    from mnist_app.datasets.digit_store import DigitStore

    try:
        held = DigitStore().owners()
    except UserError:  # A damaged collection: My digits says why; here nobody has digits.
        return {}
    return {token: count for token, count in held.items() if token}
