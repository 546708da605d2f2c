"""The sketch pad against the real server: a quick stroke from the canvas's top edge, and a
session whose websocket messages are written by hand, as anyone can write them."""

import base64
import io
import json

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.sync.client import connect

from tests.support.browser_pages import draw_stroke, open_page

DEPTH = 3_000


@pytest.mark.parametrize("across", [0.5, 0.85], ids=["top-middle", "top-right"])
def test_a_stroke_begun_at_the_top_edge_the_moment_the_pen_arrives_is_drawn(page, app_url, across):
    """A learner draws quickly: the pen enters the canvas at its top edge and presses at once."""
    open_page(page, app_url, "draw")
    canvas = page.locator("canvas.upper-canvas").first
    expect(canvas).to_be_visible()
    page.wait_for_timeout(300)  # a new canvas: let it finish mounting
    box = canvas.bounding_box()
    x = box["x"] + across * box["width"]
    page.mouse.move(x, box["y"] - 60)
    page.mouse.move(x, box["y"] + 4)
    page.mouse.down()  # at once: no hover over the canvas before the press
    page.mouse.move(x, box["y"] + 0.88 * box["height"], steps=12)
    page.mouse.up()
    expect(page.locator("[data-testid='stMetric']").filter(has_text="Prediction")).to_be_visible()


def test_undo_below_the_canvas_takes_a_stroke_back_and_no_other_toolbar_button_shows(page, app_url):
    """Of the package's toolbar, Undo and Redo stay, out of the pen's way; Clear is the app's."""
    open_page(page, app_url, "draw")
    canvas = page.locator("canvas.upper-canvas").first
    expect(canvas).to_be_visible()
    page.wait_for_timeout(300)
    box = canvas.bounding_box()
    draw_stroke(page, box, [(0.5, 0.12), (0.5, 0.88)])
    expect(page.locator("[data-testid='stMetric']").filter(has_text="Prediction")).to_be_visible()
    undo = page.get_by_role("button", name="Undo")
    assert undo.bounding_box()["y"] >= box["y"] + box["height"], "below the canvas"
    undo.click()
    expect(page.get_by_text("draw a digit: there is no ink", exact=False)).to_be_visible()
    expect(page.get_by_role("button", name="Redo")).to_be_enabled()
    for name in ("Update the app with this drawing", "Edit", "Reset canvas & history"):
        expect(page.get_by_role("button", name=name)).to_be_hidden()


class HandWrittenSession:
    """One session on the app's websocket: reruns of a page with chosen widget values, and
    the elements the server sends back."""

    def __init__(self, app_url: str):
        self.socket = connect(
            app_url.replace("http", "ws", 1) + "/_stcore/stream", subprotocols=["streamlit"], max_size=None
        )

    def rerun(self, page: str, widgets: dict[str, str] | None = None) -> list:
        message = BackMsg()
        message.rerun_script.page_name = page
        for widget_id, json_value in (widgets or {}).items():
            state = message.rerun_script.widget_states.widgets.add()
            state.id, state.json_value = widget_id, json_value
        self.socket.send(message.SerializeToString())
        elements = []
        while True:
            answer = ForwardMsg()
            answer.ParseFromString(self.socket.recv(timeout=120))
            if answer.WhichOneof("type") == "delta" and answer.delta.WhichOneof("type") == "new_element":
                elements.append(answer.delta.new_element)
            if answer.WhichOneof("type") == "script_finished":
                return elements

    def close(self) -> None:
        self.socket.close()


def of_kind(elements, kind: str) -> list:
    return [getattr(element, kind) for element in elements if element.WhichOneof("type") == kind]


def png_of_a_one() -> str:
    image = Image.new("RGBA", (280, 280), (0, 0, 0, 255))
    ImageDraw.Draw(image).line([(140, 40), (140, 240)], fill=(255, 255, 255, 255), width=18)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


@pytest.mark.parametrize(
    "forged",
    [
        "[" * DEPTH + "]" * DEPTH,
        '{"drawing": ' + '{"d": ' * DEPTH + "null" + "}" * (DEPTH + 1),
        json.dumps({"drawing": "[" * DEPTH + "]" * DEPTH}),
    ],
    ids=["nested-list", "nested-dict", "nested-as-a-string"],
)
def test_a_forged_drawing_nested_3000_deep_gets_a_message_and_the_next_drawing_is_read(app_url, forged):
    """Streamlit decodes a widget's JSON before any of the app's code runs: nested deeply
    enough, that decoding failed, and went on failing on every later run of the session."""
    session = HandWrittenSession(app_url)
    one = {"drawing": png_of_a_one()}

    def prediction(elements) -> str:
        (metric,) = [metric for metric in of_kind(elements, "metric") if metric.label == "Prediction"]
        return metric.body

    try:
        (pad,) = of_kind(session.rerun("draw"), "bidi_component")
        # What the model in use reads (the newest model: earlier tests train some) before the attack.
        before = prediction(session.rerun("draw", {pad.id: json.dumps(one)}))

        elements = session.rerun("draw", {pad.id: forged})
        assert not of_kind(elements, "exception")
        assert any("Cannot read the drawing" in alert.body for alert in of_kind(elements, "alert"))

        elements = session.rerun("draw", {pad.id: json.dumps(one)})
        assert not of_kind(elements, "exception")
        assert not any("Cannot read the drawing" in alert.body for alert in of_kind(elements, "alert"))
        assert prediction(elements) == before, "the same drawing read as before the attack"
    finally:
        session.close()
