"""What several test modules share (and the benchmarks too): helpers, never tests."""

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
