"""The tutorial notebooks run from top to bottom against the bundled sample, in a kernel
that is this virtual environment's Python, and are committed without outputs."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def test_the_tutorials_exist():
    assert [path.name for path in NOTEBOOKS][:4] == [
        "01_quickstart.ipynb", "02_size_and_adoption.ipynb", "03_obstacles_and_policy.ipynb",
        "04_weights_and_design.ipynb"]
    assert "05_waves.ipynb" in {path.name for path in NOTEBOOKS}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebooks_are_committed_as_their_script_writes_them(path):
    spec = importlib.util.spec_from_file_location("make_notebooks",
                                                  ROOT / "notebooks" / "make_notebooks.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    committed = nbformat.read(path, as_version=4)
    assert all(not cell.get("outputs") for cell in committed.cells)
    expected = [cell["source"] for cell in script.build(path.name).cells]
    assert [cell["source"] for cell in committed.cells] == expected, (
        "run python notebooks/make_notebooks.py")


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_runs(path, tmp_path):
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    # First make sure the kernel is this environment's Python, not some other install.
    notebook.cells.insert(0, nbformat.v4.new_code_cell("import sys; print(sys.executable)"))
    client = NotebookClient(notebook, kernel_name="python3", timeout=180,
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    executable = notebook.cells[0].outputs[0]["text"].strip()
    assert Path(executable).resolve() == Path(sys.executable).resolve()
    errors = [output for cell in notebook.cells for output in cell.get("outputs", [])
              if output.get("output_type") == "error"]
    assert errors == []
    images = [output for cell in notebook.cells for output in cell.get("outputs", [])
              if "image/png" in output.get("data", {})]
    assert images, "the notebook draws at least one chart"
