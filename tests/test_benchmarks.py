"""Smoke runs of the benchmark scripts on tiny sizes, so they keep working; no timing is asserted."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.browser import CHROMIUM, REPO


def run_benchmark(script: str, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / script), *args],
        cwd=REPO,
        env={**os.environ, "MNIST_APP_OFFLINE": "1"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def needs_chromium():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("browser benchmarks need Debian's chromium")
        pytest.skip("browser benchmarks need Debian's chromium")


@pytest.mark.parametrize("arch", ["mlp", "cnn"])
def test_training_speed_benchmark_prints_its_table(arch):
    output = run_benchmark(
        "training_speed.py", "--arch", arch, "--dataset", "mnist-sample", "--epochs", "1", "--rounds", "1"
    )
    assert "| steady epoch (s) |" in output and "| whole run (s) |" in output and "FLOP bound" in output


def test_prediction_benchmark_prints_its_table():
    needs_chromium()
    output = run_benchmark("prediction.py", "--strokes", "5", "--browser-strokes", "1")
    assert "| total |" in output and "mouse up to the Prediction metric" in output


def test_first_page_benchmark_prints_its_table():
    needs_chromium()
    output = run_benchmark("first_page.py", "--rounds", "1", "--baseline", "HEAD")
    assert "| app: Explore |" in output and "| bare Streamlit page, one image |" in output
    assert "| baseline HEAD: Explore |" in output and "app / bare page: Explore " in output


def test_memory_benchmark_prints_its_table():
    needs_chromium()
    output = run_benchmark("memory.py", "--dataset", "mnist-sample", "--sessions", "1")
    assert "| 2 sessions, every page visited |" in output and "1 more sessions added" in output


def test_inside_benchmark_prints_its_table():
    needs_chromium()
    output = run_benchmark("inside.py", "--strokes", "3", "--browser-strokes", "1")
    assert "| integrated gradients |" in output and "mouse up to the heat map" in output


def test_drawing_sessions_benchmark_prints_its_table():
    needs_chromium()
    output = run_benchmark("drawing_sessions.py", "--sessions", "2", "--strokes", "1", "--baseline", "HEAD")
    assert "\napp " in output and "baseline (" in output and "ratio baseline/app" in output


def test_train_ready_benchmark_prints_its_table():
    needs_chromium()
    output = run_benchmark("train_ready.py", "--rounds", "1", "--read", "1", "--baseline", "HEAD")
    assert "| app (TensorFlow loads in the background) |" in output and "| baseline (HEAD) |" in output


def test_built_networks_benchmark_prints_its_table_and_ratios():
    output = run_benchmark(
        "built_networks.py", "--dataset", "mnist-sample", "--epochs", "1", "--rounds", "1",
        "--networks", "A tiny CNN", "Logistic regression",
    )  # fmt: skip
    assert "| A tiny CNN |" in output and "plain model.fit" in output
    assert '"speedup": {"A tiny CNN":' in output.splitlines()[-1]


def test_build_edits_benchmark_prints_its_table():
    needs_chromium()
    output = run_benchmark("build_edits.py", "--edits", "5", "--browser-edits", "2")
    assert "| summary, code and checks | 5 |" in output and "| the page's whole script run | 2 |" in output


@pytest.mark.cluster
def test_cluster_jobs_benchmark_prints_its_table():
    output = run_benchmark("cluster_jobs.py", "--jobs", "2", "--epochs", "1", "--nodes", "1", "--rounds", "1")
    assert "| Ray, 1 worker node | 1 |" in output and "A class of 30" in output


def test_maps_benchmark_prints_its_tables():
    output = run_benchmark(
        "maps.py", "--dataset", "mnist-sample", "--epochs", "1", "--train-size", "300", "--digits", "200",
        "--methods", "pca", "--strokes", "2",
    )  # fmt: skip
    assert "| The pixels: 784 numbers a digit | 256 |" in output and "### Placing a drawn digit" in output
    assert "mlp: The pixels" in output and "cnn: The pixels" in output


def test_trust_benchmark_prints_its_tables():
    output = run_benchmark(
        "trust.py", "--epochs", "1", "--train-size", "500", "--repeats", "2", "--deletion-digits", "5"
    )
    assert "| FGSM against ε (s) |" in output and "| lost at a 3-pixel shift |" in output


def test_classroom_benchmark_answers_every_stroke_and_prints_its_figures():
    """Three simulated students for a few seconds, while the MLP and the CNN train."""
    output = run_benchmark(
        "classroom.py", "--students", "3", "--minutes", "0.15", "--ramp-s", "1", "--alone-strokes", "2",
        "--train-alone-s", "5", "--epochs-alone", "0", "--after-s", "1",
    )  # fmt: skip
    figures = json.loads(output.splitlines()[-1])
    assert set(figures) == {
        "students", "stroke_p50_ms", "stroke_p90_ms", "alone_p90_ms", "errors", "dropped", "rss_peak_mib",
        "rss_after_mib", "epoch_slowdown", "memory_peak_mib", "memory_after_mib", "server_rss_warm_mib",
        "server_rss_after_mib",
    }  # fmt: skip
    assert 0 < figures["memory_peak_mib"] <= figures["rss_peak_mib"], "shared pages counted once, not more"
    assert figures["students"] == 3
    assert (figures["errors"], figures["dropped"]) == (0, 0), output
    answered = re.search(r"\| strokes answered / drawn \| (\d+) / (\d+) \| (\d+) / (\d+) \|", output)
    assert answered, output
    alone, alone_drawn, together, together_drawn = map(int, answered.groups())
    assert (alone, together) == (alone_drawn, together_drawn) and alone == 2 and together > 0
    assert "| first run of Compare, median / p90 (ms) |" in output
    assert "| server process RSS (MiB) |" in output
