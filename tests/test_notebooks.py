"""Every notebook under notebooks/ (dashboards aside, which the browser tests serve) runs top
to bottom, is committed without outputs, opens with a ``parameters`` cell and matches its
jupytext percent pair."""
from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(
    p for p in (ROOT / "notebooks").rglob("*.ipynb")
    if "dashboards" not in p.relative_to(ROOT / "notebooks").parts
    and ".ipynb_checkpoints" not in p.parts
)
IDS = [str(p.relative_to(ROOT / "notebooks")) for p in NOTEBOOKS]


def test_notebooks_are_found():
    names = {p.name for p in NOTEBOOKS}
    assert {"catastrophic-spending.ipynb", "illness-induced-poverty.ipynb"} <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_committed_clean_with_parameters_and_pair(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and "parameters" in code[0].metadata.get("tags", []), (
        f"{path.name}: the first code cell must be tagged 'parameters' (papermill)"
    )
    dirty = [i for i, c in enumerate(code) if c.outputs or c.execution_count]
    assert not dirty, f"{path.name}: code cells {dirty} have outputs; clear them (nbstripout)"
    pair = path.with_suffix(".py")
    assert pair.exists(), f"{path.name}: the percent pair {pair.name} is missing (jupytext)"
    jupytext = pytest.importorskip("jupytext")
    paired = jupytext.read(pair)
    assert [c.source for c in paired.cells if c.cell_type == "code"] == \
        [c.source for c in code], f"{path.name} and {pair.name} differ; run jupytext --sync"


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_runs(path):
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert not errors
