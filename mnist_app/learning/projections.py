"""Many digits' numbers at one layer brought down to two, and how far apart their classes are.

PCA is exact and quick, and places a new digit by the same formula. UMAP (umap-learn) and
t-SNE (openTSNE) take longer, report their progress, and place a new digit by their own
methods (`place_with`), quickly enough for every stroke. Both libraries are imported only when
asked for: umap-learn's import is slow (it loads TensorFlow for its parametric variant), and
numba compiles its code on a process's first fit and first `transform`.

How far apart the classes are is measured in the layer's own space, never in the picture: the
accuracy of a k-nearest-neighbour vote (the even-numbered digits vote for the odd ones) and the
silhouette score (scikit-learn's, on a seeded sample of at most SILHOUETTE_SAMPLE digits).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable

import numpy as np

from mnist_app.errors import UserError

SEED = 0
NEIGHBOURS = 10  # the k of the nearest-neighbour vote
SILHOUETTE_SAMPLE = 2000
UMAP_NEIGHBOURS = 15
TSNE_PERPLEXITY = 30
TSNE_ITERATIONS = (250, 500)  # openTSNE's early exaggeration, then the rest

Progress = Callable[[float, str], None]


def _quiet(fraction: float, words: str) -> None:
    return None


class PcaPlacer:
    """The two principal directions of the digits' numbers: a new digit goes where the formula puts it."""

    def __init__(self, mean: np.ndarray, components: np.ndarray):
        self.mean, self.components = mean, components

    def transform(self, features: np.ndarray) -> np.ndarray:
        return ((np.asarray(features, np.float64) - self.mean) @ self.components.T).astype(np.float32)


def pca(features: np.ndarray) -> tuple[np.ndarray, PcaPlacer]:
    """The points on the two directions along which the digits differ most, and their placer.

    From the covariance's eigenvectors (the features are at most a few hundred wide), each
    turned so that its largest weight is positive: the same digits give the same picture.
    """
    data = np.asarray(features, np.float64)
    mean = data.mean(axis=0) if len(data) else np.zeros(data.shape[1])
    centred = data - mean
    values, vectors = np.linalg.eigh(centred.T @ centred)
    components = vectors[:, np.argsort(values)[::-1][:2]].T
    if len(components) < 2:  # a layer of one number: the second direction is nothing
        components = np.vstack([components, np.zeros((2 - len(components), data.shape[1]))])
    signs = np.sign(components[np.arange(2), np.abs(components).argmax(axis=1)])
    components *= np.where(signs == 0, 1.0, signs)[:, None]
    placer = PcaPlacer(mean, components)
    return placer.transform(data), placer


def umap_map(features: np.ndarray, on_progress: Progress = _quiet) -> tuple[np.ndarray, object]:
    """UMAP's picture of the digits (seeded) and the fitted reducer, whose `transform` places a new one."""
    on_progress(0.0, "Starting UMAP (its first run in a server compiles its code)")
    import umap

    n = len(features)
    progress = _EpochCounter(lambda share: on_progress(0.15 + 0.75 * share, "UMAP: laying out the digits"))
    reducer = umap.UMAP(
        n_components=2,
        n_neighbors=max(2, min(UMAP_NEIGHBOURS, n - 1)),
        random_state=SEED,
        n_jobs=1,
        tqdm_kwds={"disable": False, "file": progress, "bar_format": "{n}/{total}\n", "mininterval": 0.2},
    )
    on_progress(0.05, "UMAP: finding each digit's nearest neighbours")
    points = reducer.fit_transform(np.asarray(features, np.float32))
    reducer.tqdm_kwds = {"disable": True}  # placing a digit later reports nothing, to no one
    on_progress(0.95, "UMAP: getting ready to place your digit")
    # Placing one digit here compiles `transform`'s numba code now, not during the first stroke.
    reducer.transform(np.asarray(features[:1], np.float32))
    on_progress(1.0, "UMAP: done")
    return np.asarray(points, np.float32), reducer


class _EpochCounter(io.TextIOBase):
    """A file for umap-learn's progress bar (tqdm), which it writes as "n/total" lines."""

    def __init__(self, report: Callable[[float], None]):
        super().__init__()
        self._report = report

    def write(self, text: str) -> int:
        for done, total in re.findall(r"(\d+)/(\d+)", text):
            if int(total):
                self._report(min(1.0, int(done) / int(total)))
        return len(text)

    def flush(self) -> None:
        return None


