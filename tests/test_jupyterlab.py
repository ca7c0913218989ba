"""The notebooks in a real JupyterLab, offline: every chart draws and nothing comes from a CDN.

Issue 16's trial as a test. JupyterLab from this environment serves parameterised copies of
``notebooks/*.ipynb`` (small populations and draws, injected the way papermill does) on
127.0.0.1; headless chromium opens each, runs all cells and blocks every request that leaves
the machine. Each cell whose last statement builds an Altair chart must show a Vega output
with marks drawn (healthcover's notebook renderer: the kernel compiles the spec, JupyterLab's
own Vega draws it), no cell may fail, and no output may say "Error loading script" (Altair's
default renderer, which loads vega from cdn.jsdelivr.net). Screenshots of each notebook (in
pages) and of each chart land in ``test-artifacts/``.

``catastrophic-spending`` runs in the quick browser set; every other notebook is ``slow``.
"""
from __future__ import annotations

import ast
import json
import re
import time
from pathlib import Path

import nbformat
import pytest

from conftest import ARTIFACTS, run_jupyterlab

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p for p in (ROOT / "notebooks").glob("*.ipynb"))
# Parameters that keep a run short on two shared cores (the report test uses the same sizes).
SMALL = {
    "catastrophic-spending": {"n_households": 600, "bootstrap_reps": 5},
    "illness-induced-poverty": {"mc_draws": 2_000},
    "fund-solvency": {"n_paths": 300},
}
QUICK = "catastrophic-spending"
RUN_TIMEOUT_S = 600
CHART_CALL = re.compile(r"\balt\.|_chart\(|\.chart\(")
VEGA_OUTPUT = ".jp-RenderedVega5"

# The open notebook's state, from JupyterLab's models (window.jupyterapp, exposed for tests).
STATE_JS = """name => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  if (!w || !w.content || !w.content.model || !w.sessionContext || w.context.path !== name) return null;
  const kernel = w.sessionContext.session && w.sessionContext.session.kernel;
  const cells = [...w.content.model.cells].filter(c => c.type === 'code');
  return {
    kernel: kernel ? kernel.status : null,
    counts: cells.map(c => c.executionCount),
    running: cells.filter(c => c.executionState === 'running').length,
    errors: cells.flatMap((c, i) => [...Array(c.outputs.length).keys()]
      .map(j => c.outputs.get(j)).filter(o => o.type === 'error')
      .map(o => { const j = o.toJSON(); return `code cell ${i}: ${j.ename}: ${j.evalue}`; })),
  };
}"""
# Per code cell: how many Vega outputs, and how many drawn marks (SVG) or canvases they hold.
CHARTS_JS = """sel => [...document.querySelectorAll('.jp-Notebook .jp-CodeCell')].map(cell => {
  const outs = [...cell.querySelectorAll(sel)];
  return {
    vega: outs.length,
    marks: outs.map(o => o.querySelectorAll('svg g[class*="role-mark"] > *').length
                         + o.querySelectorAll('canvas').length),
  };
})"""


def chart_cells(nb) -> list[int]:
    """Positions (among code cells) of the cells whose last statement is an expression that
    builds an Altair chart: what the notebook means to show as a chart."""
    out = []
    code = [c for c in nb.cells if c.cell_type == "code"]
    for i, cell in enumerate(code):
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        last = tree.body[-1] if tree.body else None
        if isinstance(last, ast.Expr) and CHART_CALL.search(ast.get_source_segment(cell.source, last) or ""):
            out.append(i)
    return out


