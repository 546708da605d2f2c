"""The Keras code that builds a design, from the same calls the trainer builds it with.

Build shows it for the learner to copy; the trained model's description keeps the layer list
it was built from, so the code and the saved model never disagree.
"""

from __future__ import annotations

from mnist_app.datasets.digit_arrays import IMAGE_SIZE
from mnist_app.learning.design_plan import KerasCall, Plan
from mnist_app.learning.designs import OWN_DESIGN_NAME


def call_code(call: KerasCall) -> str:
    """`layers.Conv2D(32, 3, activation="relu", name="conv1_...")`: Python for one call."""
    arguments = [_literal(value) for value in call.args]
    arguments += [f"{key}={_literal(value)}" for key, value in call.kwargs.items()]
    return f"layers.{call.layer}({', '.join(arguments)})"


def keras_code(plan: Plan, name: str = OWN_DESIGN_NAME) -> str:
    """A script's worth of Python that builds the planned network with Keras."""
    lines = [
        "import keras",
        "from keras import layers",
        "",
        "model = keras.Sequential(",
        "    [",
        f"        keras.Input(shape=({IMAGE_SIZE}, {IMAGE_SIZE})),",
        *(f"        {call_code(row.call)}," for row in plan.rows),
        "    ],",
        f"    name={_literal(name)},",
        ")",
        "model.summary()",
    ]
    return "\n".join(lines) + "\n"


def _literal(value) -> str:
    """A value as Python source: strings in double quotes, as ruff and Keras' docs write them."""
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, tuple):
        return "(" + ", ".join(_literal(item) for item in value) + ("," if len(value) == 1 else "") + ")"
    return repr(value)
