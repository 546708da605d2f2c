"""Maps computed in the background: one job per map, one heavy map at a time, failures in words."""

import threading

import pytest

from mnist_app.errors import UserError
from mnist_app.jobs import map_jobs
from mnist_app.jobs.map_jobs import WAITING_WORDS, map_job, running_job


@pytest.fixture(autouse=True)
def no_jobs_left():
    map_jobs._jobs.clear()
    yield
    map_jobs._jobs.clear()


def gated(result, started=None):
    """Work that reports half way, then waits for its gate before returning `result`."""
    gate = threading.Event()

    def work(on_progress):
        on_progress(0.5, "half way")
        if started is not None:
            started.set()
        assert gate.wait(10)
        return result

    return work, gate


def test_asking_twice_for_a_map_gets_the_same_job_and_its_result():
    work, gate = gated("the map")
    first = map_job("k", work)
    second = map_job("k", lambda on_progress: "computed twice")
    assert second is first and running_job("k") is first
    gate.set()
    assert first.wait(10) and first.done and first.result == "the map" and first.error == ""
    assert first.fraction == 1.0 and map_job("k", lambda on_progress: "again") is first, "kept a while"


def test_one_heavy_map_at_a_time_the_others_wait_saying_so():
    started = threading.Event()
    work, gate = gated("first", started)
    first = map_job("a", work)
    assert started.wait(10)
    second_started = threading.Event()
    second_work, second_gate = gated("second", second_started)
    second = map_job("b", second_work)
    light = map_job("c", lambda on_progress: "light", exclusive=False)
    assert light.wait(10) and light.result == "light", "a light job does not wait"
    assert not second_started.wait(0.3) and second.words == WAITING_WORDS and not second.done
    gate.set()
    second_gate.set()
    assert first.wait(10) and second.wait(10) and second.result == "second"


def test_a_failed_job_says_why_and_asking_again_tries_again():
    def refuse(on_progress):
        raise UserError("this model has no layer 'x' to map")

    def crash(on_progress):
        raise RuntimeError("/srv/secret/path exploded")

    failed = map_job("k", refuse)
    assert failed.wait(10) and failed.error == "this model has no layer 'x' to map" and failed.result is None
    crashed = map_job("k", crash)
    assert crashed is not failed and crashed.wait(10)
    assert "unexpected failure (RuntimeError)" in crashed.error and "/srv" not in crashed.error
    retried = map_job("k", lambda on_progress: "fine")
    assert retried.wait(10) and retried.result == "fine"


def test_finished_jobs_are_forgotten_when_old_or_too_many(monkeypatch):
    monkeypatch.setattr(map_jobs, "MAX_FINISHED", 2)
    jobs = [map_job(f"k{i}", lambda on_progress, i=i: i, exclusive=False) for i in range(4)]
    assert all(job.wait(10) for job in jobs)
    map_job("new", lambda on_progress: "x").wait(10)
    assert len(map_jobs._jobs) <= 3 and running_job("k0") is None
    monkeypatch.setattr(map_jobs, "FINISHED_SECONDS", -1)
    assert running_job("new") is None


def test_visitors_asking_for_the_same_map_at_once_share_one_job_that_runs_once():
    runs, gate = [], threading.Event()

    def work(on_progress):
        runs.append(1)
        assert gate.wait(10)
        return "the map"

    barrier, found = threading.Barrier(8), []

    def ask():
        barrier.wait()
        found.append(map_job("k", work, visitor=f"v{len(found)}"))

    askers = [threading.Thread(target=ask) for _ in range(8)]
    for asker in askers:
        asker.start()
    for asker in askers:
        asker.join(10)
    gate.set()
    assert len(found) == 8 and len({id(job) for job in found}) == 1
    assert found[0].wait(10) and found[0].result == "the map" and runs == [1]


def test_waiting_heavy_jobs_are_bounded_server_wide_and_to_one_per_visitor(monkeypatch):
    monkeypatch.setattr(map_jobs, "MAX_WAITING", 2)
    started = threading.Event()
    work, gate = gated("running", started)
    running = map_job("running", work, visitor="a")
    assert started.wait(10)
    gates = []
    for key, visitor in (("w1", "a"), ("w2", "b")):
        waiting, waiting_gate = gated(key)
        gates.append(waiting_gate)
        map_job(key, waiting, visitor=visitor)
    with pytest.raises(UserError, match="something you asked for .* is still waiting its turn"):
        map_job("w3", lambda on_progress: "no", visitor="a")
    with pytest.raises(UserError, match="the server is busy: 2 long computations are already waiting"):
        map_job("w3", lambda on_progress: "no", visitor="c")
    assert map_job("w1", lambda on_progress: "no", visitor="c").key == "w1", "joining is never refused"
    assert map_job("light", lambda on_progress: "yes", exclusive=False, visitor="c").wait(10)
    assert map_job("unnamed", lambda on_progress: "yes").key == "unnamed", "no visitor: no limits"
    for each in (gate, *gates):
        each.set()
    assert running.wait(10) and all(map_jobs._jobs[key].wait(10) for key in ("w1", "w2", "unnamed"))
    assert map_job("w3", lambda on_progress: "now", visitor="a").wait(10), "once none wait, asked again"


def test_a_job_waits_in_its_own_words_and_every_exclusive_job_counts_toward_the_limits(monkeypatch):
    monkeypatch.setattr(map_jobs, "MAX_WAITING", 1)
    started = threading.Event()
    work, gate = gated("running", started)
    running = map_job("running", work, visitor="a", waiting_words="Waiting to attack")
    assert started.wait(10)
    waiting, waiting_gate = gated("figures")
    queued = map_job("figures", waiting, visitor="b", waiting_words="Waiting for the heat maps' test")
    pause = threading.Event()
    for _ in range(500):
        if queued.words == "Waiting for the heat maps' test":
            break
        pause.wait(0.02)
    assert queued.words == "Waiting for the heat maps' test"
    with pytest.raises(UserError, match="the server is busy"):
        map_job("another", lambda on_progress: "no", visitor="c", waiting_words="Waiting to attack")
    gate.set()
    waiting_gate.set()
    assert running.wait(10) and queued.wait(10) and queued.result == "figures"


def test_a_waiting_job_nobody_asks_about_any_more_is_dropped_before_it_starts():
    started = threading.Event()
    work, gate = gated("running", started)
    running = map_job("running", work, visitor="a")
    assert started.wait(10)
    ran = []
    forgotten = map_job("forgotten", lambda on_progress: ran.append(1), visitor="b")
    followed = map_job("followed", lambda on_progress: "drawn", visitor="c")
    unnamed = map_job("unnamed", lambda on_progress: "kept")
    for job in (forgotten, unnamed):
        job.asked_at -= map_jobs.ABANDONED_SECONDS + 1
    gate.set()
    assert running.wait(10) and forgotten.wait(10) and followed.wait(10) and unnamed.wait(10)
    assert ran == [] and forgotten.error == map_jobs.ABANDONED
    assert followed.result == "drawn", "asked about lately: it runs"
    assert unnamed.result == "kept", "a job without a visitor is waited for by its caller"
