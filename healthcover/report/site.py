"""The static site: notebook pages, front page, citations, references, print version, PDF.

Pages are nbconvert's lab template without anything fetched from another host (templates in
``templates/``), code hidden behind a "Show code" switch that works without scripts, tables
as :mod:`healthcover.tables` writes them with CSV and Excel downloads underneath, citations
by key turned into author-year links to the bibliography (``references.html``).
"""
from __future__ import annotations

import copy
import datetime as _dt
import html
import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from healthcover.report.bibliography import Bibliography
from healthcover.report.downloads import write_downloads
from healthcover.report.errors import ReportError
from healthcover.report.notebooks import KERNEL_ENV, Notebook
from healthcover.report.outputs import (_strip_external, external_references, static_outputs,
                                        take_tables)
from healthcover.report.pdf import print_pdf

__all__ = ["write_site"]


def templates_dir() -> Path:
    """The report's templates (package data); a real directory for jinja and nbconvert."""
    return Path(str(resources.files("healthcover.report").joinpath("templates")))


def _jinja():
    import jinja2

    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates_dir())),
                              autoescape=jinja2.select_autoescape(["j2", "html"]),
                              keep_trailing_newline=True)


def _markup(text: str):
    import markupsafe

    return markupsafe.Markup(text)


def _exporter():
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="healthcover-report",
                            extra_template_basedirs=[str(templates_dir() / "nbconvert")])
    exporter.embed_images = True  # markdown images inline: the page stands alone
    return exporter


def nb_context(nb: Notebook, root: Path, *, run_times: bool) -> dict[str, Any]:
    rows = []
    for name, p in nb.parameters.items():
        value, set_by = nb.overrides.get(name, (p.default, "default"))
        rows.append({"name": name,
                     "value": repr(value) if (p.literal or set_by != "default") else value,
                     "default": repr(p.default) if p.literal else p.default,
                     "set_by": set_by, "note": p.note})
    return {"name": nb.name, "slug": nb.slug, "page": nb.page, "path": nb.rel(root),
            "title": nb.title, "parameters": rows, "overridden": len(nb.overrides),
            "seconds": nb.seconds if run_times else None, "charts": nb.charts,
            "tables": nb.tables, "workbook": nb.workbook}


def _citations_context() -> dict[str, Any]:
    """Every scheme, every variant: :func:`healthcover.tables.parameter_sources`."""
    import healthcover as hc
    from healthcover.tables import parameter_sources

    schemes, rows = [], 0
    for scheme_id in hc.list_schemes():
        base = hc.load_scheme(scheme_id)
        meta = base.meta
        variants = []
        for variant in (base.variants or [None]):
            s = hc.load_scheme(scheme_id, variant) if variant else base
            table = parameter_sources(s)
            rows += len(table)
            markup = table.to_html().replace('class="dataframe hc-table"',
                                             'class="dataframe hc-table hc-citation-table"', 1)
            variants.append({"name": variant if len(base.variants or []) > 1 else "",
                             "table": _markup(markup)})
        src = getattr(meta, "source", None)
        schemes.append({
            "id": scheme_id,
            "title_zh": getattr(meta.title, "zh", ""), "title_en": getattr(meta.title, "en", ""),
            "issuer": getattr(meta.issuer, "en", "") or getattr(meta.issuer, "zh", ""),
            "document_number": getattr(meta, "document_number", "") or "",
            "source": (f"seed {src.doc}, {src.article}, {src.lines}" if src is not None else ""),
            "variants": variants,
        })
    return {"schemes": schemes, "rows": rows}


def _render_site(env, stamp, title: str, content: str, css: str, nav: str) -> str:
    return env.get_template("site.html.j2").render(
        stamp=stamp, title=title, css=_markup(css), header=_markup(nav),
        content=_markup(content),
        footer=_markup(env.get_template("footer.html.j2").render(stamp=stamp)),
    )


def _raw_html_cell(source: str):
    import nbformat

    cell = nbformat.v4.new_raw_cell(source)
    cell.metadata["healthcover_report"] = True
    cell.metadata["raw_mimetype"] = "text/html"
    return cell


def _new_notebook(metadata):
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata = copy.deepcopy(metadata)
    nb.metadata.pop("papermill", None)
    return nb


def _link_downloads(out: Any, link: dict[str, Any], label: str) -> None:
    """Put the table's download links under it (in its HTML output)."""
    data = out.get("data", {})
    if "text/html" not in data:
        return
    size = f"{link['rows']:,} rows x {link['columns']} columns"
    parts = [f'<a href="{link["csv"]}" download>CSV</a>']
    if link["xlsx"]:
        parts.append(f'<a href="{link["xlsx"]}" download>Excel</a>')
    else:
        parts.append("Excel: too many rows, use the CSV")
    html_links = (f'<p class="hc-download" data-table="{html.escape(link["name"])}">'
                  f'{html.escape(label)} ({size}): ' + " &middot; ".join(parts) + "</p>")
    text = data["text/html"]
    data["text/html"] = ("".join(text) if isinstance(text, list) else str(text)) + html_links


