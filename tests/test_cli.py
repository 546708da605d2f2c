"""The command line, run as a user runs it: `python -m mnist_app ...` in a subprocess."""

import gzip
import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

REPO = Path(__file__).resolve().parent.parent


def run_cli(*args, models_dir=None, timeout=300):
    env = {**os.environ, "MNIST_APP_OFFLINE": "1"}
    if models_dir is not None:
        env["MNIST_APP_MODELS_DIR"] = str(models_dir)
    return subprocess.run(
        [sys.executable, "-m", "mnist_app", *map(str, args)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def last_json(stdout: str) -> dict:
    return json.loads(stdout.strip().splitlines()[-1])


def assert_usage_error(result, fragment):
    """Exit 2 and exactly one line on stderr naming the problem: no traceback, no log lines."""
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and fragment in lines[0], result.stderr
    assert "\x1b" not in result.stderr, "no terminal escape codes"


def write_idx(path, array):
    magic = 0x0803 if array.ndim == 3 else 0x0801
    header = struct.pack(f">I{array.ndim}I", magic, *array.shape)
    path.write_bytes(gzip.compress(header + array.astype(np.uint8).tobytes()))


def draw_digit_image(path, digit_strokes, dark_on_light=False):
    """A 200x200 photo-like image of strokes: lines given as point lists."""
    background, ink = (255, 0) if dark_on_light else (0, 255)
    image = Image.new("L", (200, 200), background)
    draw = ImageDraw.Draw(image)
    for stroke in digit_strokes:
        draw.line(stroke, fill=ink, width=14, joint="curve")
    image.save(path)


ONE = [[(100, 30), (100, 170)]]
SEVEN = [[(50, 40), (150, 40), (85, 170)]]


def test_data_prints_the_dataset_figures_as_json():
    result = run_cli("data", "--dataset", "mnist-sample")
    assert result.returncode == 0, result.stderr
    assert last_json(result.stdout) == {
        "dataset": "mnist-sample",
        "source": last_json(result.stdout)["source"],
        "train": 4000,
        "test": 1000,
        "classes": [str(d) for d in range(10)],
    }


def test_data_auto_falls_back_to_the_sample_offline():
    result = run_cli("data")
    assert result.returncode == 0 and last_json(result.stdout)["dataset"] == "mnist-sample"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["data", "--dataset", "imagenet"], "unknown dataset 'imagenet'"),
        (["data", "--dataset", "/no/such/folder"], "no such dataset file or folder"),
        (["train", "--epochs", "0"], "epochs must lie in 1..10,000"),
        (["train", "--arch", "resnet"], "unknown architecture 'resnet'"),
        (["evaluate", "--model", "/no/such.keras", "--dataset", "mnist-sample"], "no such model file"),
        (["predict", "/no/such.png"], "no such image file"),
        (["compare", "--models", "models/default.keras"], "at least two models"),
        (["compare", "--models", "models/default.keras", "/no/such.keras"], "no such model file"),
        (
            ["compare", "--models", "models/default.keras", "models/default.keras", "--dataset", "x"],
            "unknown dataset 'x'",
        ),
        (["compare"], "the following arguments are required: --models"),
        (["lab", "--export", "lab.txt"], "must name a .ipynb or a .py file"),
        (["lab", "--export", "/tmp"], "must name a .ipynb or a .py file"),
        (["lab", "--export", "x.ipynb", "--epochs", "0"], "epochs must lie in 1..10,000"),
        (["lab", "--export", "x.py", "--batch-size", "-3"], "batch size must lie in 1..65,536"),
        (["lab", "--export", "x.py", "--dataset", "/no/such/folder"], "no such dataset file or folder"),
    ],
)
def test_bad_input_exits_2_with_one_line(args, fragment):
    assert_usage_error(run_cli(*args), fragment)


