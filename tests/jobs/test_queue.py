"""The trainer's queue: visitors take turns, each holds a few jobs at most, the line has an end."""

import threading

import pytest

from mnist_app.jobs.queue import QueueFull, TrainingQueue

NEVER = threading.Event()


def tickets(visitor, count):
    return [f"{visitor}{n}" for n in range(1, count + 1)]


def order(queue, waiting):
    """The waiting tickets as the queue would start them (its positions, 1 first)."""
    return sorted(waiting, key=queue.position)


def run_through(queue, waiting):
    """Start every waiting job, one slot, one at a time; the order they started in."""
    started, running = [], None
    while len(started) < len(waiting):
        if running is not None:
            queue.release(running)
        running = order(queue, [t for t in waiting if t not in started])[0]
        assert queue.acquire(running, NEVER)
        started.append(running)
    return started


def test_a_visitors_one_job_waits_one_turn_per_visitor_ahead_not_behind_every_queued_job():
    """Four tabs with two long jobs each, the first training: the victim's job is not number 7."""
    queue = TrainingQueue(1, per_visitor=2)
    tabs = {tab: [f"{tab}-a", f"{tab}-b"] for tab in ("t1", "t2", "t3", "t4")}
    queue.join(*tabs["t1"], visitor="t1")
    assert queue.acquire("t1-a", NEVER)
    for tab in ("t2", "t3", "t4"):
        queue.join(*tabs[tab], visitor=tab)
    queue.join("victim", visitor="victim")
    waiting = ["t1-b", "t2-a", "t2-b", "t3-a", "t3-b", "t4-a", "t4-b", "victim"]
    assert queue.position("victim") == 4
    assert order(queue, waiting) == ["t2-a", "t3-a", "t4-a", "victim", "t1-b", "t2-b", "t3-b", "t4-b"]


def test_visitors_take_turns_one_job_each_per_round():
    queue = TrainingQueue(1, per_visitor=10)
    a, b, c = tickets("a", 4), tickets("b", 2), tickets("c", 1)
    queue.join(*a, visitor="a")
    queue.join(*b, visitor="b")
    queue.join(*c, visitor="c")
    assert run_through(queue, a + b + c) == ["a1", "b1", "c1", "a2", "b2", "a3", "a4"]


def test_one_visitors_later_jobs_never_push_back_anyone_already_waiting():
    queue = TrainingQueue(1, per_visitor=10)
    queue.join("a1", visitor="a")
    assert queue.acquire("a1", NEVER)
    queue.join("v1", visitor="v")
    for n in range(2, 6):
        queue.join(f"a{n}", visitor="a")
        assert queue.position("v1") == 1
    queue.release("a1")
    assert queue.acquire("v1", NEVER)
    queue.join("w1", visitor="w")
    assert queue.position("w1") == 1, "w has not had a turn this round; a has"
    assert queue.position("a2") == 2


def test_a_visitor_who_waited_idle_saves_up_no_turns():
    queue = TrainingQueue(1, per_visitor=10)
    queue.join(*tickets("a", 3), visitor="a")
    for ticket in tickets("a", 3):
        assert queue.acquire(ticket, NEVER)
        queue.release(ticket)
    queue.join("a4", "a5", visitor="a")
    queue.join("b1", "b2", visitor="b")
    assert run_through(queue, ["a4", "a5", "b1", "b2"]) == ["b1", "a4", "b2", "a5"], (
        "b has had no turn this round"
    )


def test_one_visitor_alone_and_the_command_line_keep_first_come_first_served():
    queue = TrainingQueue(1)
    queue.join("x", "y", visitor="")
    queue.join("z", visitor="")
    assert run_through(queue, ["x", "y", "z"]) == ["x", "y", "z"]


