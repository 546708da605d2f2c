"""A class's jobs at once: the in-process queue against a local Ray cluster of 1 and 2 nodes.

    python benchmarks/cluster_jobs.py [--jobs 8] [--epochs 2] [--nodes 1 2] [--rounds 2]

N training jobs of the lab's MLP on the sample are submitted at once through the app's own
`TrainingJob`, as N students pressing "Start training" would; the time from submission to
the last one finished is measured with the server's in-process queue (one job at a time, the
default), then with the same jobs sent to a Ray cluster on this machine (a head without
CPUs and 1 or 2 worker nodes of one CPU each, on loopback). The first round on a fresh
cluster includes its workers starting and importing TensorFlow; later rounds find them warm.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
# Loopback only: Ray's switch, read when Ray is first imported (see `tests/support/ray_cluster.py`).
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")

from tests.support.ray_cluster import local_cluster


def run_jobs(dataset, count: int, epochs: int, slots: int = 1) -> dict:
    """Submit `count` jobs at once; when the last ended, and each job's own training time."""
    from mnist_app.jobs.training_job import DONE, TrainingJob, TrainingQueue
    from mnist_app.learning.training import TrainConfig

    queue = TrainingQueue(slots)
    began = time.perf_counter()
    jobs = [
        TrainingJob(dataset, TrainConfig("mlp", epochs=epochs), queue=queue).start() for _ in range(count)
    ]
    for job in jobs:
        job.join()
    finished_by = time.perf_counter() - began
    snapshots = [job.snapshot() for job in jobs]
    failed = [s.error for s in snapshots if s.state != DONE]
    if failed:
        raise SystemExit(f"a job did not finish: {failed[0]}")
    return {
        "finished_by": finished_by,
        "job_seconds": statistics.median(s.result.seconds for s in snapshots),
        "nodes_used": len({s.placement.split()[1] for s in snapshots if s.placement}),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--nodes", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    from mnist_app import settings
    from mnist_app.datasets.catalogue import load_dataset

    dataset = load_dataset("mnist-sample")
    rows = []
    os.environ.pop(settings.RAY_ADDRESS, None)
    for round_number in range(args.rounds):
        rows.append(
            ("in-process queue (1 at a time)", round_number + 1, run_jobs(dataset, args.jobs, args.epochs))
        )
        print(f"in-process round {round_number + 1} done", file=sys.stderr)
    for nodes in args.nodes:
        import ray

        ray_cluster, _ = local_cluster(nodes)
        os.environ[settings.RAY_ADDRESS] = ray_cluster.address
        try:
            for round_number in range(args.rounds):
                figures = run_jobs(dataset, args.jobs, args.epochs)
                rows.append((f"Ray, {nodes} worker node{'s' * (nodes > 1)}", round_number + 1, figures))
                print(f"Ray {nodes} nodes round {round_number + 1} done", file=sys.stderr)
        finally:
            ray.shutdown()
            ray_cluster.shutdown()
            os.environ.pop(settings.RAY_ADDRESS)

    baseline = rows[args.rounds - 1][2]["finished_by"]
    print(f"{args.jobs} MLP jobs of {args.epochs} epochs on mnist-sample, submitted at once")
    print(
        "| trainer | round | last job finished (s) | one job trains (s) | nodes used | vs in-process, warm |"
    )
    print("|---|---|---|---|---|---|")
    for name, round_number, figures in rows:
        print(
            f"| {name} | {round_number} | {figures['finished_by']:.1f} | {figures['job_seconds']:.1f} | "
            f"{figures['nodes_used'] or '-'} | {baseline / figures['finished_by']:.2f}x |"
        )
    # A job's whole share of a wave, overheads included: a node of one job at a time, warm.
    one_node = [
        figures for name, round_number, figures in rows if name.startswith("Ray, 1 ") and round_number > 1
    ]
    per_job_ray = (one_node or [rows[-1][2]])[-1]["finished_by"] / args.jobs
    per_job_here = baseline / args.jobs
    waves = math.ceil(30 / 10)
    print(
        f"A class of 30 on 10 worker nodes: {waves} waves of about {per_job_ray:.1f} s, the last student's "
        f"model after about {waves * per_job_ray:.0f} s, against {30 * per_job_here:.0f} s in one "
        f"machine's queue ({30 * per_job_here / (waves * per_job_ray):.0f}x sooner)."
    )


if __name__ == "__main__":
    main()
