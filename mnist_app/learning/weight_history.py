"""Weights over time: each layer's weights and biases as histograms, epoch by epoch, and how far
each epoch moved them.

Training records a snapshot before its first epoch (epoch 0, so the first change shows) and at
the end of every epoch; a saved model keeps them in its description, thinned as the curves are.
Nothing here imports TensorFlow: a Keras model is read through its layers' variables, and the
Compare page reads a history from the description alone. A description comes from a file anyone
can write, so `from_description` checks every part of it and gives None for anything that does
not add up.

Weights that overflow (a learning rate far too high) become infinite or NaN: a histogram counts
the finite ones in its bins and the others apart, and lengths are those of the finite numbers,
so such a run still records, saves and shows its history.

A histogram is kept as one line of text, "LOW HIGH COUNT COUNT ...", then the count of numbers
that are no longer finite when there are any: the numbers in a description must be non-negative
(`model_files.check_metadata`) and weights are not, and the description is written indented, a
number a line, which would make a list of counts ten times its size. A part with no finite
number (a layer without weights, or all overflowed) has LOW = HIGH = 0 and no count in its bins.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mnist_app.learning.model_layers import layer_titles

WEIGHTS_KEY = "weights"
BINS = 30
# A saved history stays small (the description is capped at 1 MiB): at most this many epochs,
# and this many layer-epochs in all, kept evenly with the first and the last.
MAX_EPOCHS_KEPT = 51
MAX_LAYER_EPOCHS = 400
MAX_TEXT = 200
# Bounds beyond float32's largest number (about 3.4e38) are not a histogram's.
MAX_BOUND = 1e39
# Bins this wide or this far out may not fit in float32: their numbers are binned in float64.
HUGE = 1e37
# Lengths are summed over this many numbers at a time.
SLICE = 1 << 20
# A description's numbers stay below this (`model_files._plain_number`): a longer length is not kept.
LONGEST = 1e15
# As many layers as a model may have (`model_checks`).
MAX_LAYERS = 200
# The names of the variables that hold a layer's biases (Dense, Conv2D) or their like (the shift of
# a BatchNormalization); every other trainable variable counts as its weights.
BIAS_NAMES = ("bias", "beta")


@dataclass(frozen=True)
class Histogram:
    """`counts[i]` finite numbers fell in the i-th of `len(counts)` equal bins from `low` to `high`;
    `not_numbers` more are infinite or NaN, in no bin."""

    low: float
    high: float
    counts: tuple[int, ...]
    not_numbers: int = 0

    @property
    def total(self) -> int:
        """The finite numbers, those the bins count."""
        return sum(self.counts)

    def centres(self) -> np.ndarray:
        width = (self.high - self.low) / len(self.counts)
        return self.low + width * (np.arange(len(self.counts)) + 0.5)


@dataclass(frozen=True)
class LayerWeights:
    """One layer at one moment: its weights, its biases (None without), their size and their move.

    `norm` is the length (L2 norm) of all its finite trainable numbers together; `update` the
    length of their change since the epoch before (None for epoch 0). Each is None when no
    number counts (all overflowed), and in a saved history when too large for a description.
    """

    name: str
    title: str
    weights: Histogram
    biases: Histogram | None
    norm: float | None
    update: float | None

    @property
    def relative_update(self) -> float | None:
        """The move as a share of the length of all the layer's numbers: 0.03 is 3%."""
        if self.update is None or self.norm is None or self.norm <= 0:
            return None
        return self.update / self.norm


@dataclass(frozen=True)
class WeightSnapshot:
    """Every layer with trainable numbers, after `epoch` whole epochs (0: before training)."""

    epoch: int
    layers: tuple[LayerWeights, ...]


def histogram(values: np.ndarray, bins: int = BINS) -> Histogram:
    """`values` in `bins` equal bins from their smallest to their largest finite one; all equal: a
    narrow range around them, so the bins stay of positive width."""
    return _histogram([np.asarray(values, dtype=np.float32)], bins)


def _finite(values: np.ndarray) -> tuple[np.ndarray, int]:
    """The finite numbers of `values`, flat, and how many others there are; no copy when all are."""
    values = values.ravel()
    if values.size == 0 or (np.isfinite(values.min()) and np.isfinite(values.max())):
        return values, 0
    finite = values[np.isfinite(values)]
    return finite, values.size - finite.size


