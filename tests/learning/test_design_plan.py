"""A design's summary, counted without TensorFlow, against what Keras builds; its mistakes at
the layer that makes them; its code, run by a fresh Python, builds the same network."""

import json
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mnist_app.learning.architectures import build_designed, build_mlp
from mnist_app.learning.design_code import keras_code
from mnist_app.learning.design_plan import MAX_OPERATIONS, MAX_PARAMETERS, OUTPUT_NAME, plan
from mnist_app.learning.designs import PRESETS, DesignError, Layer, parse_text
from tests.learning.test_designs import valid_layers
from tests.support import REPO

EXPECTED_PARAMETERS = {
    "Logistic regression": 7_850,
    "The lab's MLP": 694_950,
    "The app's CNN": 197_482,
    "LeNet-5": 61_706,
}


def keras_summary(model) -> list[tuple[str, tuple, int]]:
    return [(layer.name, tuple(layer.output.shape[1:]), layer.count_params()) for layer in model.layers]


def plan_summary(planned) -> list[tuple[str, tuple, int]]:
    return [(row.name, row.shape, row.parameters) for row in planned.rows]


@pytest.mark.parametrize("name", list(PRESETS))
def test_each_preset_counts_as_keras_builds_it(name):
    planned = plan(PRESETS[name])
    assert planned.ok and not planned.notes
    model = build_designed(PRESETS[name])
    assert plan_summary(planned) == keras_summary(model)
    assert planned.parameters == model.count_params()
    if name in EXPECTED_PARAMETERS:
        assert planned.parameters == EXPECTED_PARAMETERS[name]
    assert model.layers[-1].name == OUTPUT_NAME


def test_the_tiny_cnn_is_tiny_and_the_lab_mlp_is_the_lab_network():
    assert plan(PRESETS["A tiny CNN"]).parameters < 10_000
    assert build_designed(PRESETS["The lab's MLP"]).count_params() == build_mlp().count_params()
    assert plan(PRESETS["The lab's MLP"]).multiply_adds == 694_056


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(valid_layers(), max_size=8))
def test_any_design_is_built_as_planned_or_refused_at_a_layer(layers):
    planned = plan(layers)
    if not planned.ok:
        with pytest.raises(DesignError):
            build_designed(layers)
        for problem in planned.problems:
            assert problem.message and "\n" not in problem.message
            assert problem.position is None or 1 <= problem.position <= len(layers)
        return
    model = build_designed(layers)
    assert plan_summary(planned) == keras_summary(model)


@pytest.mark.parametrize(
    ("text", "position", "words"),
    [
        (
            "flatten,conv:32:3",
            2,
            "a convolution needs a grid of pixels, and Flatten 1 has made it one row: move it above Flatten 1",
        ),
        ("dense:64,pool:2", 2, "pooling needs a grid"),
        ("pool:2,pool:2,pool:2,pool:2,pool:2", 5, "a 2x2 window is larger than the 1x1 grid that reaches it"),
        (
            "conv:8:5,pool:2,conv:8:13",
            3,
            "a 13x13 kernel is larger than the 12x12 grid that reaches it: use at most 12",
        ),
        ("conv:512:3:relu:1:same", 1, "401,408 numbers of each image"),
        (
            "flatten,dense:4096,dense:4096,dense:4096",
            None,
            f"is more than this server trains ({MAX_PARAMETERS:,})",
        ),
    ],
)
def test_a_mistake_is_explained_at_its_layer(text, position, words):
    planned = plan(parse_text(text))
    assert not planned.ok
    assert any(p.position == position and words in p.message for p in planned.problems), planned.problems


def test_what_keras_would_do_unasked_is_said():
    planned = plan(parse_text("dense:64"))
    assert planned.ok
    assert "applies it to each of the 28 rows separately" in planned.notes_at(1)[0]
    assert any("a Flatten is added before the output" in n.message for n in planned.notes)
    assert plan(()).parameters == 7_850, "no layer at all: logistic regression"


