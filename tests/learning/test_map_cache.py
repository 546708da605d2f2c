"""Maps kept on disk: read back as written, damaged or planted entries never trusted, bounded."""

import os
import zipfile

import numpy as np

from mnist_app.learning import map_cache


def entry():
    return {"points": np.ones((5, 2), np.float32), "knn": np.float64(0.5)}


def always(found):
    return True


def test_an_entry_is_read_back_as_written(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_APP_CACHE_DIR", str(tmp_path / "cache"))
    map_cache.write("k1", entry())
    found = map_cache.read("k1", always)
    assert np.array_equal(found["points"], entry()["points"]) and float(found["knn"]) == 0.5
    assert map_cache.read("missing", always) is None
    assert oct((tmp_path / "cache" / "maps").stat().st_mode & 0o777) == "0o700"


def test_damaged_refused_or_compressed_entries_read_as_missing(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_APP_CACHE_DIR", str(tmp_path))
    map_cache.write("good", entry())
    folder = map_cache.folder()
    (folder / "torn.npz").write_bytes((folder / "good.npz").read_bytes()[:100])
    with zipfile.ZipFile(folder / "deflated.npz", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("points.npy", (folder / "good.npz").read_bytes())
    (folder / "folder.npz").mkdir()
    for key in ("torn", "deflated", "folder"):
        assert map_cache.read(key, always) is None, key
    assert map_cache.read("good", lambda found: False) is None, "what the caller does not take is not used"


def test_a_cache_others_may_write_to_is_not_used(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    (cache / "maps").mkdir(parents=True)
    os.chmod(cache / "maps", 0o777)
    monkeypatch.setenv("MNIST_APP_CACHE_DIR", str(cache))
    map_cache.write("k", entry())
    assert map_cache.folder() is None and map_cache.read("k", always) is None
    assert list((cache / "maps").iterdir()) == []
    monkeypatch.setenv("MNIST_APP_CACHE_DIR", "off")
    map_cache.write("k", entry())
    assert map_cache.read("k", always) is None


def test_only_the_most_recently_used_entries_are_kept(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_APP_CACHE_DIR", str(tmp_path))
    for number in range(5):
        map_cache.write(f"k{number}", entry())
        os.utime(map_cache.folder() / f"k{number}.npz", (1000 + number, 1000 + number))
    map_cache.read("k0", always)  # used just now: kept
    abandoned = map_cache.folder() / ".k9.npz.abc.tmp"
    abandoned.write_bytes(b"half")
    os.utime(abandoned, (0, 0))
    map_cache.prune(map_cache.folder(), keep=3)
    assert sorted(path.name for path in map_cache.folder().iterdir()) == ["k0.npz", "k3.npz", "k4.npz"]