def _histogram(arrays: list[np.ndarray], bins: int) -> Histogram:
    """One histogram of the numbers of several arrays, without joining them into one."""
    parts = [_finite(values) for values in arrays]
    not_numbers = sum(count for _, count in parts)
    finite = [values for values, _ in parts if values.size]
    if not finite:
        return Histogram(0.0, 0.0, (0,) * bins, not_numbers)
    low, high = float(min(v.min() for v in finite)), float(max(v.max() for v in finite))
    if not high > low:
        half = max(abs(low) * 1e-3, 1e-6)
        low, high = low - half, high + half
    if max(high - low, abs(low), abs(high)) > HUGE:
        finite = [v.astype(np.float64) for v in finite]  # Bins that float32 cannot hold.
    counts = sum(np.histogram(values, bins=bins, range=(low, high))[0] for values in finite)
    return Histogram(low, high, tuple(int(c) for c in counts), not_numbers)


def _length(arrays: list[np.ndarray], previous: list[np.ndarray] | None = None) -> float | None:
    """The length of the finite numbers of `arrays` (or of their change since `previous`), None
    when none is finite. Summed in float64 and a slice at a time: overflowed weights neither
    break it nor make it infinite, and a large layer is never copied whole."""
    squares, finite = 0.0, 0
    with np.errstate(invalid="ignore", over="ignore"):
        for index, values in enumerate(arrays):
            values = values.ravel()
            before = None if previous is None else previous[index].ravel()
            for start in range(0, values.size, SLICE):
                part = values[start : start + SLICE].astype(np.float64)
                if before is not None:
                    part -= before[start : start + SLICE]
                part = part[np.isfinite(part)]
                squares += float(part @ part)
                finite += part.size
    return math.sqrt(squares) if finite else None


def _variables(layer) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """A layer's trainable numbers as (weights, biases), each a list of float32 arrays."""
    weights, biases = [], []
    for variable in layer.trainable_weights:
        name = str(getattr(variable, "path", "") or getattr(variable, "name", "")).rsplit("/", 1)[-1]
        values = np.asarray(variable, dtype=np.float32)
        (biases if name.split(":")[0] in BIAS_NAMES else weights).append(values)
    return weights, biases


class WeightRecorder:
    """Takes snapshots of one model while it trains, keeping its previous numbers to measure moves.

    Those are kept variable by variable, as read: one copy of the model's numbers, no more.
    """

    def __init__(self, model, bins: int = BINS):
        self.model = model
        self.bins = bins
        self.titles = layer_titles(model)
        self._previous: dict[str, list[np.ndarray]] = {}

    def record(self, epoch: int) -> WeightSnapshot:
        layers = []
        for layer in self.model.layers:
            weights, biases = _variables(layer)
            numbers = weights + biases
            if not numbers:
                continue
            previous = self._previous.get(layer.name)
            update = None
            if previous is not None and [p.shape for p in previous] == [n.shape for n in numbers]:
                update = _length(numbers, previous)
            self._previous[layer.name] = numbers
            layers.append(
                LayerWeights(
                    name=layer.name,
                    title=self.titles.get(layer.name, layer.name),
                    weights=_histogram(weights, self.bins),
                    biases=_histogram(biases, self.bins) if biases else None,
                    norm=_length(numbers),
                    update=update,
                )
            )
        return WeightSnapshot(int(epoch), tuple(layers))


def thinned(snapshots: list[WeightSnapshot], limit: int) -> list[WeightSnapshot]:
    """At most `limit` snapshots spread evenly, the first and the last always among them."""
    if len(snapshots) <= limit:
        return list(snapshots)
    if limit < 2:
        return list(snapshots[-1:])
    step = (len(snapshots) - 1) / (limit - 1)
    return [snapshots[round(i * step)] for i in range(limit)]


def _saved_line(h: Histogram) -> str:
    line = " ".join([f"{h.low:.9g}", f"{h.high:.9g}", *map(str, h.counts)])
    return f"{line} {h.not_numbers}" if h.not_numbers else line


def _saved_histograms(histograms: list[Histogram]) -> list[str]:
    return [_saved_line(h) for h in histograms]


def _kept_length(length: float | None) -> float | None:
    return None if length is None or not length < LONGEST else round(length, 6)


