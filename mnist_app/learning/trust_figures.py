"""The Trust page's figures for one model on one dataset's test digits, each kept on disk.

Each kind of figure (accuracy against noise by FGSM or PGD, the four change curves, the
calibration, "not a digit") takes seconds on a classroom server: the page computes it once as a background job (`jobs.map_jobs`) and keeps it in the
maps' disk cache, in a folder of its own (`map_cache`, namespace `NAMESPACE`), under a key
made of the model file, the test digits and the kind. An entry read back is checked (shapes,
finite numbers, ranges) and recomputed when it fails, so a damaged or planted file never
draws a false curve. The heat maps' deletion scores are `heat_map_trust`'s, shared with Inside.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mnist_app.errors import UserError
from mnist_app.learning import map_cache
from mnist_app.learning.attacks import PGD_CURVE_DIGITS, PGD_STEPS
from mnist_app.learning.calibration import Calibration, Reliability
from mnist_app.learning.not_a_digit import SOURCE_TITLES, SOURCES, NotADigit, SourceResult
from mnist_app.learning.robustness import KIND_TITLES, KINDS, MAX_CURVE_DIGITS, SETTING_TITLES, Curve

NAMESPACE = "trust"
FORMAT = 1
FIGURES = ("fgsm", "pgd", "changes", "calibration", "not_a_digit")
HEAVY = ("pgd",)  # figures measured only when asked: minutes on a busy server
FIGURE_WORDS = {
    "fgsm": f"noise made in one step (FGSM) on up to {MAX_CURVE_DIGITS:,} test digits",
    "pgd": f"noise made in {PGD_STEPS} steps (PGD) on the first {PGD_CURVE_DIGITS:,} test digits",
    "changes": f"moving, turning, scaling and thickening up to {MAX_CURVE_DIGITS:,} test digits",
    "calibration": "how sure it is against how often it is right",
    "not_a_digit": "its confidence on digits and on things that are not digits",
}
CONFIDENCE_BINS = 20

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class Confidences:
    """ "That is not a digit": the threshold and AUROCs, with the histograms the page draws."""

    result: NotADigit
    edges: np.ndarray  # (CONFIDENCE_BINS + 1,) from 0 to 1
    shares: dict[str, np.ndarray]  # "digits" and each source: the share of items in each bin


def figures_key(model_id: str, dataset, figure: str) -> str:
    """A name for one figure of one model file on one dataset's test digits: a job's and its entry's."""
    from mnist_app.learning.model_map import digits_fingerprint

    text = repr((FORMAT, model_id, dataset.name, digits_fingerprint(dataset), len(dataset.y_test), figure))
    return hashlib.sha256(text.encode("utf-8", "backslashreplace")).hexdigest()[:40]


def kept(model_id: str, dataset, figure: str):
    """The figure from the disk cache, or None: never computes (cheap enough for every page run)."""
    check_figure(figure)
    found = map_cache.read(figures_key(model_id, dataset, figure), lambda _: True, NAMESPACE)
    if found is None:
        return None
    try:
        return _DECODERS[figure](found)
    except (KeyError, ValueError, TypeError, IndexError):
        return None


def compute(figure: str, model_id: str, dataset, model, attacker=None, on_progress: Progress | None = None):
    """The figure, from the disk cache or computed and kept. `attacker` (`attacks.Attacker`) is
    needed for "fgsm" and "pgd"."""
    report = on_progress or (lambda fraction, words: None)
    found = kept(model_id, dataset, figure)
    if found is not None:
        return found
    report(0.0, f"Measuring {FIGURE_WORDS[figure]}")
    result = measure(figure, dataset, model, attacker, lambda f: report(f, FIGURE_WORDS[figure]))
    map_cache.write(figures_key(model_id, dataset, figure), _encode(figure, result), NAMESPACE)
    return result


def check_figure(figure: str) -> None:
    if figure not in FIGURES:
        raise UserError(f"unknown figure {figure!r}: use one of {', '.join(FIGURES)}")


