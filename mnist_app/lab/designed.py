"""The lab's steps with a network designed on Build in place of the lab's: the same data,
training, evaluation and saving, the network built by the very code Build shows
(`design_code.keras_code`) and compiled as the lab compiles its own.

Such a network reads each image as the 28x28 grid it is (its own first layers reshape or
flatten it), so the data is scaled but not flattened. No Streamlit, no TensorFlow here.
"""

from __future__ import annotations

from mnist_app.lab.steps import ONE_HOT, Step, steps
from mnist_app.learning.design_code import keras_code
from mnist_app.learning.design_plan import Plan
from mnist_app.learning.designs import Layer
from mnist_app.learning.limits import check_design

SCALE = """\
# scale inputs from 0-255 to 0-1; each image stays a 28x28 grid, as the network reads it
X_train = X_train.astype("float32") / 255
X_test = X_test.astype("float32") / 255
"""

COMPILE = """\
# compile model, as the lab compiles its own
model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
"""


def build_cell(planned: Plan) -> str:
    """Build's Keras code for the network, then the lab's compile."""
    return "# define the network designed on Build\n" + keras_code(planned) + "\n" + COMPILE


def designed_steps(
    name: str, spec: str, epochs: int, batch_size: int, layers: tuple[Layer, ...]
) -> tuple[list[Step], Plan]:
    """The lab's eight steps with this design's network, and its plan (DesignError if it has a mistake)."""
    planned = check_design(layers)
    count = f"{len(layers)} layer{'s' if len(layers) != 1 else ''}"
    ours = [
        Step(
            "Prepare the data",
            "This network reads each image as the 28x28 grid it is, so the images are only "
            "scaled to 0..1; each label becomes a row of ten with a 1 at its class.",
            (SCALE, ONE_HOT),
        ),
        Step(
            "Build the network",
            f"The network you designed on Build: {count} between the 28x28 input and the ten "
            f"probabilities, {planned.parameters:,} parameters. The code is the code Build shows, "
            "compiled as the lab compiles its own: Adam, lowering the categorical cross-entropy.",
            (build_cell(planned),),
        ),
        Step(
            "What next",
            "Change a layer on Build (more filters, a Dropout, no pooling), take it home again "
            "and compare the two runs' accuracy.",
            (),
        ),
    ]
    by_title = {step.title: step for step in ours}
    return [by_title.get(step.title, step) for step in steps(name, spec, epochs, batch_size)], planned
