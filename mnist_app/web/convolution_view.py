"""Inside's "A convolution, step by step": the first Conv2D's window sliding over what reaches it.

The numbers come from `learning.convolution_steps`: the model's own weights, input and feature
maps, and one step's products and sum. Moving the window, choosing a filter or playing the slide reruns only a fragment of
the page: the convolution is computed once per digit, and each step draws two small pictures
and a few grids of numbers. Playing is a fragment that reruns itself every `FRAME_S`; Play
and Pause rerun the page once, since only a full run can change how often a fragment reruns.
"""

from __future__ import annotations

import html
import math

import numpy as np
import streamlit as st

from mnist_app.datasets.pictures import MARKED, colorize, diverging, enlarge, framed, symmetric_limit
from mnist_app.learning.convolution_steps import Convolution, ConvolutionLens, Step, convolution_lens
from mnist_app.timing import timed
from mnist_app.web.page_errors import show_unexpected
from mnist_app.web.plain_text import literal

FRAME_S = 0.25
# Playing takes about this many frames for a whole pass, whatever the feature map's size.
PLAY_FRAMES = 80
PICTURE_PX = 240
# Above this kernel size the window, the weights and the products are pictures, not numbers.
MAX_NUMBERS = 7
PADDING_COLOUR = (190, 215, 245)  # the zeros "same" padding adds: pale blue
NOT_YET_COLOUR = (255, 241, 200)  # feature-map pixels the window has not reached: pale yellow
PLAYING, FILTER, CHANNEL, POSITION = "conv_playing", "conv_filter", "conv_channel", "conv_position"


@st.cache_resource(show_spinner=False, max_entries=8)
def _lens(path: str, mtime_ns: int, size: int, _model) -> ConvolutionLens | None:
    return convolution_lens(_model)


def show_convolution(saved, model, image: np.ndarray, titles: dict) -> None:
    """The section, for a model whose first convolution these steps can show; nothing otherwise."""
    lens = _lens(*saved.cache_key, model)
    if lens is None:
        return
    with timed("convolution"):
        convolution = lens.steps(image)
    st.header("A convolution, step by step")
    title = literal(titles.get(convolution.layer, convolution.layer))
    st.markdown(introduction(convolution, title, _is_the_digit(convolution, image)))
    playing = bool(st.session_state.get(PLAYING))
    st.fragment(run_every=FRAME_S if playing else None)(_steps)(convolution, title)


def _is_the_digit(convolution: Convolution, image: np.ndarray) -> bool:
    inputs = convolution.inputs
    return inputs.shape[-1] == 1 and inputs.shape[:2] == image.shape and np.allclose(inputs[..., 0], image)


def introduction(convolution: Convolution, title: str, is_the_digit: bool) -> str:
    """What the layer does, in the words and sizes of this model."""
    height, width, channels = convolution.inputs.shape
    kh, kw = convolution.kernel.shape[:2]
    rows, columns = convolution.output_shape
    what = (
        "the digit itself, 0 for a black pixel to 1 for white"
        if is_the_digit
        else f"what the layers before it make of the digit: {height} × {width} numbers in {channels} "
        f"channel{'s' if channels > 1 else ''}"
    )
    stride = convolution.strides[0]
    moves = "one pixel" if stride == 1 else f"{stride} pixels"
    padding = (
        f' Its padding is "same": a border of zeros (pale blue) is added around the input so the window '
        f"can sit on its edges, and the map is {rows} × {columns}."
        if convolution.padding == "same" and convolution.padded.shape != convolution.inputs.shape
        else ""
    )
    channel_words = f" × {channels} channels" if channels > 1 else ""
    return (
        f"The first convolutional layer, **{title}**, reads {what}. Each of its {convolution.filters} "
        f"filters is a {kh} × {kw}{channel_words} grid of weights. The filter sits on a {kh} × {kw} window "
        "of the input; each number under it is multiplied by the weight on top of it, the products are "
        f"added up with the filter's bias, and the activation ({literal(convolution.activation)}) turns the "
        f"sum into one pixel of the filter's feature map. Then the window moves on by {moves} "
        f"(the stride), row by row: {rows} × {columns} = {convolution.positions:,} positions.{padding} "
        "Pick a filter and move the window, or play the slide and watch the feature map fill in."
    )


