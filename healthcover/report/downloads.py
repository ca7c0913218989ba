"""Each table a notebook shows, as CSV and Excel downloads beside its page.

:func:`export_tables` is the one place the report writes table files; when ``hc.export`` lands
it can take its place unchanged (same arguments). :func:`write_downloads` decides names and
which formats a table gets, and pins what would differ between two builds (the timestamps
inside an ``.xlsx``) to the build's time, so ``SOURCE_DATE_EPOCH`` builds are byte-identical.
"""
from __future__ import annotations

import datetime as _dt
import io
import re
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from healthcover.report.errors import ReportError

__all__ = ["EXCEL_MAX_ROWS", "export_tables", "write_downloads"]

#: Tables longer than this get a CSV only: openpyxl writes about 15,000 rows a second, and
#: a spreadsheet of the whole synthetic population helps nobody.
EXCEL_MAX_ROWS = 20_000


def _excel_safe(frame):
    """Values Excel can hold: lists and mappings as text, time zones dropped."""
    import pandas as pd

    from healthcover.tables import cell_text

    out = frame.copy()
    for j in range(out.shape[1]):
        col = out.iloc[:, j]
        if col.dtype == object:
            out.isetitem(j, col.map(lambda v: cell_text(v) if isinstance(v, (list, tuple, set, dict))
                                    else v))
        elif isinstance(col.dtype, pd.DatetimeTZDtype):
            out.isetitem(j, col.dt.tz_localize(None))
    if isinstance(out.columns, pd.MultiIndex):
        out.columns = [" / ".join(str(x) for x in c if str(x)) for c in out.columns]
    return out


def _sheet_name(name: str, taken: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", " ", name).strip()[:31] or "table"
    sheet, k = base, 2
    while sheet.lower() in taken:
        suffix = f" ({k})"
        sheet, k = base[: 31 - len(suffix)] + suffix, k + 1
    taken.add(sheet.lower())
    return sheet


def export_tables(tables: Mapping[str, Any], path: Path | str) -> Path:
    """Write ``tables`` (name -> DataFrame) to ``path``: ``.csv`` takes one table (UTF-8 with
    a byte-order mark, so Excel reads the Chinese), ``.xlsx`` one sheet per table. The index is
    written when it carries information (not 0..n-1). The report's hook for ``hc.export``."""
    import pandas as pd

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in {".csv", ".xlsx"}:
        raise ReportError(f"export_tables: {path.name}: the format must be .csv or .xlsx")
    if suffix == ".csv" and len(tables) != 1:
        raise ReportError(f"export_tables: {path.name}: a CSV file holds one table, "
                          f"got {len(tables)}")

    def keep_index(frame) -> bool:
        index = frame.index
        return not (isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1
                    and index.name is None)

    if suffix == ".csv":
        (frame,) = tables.values()
        frame.to_csv(path, index=keep_index(frame), encoding="utf-8-sig", lineterminator="\n")
        return path
    taken: set[str] = set()
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in tables.items():
            _excel_safe(frame).to_excel(writer, sheet_name=_sheet_name(name, taken),
                                        index=keep_index(frame))
    return path


def pin_xlsx(path: Path, when: _dt.datetime) -> None:
    """Give an ``.xlsx`` (a zip) fixed member timestamps and document dates, so the same
    tables written twice give the same bytes."""
    stamp = when.astimezone(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    zip_time = max(when.astimezone(_dt.UTC).timetuple()[:6], (1980, 1, 1, 0, 0, 0))
    members = []
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            data = z.read(info)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)",
                              lambda m: m.group(1) + stamp.encode() + m.group(3), data)
            members.append((info.filename, info.compress_type, data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, compress, data in members:
            info = zipfile.ZipInfo(name, date_time=zip_time)
            info.compress_type = compress
            info.external_attr = 0o644 << 16
            z.writestr(info, data)
    path.write_bytes(buf.getvalue())


def write_downloads(slug: str, tables: list[tuple[str, Any]], out_dir: Path,
                    when: _dt.datetime) -> tuple[list[dict[str, Any]], str | None]:
    """Write ``downloads/<slug>/<name>.csv`` (and ``.xlsx`` up to :data:`EXCEL_MAX_ROWS`
    rows) for each ``(name, frame)``, and ``downloads/<slug>.xlsx`` with every table that
    fits; returns a link record per table and the workbook's path (None without tables)."""
    folder = out_dir / "downloads" / slug
    folder.mkdir(parents=True, exist_ok=True)
    links, book = [], {}
    for name, frame in tables:
        csv = export_tables({name: frame}, folder / f"{name}.csv")
        link: dict[str, Any] = {"name": name, "rows": len(frame), "columns": frame.shape[1],
                                "csv": csv.relative_to(out_dir).as_posix(), "xlsx": None}
        if len(frame) <= EXCEL_MAX_ROWS:
            xlsx = export_tables({name: frame}, folder / f"{name}.xlsx")
            pin_xlsx(xlsx, when)
            link["xlsx"] = xlsx.relative_to(out_dir).as_posix()
            book[name] = frame
        links.append(link)
    workbook = None
    if book:
        path = export_tables(book, out_dir / "downloads" / f"{slug}.xlsx")
        pin_xlsx(path, when)
        workbook = path.relative_to(out_dir).as_posix()
    return links, workbook
