"""First page: from `streamlit run app.py` to the Explore page's digits in Chromium.

    python benchmarks/first_page.py [--rounds 5] [--dataset fashion-mnist] [--lab] [--baseline REV]

Each round starts a fresh server and times, from the moment the command is launched, until
the browser shows the first sample image loaded. The baseline is a bare Streamlit page
that shows one image, measured the same way in the same rounds. --baseline REV also times
the Explore page as it was at commit REV (that commit's whole tree, checked out in a
temporary folder, its own `app.py` run), on each dataset, in the same rounds. --lab also
times the Lab page opened first (`/lab`) until its first step's code shows.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from browser import checkout, chromium  # noqa: E402

from tests.support.browser import REPO, free_port, start_server, stop_server  # noqa: E402

BARE_PAGE = """
import numpy as np
import streamlit as st

st.title("One image")
st.image(np.zeros((28, 28), np.uint8), width=84)
"""
FIRST_IMAGE = "[data-testid='stImage'] img"
SHOWN_IMAGE = (
    f'() => {{ const img = document.querySelector("{FIRST_IMAGE}"); '
    "return img && img.complete && img.naturalWidth > 0; }"
)
# The Lab's first step: its heading, then its first cell of code.
LAB_FIRST_STEP = (
    '() => [...document.querySelectorAll("h2")].some(h => h.textContent.startsWith("1.")) '
    "&& document.querySelector(\"[data-testid='stCode']\") !== null"
)


def time_to_first_image(
    browser,
    script: Path,
    env: dict | None = None,
    root: Path = REPO,
    path: str = "",
    shown: str = SHOWN_IMAGE,
) -> float:
    """Seconds from launching the server (in the tree `root`) to an image decoded on the page
    (or to what `shown`, a JavaScript test, waits for on the page at `path`)."""
    page = browser.new_page()
    port = free_port()
    started = time.perf_counter()
    process = start_server(script, port, env, root)
    try:
        while True:
            try:
                page.goto(f"http://127.0.0.1:{port}/{path}", timeout=2000)
                break
            except Exception:  # The server is not listening yet: try again at once.
                if time.perf_counter() - started > 60:
                    raise
                time.sleep(0.02)
        page.wait_for_function(shown, timeout=60_000, polling=10)
        return time.perf_counter() - started
    finally:
        page.close()
        stop_server(process)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--dataset", action="append", default=[], metavar="NAME",
        help="also time the app opening with this dataset (MNIST_APP_DATASET), e.g. fashion-mnist",
    )  # fmt: skip
    parser.add_argument("--lab", action="store_true", help="also time the Lab page's first step")
    parser.add_argument("--baseline", metavar="REV", help="also time the Explore page of this commit")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        browser = stack.enter_context(chromium())
        trees = {"app": REPO}
        if args.baseline:
            trees[f"baseline {args.baseline[:10]}"] = stack.enter_context(checkout(args.baseline))
        bare = folder / "bare.py"
        bare.write_text(BARE_PAGE)
        runs = {"bare Streamlit page, one image": (bare, REPO, None, "", SHOWN_IMAGE)}
        for name, root in trees.items():
            runs[f"{name}: Explore"] = (root / "app.py", root, None, "", SHOWN_IMAGE)
            if args.lab:
                runs[f"{name}: Lab's first step"] = (root / "app.py", root, None, "lab", LAB_FIRST_STEP)
            runs |= {
                f"{name}: Explore on {data}": (
                    root / "app.py",
                    root,
                    {"MNIST_APP_DATASET": data},
                    "",
                    SHOWN_IMAGE,
                )
                for data in args.dataset
            }
        times: dict[str, list[float]] = {label: [] for label in runs}
        for _ in range(args.rounds):  # alternating, so drift in the machine's speed hits all alike
            for label, (script, root, env, path, shown) in runs.items():
                times[label].append(time_to_first_image(browser, script, env, root, path, shown))
    medians = {label: statistics.median(values) for label, values in times.items()}
    bare_median = medians["bare Streamlit page, one image"]
    print(f"First page: launch to first image in Chromium, median of {args.rounds} rounds")
    print("| page | median (s) | / bare page | all runs (s) |")
    print("|---|---|---|---|")
    for label, values in times.items():
        runs_text = ", ".join(f"{t:.2f}" for t in values)
        print(f"| {label} | {medians[label]:.2f} | {medians[label] / bare_median:.2f}x | {runs_text} |")
    ratios = ", ".join(
        f"{label.removeprefix('app: ')} {medians[label] / bare_median:.2f}x"
        for label in runs
        if label.startswith("app:")
    )
    print(f"app / bare page: {ratios}; goal: within 1.3x")


if __name__ == "__main__":
    main()
