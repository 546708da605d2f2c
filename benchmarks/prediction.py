"""Prediction: the server's share of a canvas stroke, and stroke end to "Prediction" in Chromium.

    python benchmarks/prediction.py [--strokes 200] [--browser-strokes 10]

Server share: what the Draw page does with each stroke the canvas sends (decode the PNG,
prepare the digit MNIST's way, infer with the cached model), timed on the ten digits drawn
as the tests draw them; against it, the same with `model.predict`, the call the lab uses.
The server's share is timed twice: alone, and while a training job (the lab's MLP on the
embedded sample, the app's own TrainingJob) trains in the same process, as it would on a
server where one session trains while another draws.
Browser: mouse up on the canvas to the new "Prediction" metric on screen, on a real server.
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
from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from browser import stroke_latencies  # noqa: E402

from mnist_app.datasets.catalogue import load_dataset  # noqa: E402
from mnist_app.datasets.preparation import canvas_to_grey, prepare_digit  # noqa: E402
from mnist_app.jobs.training_job import TrainingJob, TrainingQueue  # noqa: E402
from mnist_app.learning.evaluation import predict_probabilities  # noqa: E402
from mnist_app.learning.model_files import load_model  # noqa: E402
from mnist_app.learning.training import TrainConfig  # noqa: E402
from tests.support.browser import REPO  # noqa: E402
from tests.support.digit_strokes import DIGIT_STROKES  # noqa: E402


def canvas_png(digit: int, size: int = 280) -> str:
    """The data URL the canvas sends after a stroke: white ink, transparent background."""
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    for stroke in DIGIT_STROKES[digit]:
        pen.line(
            [(x * size, y * size) for x, y in stroke], fill=(255, 255, 255, 255), width=22, joint="curve"
        )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def server_share(model, data_urls: list[str], strokes: int, use_predict: bool) -> dict[str, list[float]]:
    stages: dict[str, list[float]] = {"decode": [], "prepare": [], "infer": [], "total": []}
    for i in range(strokes):
        began = time.perf_counter()
        encoded = data_urls[i % len(data_urls)].split(";base64,", 1)[1]
        rgba = np.asarray(Image.open(io.BytesIO(base64.b64decode(encoded))))
        decoded = time.perf_counter()
        prepared = prepare_digit(canvas_to_grey(rgba)).image[None]
        ready = time.perf_counter()
        if use_predict:
            model.predict(prepared, verbose=0)
        else:
            predict_probabilities(model, prepared)
        done = time.perf_counter()
        for stage, seconds in zip(
            stages, (decoded - began, ready - decoded, done - ready, done - began), strict=True
        ):
            stages[stage].append(seconds * 1000)
    return stages


def browser_latency(strokes: int) -> list[float]:
    """Milliseconds from mouse up to the "Prediction" metric showing the digit drawn."""
    return stroke_latencies(
        "draw",
        lambda page: page.wait_for_function(
            "() => [...document.querySelectorAll('[data-testid=stMetric]')]"
            ".some(m => m.innerText.includes('Prediction'))",
            polling=5,
            timeout=30_000,
        ),
        strokes,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strokes", type=int, default=200)
    parser.add_argument("--browser-strokes", type=int, default=10)
    parser.add_argument("--model", type=Path, default=REPO / "models" / "default.keras")
    args = parser.parse_args()
    model = load_model(args.model)
    data_urls = [canvas_png(digit) for digit in range(10)]
    server_share(model, data_urls, 10, use_predict=False)
    server_share(model, data_urls, 3, use_predict=True)
    fast = server_share(model, data_urls, args.strokes, use_predict=False)
    slow = server_share(model, data_urls, max(10, args.strokes // 10), use_predict=True)
    job = TrainingJob(load_dataset("mnist-sample"), TrainConfig("mlp", epochs=1000), queue=TrainingQueue(1))
    job.start()
    while not job.snapshot().curve:
        time.sleep(0.05)
    busy = server_share(model, data_urls, args.strokes, use_predict=False)
    job.stop()
    job.join()
    print(f"Prediction, server's share per stroke: median of {args.strokes} strokes (ms)")
    print("| stage | app (predict_on_batch) | with model.predict | app, while a job trains |")
    print("|---|---|---|---|")
    for stage in fast:
        medians = (statistics.median(timings[stage]) for timings in (fast, slow, busy))
        print("| " + stage + " | " + " | ".join(f"{m:.2f}" for m in medians) + " |")
    ratio = statistics.median(slow["total"]) / statistics.median(fast["total"])
    print(f"model.predict / app: {ratio:.1f}x; goal: app total under 5 ms")
    if args.browser_strokes:
        latencies = browser_latency(args.browser_strokes)
        print(
            f"Chromium, mouse up to the Prediction metric: median {statistics.median(latencies):.0f} ms, "
            f"max {max(latencies):.0f} ms over {len(latencies)} strokes; goal: under 400 ms"
        )


if __name__ == "__main__":
    main()
