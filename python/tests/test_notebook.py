"""The example notebook runs headless, top to bottom (stored without outputs)."""

import json
import os

import pytest

NOTEBOOK = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "quickstart.ipynb")


def test_the_quickstart_notebook_is_stored_without_outputs():
    nb = json.load(open(NOTEBOOK))
    assert all(not c.get("outputs") for c in nb["cells"] if c["cell_type"] == "code")


def test_the_quickstart_notebook_executes():
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3").execute()
    assert any(c.get("outputs") for c in nb.cells if c.cell_type == "code")