def _steps(convolution: Convolution, title: str) -> None:
    try:
        with timed("convolution step"):
            _show_steps(convolution, title)
    except Exception as error:  # A fragment's own rerun is outside app.py's net.
        show_unexpected(error, "The convolution's steps")


def _show_steps(convolution: Convolution, title: str) -> None:
    state = st.session_state
    strongest = int(convolution.outputs.reshape(-1, convolution.filters).mean(axis=0).argmax())
    _keep_valid(FILTER, convolution.filters, strongest)
    _keep_valid(POSITION, convolution.positions, 0)
    playing = bool(state.get(PLAYING))
    if playing:
        step = max(1, math.ceil(convolution.positions / PLAY_FRAMES))
        if state[POSITION] >= convolution.positions - 1:
            state[PLAYING] = False
            st.rerun()
        state[POSITION] = min(state[POSITION] + step, convolution.positions - 1)
    controls = st.columns(
        [2, 2, 1] if convolution.inputs.shape[-1] > 1 else [4, 1], vertical_alignment="bottom"
    )
    unit = controls[0].selectbox(
        "Filter",
        range(convolution.filters),
        format_func=lambda unit: (
            f"filter {unit}" + (" (this digit excites it most)" if unit == strongest else "")
        ),
        key=FILTER,
    )
    channel = 0
    if convolution.inputs.shape[-1] > 1:
        _keep_valid(CHANNEL, convolution.inputs.shape[-1], 0)
        channel = controls[1].selectbox(
            "Input channel shown",
            range(convolution.inputs.shape[-1]),
            format_func=lambda channel: f"channel {channel}",
            key=CHANNEL,
        )
    if controls[-1].button(
        "Pause" if playing else "Play",
        icon=":material/pause:" if playing else ":material/play_arrow:",
        key="conv_play",
        width="stretch",
    ):
        if not playing and state[POSITION] >= convolution.positions - 1:
            state[POSITION] = 0
        state[PLAYING] = not playing
        st.rerun()
    columns = convolution.output_shape[1]
    position = st.select_slider(
        "Window position",
        range(convolution.positions),
        format_func=lambda p: f"row {p // columns + 1}, column {p % columns + 1}",
        key=POSITION,
    )
    step = convolution.step(unit, position)
    picture, numbers, result = st.columns([1, 2, 1], gap="small")
    with picture:
        st.markdown(_input_words(convolution, channel))
        st.image(input_picture(convolution, step, channel))
    with numbers:
        st.markdown(f"**Filter {unit} at row {step.row + 1}, column {step.column + 1}**")
        show_arithmetic(convolution, step, channel)
    with result:
        st.markdown(
            f"**Filter {unit}'s feature map, filled in up to here.** Black is its smallest number "
            f"({float(convolution.outputs[..., unit].min()):.3g}), white its largest "
            f"({float(convolution.outputs[..., unit].max()):.3g}); pale yellow is not reached yet; "
            "the red square is this step's pixel."
        )
        st.image(feature_map_picture(convolution, step, unit, position))


def _keep_valid(key: str, count: int, default: int) -> None:
    """A widget's kept value that this model still offers, else `default`."""
    value = st.session_state.get(key)
    if not isinstance(value, int) or not 0 <= value < count:
        st.session_state[key] = default


def _input_words(convolution: Convolution, channel: int) -> str:
    channels = convolution.inputs.shape[-1]
    which = f"channel {channel} of the layer's input" if channels > 1 else "the layer's input"
    low, high = _input_scale(convolution, channel)
    return f"**The window on {which}**, outlined in red. Black is {low:.3g}, white {high:.3g}" + (
        "; pale blue is the padding's zeros." if convolution.padded.shape != convolution.inputs.shape else "."
    )