def measure(figure: str, dataset, model, attacker=None, progress: Callable[[float], None] | None = None):
    """One figure measured on the dataset's test digits, kept nowhere (the page's jobs, the
    command line and the benchmark all measure this way)."""
    check_figure(figure)
    progress = progress or (lambda fraction: None)
    images, labels = dataset.x_test, dataset.y_test
    if figure in ("fgsm", "pgd"):
        from mnist_app.learning.attacks import Attacker, accuracy_curve

        attacker = attacker or Attacker(model)
        return accuracy_curve(attacker, images, labels, figure, on_progress=progress)
    if figure == "changes":
        from mnist_app.learning.robustness import robustness_curves

        return robustness_curves(model, images, labels, on_progress=progress)
    from mnist_app.learning.calibration import calibrate, measured_and_held_apart

    (measured, measured_labels), (held, held_labels) = measured_and_held_apart(images, labels)
    if figure == "calibration":
        return calibrate(model, held, held_labels, measured, measured_labels)
    return _confidences(model, held, measured, progress)


_non_digits: tuple | None = None
_non_digits_lock = threading.Lock()


def non_digits() -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """`not_a_digit.non_digits()`, drawn once per process (about a second of drawing letters)."""
    global _non_digits
    with _non_digits_lock:
        if _non_digits is None:
            from mnist_app.learning.not_a_digit import non_digits as drawn

            _non_digits = drawn()
        return _non_digits


def _confidences(model, held, measured, progress) -> Confidences:
    from mnist_app.learning.evaluation import predict_probabilities
    from mnist_app.learning.not_a_digit import not_a_digit

    others, skipped = non_digits()
    result = not_a_digit(model, held, measured, others, skipped, on_progress=lambda f: progress(0.8 * f))
    edges = np.linspace(0.0, 1.0, CONFIDENCE_BINS + 1)
    shares = {}
    for name, items in {"digits": measured, **others}.items():
        scores = predict_probabilities(model, items).max(axis=1)
        counts, _ = np.histogram(np.clip(scores, 0.0, 1.0), bins=edges)
        shares[name] = counts / max(1, len(scores))
    progress(1.0)
    return Confidences(result, edges, shares)


def _curve_arrays(prefix: str, curve: Curve) -> dict[str, np.ndarray]:
    return {
        f"{prefix}_settings": np.asarray(curve.settings, np.float64),
        f"{prefix}_accuracy": np.asarray(curve.accuracy, np.float64),
        f"{prefix}_n": np.int64(curve.n),
    }


def _reliability_arrays(prefix: str, reliability: Reliability) -> dict[str, np.ndarray]:
    return {
        f"{prefix}_edges": np.asarray(reliability.edges, np.float64),
        f"{prefix}_counts": np.asarray(reliability.counts, np.int64),
        f"{prefix}_confidence": np.asarray(reliability.confidence, np.float64),
        f"{prefix}_accuracy": np.asarray(reliability.accuracy, np.float64),
        f"{prefix}_error": np.float64(reliability.error),
    }


def _encode(figure: str, result) -> dict[str, np.ndarray]:
    """The figure as plain arrays (no pickles): names and titles are the app's own, not stored."""
    if figure in ("fgsm", "pgd"):
        return _curve_arrays("noise", result)
    if figure == "changes":
        return {k: v for curve in result for k, v in _curve_arrays(curve.kind, curve).items()}
    if figure == "calibration":
        return {
            "temperature": np.float64(result.temperature),
            "fitted_on": np.int64(result.fitted_on),
            **_reliability_arrays("before", result.before),
            **_reliability_arrays("after", result.after),
        }
    if figure == "not_a_digit":
        arrays = {
            "threshold": np.float64(result.result.threshold),
            "kept": np.float64(result.result.kept),
            "edges": result.edges,
            "sources": np.array([s.source for s in result.result.sources], dtype=str),
            "skipped": np.array(sorted(result.result.skipped), dtype=str),
            "digits_shares": np.asarray(result.shares["digits"], np.float64),
        }
        for s in result.result.sources:
            arrays |= {
                f"{s.source}_figures": np.array([s.n, s.auroc, s.rejected], np.float64),
                f"{s.source}_fpr": np.asarray(s.false_positive_rate, np.float64),
                f"{s.source}_tpr": np.asarray(s.true_positive_rate, np.float64),
                f"{s.source}_shares": np.asarray(result.shares[s.source], np.float64),
            }
        return arrays
    raise ValueError(f"no such figure: {figure}")