_HREF = re.compile(r'href="(?P<page>[^"#:/]+\.html)(?P<frag>#[^"]*)?"')


def _print_links(text: str, notebooks: list[Notebook]) -> str:
    """Links between the site's pages become links inside the one print document, so the PDF
    points at its own pages (not at files of the build directory, which would also make two
    builds differ)."""
    anchors = {nb.page: f"#print-{nb.slug}" for nb in notebooks}
    anchors |= {"references.html": "#references", "citations.html": "#citations",
                "index.html": "#front", "print.html": "#front"}

    def fix(m: re.Match) -> str:
        target = m.group("frag") or anchors.get(m.group("page"))
        return f'href="{target}"' if target else m.group(0)

    return _HREF.sub(fix, text)


def _cite(node, bibliography: Bibliography | None, target: str, where: str) -> list[str]:
    """Turn ``[@key]`` citations in the markdown cells of ``node`` into links (in place);
    returns the keys cited, in order."""
    keys: list[str] = []
    for i, cell in enumerate(node.cells):
        if cell.cell_type != "markdown" or "@" not in cell.source:
            continue
        if bibliography is None:
            from healthcover.report.bibliography import CITATION

            if CITATION.search(cell.source):
                raise ReportError(f"{where}, markdown cell {i}: cites a work by key, but there "
                                  "is no bibliography (docs/references.bib)")
            continue
        cell.source, cited = bibliography.render_markdown(cell.source, target,
                                                          f"{where}, markdown cell {i}")
        keys += cited
    return keys


