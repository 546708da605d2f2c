"""A browser tab without the browser: one session on a Streamlit server's websocket.

The classroom benchmark's simulated students (`classroom.py`) are these. A tab speaks the
protobuf messages that ship inside the `streamlit` package, as Streamlit's frontend does:

- It asks for a run with a `BackMsg` whose `rerun_script` is a `ClientState`: the page (by
  its name on the first load, by its script hash after, as the sidebar's links do), the
  fragment a widget belongs to, and every widget value it set, as the frontend's widget
  manager sends them (a button's trigger once, then forgotten; values of widgets that left
  the page dropped after a full run). The frontend also sends the values widgets start with,
  which the server holds already.
- It reads every `ForwardMsg`: elements by their place on the page, the pages' hashes from
  `navigation`, a run's end from `script_finished`. Like this Streamlit's frontend, it names
  no cached messages in its requests (`cached_message_hashes` stays empty), so the server
  sends every element whole, the sketch pad's script and stylesheet with each stroke.
- It reruns a fragment every interval the server asks (`auto_rerun`: the Train page's live
  curves), until a new full run or `stop_auto_rerun`, and fetches the images a run shows.

Not done: drawing the page, running components' JavaScript. A component's value is sent as
its JavaScript would send it (the sketch pad's: `{"drawing": "data:image/png;base64,..."}`).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

# Longer than any run of this app on a loaded server: a run not over by then counts as dropped.
RUN_TIMEOUT_S = 180.0
FULL_RUN_ENDS = (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_WITH_COMPILE_ERROR)
FRAGMENT_RUN_ENDS = (*FULL_RUN_ENDS, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY)
# Images load over HTTP as a browser loads them, each tab its own: a shared handful of threads
# would queue thirty tabs' images behind one another, and late enough the server has dropped them.
_IMAGE_LOADERS = ThreadPoolExecutor(max_workers=64, thread_name_prefix="image-load")


class SessionLost(Exception):
    """The server closed the session, or a run it was asked for never ended."""


@dataclass
class Shown:
    """An element on the page: the script that drew it (app.py or a page), its fragment, its full run."""

    element: object
    script_hash: str
    fragment_id: str
    run: int

    @property
    def kind(self) -> str:
        return self.element.WhichOneof("type")

    @property
    def proto(self):
        return getattr(self.element, self.kind)


@dataclass
class Run:
    """A run asked for: seconds from the request to its first element, to `answered`, to its end."""

    first_element_s: float | None
    answered_s: float | None
    finished_s: float


class Tab:
    """One session, opened with `async with Tab(url) as tab:`; `errors` lists what the page said went wrong."""

    def __init__(self, url: str):
        self.url = url
        self.pages: dict[str, str] = {}  # url path ("" for the default page) -> page script hash
        self.page_hash = ""
        self.main_hash = ""
        self.shown: dict[tuple[int, ...], Shown] = {}
        self.values: dict[str, WidgetState] = {}
        self.errors: list[str] = []
        self.listeners: list[Callable[[Shown], None]] = []  # told of every element as it arrives
        self.closed_by_server = False
        self._full_runs = 0
        self._waiters: list[tuple[Callable[[ForwardMsg], bool], asyncio.Future]] = []
        self._auto_reruns: dict[str, asyncio.Task] = {}
        self._fetched: set[str] = set()
        self._fetches: set[asyncio.Task] = set()
        self._socket = None
        self._reader: asyncio.Task | None = None

    async def __aenter__(self) -> Tab:
        host = self.url.split("://", 1)[1]
        self._socket = await connect(
            f"ws://{host}/_stcore/stream", subprotocols=["streamlit"], origin=self.url, max_size=None
        )
        self._reader = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *exc) -> None:
        for task in [*self._auto_reruns.values(), *self._fetches]:
            task.cancel()
        await self._socket.close()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader

    # Asking for runs, as a visitor's clicks do.

    async def open(self, path: str = "") -> Run:
        """Open a page by its URL path: the first one as a typed address does, later ones as a link."""
        if not self.page_hash:
            return await self._rerun(page_name=path, full=True)
        if path not in self.pages:
            raise LookupError(f"the app has no page /{path}")
        active = {s.proto.id for s in self.shown.values() if self._is_main_script(s) and _widget_id(s)}
        self._keep_only(active)
        return await self._rerun(page_hash=self.pages[path], full=True)

    async def set_value(self, shown: Shown, field: str, value, answered=None) -> Run:
        """A widget's new value (`field`: the `WidgetState` value field the frontend fills)."""
        state = WidgetState(id=shown.proto.id)
        if field.endswith("_array_value"):
            getattr(state, field).data.extend(value)
        else:
            setattr(state, field, value)
        self.values[state.id] = state
        return await self._rerun(fragment_id=shown.fragment_id, full=not shown.fragment_id, answered=answered)

    async def click(self, shown: Shown, answered=None) -> Run:
        """A button pressed: its trigger goes in this one request."""
        trigger = WidgetState(id=shown.proto.id, trigger_value=True)
        return await self._rerun(
            fragment_id=shown.fragment_id, full=not shown.fragment_id, answered=answered, trigger=trigger
        )

    async def images_loaded(self) -> None:
        """Until the images shown so far are fetched, as a browser shows them."""
        await asyncio.gather(*self._fetches, return_exceptions=True)

    def find(self, kind: str, test: Callable[[object], bool] = lambda proto: True) -> Shown | None:
        """The element of this kind on the page that passes `test`, the last one drawn if several."""
        found = [s for s in self.shown.values() if s.kind == kind and test(s.proto)]
        return found[-1] if found else None

    def texts(self, kind: str, field: str = "body") -> list[str]:
        return [getattr(s.proto, field) for s in self.shown.values() if s.kind == kind]

    async def wait(self, test: Callable[[ForwardMsg], bool], timeout: float = RUN_TIMEOUT_S) -> float:
        began = time.perf_counter()
        await self._until(self._waiter(test), timeout)
        return time.perf_counter() - began

    # The protocol.

    async def _rerun(
        self,
        *,
        page_name: str = "",
        page_hash: str | None = None,
        fragment_id: str = "",
        full: bool,
        answered: Callable[[Shown], bool] | None = None,
        trigger: WidgetState | None = None,
    ) -> Run:
        ends = FULL_RUN_ENDS if full else FRAGMENT_RUN_ENDS
        first = self._waiter(lambda msg: _new_element(msg) is not None)
        answer = self._waiter(lambda msg: _new_element(msg) is not None and answered(_shown(msg)))
        if answered is None:
            answer.cancel()
        finished = self._waiter(
            lambda msg: msg.WhichOneof("type") == "script_finished" and msg.script_finished in ends
        )
        began = time.perf_counter()
        await self._send(page_name, page_hash, fragment_id, trigger=trigger)
        await self._until(finished, RUN_TIMEOUT_S)
        at = [_seconds(waiter, began) for waiter in (first, answer)]
        for waiter in (first, answer):
            waiter.cancel()
        return Run(at[0], at[1], finished.result() - began)

    async def _send(self, page_name="", page_hash=None, fragment_id="", auto=False, trigger=None) -> None:
        message = BackMsg()
        client = message.rerun_script
        client.query_string = ""
        client.page_name = page_name
        client.page_script_hash = self.page_hash if page_hash is None else page_hash
        client.fragment_id = fragment_id
        client.is_auto_rerun = auto
        client.widget_states.widgets.extend([*self.values.values(), *([trigger] if trigger else [])])
        client.context_info.timezone = "Europe/Paris"
        client.context_info.locale = "en-GB"
        client.context_info.url = f"{self.url}/{page_name}"
        if self.closed_by_server:
            raise SessionLost("the server closed the session")
        try:
            await self._socket.send(message.SerializeToString())
        except ConnectionClosed as error:
            raise SessionLost(f"the server closed the session: {error}") from None

    def _waiter(self, test: Callable[[ForwardMsg], bool]) -> asyncio.Future:
        future = asyncio.get_running_loop().create_future()
        self._waiters.append((test, future))
        return future

    async def _until(self, future: asyncio.Future, timeout: float) -> None:
        try:
            await asyncio.wait_for(asyncio.shield(future), timeout)
        except TimeoutError:
            future.cancel()
            raise SessionLost(f"a run did not end within {timeout:.0f} s") from None
        if future.cancelled() or isinstance(future.result(), SessionLost):
            raise SessionLost("the server closed the session")

    async def _read(self) -> None:
        try:
            async for raw in self._socket:
                message = ForwardMsg()
                message.ParseFromString(raw)
                now = time.perf_counter()
                self._take(message)
                for test, future in list(self._waiters):
                    if future.done():
                        self._waiters.remove((test, future))
                    elif test(message):
                        future.set_result(now)
                        self._waiters.remove((test, future))
        except ConnectionClosed:
            pass
        self.closed_by_server = True
        for _, future in self._waiters:
            if not future.done():
                future.set_result(SessionLost("closed"))

    def _take(self, message: ForwardMsg) -> None:
        kind = message.WhichOneof("type")
        if kind == "new_session":
            self.main_hash = message.new_session.main_script_hash
            self.page_hash = message.new_session.page_script_hash
            if not message.metadata.run.fragment_ids:  # a full run: the frontend forgets its timers
                self._full_runs += 1
                self._stop_auto_reruns(list(self._auto_reruns))
        elif kind == "navigation":
            self.pages = {page.url_pathname: page.page_script_hash for page in message.navigation.app_pages}
            self.page_hash = message.navigation.page_script_hash or self.page_hash
        elif kind == "delta" and message.delta.WhichOneof("type") == "new_element":
            shown = _shown(message, self._full_runs)
            self.shown[tuple(message.metadata.delta_path)] = shown
            self._notice(shown)
            for listener in self.listeners:
                listener(shown)
        elif kind == "auto_rerun":
            self._stop_auto_reruns([message.auto_rerun.fragment_id])
            self._auto_reruns[message.auto_rerun.fragment_id] = asyncio.create_task(
                self._auto_rerun(message.auto_rerun.interval, message.auto_rerun.fragment_id)
            )
        elif kind == "stop_auto_rerun":
            self._stop_auto_reruns(list(message.stop_auto_rerun.fragment_ids))
        elif kind == "script_finished" and message.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY:
            self.shown = {path: s for path, s in self.shown.items() if s.run == self._full_runs}
            self._keep_only({s.proto.id for s in self.shown.values() if _widget_id(s)})
        elif (
            kind == "session_event"
            and message.session_event.WhichOneof("type") == "script_compilation_exception"
        ):
            self.errors.append(
                f"the script failed: {message.session_event.script_compilation_exception.message}"
            )
        elif kind == "ref_hash":  # only for a message the client said it kept, and it keeps none
            self.errors.append("the server sent a message by reference")
        elif kind == "page_not_found":
            self.errors.append(f"page not found: {message.page_not_found.page_name}")

    def _notice(self, shown: Shown) -> None:
        """What the visitor would see as a failure, and the images the browser would load."""
        if shown.kind == "exception":
            self.errors.append(f"{shown.proto.type}: {shown.proto.message}")
        elif shown.kind == "alert" and shown.proto.format == shown.proto.ERROR:
            self.errors.append(shown.proto.body)
        elif shown.kind == "imgs":
            for image in shown.proto.imgs:
                if image.url.startswith("/") and image.url not in self._fetched:
                    self._fetched.add(image.url)
                    task = asyncio.create_task(self._fetch(image.url))
                    self._fetches.add(task)
                    task.add_done_callback(self._fetches.discard)

    async def _fetch(self, url: str) -> None:
        def get() -> None:
            with urllib.request.urlopen(self.url + url, timeout=RUN_TIMEOUT_S) as answer:
                answer.read()

        page = next((path for path, hash_ in self.pages.items() if hash_ == self.page_hash), "")
        try:
            await asyncio.get_running_loop().run_in_executor(_IMAGE_LOADERS, get)
        except OSError as error:
            self.errors.append(f"an image on /{page} ({url}): {error}")

    async def _auto_rerun(self, interval: float, fragment_id: str) -> None:
        while True:
            await asyncio.sleep(interval)
            with contextlib.suppress(SessionLost):
                await self._send(fragment_id=fragment_id, auto=True)

    def _stop_auto_reruns(self, fragment_ids: list[str]) -> None:
        for fragment_id in fragment_ids:
            task = self._auto_reruns.pop(fragment_id, None)
            if task is not None:
                task.cancel()

    def _keep_only(self, widget_ids: set[str]) -> None:
        self.values = {key: state for key, state in self.values.items() if key in widget_ids}

    def _is_main_script(self, shown: Shown) -> bool:
        return shown.script_hash == self.main_hash


def _new_element(message: ForwardMsg):
    if message.WhichOneof("type") == "delta" and message.delta.WhichOneof("type") == "new_element":
        return message.delta.new_element
    return None


def _shown(message: ForwardMsg, run: int = 0) -> Shown:
    return Shown(
        message.delta.new_element, message.metadata.active_script_hash, message.delta.fragment_id, run
    )


def _seconds(waiter: asyncio.Future, began: float) -> float | None:
    done = waiter.done() and not waiter.cancelled() and isinstance(waiter.result(), float)
    return waiter.result() - began if done else None


def _widget_id(shown: Shown) -> str:
    return getattr(shown.proto, "id", "") if shown.kind else ""
