"""The lab taken home with a network designed on Build: it runs, and builds that very network."""

import re

import nbformat
import pytest
from nbclient import NotebookClient

from mnist_app.lab.designed import designed_steps
from mnist_app.lab.export import notebook, script
from mnist_app.lab.steps import steps
from mnist_app.learning.design_code import keras_code
from mnist_app.learning.design_plan import plan
from mnist_app.learning.designs import PRESETS, DesignError, parse_text

TINY_CNN = PRESETS["A tiny CNN"]


def test_the_exported_notebook_of_a_designed_network_runs_and_builds_it(tmp_path, monkeypatch):
    """In a real kernel, on the sample, one epoch: the summary counts the plan's parameters."""
    monkeypatch.delenv("MPLBACKEND", raising=False)
    document = nbformat.reads(
        notebook("mnist-sample", "mnist-sample", epochs=1, layers=TINY_CNN), as_version=4
    )
    NotebookClient(
        document, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    assert not [o for c in document.cells for o in c.get("outputs", []) if o.output_type == "error"]
    printed = "\n".join(
        output.get("text", "") + str(output.get("data", {}).get("text/plain", ""))
        for cell in document.cells
        for output in cell.get("outputs", [])
    )
    text = re.sub(r"\x1b\[[0-9;]*m", "", printed)  # Keras' summary in the kernel is in colour
    assert f"Total params: {plan(TINY_CNN).parameters:,} " in text
    assert "conv1_8_filters_3x3_relu" in text, "Build's names for its layers"
    assert "The loaded model gives the same predictions: True" in text
    assert (tmp_path / "classification_model.keras").is_file()


def test_the_script_builds_with_the_code_build_shows():
    layers = parse_text("conv:8:3:relu,batchnorm,avgpool:2,dropout:0.2,gap,dense:16:gelu")
    text = script("mnist-sample", "mnist-sample", epochs=1, layers=layers)
    compile(text, "lab.py", "exec")
    assert keras_code(plan(layers)) in text, "the very code Build shows"
    assert "mnist_app" not in text, "it needs nothing of this app"
    assert "X_train.reshape" not in text, "a designed network reads the 28x28 grid itself"


def test_a_design_replaces_only_the_labs_network_steps():
    lab = steps("mnist", "auto", 3, 64)
    designed, planned = designed_steps("mnist", "auto", 3, 64, TINY_CNN)
    assert [step.title for step in designed] == [step.title for step in lab]
    changed = [step.title for step, ours in zip(lab, designed, strict=True) if step != ours]
    assert changed == ["Prepare the data", "Build the network", "What next"]
    assert f"{planned.parameters:,} parameters" in designed[3].words


def test_an_empty_design_is_logistic_regression_and_a_broken_one_is_refused():
    assert "7,850 parameters" in script("mnist", "auto", layers=())
    with pytest.raises(DesignError, match="layer 2"):
        script("mnist", "auto", layers=parse_text("flatten,conv:8:3:relu"))
