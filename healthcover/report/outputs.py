"""Executed notebooks made static: charts to inline SVG, live widgets and progress bars out,
recorded tables taken out for download, and a check that no page fetches from another host."""
from __future__ import annotations

import json
import re
from typing import Any

from healthcover.report.capture import TABLE_MIME

__all__ = ["chart_svg", "external_references", "static_outputs", "take_tables"]

_VEGALITE_MIME = re.compile(r"^application/vnd\.vegalite\.v(\d+)(?:\+json|\.json)$")
_VEGA_MIME = re.compile(r"^application/vnd\.vega\.v(\d+)(?:\+json|\.json)$")
_WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def _vl_version(spec: dict) -> str | None:
    """vl-convert's name (``"v6_4"``) for the Vega-Lite version a spec's ``$schema`` names."""
    import vl_convert as vlc

    m = re.search(r"/v(\d+)\.(\d+)", str(spec.get("$schema", "")))
    if not m:
        return None
    have = list(vlc.get_vegalite_versions())
    want = f"{m.group(1)}.{m.group(2)}"
    if want in have:
        return "v" + want.replace(".", "_")
    same_major = [v for v in have if v.split(".")[0] == m.group(1)]
    return "v" + same_major[-1].replace(".", "_") if same_major else None



def chart_svg(spec: dict, *, vega: bool = False) -> str:
    """A Vega-Lite (or Vega) spec drawn to SVG by vl-convert, with no network access."""
    import vl_convert as vlc

    if vega:
        return vlc.vega_to_svg(spec, allowed_base_urls=[])
    return vlc.vegalite_to_svg(spec, vl_version=_vl_version(spec), allowed_base_urls=[])


def _unique_svg_ids(svg: str, prefix: str) -> str:
    """Rename the ids an SVG defines (clip paths, gradients) to ``<prefix>-id<k>`` in order of
    definition: several charts can share a page, and the names do not depend on vl-convert's
    process-wide counter (``clip1`` in one build, ``clip3`` in the next in the same process)."""
    ids = list(dict.fromkeys(re.findall(r'\bid="([^"]+)"', svg)))
    if not ids:
        return svg
    names = {old: f"{prefix}-id{k}" for k, old in enumerate(ids, 1)}
    pattern = re.compile(r'(\bid="|url\(#|href="#)(' + "|".join(map(re.escape, ids)) + r')([")])')
    return pattern.sub(lambda m: f"{m.group(1)}{names[m.group(2)]}{m.group(3)}", svg)


def _altair_html_spec(text: str) -> dict | None:
    """The Vega-Lite spec inside Altair's HTML output (its CDN-loading renderer), if any."""
    if "vega-embed" not in text or "})(" not in text:
        return None
    start = text.rfind("})(")
    try:
        spec, _ = json.JSONDecoder().raw_decode(text[start + 3:])
    except ValueError:
        return None
    return spec if isinstance(spec, dict) else None


_PROGRESS_TEXT = re.compile(r"\d+%\|")
# A text progress bar: "desc:  40%|####      | 4/10 [00:01<00:02,  2.9it/s]".
_PROGRESS_LINE = re.compile(r"\d+%\|.*\|\s*\d+(\.\d+)?[kMG]?/\S+\s*\[[^\]]*\]\s*$")


def _strip_progress(text: str) -> str:
    """Drop text progress bars (they carry timings) from a stream, keep everything else."""
    if "%|" not in text:
        return text
    lines = []
    for line in text.split("\n"):
        parts = [p for p in line.split("\r") if p.strip() and not _PROGRESS_LINE.search(p)]
        if parts or not line.strip():
            lines.append(parts[-1] if parts else line)
    return "\n".join(lines).strip("\n") + ("\n" if text.endswith("\n") and lines else "")


