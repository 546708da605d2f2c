"""The teacher's key: what opens the teacher's page on a server that has one.

The key is compared in constant time (the SHA-256 digests of both, so not even its length shows
in the time taken), never kept in a session, never put in a message. Wrong keys are counted
twice: a session that gives `MAX_TRIES` in a row waits `LOCK_S` seconds (the page keeps its
`Tries` in the browser session); and as a script opens as many sessions as it likes, this
server process also counts them by network address (or, where it cannot tell the address,
all together): `CLIENT_TRIES` in a row wait `LOCK_S`, twice as long at each further lock, up to
`MAX_LOCK_S`. A signed-in session keeps the key's digest (`session_mark`), not a flag: a key
changed in its file signs everyone out at their next page.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import math
import secrets
import threading
import time
from dataclasses import dataclass

from mnist_app import settings
from mnist_app.errors import UserError

MAX_TRIES = 5
LOCK_S = 60.0
# Wrong keys in a row from one network address before it waits; the longest it may wait.
CLIENT_TRIES = 20
MAX_LOCK_S = 3600.0
# Addresses remembered: a class's, many times over; the oldest is forgotten first.
MAX_CLIENTS = 1_000
# A key shorter than this falls to guessing in hours, throttled or not: the log says so.
SHORT_KEY = 16
_log = logging.getLogger(__name__)
# Salts the digest a signed-in session keeps, so that it is no hash of the key anyone could check.
_SALT = secrets.token_bytes(16)
_lock = threading.Lock()


def configured() -> bool:
    """Whether this server has a teacher's key (else there is no teacher's page)."""
    return bool(settings.teacher_key())


@dataclass
class Tries:
    """A session's wrong keys in a row, and until when (time.monotonic) it must wait."""

    failures: int = 0
    locked_until: float = 0.0


@dataclass
class _Address:
    """One network address's wrong keys in a row, until when it waits, and its next wait."""

    failures: int = 0
    locked_until: float = 0.0
    next_lock_s: float = LOCK_S


# By network address ("" for those this server cannot tell): shared by every session.
_addresses: dict[str, _Address] = {}


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


def session_mark() -> str:
    """What a signed-in session keeps: the key's digest, salted for this process ("" without a
    key). Never the key, and another once the key changes."""
    key = settings.teacher_key()
    return hashlib.sha256(_SALT + _digest(key)).hexdigest() if key else ""


def still_signed_in(mark: object) -> bool:
    """Whether a session's `mark` is that of the key this server has now."""
    now = session_mark()
    return bool(now) and isinstance(mark, str) and hmac.compare_digest(_digest(mark), _digest(now))


def _address(client: str | None) -> _Address:
    """The count of `client`'s address; the caller holds `_lock`."""
    found = _addresses.pop(client or "", None) or _Address()
    _addresses[client or ""] = found
    while len(_addresses) > MAX_CLIENTS:
        _addresses.pop(next(iter(_addresses)))
    return found


def forget_addresses() -> None:
    """Forget every address's wrong keys (a test's fresh start)."""
    with _lock:
        _addresses.clear()


def sign_in(given: str, tries: Tries, now: float | None = None, client: str | None = None) -> bool:
    """Whether `given` is the key; a wrong one is counted in `tries` (the fifth in a row locks
    the session) and against the network address `client` (None: one this server cannot tell).

    UserError while the session or its address waits, or when the server has no key. `now` is
    `time.monotonic()` unless a test gives another clock.
    """
    key = settings.teacher_key()
    if not key:
        raise UserError("this server has no teacher key")
    if len(key) < SHORT_KEY:
        _say_the_key_is_short()
    now = time.monotonic() if now is None else now
    with _lock:
        address = _address(client)
        until = max(tries.locked_until, address.locked_until)
        if now < until:
            raise UserError(f"Too many wrong keys: wait {math.ceil(until - now)} s")
        given = given if isinstance(given, str) else ""
        if hmac.compare_digest(_digest(given.strip()), _digest(key)):
            tries.failures, tries.locked_until = 0, 0.0
            address.failures, address.next_lock_s = 0, LOCK_S
            return True
        tries.failures += 1
        if tries.failures >= MAX_TRIES:
            tries.failures, tries.locked_until = 0, now + LOCK_S
        address.failures += 1
        if address.failures >= CLIENT_TRIES:
            address.failures, address.locked_until = 0, now + address.next_lock_s
            address.next_lock_s = min(MAX_LOCK_S, 2 * address.next_lock_s)
        return False


@functools.cache
def _say_the_key_is_short() -> None:
    _log.warning(
        "The teacher's key is shorter than %d characters: a script that guesses keys from many "
        "addresses finds it. Make one as the README says (secrets.token_urlsafe(16)).",
        SHORT_KEY,
    )
