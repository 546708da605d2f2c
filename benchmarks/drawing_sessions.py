"""Drawing at once: sessions drawing on the Draw page together, and the server's time per stroke.

    python benchmarks/drawing_sessions.py [--sessions 8] [--strokes 10] [--baseline REV]

Each session is a page of its own in one Chromium process. It draws a vertical stroke, waits
for the "Prediction" metric, clears the canvas, and draws again; all sessions at once.
Reported: mouse-up to prediction on screen (median and 90th percentile), with one session
and with all of them; and the server's script time per stroke, from the timings the app
writes where MNIST_APP_TIMING_LOG is set (`mnist_app/timing.py`).

--baseline REV runs the same against the app of commit REV (its whole tree, checked out in
a temporary folder), side by side with this commit's: 2e162ce for the package's canvas as
shipped (its 200 ms debounce) and a Vega-Lite probability chart, 0d273a2 for the whole page
rerun on every stroke (older than the timing log, so without script times: `nan`).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from browser import checkout  # noqa: E402

from tests.support.browser import CHROMIUM, CHROMIUM_FLAGS, REPO, server  # noqa: E402

PREDICTION = "[data-testid='stMetric']"
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"


async def draw_session(
    browser,
    url: str,
    strokes: int,
    latencies: list[float],
    log: Path | None = None,
    script: list | None = None,
) -> None:
    """Draw, wait for the prediction, clear, again; with `log`, each stroke's script time too.

    Alone on the server, a stroke's timing lines are those written between mouse-up and the
    end of the runs it set off: their sum is the stroke's whole script time, whatever page
    version wrote them (a fragment run, or the whole page).
    """
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
        written = len(timings(log)) if log else 0
        began = time.perf_counter()
        await page.mouse.up()
        await page.locator(PREDICTION).filter(has_text="Prediction").wait_for(timeout=120_000)
        if stroke:  # the first stroke also loads and compiles the model: a one-off
            latencies.append((time.perf_counter() - began) * 1000)
            if log:
                await page.wait_for_timeout(300)
                await page.locator(IDLE).wait_for()
                script.append(stroke_script_ms(timings(log)[written:]))
        await page.get_by_role("button", name="Clear").click()
        await page.get_by_text("Draw a digit on the canvas.").wait_for(timeout=120_000)
    await page.close()


def timings(log: Path) -> list[tuple[str, float]]:
    if not log.exists():
        return []
    return [(name, float(ms)) for name, ms in (line.rsplit(" ", 1) for line in log.read_text().splitlines())]


def stroke_script_ms(lines: list[tuple[str, float]]) -> float:
    """A whole page run holds the fragment's, if it logged one: count the page's then."""
    pages = [ms for name, ms in lines if name.startswith("page ")]
    return sum(pages) if pages else sum(ms for name, ms in lines if name.startswith("draw"))


async def draw_together(url: str, sessions: int, strokes: int, log: Path | None = None) -> dict:
    from playwright.async_api import async_playwright

    latencies: list[float] = []
    script: list[float] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            await asyncio.gather(
                *(draw_session(browser, url, strokes, latencies, log, script) for _ in range(sessions))
            )
        finally:
            await browser.close()
    return {"latencies": latencies, "script": script}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def measure(root: Path, sessions: int, strokes: int) -> dict:
    """Alone (with each stroke's script time), then all sessions at once on the same server.

    At once, a stroke's runs cannot be told from another session's, so the script time there
    is the page's own `draw reading` timing (a fragment run that read a digit), where it has one.
    """
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "timings.txt"
        with server(root / "app.py", {"MNIST_APP_TIMING_LOG": str(log)}, root) as (url, _):
            alone = asyncio.run(draw_together(url, 1, strokes, log))
            log.unlink(missing_ok=True)
            together = asyncio.run(draw_together(url, sessions, strokes))
            together["script"] = [ms for name, ms in timings(log) if name == "draw reading"]
    return {"alone": alone, "together": together}


def row(label: str, figures: dict) -> str:
    alone, together = figures["alone"], figures["together"]
    return (
        f"{label:<22} {median(alone['latencies']):>8.0f} {percentile(alone['latencies'], 0.9):>8.0f}"
        f" {median(together['latencies']):>9.0f} {percentile(together['latencies'], 0.9):>9.0f}"
        f" {median(alone['script']):>13.1f} {median(together['script']):>13.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=8)
    parser.add_argument(
        "--strokes", type=int, default=10, help="strokes per session (after a first, untimed)"
    )
    parser.add_argument("--baseline", metavar="REV", help="also measure the app of this commit")
    args = parser.parse_args()

    results = {}
    if args.baseline:
        with checkout(args.baseline) as root:
            results[f"baseline ({args.baseline[:10]})"] = measure(root, args.sessions, args.strokes)
    results["app"] = measure(REPO, args.sessions, args.strokes)

    print(
        f"Draw page, mouse-up to prediction (ms); {args.sessions} sessions at once, {args.strokes} strokes each;"
        " script ms: the server's time per stroke (median), alone and at once"
    )
    print(
        f"{'':<22} {'alone':>8} {'p90':>8} {'together':>9} {'p90':>9} {'script alone':>13} {'script at once':>13}"
    )
    for label, figures in results.items():
        print(row(label, figures))
    if len(results) == 2:
        (base, app) = results.values()
        p90 = percentile(base["together"]["latencies"], 0.9) / percentile(app["together"]["latencies"], 0.9)
        script = median(base["alone"]["script"]) / median(app["alone"]["script"])
        print(f"ratio baseline/app: p90 together {p90:.2f}x, script per stroke alone {script:.2f}x")


if __name__ == "__main__":
    main()