def as_description(snapshots: list[WeightSnapshot]) -> dict:
    """The snapshots as a description keeps them: a list of epochs and, per layer, columns.

    Thinned to `MAX_EPOCHS_KEPT` epochs and `MAX_LAYER_EPOCHS` layer-epochs; a layer's `update`
    stays the move over the one epoch before, whichever epochs are kept.
    """
    if not snapshots:
        return {}
    layer_count = max(1, len(snapshots[-1].layers))
    kept = thinned(snapshots, max(2, min(MAX_EPOCHS_KEPT, MAX_LAYER_EPOCHS // layer_count)))
    names = [layer.name for layer in kept[-1].layers]
    kept = [s for s in kept if [layer.name for layer in s.layers] == names]
    layers = []
    for index, name in enumerate(names):
        seen = [s.layers[index] for s in kept]
        entry = {
            "name": name[:MAX_TEXT],
            "title": seen[-1].title[:MAX_TEXT],
            "weights": _saved_histograms([layer.weights for layer in seen]),
            "norm": [_kept_length(layer.norm) for layer in seen],
            "update": [_kept_length(layer.update) for layer in seen],
        }
        if all(layer.biases is not None for layer in seen):
            entry["biases"] = _saved_histograms([layer.biases for layer in seen])
        layers.append(entry)
    bins = len(kept[0].layers[0].weights.counts) if names else BINS
    return {"bins": bins, "epochs": [s.epoch for s in kept], "layers": layers}


class _Damaged(ValueError):
    """Something in a saved history that does not add up."""


def _whole(value: object, most: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= most:
        raise _Damaged
    return value


def _figure(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise _Damaged
    return float(value)


def _text(value: object) -> str:
    if not isinstance(value, str) or not value or len(value) > MAX_TEXT:
        raise _Damaged
    return value


def _bound(value: str) -> float:
    if len(value) > 32:
        raise _Damaged
    try:
        number = float(value)
    except ValueError:
        raise _Damaged from None
    if not math.isfinite(number) or abs(number) > MAX_BOUND:
        raise _Damaged
    return number


def _list(value: object, length: int | None = None) -> list:
    if not isinstance(value, list) or (length is not None and len(value) != length):
        raise _Damaged
    return value


def _count(value: str) -> int:
    if not value.isascii() or not value.isdigit() or len(value) > 10:
        raise _Damaged
    return int(value)


def _read_histograms(saved: object, epochs: int, bins: int) -> list[Histogram]:
    histograms = []
    for line in _list(saved, epochs):
        if not isinstance(line, str) or len(line) > 96 + 11 * bins:
            raise _Damaged
        parts = line.split(" ")
        if len(parts) not in (bins + 2, bins + 3):
            raise _Damaged
        low, high = _bound(parts[0]), _bound(parts[1])
        counts = tuple(_count(c) for c in parts[2 : bins + 2])
        not_numbers = _count(parts[-1]) if len(parts) == bins + 3 else 0
        if low > high or (sum(counts) > 0 and not low < high):
            raise _Damaged  # Only a part with no finite number has no width.
        histograms.append(Histogram(low, high, counts, not_numbers))
    if len({h.total + h.not_numbers for h in histograms}) != 1:
        raise _Damaged  # A layer keeps its number of weights from epoch to epoch.
    return histograms


def from_description(saved: object) -> list[WeightSnapshot] | None:
    """The snapshots a description keeps, or None when it keeps none or any part does not add up."""
    if not isinstance(saved, dict):
        return None
    try:
        # The app writes BINS bins; more would only make the charts heavy, never clearer.
        bins = _whole(saved.get("bins"), BINS)
        epochs = [_whole(e, 10**6) for e in _list(saved.get("epochs"))]
        if not 0 < len(epochs) <= MAX_EPOCHS_KEPT or bins < 1 or epochs != sorted(set(epochs)):
            raise _Damaged
        entries = _list(saved.get("layers"))
        if not 0 < len(entries) <= MAX_LAYERS or len(entries) * len(epochs) > max(
            MAX_LAYER_EPOCHS, 2 * len(entries)
        ):
            raise _Damaged
        columns = []
        for entry in entries:
            if not isinstance(entry, dict):
                raise _Damaged
            weights = _read_histograms(entry.get("weights"), len(epochs), bins)
            biases = _read_histograms(entry["biases"], len(epochs), bins) if "biases" in entry else None
            norms = [None if n is None else _figure(n) for n in _list(entry.get("norm"), len(epochs))]
            updates = [None if u is None else _figure(u) for u in _list(entry.get("update"), len(epochs))]
            name, title = _text(entry.get("name")), _text(entry.get("title"))
            columns.append(
                [
                    LayerWeights(name, title, weights[i], biases[i] if biases else None, norms[i], updates[i])
                    for i in range(len(epochs))
                ]
            )
        if len({column[0].name for column in columns}) != len(columns):
            raise _Damaged
    except _Damaged:
        return None
    return [WeightSnapshot(epoch, tuple(column[i] for column in columns)) for i, epoch in enumerate(epochs)]


def titled(snapshots: list[WeightSnapshot], titles: dict[str, str]) -> list[WeightSnapshot] | None:
    """The snapshots with each layer titled as the model itself titles it (`layer_titles`); a layer
    the model does not have is left out, and None is given when none is left.

    The titles a description keeps are only text from a file: the model's own are the ones shown.
    """
    kept = [
        WeightSnapshot(
            s.epoch,
            tuple(
                LayerWeights(
                    layer.name, titles[layer.name], layer.weights, layer.biases, layer.norm, layer.update
                )
                for layer in s.layers
                if layer.name in titles
            ),
        )
        for s in snapshots
    ]
    return kept if kept and kept[0].layers else None
