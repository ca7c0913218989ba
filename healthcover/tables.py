"""Tables researchers take away: Stata ``.dta`` with variable labels, Excel, CSV.

:func:`export` writes one DataFrame or a mapping of named DataFrames (the results of
``standard_errors``, ``decompose_concentration``, a notebook's summary tables) to the formats a
health economist opens next: Stata (version 118, Unicode, so Chinese labels survive), an Excel
workbook with one sheet per table, and UTF-8 CSV. A table's index is written as ordinary
columns (a research table's row labels are data); column labels come from ``labels=`` or the
table's ``attrs["labels"]`` (as :func:`healthcover.load_survey` leaves them).

(The module is not called ``export`` so that importing it never hides the function
``healthcover.export``.)
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from healthcover.errors import HealthcoverError, allowed

__all__ = ["export", "FORMATS"]

#: Formats :func:`export` writes, by file extension.
FORMATS = ("dta", "xlsx", "csv")
_STATA_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,31}$")
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")
_STATA_LABEL_MAX = 80


def export(
    tables: pd.DataFrame | Mapping[str, pd.DataFrame],
    path: str | Path,
    *,
    formats: str | Sequence[str] | None = None,
    labels: Mapping[str, str] | Mapping[str, Mapping[str, str]] | None = None,
    encoding: str = "utf-8",
) -> list[Path]:
    """Write tables as Stata ``.dta`` (with variable labels), Excel and CSV.

    Parameters
    ----------
    tables : a DataFrame, or ``{name: DataFrame}`` for several (names become sheet names and
        file-name suffixes).
    path : where to write. A file name ending ``.dta``, ``.xlsx`` or ``.csv`` writes that
        format: Excel puts every table in one workbook (one sheet per table); Stata and CSV
        write one file per table, ``<stem>_<name>.<ext>`` when there are several. A folder
        (a path without one of these extensions) receives ``<name>.<ext>`` for each table
        and each of ``formats`` (default: all three), and is created if missing.
    formats : with a folder, which of ``"dta"``, ``"xlsx"``, ``"csv"`` to write.
    labels : variable labels, ``{column: label}`` for every table or ``{table: {column:
        label}}``; merged over each table's ``attrs["labels"]``. Stata keeps labels of up to
        80 characters; a column renamed to fit Stata's naming rules keeps its original name
        as its label.
    encoding : of the CSV files (``"utf-8-sig"`` helps old Excel versions open Chinese text).

    Returns
    -------
    The paths written, in order.

    Examples
    --------
    >>> export({"se": se_table, "decomposition": decomp}, "results/")   # doctest: +SKIP
    """
    func = "export"
    named = _named_tables(tables, func)
    path = Path(path)
    suffix = path.suffix.lower().lstrip(".")
    if suffix in FORMATS:
        if formats is not None:
            raise HealthcoverError(
                f"{func}: formats= applies when path is a folder; '{path.name}' already says "
                f"'{suffix}'"
            )
        fmts, folder = [suffix], None
    else:
        fmts = _formats(formats, func)
        folder = path
        folder.mkdir(parents=True, exist_ok=True)
    if folder is None and not path.parent.exists():
        raise HealthcoverError(f"{func}: folder '{path.parent}' does not exist")
    prepared = {name: _flat(df, name, func) for name, df in named.items()}
    table_labels = {name: _labels_for(name, df, labels) for name, df in named.items()}
    written: list[Path] = []
    for fmt in fmts:
        if fmt == "xlsx":
            target = path if folder is None else folder / "tables.xlsx"
            written.append(_write_excel(prepared, target, func))
            continue
        for name, df in prepared.items():
            if folder is not None:
                target = folder / f"{_safe_file(name)}.{fmt}"
            elif len(prepared) == 1:
                target = path
            else:
                target = path.with_name(f"{path.stem}_{_safe_file(name)}{path.suffix}")
            if fmt == "dta":
                _write_stata(df, target, table_labels[name], name, func)
            else:
                df.to_csv(target, index=False, encoding=encoding)
            written.append(target)
    return written


def _named_tables(tables: Any, func: str) -> dict[str, pd.DataFrame]:
    if isinstance(tables, pd.DataFrame):
        return {"table": tables}
    if isinstance(tables, pd.Series):
        return {str(tables.name or "table"): tables.to_frame()}
    if not isinstance(tables, Mapping) or not tables:
        got = "an empty mapping" if isinstance(tables, Mapping) else type(tables).__name__
        raise HealthcoverError(
            f"{func}: tables must be a DataFrame or a mapping {{name: DataFrame}}; received {got}"
        )
    out = {}
    for name, df in tables.items():
        if not isinstance(name, str) or not name.strip():
            raise HealthcoverError(f"{func}: table name {name!r} is not allowed; give a non-empty string")
        if isinstance(df, pd.Series):
            df = df.to_frame()
        if not isinstance(df, pd.DataFrame):
            raise HealthcoverError(
                f"{func}: table '{name}' is {type(df).__name__}; every table must be a DataFrame"
            )
        out[name] = df
    return out


def _formats(formats, func) -> list[str]:
    if formats is None:
        return list(FORMATS)
    fmts = [formats] if isinstance(formats, str) else list(formats)
    bad = [f for f in fmts if f not in FORMATS]
    if bad or not fmts:
        raise HealthcoverError(f"{func}: formats {bad or fmts!r} not allowed; allowed: {allowed(FORMATS)}")
    return list(dict.fromkeys(fmts))


def _flat(df: pd.DataFrame, name: str, func: str) -> pd.DataFrame:
    """The table with its index as columns (unless it is a plain 0..n-1 range) and text column
    names."""
    out = df
    if not (isinstance(df.index, pd.RangeIndex) and df.index.start == 0 and df.index.step == 1
            and df.index.name is None):
        names = [n if n is not None else ("row" if df.index.nlevels == 1 else f"level_{i}")
                 for i, n in enumerate(df.index.names)]
        clash = [n for n in names if n in df.columns]
        if clash:
            raise HealthcoverError(
                f"{func}: table '{name}' has the column(s) {allowed(clash)} more than once "
                "(its index has the same name); rename the index or the column"
            )
        out = df.set_axis(df.index.set_names(names)).reset_index()
    if isinstance(out.columns, pd.MultiIndex):
        out = out.set_axis([" ".join(str(p) for p in c if str(p)) for c in out.columns], axis=1)
    else:
        out = out.set_axis([str(c) for c in out.columns], axis=1)
    dup = out.columns[out.columns.duplicated()]
    if len(dup):
        raise HealthcoverError(
            f"{func}: table '{name}' has the column(s) {allowed(dict.fromkeys(dup))} more than once "
            "(after writing its index as columns); rename them"
        )
    return out


def _labels_for(name, df, labels) -> dict[str, str]:
    out = {str(k): str(v) for k, v in (df.attrs.get("labels") or {}).items() if v}
    if labels:
        if name in labels and isinstance(labels[name], Mapping):
            out.update({str(k): str(v) for k, v in labels[name].items()})
        else:
            out.update({str(k): str(v) for k, v in labels.items() if not isinstance(v, Mapping)})
    return out


def _safe_file(name: str) -> str:
    return re.sub(r"[^\w.-]+", "_", name, flags=re.UNICODE).strip("_") or "table"


def _stata_names(columns: list[str], table: str, func: str) -> dict[str, str]:
    """Column -> a valid, unique Stata name (letters, digits, _; at most 32; not starting with
    a digit)."""
    out: dict[str, str] = {}
    taken: set[str] = set()
    for col in columns:
        name = col if _STATA_NAME.match(col) else re.sub(r"\W", "_", col, flags=re.ASCII)
        if not name or name[0].isdigit():
            name = "v_" + name
        name = name[:32]
        base, i = name, 1
        while name.lower() in taken:
            i += 1
            name = f"{base[:32 - len(str(i)) - 1]}_{i}"
        taken.add(name.lower())
        out[col] = name
    return out


def _write_stata(df: pd.DataFrame, target: Path, labels: dict[str, str], name: str, func: str) -> None:
    names = _stata_names(list(df.columns), name, func)
    var_labels = {}
    for col, new in names.items():
        label = labels.get(col, col if new != col else "")
        if len(label) > _STATA_LABEL_MAX:
            raise HealthcoverError(
                f"{func}: table '{name}': the label of '{col}' has {len(label)} characters; Stata "
                f"keeps at most {_STATA_LABEL_MAX}; shorten it"
            )
        if label:
            var_labels[new] = label
    out = df.rename(columns=names)
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_bool_dtype(s):
            out[col] = s.astype(np.int8)
        elif isinstance(s.dtype, pd.CategoricalDtype) or pd.api.types.is_object_dtype(s) \
                or pd.api.types.is_string_dtype(s):
            if not s.map(lambda v: v is None or isinstance(v, str) or
                         (isinstance(v, float) and np.isnan(v))).all():
                out[col] = s.map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v))
                                 else str(v))
            else:
                out[col] = s.astype(object).where(s.notna(), "")
    data_label = str(df.attrs.get("title", name))[:_STATA_LABEL_MAX]
    try:
        out.to_stata(target, write_index=False, version=118, variable_labels=var_labels,
                     data_label=data_label)
    except (ValueError, TypeError) as exc:
        raise HealthcoverError(f"{func}: table '{name}' cannot be written to Stata: {exc}") from None


def _write_excel(prepared: dict[str, pd.DataFrame], target: Path, func: str) -> Path:
    try:
        import openpyxl  # noqa: F401
    except ImportError:  # pragma: no cover - depends on the environment
        raise HealthcoverError(
            f"{func}: writing Excel needs the 'openpyxl' package (pip install 'healthcover[data]')"
        ) from None
    sheets: dict[str, str] = {}
    for name in prepared:
        sheet = _SHEET_BAD.sub("_", name)[:31].strip("'") or "table"
        base, i = sheet, 1
        while sheet.lower() in {s.lower() for s in sheets.values()}:
            i += 1
            sheet = f"{base[:31 - len(str(i)) - 1]}_{i}"
        sheets[name] = sheet
    with pd.ExcelWriter(target, engine="openpyxl") as writer:
        for name, df in prepared.items():
            df.to_excel(writer, sheet_name=sheets[name], index=False)
    return target
