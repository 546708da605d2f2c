"""The post office between training jobs on a Ray cluster and the server that follows them.

One Ray actor per server process holds a box per job: the job posts where it runs and its
progress, the server takes them a few times a second and leaves a Stop request there. The
actor has no CPU of its own, so it never waits behind the jobs it serves, and imports
nothing heavy: what passes through it is plain tuples and dicts, never TensorFlow's types,
so it starts in a moment.
"""

from __future__ import annotations


class PostOffice:
    """Boxes by job id, each with the job's placement, unread progress and a Stop flag."""

    def __init__(self):
        self._boxes: dict[str, dict] = {}

    def open(self, job: str) -> None:
        self._boxes[job] = {"placement": None, "events": [], "stop": False}

    def close(self, job: str) -> None:
        self._boxes.pop(job, None)

    def placed(self, job: str, placement: tuple) -> None:
        if job in self._boxes:
            self._boxes[job]["placement"] = placement

    def post(self, job: str, event: dict) -> None:
        if job in self._boxes:
            self._boxes[job]["events"].append(event)

    def take(self, job: str) -> tuple[tuple | None, list[dict]]:
        """What arrived since the last take: the placement (once) and the progress events."""
        box = self._boxes.get(job)
        if box is None:
            return None, []
        placement, events = box["placement"], box["events"]
        box["placement"], box["events"] = None, []
        return placement, events

    def ask_to_stop(self, job: str) -> None:
        if job in self._boxes:
            self._boxes[job]["stop"] = True

    def stop_asked(self, job: str) -> bool:
        """True once the server asked, or once the box is gone (the server closed it)."""
        box = self._boxes.get(job)
        return box is None or box["stop"]
