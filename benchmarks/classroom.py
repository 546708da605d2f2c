"""A class on a server: students simulated in Streamlit's own protocol, while two of them train.

    python benchmarks/classroom.py [--students 30] [--minutes 2] [--baseline REV]

Each student is a websocket session speaking the protobuf messages a browser sends and reads
(`websocket_session.Tab`), not a browser, so the load is the server's: thirty Chromium pages
would take two cores on their own. In order, on one fresh server:

1. Warm-up, untimed: one session opens each page and draws once (TensorFlow, the models).
2. One student alone: Explore, Draw and --alone-strokes digits, Inside, Compare, Train.
3. The training jobs alone: two more sessions open Train and start the lab's MLP and the
   app's CNN (200 epochs, started again should one end); their pages stay open, redrawn as
   often as the server's fragments ask, as a browser's are, for --train-alone-s and until
   each job has timed --epochs-alone epochs (at most 3 minutes more).
4. The class, for --minutes: the students arrive over --ramp-s, open Explore then Draw, and
   draw a digit every 2 to 4 s, each time another (the ten digits of
   `tests/support/digit_strokes.py`, moved, turned, scaled and in a random brush width, sent
   as the PNG data URL the sketch pad sends), pressing Clear before the next. Five of them,
   after their third digit, open Inside and draw there, then Compare, then draw on.
5. The jobs are stopped and everyone leaves; --after-s later, the server's memory again.

Stroke to prediction is the server's round trip: from sending a drawing to the "Prediction"
metric arriving (under load, strokes once the whole class has arrived). A page's first run
is from asking for the page to the end of its run. Seconds per epoch are read from the Train
pages as shown ("epoch k of E"): the time between the first new epoch seen in a window and
the last, per epoch, the first epoch of each job (building the model) left out. The server's
CPU (percent of one core) and memory are read from /proc every second, its child processes
included (their memory as proportional set sizes summed: TensorFlow's libraries, mapped by the
server and each trainer process, count once); this script's own CPU is shown beside them, as it
runs on the same cores.

The server: the tree's app.py, offline with its sample data, `MNIST_APP_SHARED=1` as a class's
server is run, two training slots so both jobs train at once (`--training-slots`), and a
temporary models folder holding the tree's shipped models and a lab MLP trained for it, so the
Draw page reads each digit with two models, as once anyone has trained. The server writes
its timeline (`mnist_app/timing.py`), cut here by phase: how long a stroke's script ran in
the server, against the round trip; --timing-log FILE keeps it. --baseline REV measures the app of
commit REV the same way first (its whole tree, checked out in a temporary folder; its
sketch pad must be this one, a `mnist_app.sketch_pad` component). --servers N starts N such
servers on the same folders, each at an address of its own, and deals the class out in turn
as a load balancer would (the student alone and the MLP's job on the first); their CPU and
memory are summed.

Printed: a Markdown table, the server over time, then one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from browser import checkout  # noqa: E402
from classroom_load import Class, Figures, drawings  # noqa: E402
from server_watch import Watch  # noqa: E402

from tests.support.browser import REPO, server  # noqa: E402

PAGES = ("Explore", "Draw", "Inside", "Compare", "Train")
ALONE, CLASS = "1 student", "the class + 2 jobs"
# The jobs train alone at most this long while waiting for --epochs-alone timed epochs.
MAX_ALONE_S = 180.0
CPU_FIELDS = ("cpu", "server_cpu", "script_cpu")


def models_folder(root: Path, folder: Path) -> Path:
    """The tree's shipped models and a lab MLP trained by the tree's own command line."""
    models = folder / "models"
    models.mkdir()
    for shipped in (root / "models").glob("*.keras"):
        shutil.copy2(shipped, models)
    command = [sys.executable, "-m", "mnist_app", "train", "--dataset", "mnist-sample", "--arch", "mlp"]
    command += ["--epochs", "3", "--output", str(models / "lab-mlp.keras")]
    trained = subprocess.run(
        command, cwd=root, env={**os.environ, "MNIST_APP_OFFLINE": "1"}, capture_output=True, text=True
    )
    if trained.returncode != 0:
        print(f"note: no MLP trained for {root.name} ({trained.stderr.strip()[-200:]})", file=sys.stderr)
    return models


def server_log(args, label: str, index: int) -> Path | None:
    """Where server `index` of the app `label` writes its output: --server-log, then one file
    more for each other server."""
    if not args.server_log:
        return None
    log = Path(args.server_log).resolve()
    if (label, index) == ("app", 0):
        return log
    return log.with_name(f"{log.name}.{label.replace(' ', '-')}.{index}")


def measure(root: Path, args, pictures: list[str], label: str = "app") -> dict:
    with tempfile.TemporaryDirectory(prefix="classroom-") as folder:
        log = Path(args.timing_log).resolve() if args.timing_log else Path(folder) / "timings.txt"
        log.unlink(missing_ok=True)
        env = {
            "MNIST_APP_MODELS_DIR": str(models_folder(root, Path(folder))),
            "MNIST_APP_SHARED": "1",
            "MNIST_APP_TRAINING_SLOTS": str(args.training_slots),
            "MNIST_APP_TIMING_LOG": str(log),
        }
        with contextlib.ExitStack() as servers:
            started = [
                servers.enter_context(server(root / "app.py", env, root, server_log(args, label, index)))
                for index in range(args.servers)
            ]
            watch = Watch([process.pid for _, process in started], log)
            return asyncio.run(run_class([url for url, _ in started], watch, args, pictures))


async def run_class(urls: list[str], watch: Watch, args, pictures: list[str]) -> dict:
    watching = asyncio.create_task(watch.run())
    lesson = Class(urls, pictures, args.seed)
    try:
        watch.enter("warm-up")
        await lesson.warm_up()
        watch.enter(ALONE)
        alone = await lesson.alone(args.alone_strokes)
        warm = watch.memory(), watch.rss(watch.pids)
        watch.enter("2 jobs")
        stop_training = asyncio.Event()
        trainers = asyncio.create_task(lesson.train(stop_training))
        began = time.perf_counter()
        while time.perf_counter() - began < args.train_alone_s or (
            lesson.epochs_timed() < args.epochs_alone and time.perf_counter() - began < MAX_ALONE_S
        ):
            await asyncio.sleep(1.0)
        watch.enter(CLASS)
        load_began = time.perf_counter()
        load = await lesson.students(args.students, args.ramp_s, args.minutes * 60)
        ended = time.perf_counter()
        stop_training.set()
        await trainers
        watch.enter("after")
        await asyncio.sleep(args.after_s)
        after = watch.memory(), watch.rss(watch.pids), watch.rss()
    finally:
        watching.cancel()
    epochs = lesson.epoch_seconds(load_began, load_began + args.ramp_s, ended)
    alone.epochs, load.epochs = epochs["alone"], epochs["load"]
    return {
        "alone": alone,
        "load": load,
        "samples": watch.samples,
        "script_ms": watch.script_ms(),
        "memory_warm": warm[0],
        "memory_after": after[0],
        "server_rss_warm": warm[1],
        "server_rss_after": after[1],
        "rss_after": after[2],
        "errors": alone.errors + load.errors + lesson.errors,
        "dropped": alone.dropped + load.dropped + lesson.dropped,
    }


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def cell(value: float | None, digits: int = 0) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def rows(figures: Figures, script: dict[str, list[float]]) -> dict[str, str]:
    """One column of the table: a measure's name to its text; `script`, the phase's timing log."""
    column = {
        "stroke to prediction, median (ms)": cell(median(figures.strokes)),
        "stroke to prediction, 90th percentile (ms)": cell(percentile(figures.strokes, 0.9)),
        "strokes answered / drawn": f"{len(figures.strokes)} / {figures.drawn}",
        "in the server: a stroke's script run, median (ms)": cell(median(script.get("draw reading", []))),
        "a drawing's run on Inside, median (ms)": cell(median(figures.inside_strokes)),
        "in the server: Explore's script run, median (ms)": cell(median(script.get("page explore", []))),
        "in the server: garbage collection, all generations (s)": cell(
            sum(sum(script.get(f"gc{generation}", [])) for generation in range(3)) / 1000, 1
        ),
        "in the server: full collections, count / longest (ms)": (
            f"{len(full)} / {cell(max(full))}" if (full := script.get("gc2")) else "0"
        ),
    }
    for page in PAGES:
        runs = figures.first_runs.get(page, [])
        column[f"first run of {page}, median / p90 (ms)"] = (
            f"{cell(median(runs))} / {cell(percentile(runs, 0.9))}" if runs else "—"
        )
    for arch, seconds in figures.epochs.items():
        column[f"{arch}: seconds per epoch"] = cell(seconds, 2)
    column["errors"] = str(len(figures.errors))
    column["sessions dropped"] = str(len(figures.dropped))
    return column


def slowdown(result: dict) -> float | None:
    ratios = [
        load / alone
        for arch, alone in result["alone"].epochs.items()
        if alone and (load := result["load"].epochs.get(arch))
    ]
    return round(max(ratios), 2) if ratios else None


def print_report(results: dict[str, dict], args) -> None:
    columns = {}
    for label, result in results.items():
        columns[f"{label}: 1 student"] = rows(result["alone"], result["script_ms"].get(ALONE, {}))
        columns[f"{label}: {args.students} students"] = rows(
            result["load"], result["script_ms"].get(CLASS, {})
        )
    names = list(next(iter(columns.values())))
    print(
        f"A class on one server: {args.students} simulated students drawing for {args.minutes:g} min "
        "while 2 of them train (the lab's MLP and the app's CNN), against 1 student alone and the "
        'jobs alone. Stroke to prediction is the server\'s round trip; "in the server" is the '
        "script's own run (the app's timing log), the rest of the round trip is spent waiting "
        "outside it."
    )
    print("| | " + " | ".join(columns) + " |")
    print("|---|" + "---|" * len(columns))
    for name in names:
        print(f"| {name} | " + " | ".join(column.get(name, "—") for column in columns.values()) + " |")
    for label, result in results.items():
        peak = max((sample.memory for sample in result["samples"]), default=0.0)
        rss_peak = max((sample.rss for sample in result["samples"]), default=0.0)
        own_peak = max((sample.server_rss for sample in result["samples"]), default=0.0)
        print(
            f"\n{label}: memory in use, the server with its trainer processes: {result['memory_warm']:.0f} MiB "
            f"warm (before the class), {peak:.0f} MiB at its peak ({rss_peak:.0f} MiB as their RSS summed, "
            f"which counts TensorFlow's libraries once a process), {result['memory_after']:.0f} MiB "
            f"{args.after_s:g} s after the class left. The server process{'es' * (args.servers > 1)} alone (RSS): "
            f"{result['server_rss_warm']:.0f} MiB warm, {own_peak:.0f} MiB at its peak, "
            f"{result['server_rss_after']:.0f} MiB after. The server over time:"
        )
        print_samples(result["samples"])
        said = result["errors"] + [f"dropped: {session}" for session in result["dropped"]]
        for error in dict.fromkeys(said):
            print(f"- {error} ({said.count(error)}x)")
    app = results["app"]
    summary = {
        "students": args.students,
        "stroke_p50_ms": rounded(median(app["load"].strokes)),
        "stroke_p90_ms": rounded(percentile(app["load"].strokes, 0.9)),
        "alone_p90_ms": rounded(percentile(app["alone"].strokes, 0.9)),
        "errors": len(app["errors"]),
        "dropped": len(app["dropped"]),
        "rss_peak_mib": rounded(max((sample.rss for sample in app["samples"]), default=0.0)),
        "rss_after_mib": rounded(app["rss_after"]),
        "memory_peak_mib": rounded(max((sample.memory for sample in app["samples"]), default=0.0)),
        "memory_after_mib": rounded(app["memory_after"]),
        "server_rss_warm_mib": rounded(app["server_rss_warm"]),
        "server_rss_after_mib": rounded(app["server_rss_after"]),
        "epoch_slowdown": slowdown(app),
    }
    print(json.dumps(summary))


def rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def print_samples(samples: list) -> None:
    """The server's CPU and memory over time, about a dozen rows."""
    if not samples:
        return
    step = max(5.0, (samples[-1].at - samples[0].at) / 12)
    print(
        "| seconds | phase | server CPU, with its trainer processes (% of one core) | server process CPU (%) "
        "| memory in use, with its trainer processes (MiB) | server process RSS (MiB) "
        "| machine load (1 min) | this script's CPU (%) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    bucket: list = []
    for sample in samples:
        bucket.append(sample)
        if sample.at - bucket[0].at >= step or sample is samples[-1]:
            cpu, server, own = (statistics.fmean(getattr(s, name) for s in bucket) for name in CPU_FIELDS)
            print(
                f"| {sample.at:.0f} | {sample.phase} | {cpu:.0f} | {server:.0f} | {sample.memory:.0f} "
                f"| {sample.server_rss:.0f} | {sample.machine_load:.1f} | {own:.0f} |"
            )
            bucket = []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--minutes", type=float, default=2.0, help="how long the class draws")
    parser.add_argument("--baseline", metavar="REV", help="also measure the app of this commit, first")
    parser.add_argument("--ramp-s", type=float, default=20.0, help="the students arrive over this")
    parser.add_argument("--alone-strokes", type=int, default=10, help="digits the student alone draws")
    parser.add_argument("--train-alone-s", type=float, default=40.0, help="the jobs train alone this long")
    parser.add_argument(
        "--epochs-alone", type=int, default=3,
        help="and on, until each job has timed this many epochs alone (at most 3 minutes)",
    )  # fmt: skip
    parser.add_argument("--after-s", type=float, default=60.0, help="memory read this long after the class")
    parser.add_argument("--training-slots", type=int, default=2, help="each server's")
    parser.add_argument(
        "--servers", type=int, default=1,
        help="app servers on the same folders, each at an address of its own; the class dealt out in turn",
    )  # fmt: skip
    parser.add_argument("--timing-log", metavar="FILE", help="keep the server's timeline in FILE")
    parser.add_argument(
        "--server-log", metavar="FILE",
        help="keep the server's output (its log, any traceback) in FILE; other servers' beside it",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.servers < 1 or args.students < 1:
        parser.error("--servers and --students must be at least 1")
    pictures = drawings(300, args.seed)
    results = {}
    with contextlib.ExitStack() as stack:
        if args.baseline:
            root = stack.enter_context(checkout(args.baseline))
            label = f"baseline {args.baseline[:10]}"
            results[label] = measure(root, args, pictures, label)
        results["app"] = measure(REPO, args, pictures)
    print_report(results, args)


if __name__ == "__main__":
    main()
