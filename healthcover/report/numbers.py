"""Reading a built report back: every number a reader sees, keyed by where it is."""
from __future__ import annotations

import json
import re
from pathlib import Path

__all__ = ["report_numbers"]

# Numbers as a reader sees them: 1,234.5, -3, 4.2e-05, 35%, U+2212 minus (vl-convert axes).
_NUMBER = re.compile(
    r"(?<![\w.])[-+\u2212]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?%?"
)


def _numbers(text: str) -> list[str]:
    return [m.group(0).replace(",", "").replace("\u2212", "-") for m in _NUMBER.finditer(text)]


def report_numbers(report_dir: Path | str) -> dict[str, list[str]]:
    """Every number a reader sees in a built report, keyed by where it is.

    Per notebook page and cell (``"catastrophic-spending.html cell c7be8e9c"``): the numbers in
    its outputs (text, HTML tables, chart labels), in order; plus the parameter tables of the
    front page (``"index.html parameters <notebook>"``) and the citations page. Build stamps
    (time, commit, versions, run times) are left out, so two builds of one commit with the same
    parameters must give equal dicts.
    """
    from bs4 import BeautifulSoup

    report_dir = Path(report_dir)
    manifest = json.loads((report_dir / "manifest.json").read_text(encoding="utf-8"))
    out: dict[str, list[str]] = {}
    for nb in manifest["notebooks"]:
        soup = BeautifulSoup((report_dir / nb["page"]).read_text(encoding="utf-8"), "html.parser")
        for k, cell in enumerate(soup.select("div.jp-Cell")):
            outputs = cell.select(".jp-OutputArea-output")
            if not outputs:
                continue
            cell_id = (cell.get("id") or f"#{k}").removeprefix("cell-id=")
            nums = [n for o in outputs for n in _numbers(o.get_text(" "))]
            out[f"{nb['page']} cell {cell_id}"] = nums
    index = BeautifulSoup((report_dir / "index.html").read_text(encoding="utf-8"), "html.parser")
    for table in index.select("table.hc-parameters"):
        rows = [" ".join(td.get_text(" ") for td in tr.select("td")[:3]) for tr in table.select("tbody tr")]
        out[f"index.html parameters {table.get('data-notebook')}"] = _numbers(" | ".join(rows))
    cites = report_dir / "citations.html"
    if cites.exists():
        soup = BeautifulSoup(cites.read_text(encoding="utf-8"), "html.parser")
        out["citations.html"] = _numbers(" ".join(t.get_text(" ") for t in soup.select("table")))
    return out