def _share(value) -> float:
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise ValueError("not a share")
    return value


def _shares(values: np.ndarray, length: int | None = None) -> np.ndarray:
    values = np.asarray(values, np.float64)
    if values.ndim != 1 or (length is not None and len(values) != length) or len(values) == 0:
        raise ValueError("wrong shape")
    if not (np.isfinite(values).all() and (values >= 0).all() and (values <= 1).all()):
        raise ValueError("not shares")
    return values


def _count(value) -> int:
    value = np.asarray(value)
    if value.shape != () or value.dtype.kind not in "iuf" or not 0 < float(value) < 1e9:
        raise ValueError("not a count")
    return int(value)


def _curve(found: dict, prefix: str, kind: str, title: str, setting: str) -> Curve:
    settings = np.asarray(found[f"{prefix}_settings"], np.float64)
    accuracy = _shares(found[f"{prefix}_accuracy"], len(settings))
    if not np.isfinite(settings).all():
        raise ValueError("not finite")
    return Curve(
        kind, title, setting, tuple(settings.tolist()), tuple(accuracy.tolist()), _count(found[f"{prefix}_n"])
    )


def _noise_decoder(method: str):
    def decode(found: dict) -> Curve:
        from mnist_app.learning.attacks import CURVE_EPSILONS, METHOD_TITLES

        curve = _curve(found, "noise", "noise", METHOD_TITLES[method], "ε")
        if curve.settings != tuple(CURVE_EPSILONS):
            raise ValueError("other settings")
        return curve

    return decode


def _changes(found: dict) -> list[Curve]:
    return [_curve(found, kind, kind, KIND_TITLES[kind], SETTING_TITLES[kind]) for kind in KINDS]


def _reliability(found: dict, prefix: str) -> Reliability:
    edges = _shares(found[f"{prefix}_edges"])
    counts = np.asarray(found[f"{prefix}_counts"])
    bins = len(edges) - 1
    if counts.dtype.kind not in "iu" or counts.shape != (bins,) or (counts < 0).any() or counts.sum() == 0:
        raise ValueError("bad counts")
    confidence = np.asarray(found[f"{prefix}_confidence"], np.float64)
    accuracy = np.asarray(found[f"{prefix}_accuracy"], np.float64)
    for values in (confidence, accuracy):
        full = values[counts > 0] if values.shape == (bins,) else None
        if full is None or not (np.isfinite(full).all() and (full >= 0).all() and (full <= 1).all()):
            raise ValueError("bad bins")
    return Reliability(edges, counts, confidence, accuracy, _share(found[f"{prefix}_error"]))


def _calibration(found: dict) -> Calibration:
    temperature = float(found["temperature"])
    if not (np.isfinite(temperature) and 0.0 < temperature <= 1e3):
        raise ValueError("bad temperature")
    return Calibration(
        temperature, _reliability(found, "before"), _reliability(found, "after"), _count(found["fitted_on"])
    )


def _confidences_from(found: dict) -> Confidences:
    edges = _shares(found["edges"], CONFIDENCE_BINS + 1)
    shares = {"digits": _shares(found["digits_shares"], CONFIDENCE_BINS)}
    results = []
    for source in (str(s) for s in found["sources"]):
        if source not in SOURCES:
            raise ValueError("unknown source")
        n, auroc, rejected = np.asarray(found[f"{source}_figures"], np.float64)
        fpr, tpr = _shares(found[f"{source}_fpr"]), _shares(found[f"{source}_tpr"])
        if fpr.shape != tpr.shape:
            raise ValueError("ROC curve halves differ")
        shares[source] = _shares(found[f"{source}_shares"], CONFIDENCE_BINS)
        results.append(
            SourceResult(source, SOURCE_TITLES[source], _count(n), _share(auroc), _share(rejected), fpr, tpr)
        )
    skipped = {str(s): "" for s in found["skipped"] if str(s) in SOURCES}
    result = NotADigit(_share(found["threshold"]), _share(found["kept"]), tuple(results), skipped)
    return Confidences(result, edges, shares)


_DECODERS = {
    "fgsm": _noise_decoder("fgsm"),
    "pgd": _noise_decoder("pgd"),
    "changes": _changes,
    "calibration": _calibration,
    "not_a_digit": _confidences_from,
}