def test_the_code_run_by_a_fresh_python_builds_the_same_network(tmp_path):
    layers = parse_text(
        "conv:16:3:relu:2:same,batchnorm,avgpool:2,dropout:0.25,conv:8:3:tanh,pool:2,gap,dense:32:gelu"
    )
    planned = plan(layers)
    script = tmp_path / "network.py"
    script.write_text(
        keras_code(planned)
        + "import json\nprint(json.dumps([[l.name, list(l.output.shape[1:]), l.count_params()] for l in model.layers]))\n"
    )
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=300, check=True
    )
    built = [
        (name, tuple(shape), count) for name, shape, count in json.loads(done.stdout.strip().splitlines()[-1])
    ]
    assert built == plan_summary(planned)


def test_planning_and_writing_the_code_never_start_tensorflow():
    """An edit on Build plans the whole design again: it must cost no TensorFlow work at all."""
    program = (
        "import sys\n"
        "from mnist_app.learning.design_code import keras_code\n"
        "from mnist_app.learning.design_plan import plan\n"
        "from mnist_app.learning.designs import PRESETS\n"
        "for layers in PRESETS.values(): keras_code(plan(layers))\n"
        "print(sorted({'tensorflow', 'keras'} & set(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=120, check=True, cwd=REPO
    )
    assert done.stdout.strip() == "[]"


def test_layer_names_say_what_each_layer_is():
    names = [row.name for row in plan(PRESETS["The app's CNN"]).rows]
    assert names[:3] == ["image_as_grid", "conv1_32_filters_3x3_relu", "conv2_32_filters_3x3_relu"]
    assert "dropout1_40_percent" in names and names[-1] == OUTPUT_NAME
    assert all(not name.startswith(("dense_", "conv2d_", "max_pooling2d_")) for name in names)


def test_a_dropout_before_the_first_convolution_keeps_the_image_a_grid():
    planned = plan([Layer("dropout", rate=0.1), Layer("conv", units=4, size=3)])
    assert planned.ok
    assert [row.call.layer for row in planned.rows][:3] == ["Dropout", "Reshape", "Conv2D"]


def unchecked_model(layers):
    """The design built past the plan's checks, as an older app or a file from elsewhere might."""
    import keras

    calls = [row.call for row in plan(layers).rows]
    return keras.Sequential(
        [
            keras.Input((28, 28)),
            *(getattr(keras.layers, call.layer)(*call.args, **call.kwargs) for call in calls),
        ]
    )


def test_a_design_that_would_take_too_much_work_per_digit_is_refused_at_the_layer_that_passes_the_cap():
    """The hostile tester's case: it trained for hours, then no page would load it."""
    import keras

    from mnist_app.learning.model_checks import ConfigurationRefused, check_cost, planned_cost

    layers = parse_text(",".join(["conv:64:3:relu:1:same"] * 5))
    (problem,) = plan(layers).problems
    assert problem.position == 5 and f"at most {MAX_OPERATIONS:,}" in problem.message
    assert "116,558,848 multiply-adds" in problem.message
    with pytest.raises(DesignError):
        build_designed(layers)
    config = keras.saving.serialize_keras_object(unchecked_model(layers))
    with pytest.raises(ConfigurationRefused, match="116,558,848 multiply-adds"):
        check_cost(planned_cost(config))


@pytest.mark.parametrize("name", ["The app's CNN", "LeNet-5", "A tiny CNN"])
def test_a_plans_work_per_digit_is_what_the_model_checks_count(name):
    import keras

    from mnist_app.learning.model_checks import planned_cost

    planned = plan(PRESETS[name])
    cost = planned_cost(keras.saving.serialize_keras_object(build_designed(PRESETS[name])))
    assert planned.multiply_adds == cost.multiply_adds
    assert sum(row.window_operations for row in planned.rows) == cost.window_operations
