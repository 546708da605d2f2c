"""The Trust page's figures kept on disk: read back as measured, a damaged or planted entry measured again."""

import numpy as np
import pytest

from mnist_app.learning import map_cache, trust_figures


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_APP_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture(scope="module")
def tools(trained_mlp):
    from mnist_app.learning.attacks import Attacker

    return {"model": trained_mlp.model, "attacker": Attacker(trained_mlp.model)}


def same(a, b) -> bool:
    """Dataclasses (or lists of them) equal field by field, arrays by value (NaN equal to NaN)."""
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, np.ndarray | float | np.floating):
        return np.allclose(a, b, equal_nan=True)
    if hasattr(a, "__dataclass_fields__"):
        return all(same(getattr(a, f), getattr(b, f)) for f in a.__dataclass_fields__ if f != "skipped")
    return a == b


@pytest.mark.parametrize("figure", trust_figures.FIGURES)
def test_each_figure_is_read_back_as_measured_and_not_measured_again(
    figure, cache, sample, tools, monkeypatch
):
    measured = trust_figures.compute(figure, "mlp-test", sample, **tools)
    monkeypatch.setattr(trust_figures, "measure", lambda *args: pytest.fail("measured again"))
    assert same(trust_figures.compute(figure, "mlp-test", sample, **tools), measured)
    assert same(trust_figures.kept("mlp-test", sample, figure), measured)
    assert trust_figures.kept("another-model", sample, figure) is None


def test_a_damaged_or_planted_entry_is_measured_again_and_replaced(cache, sample, tools):
    curve = trust_figures.compute("fgsm", "mlp-test", sample, **tools)
    key = trust_figures.figures_key("mlp-test", sample, "fgsm")
    path = map_cache.folder(trust_figures.NAMESPACE) / f"{key}.npz"
    planted = {name: np.asarray(value) for name, value in np.load(path).items()}
    planted["noise_accuracy"] = planted["noise_accuracy"] + 2.0  # accuracies above 100%
    map_cache.write(key, planted, trust_figures.NAMESPACE)
    assert trust_figures.kept("mlp-test", sample, "fgsm") is None
    path.write_bytes(path.read_bytes()[:64])
    assert trust_figures.kept("mlp-test", sample, "fgsm") is None
    assert same(trust_figures.compute("fgsm", "mlp-test", sample, **tools), curve)
    assert same(trust_figures.kept("mlp-test", sample, "fgsm"), curve), "the measured entry replaced it"


def test_the_figures_have_a_folder_of_their_own(cache, sample, tools):
    trust_figures.compute("calibration", "mlp-test", sample, **tools)
    assert len(list((cache / "trust").glob("*.npz"))) == 1
    assert not (cache / "maps").exists() or not list((cache / "maps").glob("*.npz"))


def test_an_unknown_figure_is_refused(sample):
    from mnist_app.errors import UserError

    with pytest.raises(UserError, match="unknown figure"):
        trust_figures.kept("mlp-test", sample, "everything")


def test_the_heat_maps_deletion_scores_are_no_figure_of_this_module_but_heat_map_trust_s():
    assert "deletion" not in trust_figures.FIGURES and set(trust_figures.HEAVY) <= set(trust_figures.FIGURES)
