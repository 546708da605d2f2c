"""The classroom benchmark's class: what its students and trainers do, their digits, the server read.

`classroom.py` runs the phases and prints the figures; the protocol is `websocket_session`'s.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import io
import json
import math
import random
import re
import time
from dataclasses import dataclass, field

from PIL import Image, ImageDraw
from websocket_session import SessionLost, Shown, Tab

from tests.support.digit_strokes import DIGIT_STROKES

CANVAS = 280
EXPLORERS = 5
EPOCHS = 200
LOOKING_S = (1.0, 2.0)  # at a page just opened
JOBS = {"MLP": "The lab's MLP", "CNN": "The app's CNN"}
EPOCH_TEXT = re.compile(r"epoch (\d+) of (\d+)")


class Broken(LookupError):
    """A page did not show what a visitor needs to go on (a canvas, a button)."""


@dataclass
class Figures:
    """What the visitors of one phase measured, in milliseconds, and what went wrong."""

    strokes: list[float] = field(default_factory=list)
    drawn: int = 0
    stroke_times: list[tuple[float, float | None]] = field(default_factory=list)  # sent at, ms to Prediction
    inside_strokes: list[float] = field(default_factory=list)
    first_runs: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    epochs: dict[str, float | None] = field(default_factory=dict)

    def first_run(self, page: str, seconds: float) -> None:
        self.first_runs.setdefault(page, []).append(seconds * 1000)

    def count_strokes(self, since: float = -math.inf) -> None:
        """`strokes` and `drawn`: the strokes sent from `since` on (all, if none was)."""
        window = [ms for at, ms in self.stroke_times if at >= since] or [ms for _, ms in self.stroke_times]
        self.strokes, self.drawn = [ms for ms in window if ms is not None], len(window)


def drawings(count: int, seed: int) -> list[str]:
    """`count` digits as the sketch pad sends them, each moved, turned, scaled and inked its own way."""
    rng = random.Random(seed)
    return [_drawing(DIGIT_STROKES[index % 10], rng) for index in range(count)]


def _drawing(strokes, rng: random.Random) -> str:
    scale, turn = rng.uniform(0.75, 1.05), rng.uniform(-0.25, 0.25)
    shift = (rng.uniform(-0.08, 0.08), rng.uniform(-0.08, 0.08))
    width = rng.randint(16, 30)
    image = Image.new("RGBA", (CANVAS, CANVAS), (0, 0, 0, 255))
    pen = ImageDraw.Draw(image)
    for stroke in strokes:
        points = []
        for x, y in stroke:
            x, y = (x - 0.5) * scale, (y - 0.5) * scale
            x, y = x * math.cos(turn) - y * math.sin(turn), x * math.sin(turn) + y * math.cos(turn)
            points.append(
                (
                    (x + 0.5 + shift[0] + rng.gauss(0, 0.006)) * CANVAS,
                    (y + 0.5 + shift[1] + rng.gauss(0, 0.006)) * CANVAS,
                )
            )
        pen.line(points, fill=(255, 255, 255, 255), width=width, joint="curve")
        for x, y in (points[0], points[-1]):  # the pen's round ends
            pen.ellipse(
                (x - width / 2, y - width / 2, x + width / 2, y + width / 2), fill=(255, 255, 255, 255)
            )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def record_epoch(seen: dict[int, float], shown: Shown) -> None:
    """When a job's Train page first showed each epoch ("epoch k of E" on its progress bar)."""
    if shown.kind == "progress" and (found := EPOCH_TEXT.search(shown.proto.text)):
        seen.setdefault(int(found[1]), time.perf_counter())


def is_prediction(shown: Shown) -> bool:
    return shown.kind == "metric" and shown.proto.label == "Prediction"


def labelled(label: str):
    return lambda proto: proto.label == label


def sketch_pad(proto) -> bool:
    return proto.component_name.endswith("sketch_pad")