def tsne_map(features: np.ndarray, on_progress: Progress = _quiet) -> tuple[np.ndarray, object]:
    """openTSNE's picture of the digits (seeded) and the embedding, which places a new one (`place_with`)."""
    on_progress(0.0, "t-SNE: finding each digit's nearest neighbours")
    from openTSNE import TSNE

    data = np.asarray(features, np.float64)
    if len(data) and np.ptp(data, axis=0).max(initial=0.0) == 0:
        raise UserError(
            "this layer gives every test digit the same numbers, so t-SNE has nothing to lay out "
            "(PCA shows them all on one point)"
        )
    n = len(features)
    total, every = sum(TSNE_ITERATIONS), 25
    done = [0]

    def callback(iteration, error, embedding) -> bool:
        done[0] += every
        on_progress(0.1 + 0.9 * min(1.0, done[0] / total), "t-SNE: laying out the digits")
        return False

    tsne = TSNE(
        n_components=2,
        perplexity=max(1.0, min(TSNE_PERPLEXITY, (n - 1) / 3)),
        early_exaggeration_iter=TSNE_ITERATIONS[0],
        n_iter=TSNE_ITERATIONS[1],
        # openTSNE starts from PCA's two directions, which a layer of one number does not have.
        initialization="pca" if data.shape[1] >= 2 else "random",
        random_state=SEED,
        n_jobs=2,
        callbacks=callback,
        callbacks_every_iters=every,
        verbose=False,
    )
    embedding = tsne.fit(data)
    if not np.isfinite(embedding).all():
        raise UserError("t-SNE could not lay out these digits (its layout is not numbers): try PCA or UMAP")
    on_progress(1.0, "t-SNE: done")
    return np.asarray(embedding, np.float32), embedding


def place_with(placer, features: np.ndarray) -> np.ndarray:
    """New digits' points on a map, by its own PCA formula, UMAP reducer or openTSNE embedding.

    t-SNE places a digit as openTSNE's own `transform` starts it (`prepare_partial`, at the
    median of its nearest digits' points, found by the embedding's own neighbour index),
    without the optimisation that follows there: that optimisation runs over every digit of
    the map, far too slow for a stroke, and `transform` also re-centres the embedding it is
    called on, moving later digits off the map as drawn.
    """
    if isinstance(placer, PcaPlacer):
        return placer.transform(features)
    if hasattr(placer, "prepare_partial"):  # an openTSNE embedding
        placed = placer.prepare_partial(np.asarray(features, np.float64), initialization="median")
        return np.asarray(placed, np.float32)
    return np.asarray(placer.transform(np.asarray(features, np.float32)), np.float32)


def knn_accuracy(features: np.ndarray, labels: np.ndarray, k: int = NEIGHBOURS) -> float:
    """The share of the odd-numbered digits whose k nearest even-numbered digits vote their true class.

    With very few digits (a learner's own) k shrinks to the voters a class has on average, so
    that a class is not outvoted for having fewer than k voters at all.
    """
    from sklearn.neighbors import KNeighborsClassifier

    voters, asked = features[0::2], features[1::2]
    if len(asked) == 0:
        return 0.0
    k = max(1, min(k, len(voters) // len(np.unique(labels[0::2]))))
    vote = KNeighborsClassifier(n_neighbors=k, algorithm="brute")
    vote.fit(voters, labels[0::2])
    return float((vote.predict(asked) == labels[1::2]).mean())


def silhouette(features: np.ndarray, labels: np.ndarray) -> float:
    """scikit-learn's silhouette score on a seeded sample: near 1 for tight classes far apart,
    near 0 for classes that overlap; 0 when it cannot be told (one class, or every digit its own)."""
    from sklearn.metrics import silhouette_score

    classes = len(np.unique(labels))
    if not 2 <= classes <= len(labels) - 1:
        return 0.0
    sample = min(len(labels), SILHOUETTE_SAMPLE)
    if sample < len(labels) and len(np.unique(labels)) > sample - 1:
        return 0.0
    return float(silhouette_score(features, labels, sample_size=sample, random_state=SEED))


def check_features(features: np.ndarray, what: str) -> np.ndarray:
    """The features, if every number is finite; a damaged model's NaN draws no map."""
    if not np.isfinite(features).all():
        raise UserError(f"{what} gives NaN or infinite numbers: the model's weights are damaged")
    return features
