"""Inside: the server's share of a canvas stroke on the Inside page, and stroke end to heat map.

    python benchmarks/inside.py [--strokes 100] [--browser-strokes 10]

Server share: what the Inside page computes for each stroke (prepare the digit MNIST's way,
the activations of every layer, integrated gradients for the predicted class), for the
lab's MLP (trained here for one epoch on the embedded sample) and the shipped CNN, after
the first calls have compiled what they compile. Browser: mouse up on the Inside page's
canvas to the integrated-gradients heat map on screen, on a real server with the shipped CNN.
"""

from __future__ import annotations

import argparse
import base64
import io
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from browser import stroke_latencies  # noqa: E402
from prediction import canvas_png  # noqa: E402

from mnist_app.datasets.catalogue import load_dataset  # noqa: E402
from mnist_app.datasets.preparation import canvas_to_grey, prepare_digit  # noqa: E402
from mnist_app.learning.inspection import Inspector  # noqa: E402
from mnist_app.learning.model_files import load_model  # noqa: E402
from mnist_app.learning.training import TrainConfig, train  # noqa: E402
from tests.support.browser import REPO  # noqa: E402


def stroke_images() -> list[np.ndarray]:
    """The ten digits drawn as the tests draw them, as the canvas's RGBA arrays."""
    images = []
    for digit in range(10):
        encoded = canvas_png(digit).split(";base64,", 1)[1]
        images.append(np.asarray(Image.open(io.BytesIO(base64.b64decode(encoded)))))
    return images


def server_share(inspector: Inspector, drawings: list, strokes: int) -> dict[str, list[float]]:
    stages: dict[str, list[float]] = {"prepare": [], "layers": [], "integrated gradients": [], "total": []}
    for i in range(strokes):
        began = time.perf_counter()
        image = prepare_digit(canvas_to_grey(drawings[i % len(drawings)])).image
        prepared = time.perf_counter()
        views = inspector.layers(image)
        layered = time.perf_counter()
        inspector.attribution(image, int(views[-1].values.argmax()), "integrated-gradients")
        done = time.perf_counter()
        for stage, seconds in zip(
            stages, (prepared - began, layered - prepared, done - layered, done - began), strict=True
        ):
            stages[stage].append(seconds * 1000)
    return stages


def browser_latency(strokes: int) -> list[float]:
    """Milliseconds from mouse up to the heat map's caption on the Inside page."""
    return stroke_latencies(
        "inside",
        lambda page: page.get_by_text("Integrated gradients for").first.wait_for(timeout=30_000),
        strokes,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strokes", type=int, default=100)
    parser.add_argument("--browser-strokes", type=int, default=10)
    args = parser.parse_args()
    drawings = stroke_images()
    mlp = train(load_dataset("mnist-sample"), TrainConfig("mlp", epochs=1)).model
    cnn = load_model(REPO / "models" / "default.keras")
    print(f"Inside, server's share per stroke: median of {args.strokes} strokes (ms)")
    print("| stage | MLP | CNN |")
    print("|---|---|---|")
    results = []
    for model in (mlp, cnn):
        inspector = Inspector(model)
        server_share(inspector, drawings, 5)
        results.append(server_share(inspector, drawings, args.strokes))
    for stage in results[0]:
        print(f"| {stage} | " + " | ".join(f"{statistics.median(r[stage]):.1f}" for r in results) + " |")
    print("goal: total under 30 ms for either architecture")
    if args.browser_strokes:
        latencies = browser_latency(args.browser_strokes)
        print(
            f"Chromium, mouse up to the heat map on /inside: median {statistics.median(latencies):.0f} ms, "
            f"max {max(latencies):.0f} ms over {len(latencies)} strokes; goal: under 600 ms"
        )


if __name__ == "__main__":
    main()