def test_truncated_idx_files_exit_2(tmp_path, sample):
    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", sample.x_test[:10])
    labels = tmp_path / "t10k-labels-idx1-ubyte.gz"
    write_idx(labels, sample.y_test[:10])
    labels.write_bytes(gzip.compress(gzip.decompress(labels.read_bytes())[:-3]))
    for split in ("train",):
        write_idx(tmp_path / f"{split}-images-idx3-ubyte.gz", sample.x_train[:10])
        write_idx(tmp_path / f"{split}-labels-idx1-ubyte.gz", sample.y_train[:10])
    assert_usage_error(run_cli("data", "--dataset", tmp_path), "truncated")


def test_data_and_digits_import_read_datasets_whose_names_are_not_utf8(tmp_path, sample):
    """Linux names are bytes and 0xff is never UTF-8: such a name is the file's, not an error."""
    folder = os.path.join(os.fsencode(tmp_path), b"scans\xff")
    os.mkdir(folder)
    for split, images, labels in [
        ("train", sample.x_train[:30], sample.y_train[:30]),
        ("t10k", sample.x_test[:12], sample.y_test[:12]),
    ]:
        write_idx(Path(os.fsdecode(folder)) / f"{split}-images-idx3-ubyte.gz", images)
        write_idx(Path(os.fsdecode(folder)) / f"{split}-labels-idx1-ubyte.gz", labels)
    archive = os.path.join(os.fsencode(tmp_path), b"mine\xff.npz")
    with open(archive, "wb") as file:
        np.savez(
            file,
            x_train=sample.x_train[:20],
            y_train=sample.y_train[:20],
            x_test=sample.x_test[:8],
            y_test=sample.y_test[:8],
        )

    for path, counts in [(folder, (30, 12)), (archive, (20, 8))]:
        result = run_cli("data", "--dataset", os.fsdecode(path))
        assert result.returncode == 0, result.stderr
        summary = last_json(result.stdout)
        assert (summary["train"], summary["test"]) == counts
        assert summary["source"] == os.fsdecode(path).replace("\udcff", "\\xff")

    env = {**os.environ, "MNIST_APP_OFFLINE": "1", "MNIST_APP_DATA_DIR": str(tmp_path)}
    imported = subprocess.run([sys.executable, "-m", "mnist_app", "digits", "import", os.fsdecode(archive)], cwd=REPO,
                              env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert imported.returncode == 0, imported.stderr
    assert last_json(imported.stdout)["added"] == 28


def test_train_evaluate_predict_round_trip(tmp_path, sample):
    """Train the lab's MLP, evaluate it on a folder of t10k IDX files, read drawn digits."""
    output = tmp_path / "lab.keras"
    trained = run_cli(
        "train", "--dataset", "mnist-sample", "--arch", "mlp", "--epochs", "2", "--batch-size", "64",
        "--output", output,
    )  # fmt: skip
    assert trained.returncode == 0, trained.stderr
    summary = last_json(trained.stdout)
    assert summary["model_path"] == str(output) and output.is_file()
    assert summary["arch"] == "mlp" and summary["dataset"] == "mnist-sample" and summary["epochs"] == 2
    assert len(summary["epoch_seconds"]) == 2 and summary["test_accuracy"] > 0.85
    assert "epoch 2/2" in trained.stderr

    test_only = tmp_path / "t10k"
    test_only.mkdir()
    write_idx(test_only / "t10k-images-idx3-ubyte.gz", sample.x_test)
    write_idx(test_only / "t10k-labels-idx1-ubyte.gz", sample.y_test)
    evaluated = run_cli("evaluate", "--model", output, "--dataset", test_only)
    assert evaluated.returncode == 0, evaluated.stderr
    figures = last_json(evaluated.stdout)
    assert figures["n"] == 1000 and abs(figures["accuracy"] - summary["test_accuracy"]) < 1e-4
    assert np.array(figures["confusion"]).sum() == 1000


def test_predict_reads_drawn_digits_with_the_shipped_default_model(tmp_path):
    one, seven, blank = tmp_path / "one.png", tmp_path / "seven.jpg", tmp_path / "blank.png"
    draw_digit_image(one, ONE)
    draw_digit_image(seven, SEVEN, dark_on_light=True)
    Image.new("L", (100, 100), 0).save(blank)
    result = run_cli("predict", one, seven, blank, models_dir=REPO / "models")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.strip().splitlines()]
    assert [line["digit"] for line in lines] == [1, 7, None]
    assert len(lines[0]["probabilities"]) == 10 and abs(sum(lines[0]["probabilities"]) - 1) < 1e-3
    assert lines[0]["confidence"] == max(lines[0]["probabilities"])
    assert "draw a digit" in lines[2]["reason"]


