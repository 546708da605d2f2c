"""Tests for mnist_app.repeating: upkeep on a background thread, once per name, through failures.

In a process of its own, as the thread lasts for the process's life.
"""

import subprocess
import sys

from tests.support import REPO

# "a" asked for twice and "b" once, the first round of "a" failing; printed: what each call
# started, each name's rounds, and the threads by name.
ROUNDS = """
import threading, time
from mnist_app.repeating import repeat_every
rounds = {"a": 0, "b": 0}
def work(name):
    rounds[name] += 1
    if name == "a" and rounds[name] == 1:
        raise RuntimeError("a failed round")
started = [
    repeat_every(0.02, lambda: work("a"), "a", at_once=True),
    repeat_every(0.02, lambda: work("a"), "a"),
    repeat_every(0.02, lambda: work("b"), "b"),
]
time.sleep(0.3)
names = sorted(t.name for t in threading.enumerate() if t.name in rounds)
print(*started, rounds["a"], rounds["b"], *names)
"""


def test_one_thread_a_name_and_the_rounds_go_on_after_one_fails():
    shown = subprocess.run(
        [sys.executable, "-c", ROUNDS], cwd=REPO, capture_output=True, text=True, check=True
    )
    first, again, other, a_rounds, b_rounds, *names = shown.stdout.split()
    assert (first, again, other) == ("True", "False", "True"), "started once a name"
    assert names == ["a", "b"]
    assert int(a_rounds) > 3 and int(b_rounds) > 3, "the rounds went on after the failed one"
    assert "a: a round failed" in shown.stderr and "a failed round" in shown.stderr, (
        "the failure is in the log"
    )