def static_outputs(nb, slug: str) -> int:
    """Rewrite an executed notebook's outputs in place for a static page; returns the chart count.

    Vega-Lite/Vega outputs (and Altair's CDN HTML, should a notebook force that renderer)
    become inline SVG; widget views, which need a live kernel, are dropped (their text
    fallback is kept unless it is a progress bar).
    """
    charts = 0
    # Widget state (tqdm bars with their timings) needs a live kernel; the page shows none.
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        kept = []
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                out["text"] = _strip_progress(str(out.get("text", "")))
                if out["text"]:
                    kept.append(out)
                continue
            data = out.get("data")
            if data is None:
                kept.append(out)
                continue
            data.pop(TABLE_MIME, None)  # a table record the builder did not take
            spec, vega = None, False
            for mime in list(data):
                if _VEGALITE_MIME.match(mime):
                    spec = data[mime]
                elif _VEGA_MIME.match(mime):
                    spec, vega = data[mime], True
            if spec is None and "text/html" in data:
                spec = _altair_html_spec(str(data["text/html"]))
            if spec is not None:
                if isinstance(spec, str):
                    spec = json.loads(spec)
                charts += 1
                svg = _unique_svg_ids(chart_svg(spec, vega=vega), f"{slug}-chart{charts}")
                out["data"] = {"image/svg+xml": svg}
                out.setdefault("metadata", {}).clear()
                kept.append(out)
                continue
            if _WIDGET_MIME in data:
                data.pop(_WIDGET_MIME)
                plain = str(data.get("text/plain", ""))
                if not set(data) - {"text/plain"} and (not plain or _PROGRESS_TEXT.search(plain)):
                    continue
            kept.append(out)
        cell["outputs"] = kept
    return charts



_RESOURCE_ATTR = re.compile(
    r"<(script|link|img|iframe|source|embed|object|audio|video|image|use)\b[^>]*?"
    r"\b(src|href|xlink:href|data)\s*=\s*[\"']?\s*(https?:)?//[^\"'\s>]+",
    re.IGNORECASE,
)
_CSS_URL = re.compile(r"(@import\s+(url\()?|url\()\s*[\"']?\s*(https?:)?//[^\"')\s]+", re.IGNORECASE)
_SCRIPT_FETCH = re.compile(r"<script\b[^>]*>(?:(?!</script>).)*?[\"'](https?:)?//[^\"']+",
                           re.IGNORECASE | re.DOTALL)


def external_references(text: str) -> list[str]:
    """Every place a page would fetch something from another host: ``src``/``href`` of
    scripts, stylesheets, images and frames, CSS ``url()``/``@import``, and URLs inside
    inline scripts. Plain ``<a href>`` links (not fetched) and XML namespaces are allowed."""
    found = [m.group(0)[:160] for m in _RESOURCE_ATTR.finditer(text)]
    found += [m.group(0)[:160] for m in _CSS_URL.finditer(text)]
    found += [m.group(0)[-160:] for m in _SCRIPT_FETCH.finditer(text)]
    return found


def _strip_external(text: str) -> tuple[str, list[str]]:
    """Remove tags that would load from another host; returns the page and what was removed."""
    removed: list[str] = []

    def drop(m: re.Match) -> str:
        removed.append(m.group(0)[:160])
        return ""

    text = re.sub(r"<script\b[^>]*\bsrc\s*=\s*[\"']?(https?:)?//[^>]*>\s*</script>", drop, text,
                  flags=re.IGNORECASE)
    text = re.sub(r"<link\b[^>]*\bhref\s*=\s*[\"']?(https?:)?//[^>]*>", drop, text,
                  flags=re.IGNORECASE)
    text = re.sub(r"@import\s+(url\()?\s*[\"']?(https?:)?//[^;]*;", drop, text, flags=re.IGNORECASE)
    return text, removed




def take_tables(nb) -> list[tuple[int, Any, dict]]:
    """Remove the table records (:data:`~healthcover.report.capture.TABLE_MIME`) from an
    executed notebook's outputs; returns ``(cell index, output, record)`` in order, so the
    builder can write each table's downloads and link them under the output."""
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            data = out.get("data")
            if data and TABLE_MIME in data:
                record = data.pop(TABLE_MIME)
                if isinstance(record, str):
                    record = json.loads(record)
                if record:
                    found.append((i, out, record))
    return found