def _input_scale(convolution: Convolution, channel: int) -> tuple[float, float]:
    """Black and white for the input: 0 and 1 for pixels (as the digit is), else its own range."""
    values = convolution.inputs[..., channel]
    low, high = float(values.min()), float(values.max())
    if low >= 0 and high <= 1:
        return 0.0, 1.0
    return low, high if high > low else low + 1


def _zoom(size: int) -> int:
    return max(1, PICTURE_PX // max(size, 1))


def _outline(picture: np.ndarray, top: int, left: int, height: int, width: int, zoom: int) -> np.ndarray:
    """A red frame, two pixels wide, around the cells top..top+height, left..left+width."""
    y0, x0, y1, x1 = top * zoom, left * zoom, (top + height) * zoom - 1, (left + width) * zoom - 1
    line = 2 if zoom >= 4 else 1
    for y in range(line):
        picture[max(y0 - y, 0), x0 : x1 + 1] = MARKED
        picture[min(y1 + y, picture.shape[0] - 1), x0 : x1 + 1] = MARKED
    for x in range(line):
        picture[y0 : y1 + 1, max(x0 - x, 0)] = MARKED
        picture[y0 : y1 + 1, min(x1 + x, picture.shape[1] - 1)] = MARKED
    return picture


def input_picture(convolution: Convolution, step: Step, channel: int) -> np.ndarray:
    """The (padded) input's channel in grey, the padding pale blue, the window outlined."""
    low, high = _input_scale(convolution, channel)
    grey = np.clip((convolution.padded[..., channel] - low) / (high - low), 0, 1)
    rgb = np.repeat(np.round(grey * 255).astype(np.uint8)[..., None], 3, axis=-1)
    height, width = convolution.inputs.shape[:2]
    inside = np.zeros(convolution.padded.shape[:2], bool)
    inside[
        convolution.pad_top : convolution.pad_top + height,
        convolution.pad_left : convolution.pad_left + width,
    ] = True
    rgb[~inside] = PADDING_COLOUR
    zoom = _zoom(rgb.shape[1])
    kh, kw = convolution.kernel.shape[:2]
    return framed(_outline(enlarge(rgb, zoom), step.top, step.left, kh, kw, zoom))


def feature_map_picture(convolution: Convolution, step: Step, unit: int, position: int) -> np.ndarray:
    """The filter's feature map (Keras' own) on its own grey scale, pale yellow past `position`, the
    step's pixel outlined."""
    values = convolution.outputs[..., unit]
    low, high = float(values.min()), float(values.max())
    grey = np.clip((values - low) / (high - low), 0, 1) if high > low else np.zeros_like(values)
    rgb = np.repeat(np.round(grey * 255).astype(np.uint8)[..., None], 3, axis=-1)
    reached = np.arange(values.size).reshape(values.shape) <= position
    rgb[~reached] = NOT_YET_COLOUR
    zoom = _zoom(rgb.shape[1])
    return framed(_outline(enlarge(rgb, zoom), step.row, step.column, 1, 1, zoom))


def show_arithmetic(convolution: Convolution, step: Step, channel: int) -> None:
    """The window's numbers times the weights makes the products; their sum, the bias, the activation."""
    window, weights, products = (a[..., channel] for a in (step.window, step.weights, step.products))
    channels = convolution.inputs.shape[-1]
    low, high = _input_scale(convolution, channel)
    if max(window.shape) <= MAX_NUMBERS:
        st.markdown(
            "The window's numbers (grey as in the picture) × the filter's weights = their products. "
            "Red is positive, blue negative, white zero; a product is coloured on its weight's scale, "
            "so it is as strong as its weight where the input is at its brightest."
        )
        limit = symmetric_limit(weights)
        grids = [
            ("window", window, _window_colours(convolution, step, window, low, high)),
            ("weights", weights, diverging(weights, limit)),
            ("products", products, diverging(products, limit * max(abs(low), abs(high)))),
        ]
        st.html(arithmetic_html(grids))
    else:
        st.markdown(
            f"The {window.shape[0]} × {window.shape[1]} window, the filter's weights and their products, "
            "as pictures (too many to read as numbers): red is positive, blue negative, white near zero."
        )
        zoom = _zoom(3 * window.shape[1])
        st.image(
            [framed(enlarge(colorize(window, "gray", low, high), zoom)), framed(enlarge(diverging(weights), zoom)),
             framed(enlarge(diverging(products), zoom))],
            caption=["window", "weights", "products"],
        )  # fmt: skip
    count = products.size * channels
    added = float(step.total - step.bias)
    over = (
        f" over all {channels} channels (this channel's: {float(products.sum()):.3f})" if channels > 1 else ""
    )
    activation = literal(convolution.activation)
    st.markdown(
        f"Sum of the {count:,} products{over}: **{added:.3f}**  \n"
        f"plus the filter's bias {step.bias:.3f}: **{step.total:.3f}**  \n"
        f"{activation}({step.total:.3f}) = **{step.output:.3f}**: the feature map's pixel at row "
        f"{step.row + 1}, column {step.column + 1}, as Keras itself computes it."
    )


def _window_colours(convolution: Convolution, step: Step, window: np.ndarray, low: float, high: float):
    """The window's cells grey as in the picture; those on the padding pale blue, as there."""
    colours = colorize(window, "gray", low, high)
    height, width = convolution.inputs.shape[:2]
    rows = np.arange(step.top, step.top + window.shape[0]) - convolution.pad_top
    columns = np.arange(step.left, step.left + window.shape[1]) - convolution.pad_left
    inside = ((rows >= 0) & (rows < height))[:, None] & ((columns >= 0) & (columns < width))[None, :]
    colours[~inside] = PADDING_COLOUR
    return colours


def _cell(value: float, colour: np.ndarray) -> str:
    red, green, blue = (int(c) for c in colour)
    ink = "#000" if 0.299 * red + 0.587 * green + 0.114 * blue > 140 else "#fff"
    # Short, as a grid of 7 x 7 cells three times over must stay a small message (see arithmetic_html).
    return f'<span style="background:#{red:02x}{green:02x}{blue:02x};color:{ink}">{_figure(value)}</span>'


def _figure(value: float) -> str:
    """Two decimals, and no minus sign on a number that rounds to zero."""
    shown = f"{value:.2f}"
    return "0.00" if shown == "-0.00" else shown


def arithmetic_html(grids: list[tuple[str, np.ndarray, np.ndarray]]) -> str:
    """Grids of numbers side by side, times and equals signs between them; wraps on a narrow screen.

    What the cells share is set once on their grid: Streamlit caches a message of 10 KB or more
    by its hash, and the browser, moving the window quickly, can then ask for one the server
    has already let go ("Cached ForwardMsg MISS"; streamlit/streamlit#11357).
    """
    parts = []
    for index, (name, values, colours) in enumerate(grids):
        cells = "".join(
            _cell(float(v), c) for v, c in zip(values.ravel(), colours.reshape(-1, 3), strict=True)
        )
        parts.append(
            f'<figure style="margin:0"><div style="display:grid;grid-template-columns:repeat({values.shape[1]},'
            f"2.6rem);grid-auto-rows:1.5rem;line-height:1.5rem;text-align:center;font-variant-numeric:tabular-nums;"
            f'gap:1px;background:#8c8c8c;border:1px solid #8c8c8c;font-size:0.75rem">{cells}</div>'
            f'<figcaption style="text-align:center;font-size:0.85rem">{html.escape(name)}</figcaption></figure>'
        )
        if index < len(grids) - 1:
            parts.append(
                f'<span style="font-size:1.3rem;align-self:center">{"×" if index == 0 else "="}</span>'
            )
    return (
        '<div class="convolution-step" style="display:flex;flex-wrap:wrap;gap:0.5rem;align-items:flex-start">'
        + "".join(parts)
        + "</div>"
    )
