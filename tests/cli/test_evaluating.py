"""`compare`: models measured side by side on one test split, as a user runs it."""

from tests.support import REPO
from tests.support.command_line import (
    assert_usage_error,
    last_json,
    run_cli,
)


def test_compare_prints_each_models_figures_and_who_reads_what_right(tmp_path, trained_mlp, sample):
    """The lab's MLP against the shipped CNN: figures as `evaluate` gives them, counts as NumPy's."""
    from mnist_app.learning.evaluation import evaluate
    from mnist_app.learning.model_files import load_model, save_model

    mlp = save_model(trained_mlp.model, tmp_path / "mlp.keras", trained_mlp.metadata())
    cnn = REPO / "models" / "default.keras"
    result = run_cli("compare", "--models", mlp, cnn, "--dataset", "mnist-sample")
    assert result.returncode == 0, result.stderr
    report = last_json(result.stdout)
    assert report["dataset"] == "mnist-sample" and report["n"] == 1000
    assert [m["path"] for m in report["models"]] == [str(mlp), str(cnn)]
    assert [m["arch"] for m in report["models"]] == ["mlp", "cnn"]
    assert report["models"][0]["params"] == 694_950
    assert report["models"][0]["training_seconds"] == trained_mlp.seconds
    right = []
    for entry, path in zip(report["models"], (mlp, cnn), strict=True):
        evaluated = last_json(run_cli("evaluate", "--model", path, "--dataset", "mnist-sample").stdout)
        assert entry["test_accuracy"] == evaluated["accuracy"]
        said = load_model(path).predict(sample.x_test / 255.0, verbose=0).argmax(axis=1)
        right.append(said == sample.y_test)
        assert entry["test_accuracy"] == round(
            evaluate(load_model(path), sample.x_test, sample.y_test).accuracy, 6
        )
    assert report["disagreements"] == [
        [0, int((right[0] & ~right[1]).sum())],
        [int((right[1] & ~right[0]).sum()), 0],
    ]
    assert report["all_wrong"] == int((~right[0] & ~right[1]).sum())


def test_compare_refuses_a_damaged_model_with_one_line(tmp_path):
    torn = tmp_path / "torn.keras"
    torn.write_bytes(b"PK\x03\x04 torn")
    result = run_cli(
        "compare", "--models", REPO / "models" / "default.keras", torn, "--dataset", "mnist-sample"
    )
    assert_usage_error(result, "torn.keras is not a readable .keras file")


def test_compare_refuses_a_model_of_other_classes_before_evaluating_any(tmp_path, trained_mlp):
    from mnist_app.datasets.dataset import FASHION_NAMES
    from mnist_app.learning.model_files import save_model

    fashion = save_model(trained_mlp.model, tmp_path / "fashion.keras", {"classes": list(FASHION_NAMES)})
    result = run_cli(
        "compare", "--models", REPO / "models" / "default.keras", fashion, "--dataset", "mnist-sample"
    )
    assert_usage_error(result, "fashion.keras was trained on other classes (T-shirt/top")
