"""The class's challenge: one running at a time, and those that ended, kept for their results.

The running challenge is `challenge.json` in the classroom folder, every challenge ever started
(up to `MAX_KEPT`) `challenges.json`, so a model trained under an ended challenge still finds
its rules. Both are read cached until they change, and checked as strictly as the teacher's
form: a file this app would not write is no challenge, logged, never a page's crash.
"""

from __future__ import annotations

import math
import re
import secrets
import time
from dataclasses import dataclass, replace

from mnist_app.classroom import folder
from mnist_app.classroom.names import check_text
from mnist_app.classroom.rules import Rules
from mnist_app.errors import UserError

CURRENT_FILE = "challenge.json"
HISTORY_FILE = "challenges.json"
MAX_TITLE = 80
MAX_KEPT = 200
ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{4,32}$")


@dataclass(frozen=True)
class Challenge:
    """A challenge the teacher set: its rules, when it ran, and whether the class sees its ranking."""

    id: str
    title: str
    rules: Rules
    started: float
    ended: float | None = None
    leaderboard_public: bool = False

    @property
    def running(self) -> bool:
        return self.ended is None

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "title": self.title,
            "rules": self.rules.as_dict(),
            "started": self.started,
            "ended": self.ended,
            "leaderboard_public": self.leaderboard_public,
        }

    @classmethod
    def from_dict(cls, content: object) -> Challenge:
        """A challenge read back from JSON; UserError for anything this app would not write."""
        if not isinstance(content, dict) or set(content) != {
            "id",
            "title",
            "rules",
            "started",
            "ended",
            "leaderboard_public",
        }:
            raise UserError("a challenge must be a JSON object of the fields this app writes")
        identifier = content["id"]
        if not isinstance(identifier, str) or not ID_PATTERN.match(identifier):
            raise UserError("a challenge's id must be a short run of letters, digits, '-' or '_'")
        started, ended = content["started"], content["ended"]
        if not _moment(started) or not (ended is None or (_moment(ended) and ended >= started)):
            raise UserError("a challenge's times must be moments, its end after its start")
        if not isinstance(content["leaderboard_public"], bool):
            raise UserError("whether a challenge's leaderboard is shown must be true or false")
        return cls(
            id=identifier,
            title=check_title(content["title"]),
            rules=Rules.from_dict(content["rules"]),
            started=float(started),
            ended=None if ended is None else float(ended),
            leaderboard_public=content["leaderboard_public"],
        )


def _moment(value: object) -> bool:
    return (
        isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value >= 0
    )


def check_title(text: object) -> str:
    """A challenge's title: one line of 1..MAX_TITLE characters, no control or format character."""
    return check_text(text, MAX_TITLE, "the challenge's title")


def _current(content: object) -> Challenge:
    challenge = Challenge.from_dict(content)
    if not challenge.running:
        raise folder.Damaged("the running challenge has an end")
    return challenge


def _history(content: object) -> tuple[Challenge, ...]:
    """The challenges a history file holds; an entry this app would not write is left out."""
    if not isinstance(content, list):
        raise folder.Damaged("not a JSON list")
    kept = []
    for item in content[-MAX_KEPT:]:
        try:
            kept.append(Challenge.from_dict(item))
        except UserError:
            continue
    return tuple(kept)


def current() -> Challenge | None:
    """The running challenge; None when there is none (or its file is not one this app wrote)."""
    return folder.read_json(CURRENT_FILE, None, _current)


def history() -> tuple[Challenge, ...]:
    """Every challenge kept, oldest first, the running one included."""
    return folder.read_json(HISTORY_FILE, (), _history)


def find(challenge_id: object) -> Challenge | None:
    """The challenge of this id, running or ended; None for an id that names none."""
    if not isinstance(challenge_id, str) or not ID_PATTERN.match(challenge_id):
        return None
    running = current()
    if running is not None and running.id == challenge_id:
        return running
    return next((found for found in reversed(history()) if found.id == challenge_id), None)


def _keep(challenge: Challenge) -> None:
    """Put `challenge` in the history in place of its older self; the caller holds the lock."""
    kept = [older for older in history() if older.id != challenge.id] + [challenge]
    folder.write_json(HISTORY_FILE, [item.as_dict() for item in kept[-MAX_KEPT:]])


def _end_running(now: float) -> Challenge | None:
    running = current()
    if running is None:
        folder.remove(CURRENT_FILE)
        return None
    ended = replace(running, ended=max(now, running.started))
    _keep(ended)
    folder.remove(CURRENT_FILE)
    return ended


def start(title: str, rules: Rules, leaderboard_public: bool = False) -> Challenge:
    """Start a challenge, ending the one running; the new challenge."""
    if not isinstance(rules, Rules):
        raise UserError("a challenge needs its rules")
    title = check_title(title)
    now = time.time()
    with folder.locked():
        _end_running(now)
        known = {older.id for older in history()}
        identifier = secrets.token_urlsafe(6)
        while identifier in known:
            identifier = secrets.token_urlsafe(6)
        challenge = Challenge(identifier, title, rules, now, leaderboard_public=leaderboard_public)
        _keep(challenge)
        folder.write_json(CURRENT_FILE, challenge.as_dict())
    return challenge


def end() -> Challenge | None:
    """End the running challenge (its models and scores stay); the challenge ended, if any."""
    with folder.locked():
        return _end_running(time.time())


def show_leaderboard(flag: bool) -> Challenge | None:
    """Show the running challenge's leaderboard to the class, or keep it to the teacher."""
    with folder.locked():
        running = current()
        if running is None:
            return None
        running = replace(running, leaderboard_public=bool(flag))
        _keep(running)
        folder.write_json(CURRENT_FILE, running.as_dict())
    return running
