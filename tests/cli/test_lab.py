"""`lab --export`: the notebook and the script, written whole."""

from tests.support.command_line import (
    last_json,
    run_cli,
)


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
