"""The line training jobs wait in for the trainer: fair between visitors, bounded for each.

A visitor is the owner token of a browser session (`visitors.visitor_token`); the command
line's jobs have none (""). Jobs start in rounds: in each round every visitor with a job
waiting starts one, in the order they joined, so a visitor's fifth job waits behind everyone
else's first. A job's round is fixed when it joins, never counted again, so no job is
overtaken except by a visitor who has not yet had their turn in its round. Each visitor may
hold a few jobs queued or training at once, and the whole line has a length it never passes.
"""

from __future__ import annotations

import bisect
import itertools
import threading
from dataclasses import dataclass, field

from mnist_app import settings
from mnist_app.errors import UserError


class QueueFull(UserError):
    """A visitor holds as many jobs as they may, or the whole line is full: say which."""


@dataclass(order=True)
class _Place:
    """A job's place in line: by round, then by when it joined."""

    round: int
    arrival: int
    ticket: object = field(compare=False)
    visitor: str = field(compare=False)


class TrainingQueue:
    """A number of slots for jobs that train; the rest wait their turn, visitor by visitor.

    `per_visitor` and `most_waiting` default to their settings (`settings.jobs_per_visitor`,
    `settings.max_queued_jobs`), read at each join; `slots` to `settings.training_slots()`,
    read whenever a job waits, so a teacher's change applies at once, until `resize` fixes it.
    """

    def __init__(
        self, slots: int | None = None, per_visitor: int | None = None, most_waiting: int | None = None
    ):
        self._slots = slots
        self._per_visitor = per_visitor
        self._most_waiting = most_waiting
        self._waiting: list[_Place] = []
        self._running: dict[object, str] = {}
        # The round of the latest start, and of each visitor's latest start within it or later.
        self._round = 0
        self._served: dict[str, int] = {}
        self._arrivals = itertools.count()
        self._changed = threading.Condition()

    def position(self, ticket: object) -> int:
        """1 for the next job to start, 0 once it has a slot."""
        with self._changed:
            return next((n for n, place in enumerate(self._waiting, 1) if place.ticket == ticket), 0)

    def join(self, *tickets: object, visitor: str = "") -> None:
        """Take places in line for one visitor's jobs, all or none; QueueFull says which limit."""
        with self._changed:
            self._check_room(len(tickets), visitor)
            for ticket in tickets:
                bisect.insort(
                    self._waiting, _Place(self._next_round(visitor), next(self._arrivals), ticket, visitor)
                )

    def _check_room(self, count: int, visitor: str) -> None:
        if visitor:
            limit = settings.jobs_per_visitor() if self._per_visitor is None else self._per_visitor
            held = sum(place.visitor == visitor for place in self._waiting)
            held += sum(owner == visitor for owner in self._running.values())
            if held + count > limit:
                jobs = f"{limit} training job{'s' * (limit > 1)}"
                if count > limit:
                    raise QueueFull(
                        f"this server lets one visitor have {jobs} queued or training at once, and "
                        f"this asks for {count}: choose at most {limit}"
                    )
                asked = f" and ask for {count} more" if count > 1 else ""
                raise QueueFull(
                    f"this server lets one visitor have {jobs} queued or training at once; you have "
                    f"{held}{asked}: wait for one to end, or stop it"
                )
        most = settings.max_queued_jobs() if self._most_waiting is None else self._most_waiting
        if len(self._waiting) + count > most:
            raise QueueFull(
                f"the trainer's queue is full ({len(self._waiting)} jobs wait): try again in a few minutes"
            )

    def _next_round(self, visitor: str) -> int:
        """The earliest round in which this visitor has no job yet: no earlier than the current."""
        taken = [place.round for place in self._waiting if place.visitor == visitor]
        if visitor in self._served:
            taken.append(self._served[visitor])
        return max(self._round, max(taken, default=self._round - 1) + 1)

    def leave(self, ticket: object) -> None:
        with self._changed:
            self._waiting = [place for place in self._waiting if place.ticket != ticket]
            self._changed.notify_all()

    @property
    def slots(self) -> int:
        """How many jobs may train at once."""
        return settings.training_slots() if self._slots is None else self._slots

    def resize(self, slots: int) -> None:
        """As many slots as the trainer now has room for (a cluster grows and shrinks)."""
        with self._changed:
            self._slots = max(1, slots)
            self._changed.notify_all()

    def acquire(self, ticket: object, cancelled: threading.Event) -> bool:
        """Wait in line for a slot; False if cancelled while waiting."""
        with self._changed:
            while not (len(self._running) < self.slots and self._waiting[0].ticket == ticket):
                if cancelled.is_set():
                    self._waiting = [place for place in self._waiting if place.ticket != ticket]
                    self._changed.notify_all()
                    return False
                self._changed.wait(timeout=0.1)
            place = self._waiting.pop(0)
            self._running[ticket] = place.visitor
            self._round = place.round
            self._served = {who: done for who, done in self._served.items() if done >= self._round}
            self._served[place.visitor] = place.round
            self._changed.notify_all()
            return True

    def release(self, ticket: object) -> None:
        with self._changed:
            self._running.pop(ticket, None)
            self._changed.notify_all()