def test_predict_refuses_a_text_file_named_png(tmp_path):
    fake = tmp_path / "fake.png"
    fake.write_text("hello, I am not an image")
    result = run_cli("predict", "--model", REPO / "models" / "default.keras", fake)
    assert_usage_error(result, "not a readable image")


def test_corrupt_model_file_exits_2(tmp_path):
    corrupt = tmp_path / "corrupt.keras"
    corrupt.write_bytes(b"PK\x03\x04 this zip is torn")
    assert_usage_error(
        run_cli("evaluate", "--model", corrupt, "--dataset", "mnist-sample"), "cannot load model"
    )


def test_hostile_model_is_refused_by_the_command_line_and_its_code_never_runs(hostile_model, tmp_path):
    path, marker = hostile_model
    image = tmp_path / "one.png"
    draw_digit_image(image, ONE)
    assert_usage_error(run_cli("predict", "--model", path, image), "Python code")
    assert_usage_error(run_cli("evaluate", "--model", path, "--dataset", "mnist-sample"), "Python code")
    assert not marker.exists()


def test_huge_image_is_refused_without_decoding_it(tmp_path):
    """A 20000x20000 picture (400 million pixels) is refused from its header alone."""
    huge = tmp_path / "huge.png"
    Image.new("1", (20000, 20000)).save(huge)
    result = run_cli("predict", "--model", REPO / "models" / "default.keras", huge)
    assert_usage_error(result, "too many pixels")


def test_train_output_without_a_suffix_gets_one_that_evaluate_reads(tmp_path):
    trained = run_cli("train", "--dataset", "mnist-sample", "--epochs", "1", "--output", tmp_path / "noext")
    assert trained.returncode == 0, trained.stderr
    assert last_json(trained.stdout)["model_path"] == str(tmp_path / "noext.keras")
    evaluated = run_cli("evaluate", "--model", tmp_path / "noext.keras", "--dataset", "mnist-sample")
    assert evaluated.returncode == 0, evaluated.stderr


@pytest.mark.parametrize(
    ("output", "fragment"),
    [
        ("model.h5", "must be a .keras file"),
        (".", "is a folder"),
        ("README.md/x.keras", "cannot write a model into README.md"),
    ],
)
def test_train_refuses_an_output_it_could_not_write_before_training(output, fragment):
    assert_usage_error(
        run_cli("train", "--dataset", "mnist-sample", "--output", output, timeout=60), fragment
    )


def test_argument_errors_are_one_line_too():
    assert_usage_error(run_cli("train", "--epochs", "many"), "invalid int value: 'many'")