def test_a_visitor_holds_at_most_their_share_of_jobs_queued_or_training():
    queue = TrainingQueue(1, per_visitor=2)
    queue.join("a1", "a2", visitor="a")
    with pytest.raises(
        QueueFull, match="one visitor have 2 training jobs queued or training at once; you have 2"
    ):
        queue.join("a3", visitor="a")
    assert queue.acquire("a1", NEVER)
    with pytest.raises(QueueFull, match="you have 2"):
        queue.join("a3", visitor="a")
    queue.release("a1")
    queue.join("a3", visitor="a")
    queue.leave("a2")
    with pytest.raises(QueueFull):
        queue.join("a4", "a5", visitor="a")
    assert queue.position("a4") == queue.position("a5") == 0, "all or none"
    queue.join("cli1", "cli2", "cli3", visitor="")


def test_asking_for_more_jobs_at_once_than_a_visitor_may_hold_says_to_ask_for_fewer():
    """Waiting could never make room for such a request: the hostile tester's four variants at two."""
    queue = TrainingQueue(1, per_visitor=2)
    with pytest.raises(QueueFull, match="and this asks for 4: choose at most 2$"):
        queue.join("a1", "a2", "a3", "a4", visitor="a")


def test_the_limit_per_visitor_is_a_setting(monkeypatch):
    monkeypatch.setenv("MNIST_APP_JOBS_PER_VISITOR", "1")
    queue = TrainingQueue(1)
    queue.join("a1", visitor="a")
    with pytest.raises(QueueFull, match="one visitor have 1 training job queued"):
        queue.join("a2", visitor="a")
    monkeypatch.setenv("MNIST_APP_JOBS_PER_VISITOR", "3")
    queue.join("a2", "a3", visitor="a")


def test_the_whole_line_has_an_end(monkeypatch):
    monkeypatch.setenv("MNIST_APP_MAX_QUEUED_JOBS", "3")
    queue = TrainingQueue(1, per_visitor=5)
    queue.join("a1", "a2", visitor="a")
    queue.join("b1", visitor="b")
    with pytest.raises(QueueFull, match=r"the trainer's queue is full \(3 jobs wait\)"):
        queue.join("c1", visitor="c")
    assert queue.acquire("a1", NEVER)
    queue.join("c1", visitor="c")


def test_a_job_that_leaves_the_line_frees_its_turn_and_its_place():
    queue = TrainingQueue(1, per_visitor=2)
    queue.join("a1", "a2", visitor="a")
    queue.join("b1", visitor="b")
    stop = threading.Event()
    stop.set()
    assert not queue.acquire("b1", stop)
    assert queue.position("b1") == 0 and queue.position("a2") == 2
    queue.join("b2", visitor="b")
    assert order(queue, ["a1", "a2", "b2"]) == ["a1", "b2", "a2"]


def test_with_several_slots_the_positions_still_count_down_to_a_start():
    """A cluster sizes the queue to its room: positions are places among those still waiting."""
    queue = TrainingQueue(1, per_visitor=5)
    queue.join(*tickets("a", 3), visitor="a")
    queue.join("b1", visitor="b")
    queue.resize(2)
    assert queue.acquire("a1", NEVER) and queue.acquire("b1", NEVER)
    assert [queue.position(t) for t in ("a2", "a3")] == [1, 2]
    started = threading.Event()
    waiter = threading.Thread(target=lambda: queue.acquire("a2", NEVER) and started.set())
    waiter.start()
    assert not started.wait(0.3), "both slots are taken"
    queue.release("b1")
    assert started.wait(5) and queue.position("a3") == 1
    waiter.join()


def test_a_queue_without_fixed_slots_follows_the_setting_as_it_changes(monkeypatch):
    monkeypatch.setenv("MNIST_APP_TRAINING_SLOTS", "1")
    queue = TrainingQueue()
    assert queue.slots == 1
    monkeypatch.setenv("MNIST_APP_TRAINING_SLOTS", "3")
    assert queue.slots == 3
    queue.resize(5)
    monkeypatch.setenv("MNIST_APP_TRAINING_SLOTS", "2")
    assert queue.slots == 5, "a cluster's room, once known, is the queue's"
