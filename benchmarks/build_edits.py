"""Build: what one edit of a 30-layer network costs the server.

    python benchmarks/build_edits.py [--edits 500] [--browser-edits 40]

Summary, code and checks: what Build computes from the layer list on every edit (the plan
with its shapes, parameters and mistakes, the Keras code, the link both ways, the JSON, and
the epoch estimate corrected by ten saved models' records), with no TensorFlow. The page: the
server's whole script run for an edit typed in Chromium (a Dense layer's units), from the
timings the app writes where MNIST_APP_TIMING_LOG is set; it adds Streamlit drawing the
editor's widgets, about five a layer.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from mnist_app.learning import design_code, design_links, epoch_estimate  # noqa: E402
from mnist_app.learning.design_plan import plan  # noqa: E402
from mnist_app.learning.designs import MAX_LAYERS, Layer, layers_json, parse_text  # noqa: E402
from tests.support.browser import CHROMIUM, CHROMIUM_FLAGS, REPO, server  # noqa: E402

IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
# Thirty layers, the most a design may have: nine blocks of a same-padded convolution, batch
# normalisation and dropout, then pooling, Flatten and a Dense layer.
NETWORK = ",".join(
    ["conv:16:3:relu:1:same,batchnorm,dropout:0.1"] * 9 + ["pool:2", "flatten", "dense:64:relu"]
)


def records(layers) -> list[dict]:
    """Ten saved models' descriptions as the trainer writes them, for the estimate's correction."""
    return [
        {
            "layers": [layer.as_dict() for layer in layers],
            "train_size": 4_000,
            "batch_size": 32,
            "augment": False,
            "epoch_seconds": [3.0, 2.0, 2.1],
            "created": f"2026-12-01T00:00:{second:02}+00:00",
        }
        for second in range(10)
    ]


def core_edits(edits: int) -> list[float]:
    """Milliseconds for the summary, code and checks of each edit."""
    layers = list(parse_text(NETWORK))
    saved = records(layers)
    times = []
    for edit in range(edits):
        layers[-1] = Layer("dense", units=64 + edit % 2)
        began = time.perf_counter()
        design = plan(layers)
        design_code.keras_code(design)
        design_links.from_query(design_links.to_query(layers, design_links.Choices()))
        layers_json(layers)
        epoch_estimate.estimate(design, 4_000, 1_000, 32, False, saved)
        times.append((time.perf_counter() - began) * 1000)
    return times


def page_edits(edits: int) -> list[float]:
    """Milliseconds of the server's script run for each edit typed on the page."""
    from playwright.sync_api import expect, sync_playwright

    work = Path(tempfile.mkdtemp(prefix="build-edits-"))
    log, models = work / "timing.log", work / "models"
    models.mkdir()
    shutil.copy(REPO / "models" / "default.keras", models)
    env = {"MNIST_APP_MODELS_DIR": str(models), "MNIST_APP_TIMING_LOG": str(log)}
    with server(REPO / "app.py", env=env) as (url, _), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{url}/build?net={NETWORK}")
        expect(page.get_by_text(f"{MAX_LAYERS}. Dense 1: 64 units, relu")).to_be_visible(timeout=120_000)
        page.wait_for_selector(IDLE)
        log.write_text("")
        field = page.get_by_label("Units", exact=True).last
        for edit in range(edits):
            units = 65 + edit % 2
            field.fill(str(units))
            field.press("Enter")
            expect(page.get_by_text(f"{MAX_LAYERS}. Dense 1: {units} units, relu")).to_be_visible()
            page.wait_for_selector(IDLE)
        browser.close()
    return [
        float(line.split()[-1]) for line in log.read_text().splitlines() if line.startswith("page build ")
    ]


def row(what: str, times: list[float]) -> str:
    ordered = sorted(times)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    return f"| {what} | {len(times)} | {statistics.median(times):.1f} | {p90:.1f} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=500)
    parser.add_argument("--browser-edits", type=int, default=40)
    args = parser.parse_args()
    print(f"A {MAX_LAYERS}-layer network: {NETWORK}\n")
    print("| per edit | edits | median (ms) | p90 (ms) |\n|---|---|---|---|")
    print(row("summary, code and checks", core_edits(args.edits)))
    if args.browser_edits:
        print(row("the page's whole script run", page_edits(args.browser_edits)))


if __name__ == "__main__":
    main()
