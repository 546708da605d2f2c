"""Drawing at once: sessions drawing on the Draw page together, and the server's time per stroke.

    python benchmarks/drawing_sessions.py [--sessions 8] [--strokes 10] [--baseline REV]

Each session is a page of its own in one Chromium process. It draws a vertical stroke, waits
for the "Prediction" metric, clears the canvas, and draws again; all sessions at once.
Reported: mouse-up to prediction on screen (median and 90th percentile), with one session
and with all of them; and the server's script time per stroke, from the timings the app
writes where MNIST_APP_TIMING_LOG is set (`mnist_app/timing.py`): the Draw page's canvas
fragment, or, with the baseline, the whole page, which each stroke reran then.

--baseline REV runs the same against the Draw page of commit REV (in a temporary copy of
the repository, with this commit's other files), side by side with this commit's.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from browser import CHROMIUM, CHROMIUM_FLAGS, REPO, server, tree_with_files_of

PREDICTION = "[data-testid='stMetric']"


async def draw_session(browser, url: str, strokes: int, latencies: list[float]) -> None:
    page = await browser.new_page(viewport={"width": 1400, "height": 1000})
    await page.goto(f"{url}/draw")
    await page.get_by_text("Draw a digit on the canvas.").wait_for(timeout=180_000)
    for stroke in range(strokes + 1):
        canvas = page.locator("canvas.upper-canvas").first
        await canvas.wait_for()
        await page.wait_for_timeout(500)  # a cleared canvas is a new one: let it mount
        box = await canvas.bounding_box()
        x = box["x"] + box["width"] / 2
        await page.mouse.move(x, box["y"] + 0.12 * box["height"])
        await page.mouse.down()
        await page.mouse.move(x, box["y"] + 0.88 * box["height"], steps=10)
        began = time.perf_counter()
        await page.mouse.up()
        await page.locator(PREDICTION).filter(has_text="Prediction").wait_for(timeout=120_000)
        if stroke:  # the first stroke also loads and compiles the model: a one-off
            latencies.append((time.perf_counter() - began) * 1000)
        await page.get_by_role("button", name="Clear").click()
        await page.get_by_text("Draw a digit on the canvas.").wait_for(timeout=120_000)
    await page.close()


async def draw_together(url: str, sessions: int, strokes: int) -> list[float]:
    from playwright.async_api import async_playwright

    latencies: list[float] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            await asyncio.gather(*(draw_session(browser, url, strokes, latencies) for _ in range(sessions)))
        finally:
            await browser.close()
    return latencies


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def script_times(log: Path, name: str) -> list[float]:
    if not log.exists():
        return []
    return [
        float(ms)
        for part, ms in (line.rsplit(" ", 1) for line in log.read_text().splitlines())
        if part == name
    ]


def measure(app: Path, sessions: int, strokes: int, timed_part: str) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "timings.txt"
        with server(app, {"MNIST_APP_TIMING_LOG": str(log)}) as (url, _):
            alone = asyncio.run(draw_together(url, 1, strokes))
            log.unlink(missing_ok=True)
            together = asyncio.run(draw_together(url, sessions, strokes))
            times = script_times(log, timed_part)
    return {"alone": alone, "together": together, "script": times}


def row(label: str, figures: dict) -> str:
    script = figures["script"]
    return (
        f"{label:<34} {statistics.median(figures['alone']):>8.0f} {percentile(figures['alone'], 0.9):>8.0f}"
        f" {statistics.median(figures['together']):>9.0f} {percentile(figures['together'], 0.9):>9.0f}"
        f" {statistics.median(script) if script else float('nan'):>10.1f} {len(script):>6}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=8)
    parser.add_argument(
        "--strokes", type=int, default=10, help="strokes per session (after a first, untimed)"
    )
    parser.add_argument("--baseline", metavar="REV", help="also measure the Draw page of this commit")
    args = parser.parse_args()

    results = {}
    with tempfile.TemporaryDirectory() as folder:
        if args.baseline:
            app = tree_with_files_of(args.baseline, ["mnist_app/pages/draw.py"], Path(folder))
            results[f"baseline ({args.baseline[:10]}, whole page)"] = measure(
                app, args.sessions, args.strokes, "page draw"
            )
        results["app (canvas fragment)"] = measure(REPO / "app.py", args.sessions, args.strokes, "draw")

    print(
        f"Draw page, mouse-up to prediction (ms); {args.sessions} sessions at once, {args.strokes} strokes each"
    )
    print(f"{'':<34} {'alone':>8} {'p90':>8} {'together':>9} {'p90':>9} {'script ms':>10} {'runs':>6}")
    for label, figures in results.items():
        print(row(label, figures))
    if len(results) == 2:
        (base, app) = results.values()
        print(
            f"ratio baseline/app: p90 together {percentile(base['together'], 0.9) / percentile(app['together'], 0.9):.2f}x,"
            f" script median {statistics.median(base['script']) / statistics.median(app['script']):.2f}x"
        )


if __name__ == "__main__":
    main()