def test_chart_cells_are_found():
    """The test knows where the charts are: the three of catastrophic-spending."""
    nb = nbformat.read(ROOT / "notebooks" / f"{QUICK}.ipynb", as_version=4)
    cells = chart_cells(nb)
    assert len(cells) == 3
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all("_chart(" in code[i].source for i in cells)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab serving parameterised copies of the notebooks (the originals stay clean)."""
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    root = tmp_path_factory.mktemp("lab-notebooks")
    for path in NOTEBOOKS:
        nb = load_notebook_node(str(path))  # papermill's reader: every cell has its tags list
        params = SMALL.get(path.stem)
        if params:
            nb = parameterize_notebook(nb, params, language="python", kernel_name="python3")
        nbformat.write(nb, root / path.name)
    with run_jupyterlab(root, name="jupyterlab-notebooks") as server:
        yield server


def run_all(web, lab, name: str) -> dict:
    """Open ``name`` in JupyterLab, run all cells, wait (bounded) until the kernel is done."""
    page = web.page
    # ?reset: a fresh workspace, so the notebook of the previous test is not reopened beside it
    page.goto(lab.url(f"/lab/tree/{name}?reset"))
    page.wait_for_selector(".jp-Notebook .jp-CodeCell", timeout=120_000)
    page.wait_for_function(
        "name => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
        " const k = w && w.context && w.context.path === name && w.sessionContext.session"
        " && w.sessionContext.session.kernel; return k && k.status === 'idle'; }",
        arg=name, timeout=120_000,
    )
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    deadline = time.monotonic() + RUN_TIMEOUT_S
    state, quiet = None, 0
    while time.monotonic() < deadline:
        state = page.evaluate(STATE_JS, name)
        started = state and state["counts"] and state["counts"][0] is not None
        busy = not state or state["kernel"] != "idle" or state["running"]
        quiet = quiet + 1 if started and not busy else 0
        if quiet >= 3:  # idle three polls in a row: run-all finished (or stopped at an error)
            break
        time.sleep(1)
    else:
        pytest.fail(f"{name}: cells still running after {RUN_TIMEOUT_S}s: {state}")
    time.sleep(2)  # the last outputs' renderers (vega draws asynchronously)
    return state


def screenshots(web, name: str) -> list[Path]:
    """The whole notebook, in pages of at most 8,000 px (the viewport made tall), and each chart
    on its own: ``test-artifacts/jupyterlab-<notebook>-page<k>.png`` and ``-chart<k>.png``."""
    page, stem = web.page, Path(name).stem
    ARTIFACTS.mkdir(exist_ok=True)
    for old in ARTIFACTS.glob(f"jupyterlab-{stem}-*.png"):
        old.unlink()
    scroller = ".jp-NotebookPanel .jp-WindowedPanel-outer"
    height = page.evaluate(f"() => {{ const s = document.querySelector('{scroller}'); "
                           "return s ? s.scrollHeight : 1600; }")
    view = int(min(max(height + 200, 800), 8_000))
    page.set_viewport_size({"width": 1280, "height": view})
    page.wait_for_timeout(500)
    shots = []
    for k, top in enumerate(range(0, max(height, 1), view - 300)):
        page.evaluate(f"top => document.querySelectorAll('{scroller}').forEach(s => {{ s.scrollTop = top; }})",
                      top)
        page.wait_for_timeout(700)
        shots.append(ARTIFACTS / f"jupyterlab-{stem}-page{k}.png")
        page.screenshot(path=str(shots[-1]))
    charts = page.locator(VEGA_OUTPUT)
    for k in range(charts.count()):
        shots.append(ARTIFACTS / f"jupyterlab-{stem}-chart{k}.png")
        charts.nth(k).screenshot(path=str(shots[-1]))
    return shots


def check_notebook(web, lab, path: Path) -> None:
    name = path.name
    state = run_all(web, lab, name)
    page = web.page
    shot = screenshots(web, name)[0].with_name(f"jupyterlab-{path.stem}-*.png")
    try:
        assert not state["errors"], f"{name}: cells failed: {state['errors']}"
        assert all(c is not None for c in state["counts"]), f"{name}: cells not run: {state['counts']}"
        text = page.inner_text(".jp-Notebook")
        assert "Error loading script" not in text, f"{name}: an output loads a script from the internet"
        assert "VegaLite" not in text and "Javascript Error" not in text, f"{name}: a chart did not render"
        charts = page.evaluate(CHARTS_JS, VEGA_OUTPUT)
        want = chart_cells(nbformat.read(lab.root / name, as_version=4))  # the served copy
        got = [i for i, c in enumerate(charts) if c["vega"]]
        assert got == want, f"{name}: chart outputs in code cells {got}, expected {want}; see {shot}"
        empty = [i for i in got if not all(charts[i]["marks"])]
        assert not empty, f"{name}: charts without marks in code cells {empty}; see {shot}"
        assert not web.blocked, f"{name}: requests to other hosts: {web.blocked}"
    finally:
        (ARTIFACTS / f"jupyterlab-{path.stem}-console.json").write_text(
            json.dumps(web.console_errors, ensure_ascii=False, indent=1), encoding="utf-8")
        page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.shutdown()")


def test_catastrophic_spending_charts_render_offline(web, lab):
    check_notebook(web, lab, ROOT / "notebooks" / f"{QUICK}.ipynb")


@pytest.mark.slow
@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if p.stem != QUICK], ids=lambda p: p.stem)
def test_every_notebook_renders_offline(web, lab, path):
    check_notebook(web, lab, path)
