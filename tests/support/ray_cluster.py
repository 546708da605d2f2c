"""A Ray cluster on this machine's loopback: for the cluster tests and `benchmarks/cluster_jobs.py`.

Ray resolves 127.0.0.1 to the machine's network address unless its switch for laptops,
RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0, is set before Ray is first imported: with it, every node
and every process started from here listens and connects on loopback only.
"""

from __future__ import annotations


def local_cluster(nodes: int):
    """A Ray cluster on loopback, with Ray's own test utility: a head without CPUs and
    `nodes` worker nodes of one CPU each. Returns (cluster, worker nodes)."""
    from ray._private import ray_constants
    from ray.cluster_utils import Cluster

    if ray_constants.ENABLE_RAY_CLUSTER:
        raise RuntimeError("set RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 before importing Ray: loopback only")
    node = {"num_cpus": 1, "node_ip_address": "127.0.0.1", "object_store_memory": 100 * 2**20}
    cluster = Cluster(
        initialize_head=True, head_node_args={**node, "num_cpus": 0, "include_dashboard": False}
    )
    workers = [cluster.add_node(**node) for _ in range(nodes)]
    cluster.wait_for_nodes()
    return cluster, workers
