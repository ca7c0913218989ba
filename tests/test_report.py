"""The report build (healthcover/report/).

A reduced build (two notebooks, small ``-p`` sizes, about 15 s each) runs twice; the numbers a
reader sees must be equal, the front page must record the overrides, no page may fetch from
another host, and chromium must open the pages from ``file://`` with the charts drawn. A broken
notebook must stop the build naming the notebook, the cell and the error.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from healthcover import report
from healthcover.report import NotebookFailed, ReportError

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
ARTIFACTS = ROOT / "test-artifacts"
# Small enough for CI's 90 minutes on 2 shared cores; still exercises tables, charts,
# print output, a seeded bootstrap, a Monte Carlo draw and both kinds of override.
SMALL = {
    "only": ["catastrophic-spending", "illness-induced-poverty"],
    "parameters": {
        "mc_draws": 2_000,  # every notebook that has it
        "catastrophic-spending:n_households": 600,  # one notebook
        "catastrophic-spending:bootstrap_reps": 5,
    },
}


# ---------------------------------------------------------------------------------------------
# Fast checks: no kernel


def test_find_notebooks_leaves_out_dashboards():
    found = report.find_notebooks(NOTEBOOKS)
    names = {p.name for p in found}
    assert {"catastrophic-spending.ipynb", "illness-induced-poverty.ipynb"} <= names
    assert not [p for p in found if "dashboards" in p.parts]


def test_notebook_parameters_come_from_papermill():
    params = report.notebook_parameters(NOTEBOOKS / "catastrophic-spending.ipynb")
    assert params["n_households"].default == 100_000  # research size by default
    assert params["n_households"].literal
    assert "synthetic households" in params["n_households"].note
    assert list(params)[:2] == ["n_households", "seed"]
    pairs = report.notebook_parameters(NOTEBOOKS / "compare-schemes.ipynb")
    assert pairs["dialysis_sessions"].default == 12
    assert pairs["dialysis_cost"].default == 500.0
    import papermill

    inspected = papermill.inspect_notebook(str(NOTEBOOKS / "fund-solvency.ipynb"))
    assert list(report.notebook_parameters(NOTEBOOKS / "fund-solvency.ipynb")) == list(inspected)


@pytest.mark.parametrize("line", ["a, b = 1, 2  # two at once", "x = 1  # note with = sign"])
def test_parameter_papermill_cannot_read_is_named(tmp_path, line):
    params = nbformat.v4.new_code_cell(f"ok = 3  # fine\n{line}")
    params.metadata["tags"] = ["parameters"]
    nb = nbformat.v4.new_notebook(cells=[params])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, tmp_path / "bad.ipynb")
    with pytest.raises(ReportError, match=r"bad\.ipynb: line 2 of the parameters cell, .* is not "
                                          r"a parameter papermill can read"):
        report.notebook_parameters(tmp_path / "bad.ipynb")


def test_every_report_notebook_has_parameters():
    for path in report.find_notebooks(NOTEBOOKS):
        report.notebook_parameters(path)  # raises ReportError naming the notebook otherwise


def test_notebook_without_parameters_cell_is_named(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    nbformat.write(nb, tmp_path / "untagged.ipynb")
    with pytest.raises(ReportError, match=r"untagged\.ipynb: no code cell is tagged 'parameters'"):
        report.notebook_parameters(tmp_path / "untagged.ipynb")


@pytest.mark.parametrize(
    "text, value",
    [("300", 300), ("1_000", 1000), ("0.5", 0.5), ("1e-3", 0.001), ("[2000, 10000]", [2000, 10000]),
     ("True", True), ("county", "county"), ("'tier1'", "tier1")],
)
def test_parse_value(text, value):
    assert report.parse_value(text) == value


def test_unknown_parameter_stops_before_any_kernel(tmp_path):
    with pytest.raises(ReportError, match=r"-p n_househols: no notebook in this build has a "
                                          r"parameter 'n_househols'; parameters: .*n_households"):
        report.build_report(tmp_path / "out", only=SMALL["only"], parameters={"n_househols": 5},
                            progress=False, pdf=False)
    with pytest.raises(ReportError, match=r"notebook illness-induced-poverty has no parameter "
                                          r"'seed'; its parameters: mc_draws, mc_seed, level"):
        report.build_report(tmp_path / "out", only=SMALL["only"],
                            parameters={"illness-induced-poverty:seed": 5}, progress=False, pdf=False)
    with pytest.raises(ReportError, match=r"--only nope: no such notebook"):
        report.build_report(tmp_path / "out", only=["nope"], progress=False, pdf=False)
    assert not (tmp_path / "out").exists()


def test_external_references_finds_fetches_not_links():
    page = """
    <script src="https://cdn.jsdelivr.net/npm/vega@6"></script>
    <link rel="stylesheet" href="//fonts.googleapis.com/css?family=Roboto">
    <style>@import url("https://example.org/x.css");</style>
    <script>const paths = {"vega": "https://cdn.jsdelivr.net/npm/vega@6?noext"};</script>
    <a href="https://www.who.int/">a citation link is not fetched</a>
    <svg xmlns="http://www.w3.org/2000/svg"><g class="mark-line"></g></svg>
    """
    found = report.external_references(page)
    assert len(found) == 4, found
    assert not any("who.int" in f or "w3.org" in f for f in found)
    assert report.external_references('<svg xmlns="http://www.w3.org/2000/svg"></svg>') == []


def test_static_outputs_draws_charts_and_drops_progress_bars():
    import altair as alt
    import pandas as pd

    chart = alt.Chart(pd.DataFrame({"x": [1, 2, 3], "y": [3, 1, 2]})).mark_line().encode(x="x", y="y")
    spec = chart.to_dict()
    html = ('<div id="altair-viz-1"></div><script>(function(spec, embedOpt){ vegaEmbed(); })('
            + json.dumps(spec) + ', {"mode": "vega-lite"});</script><!-- vega-embed -->')
    bar = "boot:  40%|####      | 4/10 [00:01<00:02,  2.9it/s]"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("c", outputs=[
        nbformat.v4.new_output("execute_result", {"application/vnd.vegalite.v6+json": spec,
                                                  "text/plain": "<chart>"}, execution_count=1),
        nbformat.v4.new_output("display_data", {"text/html": html, "text/plain": "alt.Chart(...)"}),
        nbformat.v4.new_output("display_data", {"application/vnd.jupyter.widget-view+json":
                                                {"model_id": "m"}, "text/plain": bar}),
        nbformat.v4.new_output("stream", name="stderr", text=bar + "\rdone 10/10\nkept warning\n"),
    ])])
    nb.metadata["widgets"] = {"state": {}}
    assert report.static_outputs(nb, "t") == 2
    outs = nb.cells[0].outputs
    assert [list(o.get("data", {})) for o in outs[:2]] == [["image/svg+xml"]] * 2
    assert all("<svg" in o.data["image/svg+xml"] and "mark-line" in o.data["image/svg+xml"]
               for o in outs[:2])
    assert len(outs) == 3 and outs[2].text == "done 10/10\nkept warning\n"
    assert "widgets" not in nb.metadata


def test_cli_lists_notebooks(capsys):
    assert report.cli(["report", "--list"]) == 0
    out = capsys.readouterr().out
    assert "catastrophic-spending" in out and "n_households = 100000" in out
    assert "dashboards" not in out
    assert report.cli(["nope"]) == 2


# ---------------------------------------------------------------------------------------------
# A notebook that fails


def _broken_notebooks(tmp_path: Path) -> Path:
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    params = nbformat.v4.new_code_cell("divisor = 0  # what we divide by")
    params.metadata["tags"] = ["parameters"]
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# A broken notebook"),
        params,
        nbformat.v4.new_code_cell("x = 10"),
        nbformat.v4.new_code_cell("# divide\nratio = x / divisor\nprint(ratio)"),
        nbformat.v4.new_code_cell("print('never runs')"),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, notebooks / "broken.ipynb")
    return notebooks


@pytest.mark.slow
@pytest.mark.notebook
def test_failing_notebook_names_notebook_cell_and_error(tmp_path):
    notebooks = _broken_notebooks(tmp_path)
    out = tmp_path / "build" / "report"
    # An override makes papermill inject a cell; the index must still be the original one.
    with pytest.raises(NotebookFailed) as info:
        report.build_report(out, notebooks_dir=notebooks, parameters={"divisor": 0},
                            progress=False, pdf=False)
    err = info.value
    assert (err.notebook, err.cell_index, err.first_line) == ("notebooks/broken.ipynb", 3, "# divide")
    message = str(err)
    assert "notebook notebooks/broken.ipynb failed in cell 3" in message
    assert "ZeroDivisionError: division by zero" in message
    assert "ratio = x / divisor" in message  # the line of the cell that raised
    assert "divisor=0 (-p divisor)" in message
    assert "Traceback" not in message
    assert not out.exists()  # no half-built report
    executed = tmp_path / "build" / "report-failed" / "notebooks" / "broken.ipynb"
    assert err.executed == executed and executed.exists()


@pytest.mark.slow
@pytest.mark.notebook
def test_command_line_failure_is_one_clear_message(tmp_path):
    notebooks = _broken_notebooks(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-m", "healthcover.report", "--notebooks", str(notebooks), "--no-pdf",
         "-q", "-o", str(tmp_path / "out")],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )
    assert proc.returncode == 1
    assert "Report build stopped: notebook notebooks/broken.ipynb failed in cell 3" in proc.stderr
    assert "which starts: # divide" in proc.stderr
    assert "ZeroDivisionError" in proc.stderr
    assert "Traceback (most recent call last)" not in proc.stderr


# ---------------------------------------------------------------------------------------------
# The reduced build, twice


EPOCH = "1700000000"  # 2023-11-14 22:13:20 UTC


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    """Two reduced builds of this checkout into separate directories, both with a PDF, with
    ``SOURCE_DATE_EPOCH`` set: they must be byte-identical."""
    import os

    base = tmp_path_factory.mktemp("report")
    saved = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    try:
        first = report.build_report(base / "a" / "report", progress=False, pdf=True, **SMALL)
        second = report.build_report(base / "b" / "report", progress=False, pdf=True, **SMALL)
    finally:
        if saved is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = saved
    return first, second


@pytest.mark.slow
@pytest.mark.notebook
def test_builds_with_source_date_epoch_are_byte_identical(builds):
    """Every file of two builds, the PDF and the Excel downloads included, is the same."""
    a, b = builds
    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    assert files_a == files_b
    assert {Path("report.pdf"), Path("print.html"), Path("index.html")} <= set(files_a)
    assert any(p.suffix == ".xlsx" for p in files_a)
    differ = [str(p) for p in files_a if (a / p).read_bytes() != (b / p).read_bytes()]
    assert not differ, f"files differ between two SOURCE_DATE_EPOCH builds: {differ}"
    pdf = (a / "report.pdf").read_bytes()
    assert b"D:20231114221320+00'00'" in pdf  # chromium's dates pinned to the epoch


@pytest.mark.slow
@pytest.mark.notebook
def test_two_builds_give_the_same_numbers(builds):
    first, second = (report.report_numbers(b) for b in builds)
    assert first.keys() == second.keys()
    differ = {k: (first[k], second[k]) for k in first if first[k] != second[k]}
    assert not differ, "numbers differ between two builds of one commit:\n" + "\n".join(
        f"  {k}: {a[:8]} vs {b[:8]}" for k, (a, b) in list(differ.items())[:5])
    assert sum(len(v) for v in first.values()) > 1_000  # tables, chart axes, parameters
    assert first["index.html parameters illness-induced-poverty"][:3] == ["2000", "20000", "7"]


@pytest.mark.slow
@pytest.mark.notebook
def test_notebook_pages_are_identical_but_for_the_stamp(builds):
    """Stronger than equal numbers: each notebook page is the same bytes once the navigation
    (which links the PDF only when there is one) and the footer (build time) are removed."""
    def content(path: Path) -> str:
        text = path.read_text(encoding="utf-8")
        text = re.sub(r'<nav\b[^>]*\bhc-nav\b.*?</nav>', "", text, flags=re.DOTALL)
        return re.sub(r'<footer\b[^>]*\bhc-footer\b.*?</footer>', "", text, flags=re.DOTALL)

    for page in ["catastrophic-spending.html", "illness-induced-poverty.html"]:
        assert content(builds[0] / page) == content(builds[1] / page), page


@pytest.mark.slow
@pytest.mark.notebook
def test_front_page_records_stamp_and_parameters(builds):
    from bs4 import BeautifulSoup

    import healthcover

    out = builds[0]
    index = (out / "index.html").read_text(encoding="utf-8")
    soup = BeautifulSoup(index, "html.parser")
    stamp = {tr.th.get_text(strip=True): tr.td.get_text(" ", strip=True)
             for tr in soup.select("table.hc-stamp tr")}
    assert stamp["Package"] == f"healthcover {healthcover.__version__}"
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True,
                          text=True)
    if head.returncode == 0:
        assert stamp["Git commit"].startswith(head.stdout.strip())
        assert "clean tree" in stamp["Git commit"] or "dirty" in stamp["Git commit"]
    assert stamp["Built"] == "2023-11-14 22:13:20 UTC (from SOURCE_DATE_EPOCH)"
    assert stamp["Python"].startswith(sys.version.split()[0])
    assert "PYTHONHASHSEED=0" in stamp["Kernel"]
    assert "requirements-lock.txt" in stamp["Environment lock"]
    assert "-p mc_draws 2000" in stamp["Command"]
    assert "report.pdf" in stamp["PDF"] or "not produced" in stamp["PDF"]
    rows = {(t["data-notebook"], tr.select("td")[0].get_text(strip=True)):
            [td.get_text(" ", strip=True) for td in tr.select("td")]
            for t in soup.select("table.hc-parameters") for tr in t.select("tbody tr")}
    assert rows[("catastrophic-spending", "n_households")][1:4] == [
        "600", "100000", "-p catastrophic-spending:n_households"]
    assert rows[("illness-induced-poverty", "mc_draws")][1:4] == ["2000", "20000", "-p mc_draws"]
    assert rows[("catastrophic-spending", "seed")][1:4] == ["2024", "2024", "default"]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert [n["name"] for n in manifest["notebooks"]] == SMALL["only"]
    assert (out / "notebooks" / "catastrophic-spending.ipynb").exists()
    cites = BeautifulSoup((out / "citations.html").read_text(encoding="utf-8"), "html.parser")
    assert "&lt;table" not in str(cites)  # tables are markup, not escaped text
    heads = [th.get_text(strip=True) for th in cites.select("table.hc-citation-table")[0].select("thead th")]
    assert {"Parameter", "Applies to", "Value used", "Permitted by the document",
            "Source (document, article, lines)", "Quote"} <= set(heads)
    ids = {h.get("id") for h in cites.select("h2")}
    assert {"scheme-jilin-resident-2008", "scheme-dazu-resident"} <= ids
    assert len(cites.select("table.hc-citation-table tbody tr")) > 200
    text = cites.get_text()
    assert "(fèi)" not in text and "(zhǔn)" not in text  # quotes in their display form
    assert "category=" not in text
    # A reduced build says so, with the command for the full one.
    reduced = soup.select_one(".hc-size-reduced")
    assert reduced is not None
    assert "n_households=600" in reduced.get_text() and "100,000" in reduced.get_text()
    assert "make report" in reduced.get_text()
    assert "Run times are not recorded" in index


@pytest.mark.slow
@pytest.mark.notebook
def test_code_hidden_tables_for_readers_and_downloads(builds, browser):
    """Code is hidden until "Show code" is ticked (no script); tables show no NaN or None;
    every table links a CSV and an Excel file that open with the same rows."""
    import pandas as pd
    from bs4 import BeautifulSoup

    out = builds[0]
    page_html = (out / "catastrophic-spending.html").read_text(encoding="utf-8")
    soup = BeautifulSoup(page_html, "html.parser")
    for cell in soup.select(".jp-OutputArea-output table"):
        cells = [td.get_text(strip=True) for td in cell.select("td")]
        assert "NaN" not in cells and "None" not in cells and "nan" not in cells
    links = soup.select("p.hc-download")
    assert len(links) >= 5
    for p in links:
        csv, xlsx = (a["href"] for a in p.select("a")[:2])
        frame = pd.read_csv(out / csv, encoding="utf-8-sig")
        assert len(frame) == pd.read_excel(out / xlsx).shape[0]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    blocked = report.local_files_only(page)
    try:
        page.goto((out / "catastrophic-spending.html").as_uri())
        code = page.locator(".jp-CodeCell .jp-Cell-inputWrapper").first
        assert not code.is_visible()
        page.locator("#hc-show-code").click()
        assert code.is_visible()
        page.locator("#hc-show-code").click()
        assert not code.is_visible()
        # Citations by key link to the bibliography.
        cite = page.locator("a[href^='references.html#ref-']").first
        assert cite.inner_text() == "O'Donnell et al. 2008"
        assert cite.get_attribute("href") == "references.html#ref-odonnell2008"
        page.goto((out / "references.html").as_uri())
        assert page.locator("#ref-xu2003").count() == 1
    finally:
        context.close()
    assert not blocked
    print_html = (out / "print.html").read_text(encoding="utf-8")
    assert 'id="hc-show-code"' not in print_html  # the print version has no switch


@pytest.mark.slow
@pytest.mark.notebook
def test_pdf_tables_fit_a4(builds):
    """The citations appendix is landscape; the PDF says how many tables it fitted."""
    manifest = json.loads((builds[0] / "manifest.json").read_text(encoding="utf-8"))
    if not (builds[0] / "report.pdf").exists():
        pytest.skip(f"no PDF: {manifest['pdf']}")
    assert "set landscape" in manifest["pdf"] and "printed below 45%" not in manifest["pdf"]
    data = (builds[0] / "report.pdf").read_bytes()
    landscape = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+841\.9\d*\s+594\.9\d*\s*\]", data)
    assert len(landscape) > 20


@pytest.mark.slow
@pytest.mark.notebook
def test_pages_fetch_nothing_from_other_hosts(builds):
    pages = sorted(builds[0].glob("*.html"))
    assert {p.name for p in pages} >= {"index.html", "citations.html", "print.html",
                                       "catastrophic-spending.html"}
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert report.external_references(text) == [], page.name
        assert "cdn.jsdelivr" not in text and "require.min.js" not in text, page.name


@pytest.mark.slow
@pytest.mark.notebook
def test_pdf_of_the_whole_report(builds):
    pdf = builds[0] / "report.pdf"
    if not pdf.exists():
        if Path(report.CHROMIUM).exists():
            manifest = json.loads((builds[0] / "manifest.json").read_text(encoding="utf-8"))
            pytest.fail(f"chromium is installed but no PDF: {manifest['pdf']}")
        pytest.skip(f"{report.CHROMIUM} is missing; `make test` installs Debian's chromium")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    assert len(re.findall(rb"/Type\s*/Page(?![s\w])", data)) > 5


@pytest.mark.slow
@pytest.mark.notebook
def test_pages_open_offline_in_chromium_with_charts(builds, browser):
    """From file://, every request that is not a local file is blocked and recorded; the
    index links each notebook page, whose charts are SVG with marks, drawn on screen."""
    ARTIFACTS.mkdir(exist_ok=True)
    out = builds[0]
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    blocked, errors = report.local_files_only(page), []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto((out / "index.html").as_uri())
        assert page.title() == "healthcover report"
        links = page.locator("table.hc-notebooks td:first-child a")
        assert links.count() == len(SMALL["only"])
        charts_seen = 0
        for i in range(links.count()):
            page.goto((out / "index.html").as_uri())
            page.locator("table.hc-notebooks td:first-child a").nth(i).click()
            page.wait_for_load_state("load")
            svgs = page.locator(".jp-RenderedSVG svg")
            assert svgs.count() >= 1, page.url
            marks = page.locator(".jp-RenderedSVG svg g[class*='role-mark'] > *")
            assert marks.count() > 0, page.url
            box = svgs.first.bounding_box()
            assert box and box["width"] > 100 and box["height"] > 100
            svgs.first.scroll_into_view_if_needed()
            charts_seen += svgs.count()
            page.screenshot(path=str(ARTIFACTS / f"report-{Path(page.url).stem}.png"))
        assert charts_seen >= 4  # three in catastrophic-spending, one in illness-induced-poverty
        page.goto((out / "print.html").as_uri())
        assert page.locator(".jp-RenderedSVG svg").count() == charts_seen
    finally:
        context.close()
    assert not blocked, f"report pages requested other hosts: {blocked}"
    assert not errors, f"console errors: {errors}"


def test_svg_ids_are_renamed_in_order_of_definition():
    """vl-convert numbers clip paths with a process-wide counter; the page must not show it."""
    def svg(a, b):
        return (f'<svg><clipPath id="clip{a}"></clipPath><clipPath id="clip{b}"></clipPath>'
                f'<g clip-path="url(#clip{a})"></g><use href="#clip{b}"/></svg>')

    from healthcover.report.outputs import _unique_svg_ids

    first = _unique_svg_ids(svg(1, 2), "nb-chart1")
    assert first == _unique_svg_ids(svg(7, 8), "nb-chart1")
    assert 'id="nb-chart1-id1"' in first and 'url(#nb-chart1-id1)' in first
    assert 'href="#nb-chart1-id2"' in first


def test_unknown_citation_key_is_named(tmp_path):
    from healthcover.report.bibliography import Bibliography

    bib = Bibliography(ROOT / "docs" / "references.bib")
    html, keys = bib.render_markdown("as in [@xu2003, p. 112; @odonnell2008] and `[@code]`", "",
                                     "nb.ipynb, markdown cell 1")
    assert keys == ["xu2003", "odonnell2008"]
    assert "([Xu et al. 2003](#ref-xu2003), p. 112; [O'Donnell et al. 2008](#ref-odonnell2008))" \
        in html
    assert "`[@code]`" in html
    with pytest.raises(ReportError, match=r"nb.ipynb, markdown cell 1: \[@nobody2020\] cites "
                                          r"'nobody2020', which references.bib does not have"):
        bib.render_markdown("see [@nobody2020]", "", "nb.ipynb, markdown cell 1")


def test_every_notebook_citation_is_in_the_bibliography():
    from healthcover.report.bibliography import CITATION, Bibliography

    bib = Bibliography(ROOT / "docs" / "references.bib")
    cited = set()
    for path in report.find_notebooks(NOTEBOOKS):
        for i, cell in enumerate(nbformat.read(path, as_version=4).cells):
            if cell.cell_type == "markdown":
                cited |= set(bib.render_markdown(cell.source, "", f"{path.name} cell {i}")[1])
    assert {"odonnell2008", "xu2003", "wagstaff2014", "who2021uhc", "gerber1982",
            "klugman2019", "cameron2005", "newhouse1999"} <= cited
    assert CITATION.search("[@a]") and not CITATION.search("[text](http://x)")


def test_export_tables_and_pinned_excel(tmp_path):
    import datetime as dt
    import time

    import pandas as pd

    from healthcover.report.downloads import export_tables, pin_xlsx

    frame = pd.DataFrame({"类别": ["成年人", None], "oop": [1.5, 2.0],
                          "list": [[1, 2], []]})
    when = dt.datetime(2023, 11, 14, tzinfo=dt.UTC)
    paths = []
    for name in ("a", "b"):
        path = export_tables({"Table 1": frame, "Table 2": frame.head(1)}, tmp_path / f"{name}.xlsx")
        pin_xlsx(path, when)
        paths.append(path)
        time.sleep(1.1)  # a second apart: the unpinned files would differ
    assert paths[0].read_bytes() == paths[1].read_bytes()
    back = pd.read_excel(paths[0], sheet_name=None)
    assert list(back) == ["Table 1", "Table 2"] and back["Table 1"].shape == (2, 3)
    csv = export_tables({"t": frame}, tmp_path / "t.csv")
    assert csv.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel reads the Chinese
    with pytest.raises(ReportError, match=r"a CSV file holds one table, got 2"):
        export_tables({"a": frame, "b": frame}, tmp_path / "x.csv")


def test_pin_pdf_keeps_length():
    import datetime as dt

    from healthcover.report.pdf import pin_pdf

    data = b"<</CreationDate (D:20261207191741+00'00')\n/ModDate (D:20261207191741+00'00')>>"
    pinned = pin_pdf(data, dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=dt.UTC))
    assert len(pinned) == len(data)
    assert pinned.count(b"D:20231114221320+00'00'") == 2


def test_source_date_epoch_must_be_seconds(monkeypatch):
    from healthcover.report.stamp import build_time

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(ReportError, match=r"SOURCE_DATE_EPOCH='yesterday' is not a whole number"):
        build_time()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert build_time()[0].isoformat() == "2023-11-14T22:13:20+00:00"


def test_read_lock_names_a_line_that_is_not_a_pin(tmp_path):
    lock = tmp_path / "requirements-lock.txt"
    lock.write_text("# header\nAltair==6.3.0\nzope.interface==7.0  # comment\n\nnumpy>=2\n")
    with pytest.raises(ReportError, match=r"requirements-lock.txt:5: 'numpy>=2' is not NAME==VERSION"):
        report.read_lock(lock)
    lock.write_text("# header\nAltair==6.3.0\nzope.interface==7.0  # comment\n")
    assert report.read_lock(lock) == {"altair": "6.3.0", "zope-interface": "7.0"}