class Class:
    """The servers' visitors: one student alone, the trainers, the class; errors from all of them.

    With several servers (`urls`, one address each, the same folders) the class is dealt out
    in turn, as a load balancer would: student k and job k go to server k modulo their number.
    """

    def __init__(self, urls: list[str], pictures: list[str], seed: int):
        self.urls = urls
        self.pictures = pictures
        self.rng = random.Random(seed)
        self.errors: list[str] = []  # the warm-up's and the trainers'; the students' are in their Figures
        self.dropped: list[str] = []
        # Per job started: its kind and when each epoch was first seen on its Train page.
        self.epochs_seen: list[tuple[str, dict[int, float]]] = []

    async def warm_up(self) -> None:
        """Every page once, a digit drawn on Draw and Inside: TensorFlow and the models load here."""
        figures = Figures()
        for url in self.urls:
            async with Tab(url) as tab:
                await self.visit(tab, figures, ["", "draw"])
                await self.draw(tab, figures)
                await self.visit(tab, figures, ["inside"])
                await self.draw_inside(tab, figures)
                await self.visit(tab, figures, ["compare", "train"])
                self.errors += tab.errors

    async def alone(self, strokes: int) -> Figures:
        figures = Figures()
        await self.student(figures, 0, strokes=strokes, explorer=True, until=math.inf, pause=(0.5, 1.0))
        figures.count_strokes()
        async with Tab(self.urls[0]) as tab:
            await self.visit(tab, figures, [""])
            await self.visit(tab, figures, ["train"], first=True)
            figures.errors += tab.errors
        return figures

    async def students(self, count: int, ramp_s: float, seconds: float) -> Figures:
        """`count` students arrive over `ramp_s` and draw until `seconds` after the first came."""
        figures, began = Figures(), time.perf_counter()
        every = max(1, count // EXPLORERS)
        arrivals = [
            self.arrive(
                figures,
                index,
                index * ramp_s / count,
                index % every == 0 and index // every < EXPLORERS,
                began + seconds,
            )
            for index in range(count)
        ]
        for failure in await asyncio.gather(*arrivals, return_exceptions=True):
            if failure is not None:
                figures.errors.append(f"a student's script failed: {failure!r}")
        figures.count_strokes(since=began + ramp_s)
        return figures

    async def arrive(self, figures: Figures, index: int, delay: float, explorer: bool, until: float) -> None:
        await asyncio.sleep(delay)
        await self.student(figures, index, strokes=None, explorer=explorer, until=until, pause=(2.0, 4.0))

    async def student(
        self, figures: Figures, index: int, strokes: int | None, explorer: bool, until: float, pause
    ) -> None:
        """Explore, Draw, a digit every `pause` seconds; an explorer visits Inside and Compare after
        the third (or the last, if fewer). Student `index` uses the server of that turn."""
        visit_after = min(3, strokes or 3)
        try:
            async with Tab(self.urls[index % len(self.urls)]) as tab:
                try:
                    await self.visit(tab, figures, ["", "draw"], first=True)
                    drawn = 0
                    while (strokes is None or drawn < strokes) and time.perf_counter() < until:
                        began = time.perf_counter()
                        await self.draw(tab, figures)
                        drawn += 1
                        if explorer and drawn == visit_after:
                            await self.visit(tab, figures, ["inside"], first=True)
                            await self.draw_inside(tab, figures)
                            await self.visit(tab, figures, ["compare"], first=True)
                            await self.visit(tab, figures, ["draw"])
                        rest = began + self.rng.uniform(*pause) - time.perf_counter()
                        await asyncio.sleep(min(max(0.0, rest), max(0.0, until - time.perf_counter())))
                except LookupError as error:  # a page, or what it should show, missing
                    figures.errors.append(str(error))
                figures.errors += tab.errors
        except (SessionLost, OSError) as error:
            figures.dropped.append(f"a student's session: {error}")

    async def visit(self, tab: Tab, figures: Figures, paths: list[str], first: bool = False) -> None:
        """Open each page, see its images, look at it for a second or two; `first`: time its run."""
        for path in paths:
            run = await tab.open(path)
            if first:
                figures.first_run({"": "Explore"}.get(path, path.capitalize()), run.finished_s)
            await tab.images_loaded()
            await asyncio.sleep(self.rng.uniform(*LOOKING_S))

    async def draw(self, tab: Tab, figures: Figures) -> None:
        """A digit on the Draw page's pad, its prediction timed; then Clear, as before a new digit."""
        pad = tab.find("bidi_component", sketch_pad)
        if pad is None:
            raise Broken("the Draw page shows no sketch pad")
        sent = time.perf_counter()
        run = await tab.set_value(pad, "json_value", self.drawing(), answered=is_prediction)
        figures.stroke_times.append((sent, None if run.answered_s is None else run.answered_s * 1000))
        if run.answered_s is None:
            figures.errors.append("a drawing got no Prediction")
        await asyncio.sleep(self.rng.uniform(0.5, 1.0))  # reading the answer
        clear = tab.find("button", labelled("Clear"))
        if clear is None:
            raise Broken("the Draw page shows no Clear button")
        await tab.click(clear)

    async def draw_inside(self, tab: Tab, figures: Figures) -> None:
        pad = tab.find("bidi_component", sketch_pad)
        if pad is None:
            raise Broken("the Inside page shows no sketch pad")
        run = await tab.set_value(pad, "json_value", self.drawing())
        figures.inside_strokes.append(run.finished_s * 1000)
        await tab.images_loaded()  # the layers, units and heat maps, looked at before leaving
        await asyncio.sleep(self.rng.uniform(*LOOKING_S))

    def drawing(self) -> str:
        return json.dumps({"drawing": self.rng.choice(self.pictures)})

    # The two training jobs.

    async def train(self, stop: asyncio.Event) -> None:
        await asyncio.gather(
            *(self.trainer(kind, title, self.urls[index % len(self.urls)], stop)
              for index, (kind, title) in enumerate(JOBS.items()))
        )  # fmt: skip

    async def trainer(self, kind: str, title: str, url: str, stop: asyncio.Event) -> None:
        """Start the job on Train, keep the page open while it trains, again if it ends; Stop at `stop`."""
        try:
            async with Tab(url) as tab:
                jobs: list[dict[int, float]] = []
                tab.listeners.append(lambda shown: jobs and record_epoch(jobs[-1], shown))
                await tab.open("")
                await tab.images_loaded()  # as a person does before going on: no fetch left to fail
                await tab.open("train")
                try:
                    await self._choose_job(tab, title)
                    while not stop.is_set():
                        start = tab.find("button", labelled("Start training"))
                        if start is not None and not start.proto.disabled:
                            if jobs and max(jobs[-1], default=0) < 2:
                                raise Broken("the job ended before its second epoch")
                            jobs.append({})
                            self.epochs_seen.append((kind, jobs[-1]))
                            await tab.click(start)
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(stop.wait(), 1.0)
                    stopping = tab.find("button", labelled("Stop training"))
                    if stopping is not None:
                        await tab.click(stopping)
                        await tab.wait(
                            lambda message: tab.find("button", labelled("Start training")) is not None
                        )
                except LookupError as error:
                    self.errors.append(f"{kind} trainer: {error}")
                self.errors += [f"{kind} trainer: {error}" for error in tab.errors]
        except (SessionLost, OSError) as error:
            self.dropped.append(f"the {kind} trainer's session: {error}")

    async def _choose_job(self, tab: Tab, title: str) -> None:
        archs = tab.find("multiselect", labelled("Architectures"))
        epochs = tab.find("number_input", labelled("Epochs"))
        if archs is None or epochs is None or title not in archs.proto.options:
            raise Broken(f"the Train page offers no {title} or no epochs")
        await tab.set_value(archs, "string_array_value", [title])
        field = "int_value" if epochs.proto.data_type == epochs.proto.INT else "double_value"
        await tab.set_value(epochs, field, EPOCHS)

    def epochs_timed(self) -> int:
        """The fewest epochs timed so far by a kind of job (its first epoch not counted)."""
        return min(
            max((max(seen, default=0) - 2 for job, seen in self.epochs_seen if job == kind), default=0)
            for kind in JOBS
        )

    def epoch_seconds(self, load_began: float, settled: float, ended: float) -> dict[str, dict]:
        """Seconds per epoch of each kind of job, alone (before `load_began`) and under load (from
        `settled` to `ended`): time from the first new epoch seen in the window to the last, per
        epoch; a job's first epoch (building its model) is left out."""
        windows = {"alone": (-math.inf, load_began), "load": (settled, ended)}
        result: dict[str, dict] = {"alone": {}, "load": {}}
        for name, (start, end) in windows.items():
            for kind in JOBS:
                seconds = epochs = 0.0
                for job_kind, seen in self.epochs_seen:
                    inside = sorted(
                        (epoch, at) for epoch, at in seen.items() if epoch >= 2 and start <= at <= end
                    )
                    if job_kind == kind and len(inside) >= 2:
                        seconds += inside[-1][1] - inside[0][1]
                        epochs += inside[-1][0] - inside[0][0]
                result[name][kind] = seconds / epochs if epochs >= 2 else None
        return result
