"""Layers are a test: no module of healthcover imports one above it (import-linter contracts in
pyproject.toml), and the engine runs without the display and notebook stack."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_lint_imports_keeps_every_contract():
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert exe, "import-linter is installed with the test extra"
    r = subprocess.run([exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    assert "0 broken" in r.stdout


@pytest.mark.parametrize("module", ["altair", "IPython", "ipywidgets", "jupyterlab", "voila", "vl_convert", "dask"])
def test_the_engine_runs_without_the_display_stack(module):
    code = (
        "import sys, pandas as pd, healthcover as hc\n"
        "s = hc.load_scheme('dazu-resident', variant='tier2')\n"
        "c = pd.DataFrame({'person_id': [1], 'date': ['2024-03-01'], 'care': ['inpatient'],\n"
        "                  'facility': ['county'], 'cost': [1000.0], 'category': ['adult']})\n"
        "s.adjudicate(c); s.contributions(pd.DataFrame({'person_id': [1], 'category': ['adult']}), missing='nan')\n"
        f"print({module!r} in sys.modules)\n"
    )
    r = subprocess.run([sys.executable, "-W", "ignore", "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip() == "False", f"the engine imported {module}"