def write_site(out: Path, notebooks: list[Notebook], executed: dict[str, Any],
               stamp: dict[str, Any], root: Path, *, tables_dir: Path, pdf: bool, chromium: str,
               progress: bool, bibliography: Bibliography | None) -> None:
    """Write every page of the report into ``out`` (see :func:`healthcover.report.build_report`)."""
    import pandas as pd

    env = _jinja()
    css = (templates_dir() / "report.css").read_text(encoding="utf-8")
    exporter = _exporter()
    when = _dt.datetime.fromtimestamp(stamp["epoch"], tz=_dt.UTC)
    run_times = not stamp["source_date_epoch"]
    contexts, static, cited = [], {}, {}
    for nb in tqdm(notebooks, desc="pages", unit="page", disable=not progress, leave=False):
        node = copy.deepcopy(executed[nb.name])
        records = take_tables(node)
        frames = [(f"table{k}", pd.read_pickle(tables_dir / nb.slug / record["file"]))
                  for k, (_, _, record) in enumerate(records, 1)]
        links, nb.workbook = write_downloads(nb.slug, frames, out, when)
        for k, ((_, output, _), link) in enumerate(zip(records, links), 1):
            _link_downloads(output, link, f"Table {k}")
        nb.tables = len(links)
        nb.charts = static_outputs(node, nb.slug)
        static[nb.name] = node
        cited[nb.name] = _cite(copy.deepcopy(node), bibliography, "", nb.rel(root))
        contexts.append(nb_context(nb, root, run_times=run_times))
    all_cited = list(dict.fromkeys(k for keys in cited.values() for k in keys))

    pdf_name = "report.pdf" if pdf else None
    removed_all: dict[str, list[str]] = {}

    def finish(name: str, text: str) -> None:
        text, removed = _strip_external(text)
        if removed:
            removed_all[name] = removed
        left = external_references(text)
        if left:
            raise ReportError(
                f"{name} would load from other hosts and cannot be stripped safely: {left[:3]}"
            )
        (out / name).write_text(text, encoding="utf-8")

    def refs_cell(keys: list[str], target: str) -> list:
        if not keys or bibliography is None:
            return []
        section = bibliography.html(keys, heading="References", level=2,
                                    section_id="", link_to=target)
        return [_raw_html_cell(section)]

    footer = env.get_template("footer.html.j2").render(stamp=stamp)
    # One page per notebook.
    for i, (nb, ctx) in enumerate(zip(notebooks, contexts)):
        nav = env.get_template("nav.html.j2").render(
            prev=contexts[i - 1] if i else None,
            next=contexts[i + 1] if i + 1 < len(contexts) else None, pdf=pdf_name,
            references=bool(all_cited))
        header = nav + env.get_template("notebook_header.html.j2").render(
            nb=ctx, stamp=stamp, open_all=False)
        page = copy.deepcopy(static[nb.name])
        _cite(page, bibliography, "references.html", nb.rel(root))
        page.cells += refs_cell(cited[nb.name], "references.html")
        body, _ = exporter.from_notebook_node(
            page,
            resources={"metadata": {"name": nb.title or nb.name},
                       "hc": {"css": _markup(css), "header": _markup(header),
                              "footer": _markup(footer), "toggle": True}},
        )
        finish(nb.page, body)

    # Parameter citations (from the scheme files) and the bibliography (from the BibTeX file).
    cites = _citations_context()
    nav = env.get_template("nav.html.j2").render(prev=None, next=None, pdf=pdf_name,
                                                 references=bool(all_cited))
    citations_html = env.get_template("citations.html.j2").render(schemes=cites["schemes"])
    finish("citations.html", _render_site(env, stamp, "Parameter citations", citations_html,
                                          css, nav))
    cite_summary = {"schemes": len(cites["schemes"]), "rows": cites["rows"]}
    references_html = ""
    if all_cited and bibliography is not None:
        references_html = bibliography.html(all_cited)
        finish("references.html", _render_site(env, stamp, "References", references_html,
                                               css, nav))

    # Everything in one document (the PDF's source): front page, notebooks, references,
    # citations appendix.
    front_print = env.get_template("front.html.j2").render(
        stamp=stamp, notebooks=contexts, citations=cite_summary, pdf_status="", open_all=True,
        references=len(all_cited), print_version=True)
    combined = _new_notebook(static[notebooks[0].name].metadata)
    combined.cells.append(_raw_html_cell(front_print))
    for nb, ctx in zip(notebooks, contexts):
        head = env.get_template("notebook_header.html.j2").render(nb=ctx, stamp=stamp,
                                                                  open_all=True)
        combined.cells.append(_raw_html_cell(
            f'<div class="hc-print-break" id="print-{nb.slug}"></div>{head}'))
        page = copy.deepcopy(static[nb.name])
        _cite(page, bibliography, "", nb.rel(root))
        for j, cell in enumerate(page.cells):
            cell["id"] = f"{nb.slug}-{j}"  # ids must be unique in one notebook
            combined.cells.append(cell)
    if references_html:
        combined.cells.append(_raw_html_cell(f'<div class="hc-print-break"></div>{references_html}'))
    combined.cells.append(_raw_html_cell(
        f'<div class="hc-print-break"></div><div class="hc-landscape-section">{citations_html}</div>'))
    body, _ = exporter.from_notebook_node(
        combined,
        resources={"metadata": {"name": "healthcover report"},
                   "hc": {"css": _markup(css), "header": _markup(""), "footer": _markup(footer),
                          "toggle": False}},
    )
    finish("print.html", _print_links(body, notebooks))

    pdf_status = ""
    if pdf:
        if progress:
            tqdm.write("  printing report.pdf with headless chromium")
        try:
            if not Path(chromium).exists():
                raise FileNotFoundError(f"{chromium} is missing (apt-get install chromium)")
            pdf_status = '<a href="report.pdf">report.pdf</a>: ' + html.escape(print_pdf(
                out / "print.html", out / "report.pdf", chromium, when))
        except Exception as exc:  # the HTML report stands without the PDF; say why
            pdf_status = html.escape(
                f"not produced: {type(exc).__name__}: {str(exc).splitlines()[0][:300]}")
            if progress:
                tqdm.write(f"  PDF {pdf_status}")
            pdf_name = None
    else:
        pdf_status = "not requested (--no-pdf)"

    front = env.get_template("front.html.j2").render(
        stamp=stamp, notebooks=contexts, citations=cite_summary,
        pdf_status=_markup(pdf_status), open_all=False, references=len(all_cited),
        print_version=False)
    nav = env.get_template("nav.html.j2").render(prev=None, next=None, pdf=pdf_name,
                                                 references=bool(all_cited))
    finish("index.html", _render_site(env, stamp, "healthcover report", front, css, nav))

    manifest = {
        "healthcover_version": stamp["version"], "git": stamp["git"], "built": stamp["built"],
        "command": stamp["command"], "python": stamp["python"], "platform": stamp["platform"],
        "kernel": stamp["kernel"], "kernel_env": KERNEL_ENV, "packages": dict(stamp["packages"]),
        "lock": stamp["lock"], "research_size": stamp.get("research_size"),
        "pdf": pdf_status and html.unescape(re.sub("<[^>]+>", "", pdf_status)),
        "stripped_external": removed_all,
        "references": all_cited,
        "notebooks": [{**ctx, "executed": f"notebooks/{ctx['slug']}.ipynb"} for ctx in contexts],
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False,
                                                  default=str) + "\n", encoding="utf-8")
