"""Train page ready: a click on "Train" a few seconds after the first page, to its controls.

    python benchmarks/train_ready.py [--rounds 3] [--read 5] [--baseline REV]

Each round starts a fresh server, opens the Explore page and waits for its first image,
waits --read seconds (a visitor looking at the digits), clicks "Train" in the sidebar and
times until the "Start training" button is on screen. For reference, the same straight to
/train on a fresh server. --baseline REV measures the same with the app of commit REV
(before TensorFlow loaded in the background; its whole tree, checked out in a temporary
folder), side by side.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from browser import checkout, chromium  # noqa: E402

from tests.support.browser import REPO, server  # noqa: E402

FIRST_IMAGE = "[data-testid='stImage'] img"


def click_to_train(browser, root: Path, read_s: float) -> float:
    with server(root / "app.py", root=root) as (url, _):
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url)
        page.locator(FIRST_IMAGE).first.wait_for(timeout=120_000)
        time.sleep(read_s)
        began = time.perf_counter()
        page.get_by_test_id("stSidebarNav").get_by_text("Train", exact=True).click()
        page.get_by_role("button", name="Start training").wait_for(timeout=120_000)
        seconds = time.perf_counter() - began
        page.close()
    return seconds


def straight_to_train(browser, root: Path) -> float:
    with server(root / "app.py", root=root) as (url, _):
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        began = time.perf_counter()
        page.goto(f"{url}/train")
        page.get_by_role("button", name="Start training").wait_for(timeout=120_000)
        seconds = time.perf_counter() - began
        page.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--read", type=float, default=5.0, help="seconds on the first page before the click")
    parser.add_argument("--baseline", metavar="REV", help="also measure the app of this commit")
    args = parser.parse_args()

    with contextlib.ExitStack() as stack:
        browser = stack.enter_context(chromium())
        trees = {"app (TensorFlow loads in the background)": REPO}
        if args.baseline:
            trees = {
                f"baseline ({args.baseline[:10]})": stack.enter_context(checkout(args.baseline)),
                **trees,
            }
        rows = {}
        for _ in range(args.rounds):  # alternate, so drift in the machine's speed hits both alike
            for label, root in trees.items():
                clicked, straight = click_to_train(browser, root, args.read), straight_to_train(browser, root)
                rows.setdefault(label, ([], []))
                rows[label][0].append(clicked)
                rows[label][1].append(straight)

    print(
        f"Train page ready (s, median of {args.rounds}); the click comes {args.read:g} s after the first page"
    )
    print("| | click on Train to its controls | straight to /train |\n|---|---|---|")
    for label, (clicked, straight) in rows.items():
        print(f"| {label} | {statistics.median(clicked):.2f} | {statistics.median(straight):.2f} |")


if __name__ == "__main__":
    main()
