"""Pruning: the models folder kept within bounds, never at the cost of a visitor still here."""

import json
import zipfile

from mnist_app.learning import pruning
from mnist_app.learning.model_files import METADATA_ENTRY
from mnist_app.learning.model_store import ModelStore


def app_model(folder, name, created, owner, saved_by="app"):
    """A model file as the store lists it: only its description is read when listing."""
    description = {"saved_by": saved_by, "owner": owner, "created": created}
    with zipfile.ZipFile(folder / f"{name}.keras", "w") as archive:
        archive.writestr(METADATA_ENTRY, json.dumps(description))


def names(folder):
    return sorted(path.stem for path in folder.glob("*.keras"))


def test_a_visitors_trainings_never_delete_a_present_visitors_model(models_dir):
    """The issue's case: cap 3, A's third model took B's while B was still connected."""
    app_model(models_dir, "cnn-mnist", "2026-01-01", "B")
    app_model(models_dir, "a-1", "2026-01-02", "A")
    app_model(models_dir, "a-2", "2026-01-03", "A")
    app_model(models_dir, "a-3", "2026-01-04", "A")
    store = ModelStore(models_dir)
    deleted = pruning.prune(store, keep="a-3", owner="A", owner_active=lambda who: who in ("A", "B"), limit=3)
    assert deleted == ["a-1"], "A loses A's own oldest"
    assert names(models_dir) == ["a-2", "a-3", "cnn-mnist"]


def test_departed_visitors_models_go_first_then_the_savers_own_oldest(models_dir):
    app_model(models_dir, "oldest-present", "2026-01-01", "present")
    app_model(models_dir, "old-gone", "2026-02-01", "gone")
    app_model(models_dir, "new-gone", "2026-03-01", "gone")
    app_model(models_dir, "from-before-owners", "2026-03-15", "")
    app_model(models_dir, "newest", "2026-04-01", "present")
    app_model(models_dir, "default", "2020-01-01", "", saved_by="cli")
    app_model(models_dir, "from-the-shell", "2020-01-01", "", saved_by="cli")
    store = ModelStore(models_dir)
    deleted = pruning.prune(
        store, keep="newest", owner="present", owner_active=lambda who: who == "present", limit=2
    )
    assert deleted == ["old-gone", "new-gone", "from-before-owners"]
    assert names(models_dir) == ["default", "from-the-shell", "newest", "oldest-present"]
    deleted = pruning.prune(store, keep="newest", owner="present", owner_active=lambda who: True, limit=1)
    assert deleted == ["oldest-present"], "only the saver's own are left to go"


def test_when_only_present_visitors_models_are_left_the_folder_waits_for_them_to_leave(models_dir):
    app_model(models_dir, "b-1", "2026-01-01", "B")
    app_model(models_dir, "c-1", "2026-01-02", "C")
    app_model(models_dir, "a-1", "2026-01-03", "A")
    store = ModelStore(models_dir)
    assert pruning.prune(store, keep="a-1", owner="A", owner_active=lambda who: True, limit=2) == []
    assert names(models_dir) == ["a-1", "b-1", "c-1"]
    b_left = pruning.prune(store, keep="a-1", owner="A", owner_active=lambda who: who != "B", limit=2)
    assert b_left == ["b-1"]


def test_a_visitor_over_their_share_loses_their_own_oldest_even_below_the_cap(models_dir, monkeypatch):
    monkeypatch.setenv("MNIST_APP_SHARED", "1")
    monkeypatch.setenv("MNIST_APP_MODELS_PER_VISITOR", "2")
    for n in range(1, 5):
        app_model(models_dir, f"a-{n}", f"2026-01-0{n}", "A")
    app_model(models_dir, "b-1", "2026-01-01", "B")
    store = ModelStore(models_dir)
    deleted = pruning.prune(store, keep="a-4", owner="A", owner_active=lambda who: True)
    assert deleted == ["a-1", "a-2"]
    assert names(models_dir) == ["a-3", "a-4", "b-1"]


def test_the_share_is_the_cap_unless_the_server_is_shared(monkeypatch):
    monkeypatch.setenv("MNIST_APP_MAX_MODELS", "7")
    monkeypatch.setenv("MNIST_APP_MODELS_PER_VISITOR", "3")
    monkeypatch.delenv("MNIST_APP_SHARED", raising=False)
    assert pruning.models_per_visitor() == 7
    monkeypatch.setenv("MNIST_APP_SHARED", "1")
    assert pruning.models_per_visitor() == 3
    monkeypatch.setenv("MNIST_APP_MODELS_PER_VISITOR", "none")
    assert pruning.models_per_visitor() == 10


def test_a_visitor_is_present_while_their_browser_session_is_connected(models_dir, monkeypatch):
    """Pruning asks `visitor_present`, which asks Streamlit's runtime about the token's session."""
    from mnist_app.web import visitors

    connected = {"session-b"}

    class Runtime:
        @staticmethod
        def exists():
            return True

        @staticmethod
        def instance():
            return Runtime

        @staticmethod
        def is_active_session(session_id):
            return session_id in connected

    monkeypatch.setattr(visitors, "Runtime", Runtime)
    monkeypatch.setitem(visitors._SESSIONS_BY_TOKEN, "B", "session-b")
    monkeypatch.setitem(visitors._SESSIONS_BY_TOKEN, "A", "session-a")
    connected.add("session-a")
    app_model(models_dir, "b-1", "2026-01-01", "B")
    app_model(models_dir, "a-1", "2026-01-02", "A")
    app_model(models_dir, "a-2", "2026-01-03", "A")
    store = ModelStore(models_dir)
    deleted = pruning.prune(store, keep="a-2", owner="A", owner_active=visitors.visitor_present, limit=2)
    assert deleted == ["a-1"], "B is connected: A loses A's own"
    connected.discard("session-b")
    app_model(models_dir, "a-3", "2026-01-04", "A")
    deleted = pruning.prune(store, keep="a-3", owner="A", owner_active=visitors.visitor_present, limit=2)
    assert deleted == ["b-1"], "B has left"
    assert names(models_dir) == ["a-2", "a-3"]