def hostile_inputs(folder: Path) -> list[tuple[list, str]]:
    """Command lines a hostile user might type, and the words each refusal must hold."""
    fifo = folder / "x.npz"
    os.mkfifo(fifo)
    overflow = folder / "overflow"
    overflow.mkdir()
    for split in ("train", "t10k"):
        (overflow / f"{split}-images-idx3-ubyte").write_bytes(struct.pack(">IIII", 0x0803, 2**31, 2**31, 4))
        (overflow / f"{split}-labels-idx1-ubyte").write_bytes(struct.pack(">II", 0x0801, 2**31))
    strings = folder / "strings.npz"
    np.savez(
        strings, x_train=np.array(["a"] * 4), y_train=np.zeros(4), x_test=np.array(["b"]), y_test=np.zeros(1)
    )
    escape = folder / "\x1b[31mred\nline.png"
    escape.write_text("not an image")
    eps = folder / "digit.png"
    eps.write_bytes(b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n")
    misfit = folder / "misfit.keras"
    subprocess.run(
        [sys.executable, "-c", f"import keras; keras.Sequential([keras.Input((784,)), keras.layers.Dense(10)]).save({str(misfit)!r})"],
        check=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )  # fmt: skip
    default = REPO / "models" / "default.keras"
    return [
        (["data", "--dataset", fifo], "not a regular file"),
        (["data", "--dataset", "~nosuchuser/x"], "nosuchuser"),
        (["data", "--dataset", folder / ("x" * 300)], "x" * 20),
        (["data", "--dataset", overflow], "overflow"),
        (["data", "--dataset", strings], "strings.npz"),
        (["predict", "--model", default, escape], "\\x1b[31mred\\nline.png"),
        (["predict", "--model", default, eps], "digit.png"),
        (["predict", "--model", default, fifo], "x.npz"),
        (["evaluate", "--model", misfit, "--dataset", "mnist-sample"], "(784,)"),
        (["evaluate", "--model", fifo, "--dataset", "mnist-sample"], "x.npz"),
    ]


def test_hostile_input_gets_one_line_naming_the_file_and_exit_2(tmp_path):
    for args, fragment in hostile_inputs(tmp_path):
        assert_usage_error(run_cli(*args, timeout=60), fragment)


def test_explain_prints_the_input_the_attribution_and_every_layer(tmp_path):
    seven = tmp_path / "seven.png"
    draw_digit_image(seven, SEVEN)
    heat_maps = tmp_path / "heat"
    result = run_cli("explain", "--method", "grad-cam", "--png", heat_maps, seven, models_dir=REPO / "models")
    assert result.returncode == 0, result.stderr
    line = last_json(result.stdout)
    assert line["image"] == str(seven) and line["digit"] == 7 and line["target"] == 7
    assert line["method"] == "grad-cam"
    assert np.array(line["input"]).shape == (28, 28) and np.array(line["attribution"]).shape == (28, 28)
    assert min(min(row) for row in line["attribution"]) >= 0, "Grad-CAM is non-negative"
    shapes = [layer["shape"] for layer in line["layers"]]
    assert shapes[0] == [26, 26, 32] and shapes[-1] == [10]
    assert Image.open(heat_maps / "seven-grad-cam.png").size == (224, 224)


def test_explain_why_not_another_class_with_integrated_gradients(tmp_path):
    seven = tmp_path / "seven.png"
    draw_digit_image(seven, SEVEN)
    result = run_cli("explain", "--target", "1", seven, models_dir=REPO / "models")
    assert result.returncode == 0, result.stderr
    line = last_json(result.stdout)
    assert line["method"] == "integrated-gradients" and line["target"] == 1 and line["digit"] == 7


def test_explain_refuses_what_it_cannot_do_with_one_line(tmp_path, trained_mlp):
    from mnist_app.learning.model_store import save_model

    seven = tmp_path / "seven.png"
    draw_digit_image(seven, SEVEN)
    mlp = save_model(trained_mlp.model, tmp_path / "mlp.keras", trained_mlp.metadata())
    assert_usage_error(
        run_cli("explain", "--model", mlp, "--method", "grad-cam", seven), "convolutional layer"
    )
    default = REPO / "models" / "default.keras"
    assert_usage_error(run_cli("explain", "--model", default, "--target", "12", seven), "12")
    assert_usage_error(run_cli("explain", "--model", default, "--method", "magic", seven), "magic")


def test_compare_prints_each_models_figures_and_who_reads_what_right(tmp_path, trained_mlp, sample):
    """The lab's MLP against the shipped CNN: figures as `evaluate` gives them, counts as NumPy's."""
    from mnist_app.learning.evaluation import evaluate
    from mnist_app.learning.model_store import load_model, save_model

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


def test_lab_exports_a_notebook_and_a_script_for_the_dataset_chosen(tmp_path):
    import nbformat

    result = run_cli("lab", "--export", tmp_path / "lab.ipynb", "--dataset", "mnist-sample", "--epochs", "2")
    assert result.returncode == 0, result.stderr
    assert last_json(result.stdout) == {
        "path": str(tmp_path / "lab.ipynb"), "format": "notebook", "dataset": "mnist-sample", "epochs": 2,
        "batch_size": 32,
    }  # fmt: skip
    document = nbformat.read(tmp_path / "lab.ipynb", as_version=4)
    nbformat.validate(document)
    assert any("mlxtend" in cell.source for cell in document.cells)
    assert any("epochs=2" in cell.source for cell in document.cells)
    result = run_cli("lab", "--export", tmp_path / "lab.py", "--dataset", "mnist-sample")
    assert result.returncode == 0, result.stderr
    compile((tmp_path / "lab.py").read_text(), "lab.py", "exec")
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")], "no temporary file left"


def test_compare_refuses_a_model_of_other_classes_before_evaluating_any(tmp_path, trained_mlp):
    from mnist_app.datasets.catalogue import FASHION_NAMES
    from mnist_app.learning.model_store import save_model

    fashion = save_model(trained_mlp.model, tmp_path / "fashion.keras", {"classes": list(FASHION_NAMES)})
    result = run_cli(
        "compare", "--models", REPO / "models" / "default.keras", fashion, "--dataset", "mnist-sample"
    )
    assert_usage_error(result, "fashion.keras was trained on other classes (T-shirt/top")


def test_digits_add_list_export_import_round_trip(tmp_path):
    env_dir = tmp_path / "data"
    env_dir.mkdir()
    seven = tmp_path / "seven.png"
    draw_digit_image(seven, [[(40, 40), (160, 40), (90, 170)]])

    def digits(*args):
        env = {**os.environ, "MNIST_APP_OFFLINE": "1", "MNIST_APP_DATA_DIR": str(env_dir)}
        return subprocess.run([sys.executable, "-m", "mnist_app", "digits", *map(str, args)], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=120)  # fmt: skip

    assert last_json(digits("list").stdout) == {"train": [0] * 10, "test": [0] * 10, "total": 0}
    added = digits("add", "--label", "7", seven, seven)
    assert added.returncode == 0, added.stderr
    report = last_json(added.stdout)
    assert [entry["image"] for entry in report["added"]] == [str(seven)] * 2 and report["total"] == 2
    assert report["train"][7] + report["test"][7] == 2
    exported = digits("export", "--output", tmp_path / "mine.npz")
    assert exported.returncode == 0, exported.stderr
    with np.load(tmp_path / "mine.npz") as archive:
        assert sorted(archive.files) == ["x_test", "x_train", "y_test", "y_train"]
        assert archive["x_train"].shape[1:] == (28, 28) and set(archive["y_train"]) | set(
            archive["y_test"]
        ) == {7}
    imported = digits("import", tmp_path / "mine.npz")
    assert imported.returncode == 0, imported.stderr
    assert last_json(imported.stdout)["total"] == 4
    blank = tmp_path / "blank.png"
    Image.new("L", (50, 50)).save(blank)
    assert_usage_error(digits("add", "--label", "1", seven, blank), "blank.png: draw a digit")
    assert_usage_error(digits("add", "--label", "10", seven), "whole number from 0 to 9")
    assert last_json(digits("list").stdout)["total"] == 4, "a failed add keeps nothing"
    (env_dir / "my-digits.sqlite3").write_bytes(b"garbage" * 1000)
    assert_usage_error(digits("list"), "my-digits.sqlite3 in the data folder cannot be used")
    assert_usage_error(digits("export", "--output", tmp_path / "x.txt"), "must name an .npz file")
    assert_usage_error(digits("import", tmp_path / "absent.npz"), "no such file")


def test_train_from_a_model_on_my_digits_replays_and_reports_before_and_after(tmp_path, trained_mlp, sample):
    from mnist_app.datasets.digit_store import DigitStore
    from mnist_app.learning.model_store import read_metadata, save_model

    data = tmp_path / "data"
    data.mkdir()
    DigitStore(data).add_many(list(sample.x_train[:60]), [int(y) for y in sample.y_train[:60]])
    base = save_model(trained_mlp.model, tmp_path / "base.keras", trained_mlp.metadata())
    env = {**os.environ, "MNIST_APP_OFFLINE": "1", "MNIST_APP_DATA_DIR": str(data)}
    result = subprocess.run(
        [sys.executable, "-m", "mnist_app", "train", "--from-model", str(base), "--dataset", "my-digits",
         "--replay", "mnist-sample", "--epochs", "1", "--output", str(tmp_path / "tuned.keras")],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = last_json(result.stdout)
    assert report["fine_tuned_from"] == "base" and report["learning_rate"] == 0.0003
    assert [row["test split"] for row in report["before_after"]] == ["my-digits", "mnist-sample"]
    assert read_metadata(tmp_path / "tuned.keras")["fine_tuned_from"] == "base"
    assert_usage_error(run_cli("train", "--replay", "mnist-sample"), "give --from-model too")


# --- Refusals before TensorFlow, one line for the whole run, no NaN, full disks ------------

WATCH_IMPORTS = (
    "import sys, mnist_app.cli.commands; status = mnist_app.cli.commands.main(sys.argv[1:]); "
    "print('tensorflow imported' if 'tensorflow' in sys.modules else 'no tensorflow'); sys.exit(status)"
)


def run_cli_watching_imports(*args, **env):
    """`run_cli`, whose last stdout line says whether TensorFlow was imported."""
    return subprocess.run(
        [sys.executable, "-c", WATCH_IMPORTS, *map(str, args)],
        cwd=REPO,
        env={**os.environ, "MNIST_APP_OFFLINE": "1", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def save_small_model(path, *, weights=None, softmax=True, description=None):
    """A 28x28-to-10 model of the app's shape: NaN weights, no softmax, or a description, as asked."""
    import keras

    from mnist_app.learning.model_store import METADATA_ENTRY

    model = keras.Sequential(
        [
            keras.Input((28, 28)),
            keras.layers.Flatten(),
            keras.layers.Dense(10, "softmax" if softmax else None),
        ]
    )
    if weights is not None:
        model.set_weights([np.full_like(w, weights) for w in model.get_weights()])
    model.save(path)
    if description is not None:
        import zipfile

        with zipfile.ZipFile(path, "a") as archive:
            archive.writestr(METADATA_ENTRY, description)
    return path


def refusals_needing_no_tensorflow(folder: Path) -> list[tuple[list, str]]:
    """Command lines whose refusal needs neither a model loaded nor TensorFlow, with its words."""
    one = folder / "one.png"
    draw_digit_image(one, ONE)
    empty = folder / "empty.png"
    empty.write_bytes(b"")
    eps = folder / "digit.png"
    eps.write_bytes(b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n")
    fifo = folder / "pipe.keras"
    os.mkfifo(fifo)
    (folder / "folder.keras").mkdir()
    default = REPO / "models" / "default.keras"
    not_utf8 = folder / "x\udcff"
    return [
        (["train", "--epochs", "0"], "epochs must lie in 1..10,000"),
        (["train", "--batch-size", "0"], "batch size must lie in 1..65,536"),
        (["train", "--learning-rate", "5"], "learning rate must lie in (0, 1]"),
        (["train", "--arch", "resnet"], "unknown architecture 'resnet'"),
        (["train", "--output", f"{not_utf8}.keras"], "x\\xff.keras is not a UTF-8 name"),
        (["lab", "--export", f"{not_utf8}.py"], "x\\xff.py is not a UTF-8 name"),
        (["digits", "export", "--output", f"{not_utf8}.npz"], "x\\xff.npz is not a UTF-8 name"),
        (["explain", "--model", default, "--target", "10", one], "0..9, not 10"),
        (["predict", "--model", default, empty], "empty.png: not a readable image"),
        (["predict", "--model", default, eps], "digit.png: not a readable image"),
        (["evaluate", "--model", fifo, "--dataset", "mnist-sample"], "pipe.keras is not a regular file"),
        (
            ["evaluate", "--model", folder / "folder.keras", "--dataset", "mnist-sample"],
            "is not a regular file",
        ),
    ]


def test_refusals_that_need_no_tensorflow_come_before_it_is_imported(tmp_path):
    """Arguments, images and model archives are checked first: one line, TensorFlow never loaded."""
    for args, words in refusals_needing_no_tensorflow(tmp_path):
        result = run_cli_watching_imports(*args, MNIST_APP_DATA_DIR=str(tmp_path))
        assert_usage_error(result, words)
        assert result.stdout.strip().splitlines()[-1] == "no tensorflow", args
    assert not [name for name in os.listdir(os.fsencode(tmp_path)) if b"\xff" in name], "nothing written"


BROKEN_DESCRIPTIONS = {
    "deep": ("[" * 100_000 + "]" * 100_000, "RecursionError"),
    "infinite": ('{"test_accuracy": Infinity}', "'test_accuracy' is not a plain number"),
    "huge": ('{"epochs": ' + "9" * 400 + "}", "'epochs' is not a plain number"),
    "five": ('{"classes": 5}', "says it reads classes 5"),
}


@pytest.mark.parametrize("name", list(BROKEN_DESCRIPTIONS))
def test_every_command_refuses_a_model_whose_description_is_broken(tmp_path, name):
    """The check the models list applies, applied by evaluate, predict, explain and compare alike."""
    description, words = BROKEN_DESCRIPTIONS[name]
    broken = save_small_model(tmp_path / f"{name}.keras", description=description)
    one = tmp_path / "one.png"
    draw_digit_image(one, ONE)
    for args in [
        ["evaluate", "--model", broken, "--dataset", "mnist-sample"],
        ["predict", "--model", broken, one],
        ["explain", "--model", broken, one],
        ["compare", "--models", REPO / "models" / "default.keras", broken, "--dataset", "mnist-sample"],
    ]:
        result = run_cli_watching_imports(*args)
        assert_usage_error(result, f"cannot load model: {name}.keras")
        assert words in result.stderr and result.stdout.strip().splitlines()[-1] == "no tensorflow"


def test_evaluate_refuses_a_model_of_other_classes_as_compare_does(tmp_path):
    from mnist_app.datasets.catalogue import FASHION_NAMES

    fashion = save_small_model(
        tmp_path / "fashion.keras", description=json.dumps({"classes": list(FASHION_NAMES)})
    )
    result = run_cli_watching_imports("evaluate", "--model", fashion, "--dataset", "mnist-sample")
    assert_usage_error(result, "fashion.keras was trained on other classes (T-shirt/top")


@pytest.mark.parametrize(
    ("kind", "commands", "words"),
    [
        (
            "nan",
            ["predict", "evaluate", "explain", "compare"],
            "gives NaN or infinite outputs instead of probabilities",
        ),
        ("no-softmax", ["predict", "evaluate"], "its last layer has no softmax"),
    ],
)
def test_a_model_that_gives_no_probabilities_is_refused_not_printed(tmp_path, kind, commands, words):
    """NaN weights, or a last layer without softmax: the right shape, but no probabilities to print."""
    path = tmp_path / f"{kind}.keras"
    save_small_model(path, weights=float("nan")) if kind == "nan" else save_small_model(path, softmax=False)
    one = tmp_path / "one.png"
    draw_digit_image(one, ONE)
    command_lines = {
        "predict": ["predict", "--model", path, one],
        "evaluate": ["evaluate", "--model", path, "--dataset", "mnist-sample"],
        "explain": ["explain", "--model", path, one],
        "compare": [
            "compare",
            "--models",
            REPO / "models" / "default.keras",
            path,
            "--dataset",
            "mnist-sample",
        ],
    }
    for command in commands:
        result = run_cli(*command_lines[command])
        assert_usage_error(result, f"{path}: the model ")
        assert words in result.stderr and "NaN" not in result.stdout, command


def test_the_json_printer_never_prints_nan(monkeypatch, capsys):
    """A figure that slipped past every check is a bug (exit 1, one line), never `NaN` on stdout."""
    from mnist_app.cli import commands as cli

    class Figures:
        def summary(self):
            return {"dataset": "x", "train": float("nan")}

    monkeypatch.setattr(cli, "load_dataset", lambda name: Figures())
    assert cli.main(["data"]) == 1
    captured = capsys.readouterr()
    assert "NaN" not in captured.out and len(captured.err.strip().splitlines()) == 1


def test_stderr_holds_one_line_whatever_tensorflows_log_level(tmp_path):
    """TensorFlow's C++ logging after its import (allocators, oneDNN) never joins the error line."""
    import keras

    misfit = tmp_path / "misfit.keras"
    keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(3)]).save(misfit)
    chatty = {"TF_CPP_MIN_LOG_LEVEL": "0", "TF_CPP_MAX_VLOG_LEVEL": "1"}
    result = run_cli_watching_imports("evaluate", "--model", misfit, "--dataset", "mnist-sample", **chatty)
    assert_usage_error(result, "misfit.keras gives outputs of shape (3,)")
    assert result.stdout.strip().splitlines()[-1] == "tensorflow imported", "the failure came after TF's work"
    one = tmp_path / "one.png"
    draw_digit_image(one, ONE)
    result = run_cli_watching_imports("predict", "--model", REPO / "models" / "default.keras", one, **chatty)
    assert result.returncode == 0 and result.stderr == "", result.stderr[:500]


def no_space_left(written: int = 20_000):
    """A write that puts `written` bytes down, then finds the disk full."""

    import errno

    def write(file, *args, **kwargs):
        (file.write if hasattr(file, "write") else Path(file).write_bytes)(b"\0" * written)
        raise OSError(errno.ENOSPC, "No space left on device")

    return write


def test_a_full_disk_leaves_no_partial_export_and_names_the_file(
    tmp_path, data_dir, sample, monkeypatch, capsys
):
    from mnist_app.cli import commands as cli
    from mnist_app.datasets.digit_store import DigitStore

    DigitStore().add_many(list(sample.x_train[:10]), [int(y) for y in sample.y_train[:10]])
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.setattr(np, "savez_compressed", no_space_left())
    assert cli.main(["digits", "export", "--output", str(out / "mine.npz")]) == 2
    assert (
        capsys.readouterr().err.strip() == f"error: cannot write {out / 'mine.npz'}: No space left on device"
    )
    assert os.listdir(out) == [], "no temporary file left"


def test_a_full_disk_when_saving_a_trained_model_names_the_file(tmp_path, monkeypatch, capsys):
    import keras

    from mnist_app.cli import commands as cli

    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.setattr(keras.Model, "save", lambda self, path, **kwargs: no_space_left()(path))
    status = cli.main(
        ["train", "--dataset", "mnist-sample", "--epochs", "1", "--output", str(out / "m.keras")]
    )
    assert status == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[-1] == f"error: cannot write {out / 'm.keras'}: No space left on device"
    assert os.listdir(out) == [], "no temporary file left"
