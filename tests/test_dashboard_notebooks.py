"""Dashboard notebooks (notebooks/dashboards/, tests/dashboards/) are thin and clean.

Voila shows every output of a committed notebook before its kernel runs, and the browser
tests serve these files as they are: no outputs, a ``parameters`` cell first, and the
widgets built by ``healthcover`` (the notebook only wires them).
"""
from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
DASHBOARDS = sorted((ROOT / "notebooks" / "dashboards").glob("*.ipynb")) + sorted(
    (ROOT / "tests" / "dashboards").glob("*.ipynb")
)


def test_there_is_a_dashboard():
    assert (ROOT / "notebooks" / "dashboards" / "claim-calculator.ipynb") in DASHBOARDS


@pytest.mark.parametrize("path", DASHBOARDS, ids=[p.name for p in DASHBOARDS])
def test_dashboard_notebook_is_clean_and_thin(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and "parameters" in code[0].metadata.get("tags", []), (
        f"{path.name}: the first code cell must be tagged 'parameters'"
    )
    dirty = [i for i, c in enumerate(code) if c.outputs or c.execution_count]
    assert not dirty, f"{path.name}: code cells {dirty} have outputs; clear them (nbstripout)"
    source = "\n".join(c.source for c in code)
    assert "import healthcover" in source or "from healthcover" in source
    assert "sys.path" not in source, f"{path.name}: no sys.path hacks; pip install -e ."
    if path.parent.name == "dashboards" and path.parent.parent.name == "notebooks":
        assert len(source.splitlines()) <= 15, f"{path.name}: keep dashboards thin"
