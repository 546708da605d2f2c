"""The notebook and the script a learner takes home: they run, and a name puts no code in them."""

import json
import os
import re
import subprocess
import sys

import nbformat
from nbclient import NotebookClient

from mnist_app.lab.export import notebook, script


def outputs(document) -> list[str]:
    texts = []
    for cell in document.cells:
        for output in cell.get("outputs", []):
            texts.append(output.get("text", "") + str(output.get("data", {}).get("text/plain", "")))
    return texts


def test_the_exported_notebook_runs_in_a_real_kernel(tmp_path, monkeypatch):
    """On the sample, one epoch: no error, the lab's 694,950 parameters, an accuracy line.

    Importing Streamlit sets MPLBACKEND=Agg for the whole process; a learner's Jupyter has
    no such setting, and the kernel would inherit it and draw no figure.
    """
    monkeypatch.delenv("MPLBACKEND", raising=False)
    document = nbformat.reads(notebook("mnist-sample", "mnist-sample", epochs=1), as_version=4)
    nbformat.validate(document)
    NotebookClient(
        document, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    assert not [o for c in document.cells for o in c.get("outputs", []) if o.output_type == "error"]
    text = "\n".join(outputs(document))
    assert "694,950" in text
    assert re.search(r"Accuracy: 0\.\d+ \n Error: 0\.\d+", text)
    assert "The loaded model gives the same predictions: True" in text
    assert any("image/png" in o.get("data", {}) for c in document.cells for o in c.get("outputs", []))
    assert (tmp_path / "classification_model.keras").is_file()


def test_the_exported_script_runs_top_to_bottom(tmp_path):
    path = tmp_path / "lab.py"
    path.write_text(script("mnist-sample", "mnist-sample", epochs=1))
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": ""}
    result = subprocess.run([sys.executable, str(path)], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=300)  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert "(4000, 28, 28)" in result.stdout and "694,950" in result.stdout
    assert "The loaded model gives the same predictions: True" in result.stdout
    assert "mnist_app" not in path.read_text(), "it needs nothing of this app"


def test_the_notebook_is_plain_json_in_nbformat_4():
    document = json.loads(notebook("mnist", "auto"))
    assert document["nbformat"] == 4 and document["metadata"]["kernelspec"]["name"] == "python3"
    code = "\n".join("".join(c["source"]) for c in document["cells"] if c["cell_type"] == "code")
    assert "mnist.load_data()" in code and "epochs=10, batch_size=32" in code


def test_a_dataset_name_cannot_put_code_into_the_script():
    name = 'x"""\nimport os; os.system("echo INJECTED")\n"""\\N'
    text = script(name, "folder/" + name, epochs=1)
    compile(text, "lab.py", "exec")
    code_lines = [
        line for line in text.splitlines() if "INJECTED" in line and not line.lstrip().startswith("#")
    ]
    assert all(line.lstrip().startswith("folder = ") for line in code_lines), code_lines


def test_a_dataset_name_in_the_notebooks_words_is_shown_literally():
    """Jupyter renders Markdown cells: a name holding an image would fetch it on opening."""
    name = "![x](https:elsewhere.example) :red[big] <img src=x onerror=alert(1)>"
    document = json.loads(notebook(name, name, epochs=1))
    words = "".join(document["cells"][0]["source"])
    assert "elsewhere" in words
    assert "![" not in words and "](" not in words and "<img" not in words.replace("\\<img", "")
