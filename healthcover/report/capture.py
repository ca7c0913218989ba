"""Inside a report kernel: how tables are shown and recorded for download.

``kernel_startup.py`` registers these two functions as IPython formatters for pandas
DataFrames and :class:`healthcover.tables.ReaderTable`: :func:`html_for_report` shows the table
as a reader reads it, and :func:`record_table` saves the whole table (pickled) into the
directory the builder names in ``HEALTHCOVER_REPORT_TABLES`` and returns a small record, which
the notebook output carries under :data:`TABLE_MIME` until the builder replaces it by CSV and
Excel download links (``site.py``). Outside a report build nothing is recorded.
"""
from __future__ import annotations

import itertools
import os
from pathlib import Path
from typing import Any

__all__ = ["TABLE_MIME", "html_for_report", "record_table"]

TABLE_MIME = "application/vnd.healthcover.table+json"
TABLES_ENV = "HEALTHCOVER_REPORT_TABLES"
_counter = itertools.count(1)


def _frame(obj: Any):
    from healthcover.tables import ReaderTable

    return obj.to_frame() if isinstance(obj, ReaderTable) else obj


def record_table(obj: Any) -> dict | None:
    """Save ``obj``'s whole table for the report's downloads; the record names the file."""
    directory = os.environ.get(TABLES_ENV)
    if not directory:
        return None
    frame = _frame(obj)
    name = f"table{next(_counter)}.pkl"
    frame.to_pickle(Path(directory) / name)
    return {"file": name, "rows": int(frame.shape[0]), "columns": int(frame.shape[1])}


def html_for_report(obj: Any) -> str:
    """The table as a reader reads it (``ReaderTable.to_html``); a plain DataFrame goes through
    :func:`healthcover.tables.reader_table` without a scheme: blanks and number formats only."""
    from healthcover.tables import ReaderTable, reader_table

    table = obj if isinstance(obj, ReaderTable) else reader_table(obj)
    return table.to_html()
