"""The teacher's key: what opens the teacher's page on a server that has one.

The key is compared in constant time (the SHA-256 digests of both, so not even its length shows
in the time taken), never kept in a session, never put in a message. A session that gives
`MAX_TRIES` wrong keys in a row waits `LOCK_S` seconds before it may try again; the page keeps
its `Tries` in the browser session.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from dataclasses import dataclass

from mnist_app import settings
from mnist_app.errors import UserError

MAX_TRIES = 5
LOCK_S = 60.0


def configured() -> bool:
    """Whether this server has a teacher's key (else there is no teacher's page)."""
    return bool(settings.teacher_key())


@dataclass
class Tries:
    """A session's wrong keys in a row, and until when (time.monotonic) it must wait."""

    failures: int = 0
    locked_until: float = 0.0


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


def sign_in(given: str, tries: Tries, now: float | None = None) -> bool:
    """Whether `given` is the key; a wrong one is counted in `tries`, the fifth in a row locks.

    UserError while the session waits, or when the server has no key. `now` is
    `time.monotonic()` unless a test gives another clock.
    """
    key = settings.teacher_key()
    if not key:
        raise UserError("this server has no teacher key")
    now = time.monotonic() if now is None else now
    if now < tries.locked_until:
        raise UserError(f"Too many wrong keys: wait {math.ceil(tries.locked_until - now)} s")
    given = given if isinstance(given, str) else ""
    if hmac.compare_digest(_digest(given.strip()), _digest(key)):
        tries.failures, tries.locked_until = 0, 0.0
        return True
    tries.failures += 1
    if tries.failures >= MAX_TRIES:
        tries.failures, tries.locked_until = 0, now + LOCK_S
    return False
