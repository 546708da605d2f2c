"""Memory: what more browser sessions cost the server, with full-size data loaded.

    python benchmarks/memory.py [--dataset fashion-mnist] [--sessions 7]

A fresh server opens with the dataset (`MNIST_APP_DATASET`; Fashion-MNIST's 60,000 images
from Debian's package stand in for MNIST's, same shapes). One browser session visits every
page and draws a digit, warming the shared caches; then the given number of further
sessions each do the same, every one kept open. The table gives the server's resident
memory after each step.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from browser import chromium, rss_mib  # noqa: E402

from tests.support.browser import REPO, server  # noqa: E402


def visit_every_page(context, url: str) -> None:
    """Explore, Train (with its evaluation of the model in use), Draw with one stroke."""
    page = context.new_page()
    page.set_default_timeout(120_000)
    page.goto(url)
    page.locator("[data-testid='stImage'] img").first.wait_for()
    page.goto(f"{url}/train")
    page.get_by_text("The most confidently wrong").wait_for()
    page.goto(f"{url}/draw")
    canvas = page.locator("canvas.upper-canvas").first
    canvas.wait_for()
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 0.15 * box["height"])
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 0.85 * box["height"], steps=10)
    page.mouse.up()
    page.get_by_text("Prediction").wait_for()


def settled_rss(pid: int) -> float:
    time.sleep(2)
    return rss_mib(pid)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="fashion-mnist")
    parser.add_argument("--sessions", type=int, default=7)
    args = parser.parse_args()
    rows = []
    with (
        server(REPO / "app.py", {"MNIST_APP_DATASET": args.dataset}) as (url, process),
        chromium() as browser,
    ):
        rows.append(("server started", settled_rss(process.pid)))
        contexts = [browser.new_context(viewport={"width": 1400, "height": 1000})]
        visit_every_page(contexts[0], url)
        rows.append(("1 session, every page visited", settled_rss(process.pid)))
        for _ in range(args.sessions):
            contexts.append(browser.new_context(viewport={"width": 1400, "height": 1000}))
            visit_every_page(contexts[-1], url)
        rows.append((f"{1 + args.sessions} sessions, every page visited", settled_rss(process.pid)))
    added = rows[-1][1] - rows[1][1]
    print(f"Memory: server resident set, dataset {args.dataset}")
    print("| step | server RSS (MiB) |")
    print("|---|---|")
    for step, mib in rows:
        print(f"| {step} | {mib:.0f} |")
    print(
        f"{args.sessions} more sessions added {added:.0f} MiB ({added / max(1, args.sessions):.1f} MiB each); goal: under 100"
    )


if __name__ == "__main__":
    main()
