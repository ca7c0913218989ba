"""Tables for people: tables a reader sees, and tables a researcher takes away.

**Reading.** A DataFrame straight from the library is made for code (``category=rural_dibao_minor``,
``NaN`` where nothing applies, ``35100.0``). :func:`reader_table` turns one into what a reader
of a report or a dashboard should see, without changing its numbers:

* codes of a scheme's dimensions (variant, category, facility, care) become their names from
  the scheme file, in English or Chinese, in columns and index levels named after the
  dimension and in ``dimension=code`` cells such as ``Scheme.parameter_table()``'s ``cell``;
* the library's own column names and codes (``fund_paid``, ``limit_reason``) take their names
  from ``vocabulary.yaml``; quotes lose the converter's pinyin (:func:`healthcover.text.display_quote`);
* in the HTML, missing values are blank, numbers carry thousands separators and as many
  decimals as the column needs (at most four), long tables show their first and last rows.

The result, a :class:`ReaderTable`, displays itself in Jupyter and keeps the relabelled,
still-numeric frame (:meth:`ReaderTable.to_frame`) for export. :func:`parameter_sources` is the
reader's version of ``Scheme.parameter_table()``: every parameter cell with its value, what the
document permits and its source.

**Taking away.** :func:`export` writes one DataFrame or a mapping of named DataFrames (the
results of ``standard_errors``, ``decompose_concentration``, a notebook's summary tables) to the
formats a health economist opens next: Stata (version 118, Unicode, so Chinese labels survive),
an Excel workbook with one sheet per table, and UTF-8 CSV. A table's index is written as
ordinary columns (a research table's row labels are data); column labels come from
``labels=`` or the table's ``attrs["labels"]`` (as :func:`healthcover.load_survey` leaves
them). (The module is not called ``export`` so that importing it never hides the function
``healthcover.export``.)
"""
from __future__ import annotations

import datetime as _dt
import functools
import html
import math
import numbers
import re
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from healthcover import checks
from healthcover.errors import HealthcoverError, allowed
from healthcover.text import display_quote

__all__ = ["LANGS", "ReaderTable", "cell_text", "parameter_sources", "reader_table", "scheme_labels",
           "vocabulary", "export", "FORMATS"]

LANGS = ("en", "zh")
_PAIRS = re.compile(r"^\s*[A-Za-z_]\w*=[^,=]+(?:,\s*[A-Za-z_]\w*=[^,=]+)*\s*$")
_ELLIPSIS = "\u2026"
_MAX_DECIMALS = 4


@functools.cache
def vocabulary() -> dict[str, Any]:
    """``vocabulary.yaml``: reader names of dimensions, the library's columns and codes."""
    import yaml

    text = resources.files("healthcover").joinpath("vocabulary.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def _name(entry: Mapping[str, str] | None, lang: str) -> str | None:
    if not entry:
        return None
    return entry.get(lang) if entry.get(lang) is not None else entry.get("en")


def scheme_labels(scheme: Any, lang: str = "en") -> dict[str, dict[str, str]]:
    """``{dimension: {code: name}}`` for a scheme's variants, categories, facilities and care
    types, from its ``codes_table()`` (the names in the scheme file). ``scheme`` may also be a
    list of schemes (a table comparing them); the first scheme naming a code wins."""
    lang = checks.choice("scheme_labels", "lang", lang, LANGS)
    schemes = list(scheme) if isinstance(scheme, (list, tuple)) else [scheme]
    out: dict[str, dict[str, str]] = {}
    for s in schemes:
        codes_table = getattr(s, "codes_table", None)
        if not callable(codes_table):
            raise HealthcoverError(
                f"reader_table: scheme must be a loaded scheme (hc.load_scheme(...)) or a list of "
                f"them, got {type(s).__name__}"
            )
        codes = codes_table()
        for dim, code, name, en in zip(codes["dimension"], codes["code"], codes[lang], codes["en"]):
            label = name if isinstance(name, str) and name else en
            out.setdefault(str(dim), {}).setdefault(str(code), str(label))
    return out


def _humanise(column: Any, lang: str, headers: Mapping[Any, str]) -> Any:
    if column in headers:
        return headers[column]
    if not isinstance(column, str):
        return column
    vocab = vocabulary()
    name = _name(vocab["columns"].get(column) or vocab["dimensions"].get(column), lang)
    if name:
        return name
    return column.replace("_", " ") if column.islower() else column


def _map(values: pd.Series | pd.Index, mapping: Mapping[Any, str]) -> pd.Series | pd.Index:
    """Values found in ``mapping`` replaced by their names; others (and blanks) kept."""
    if not mapping:
        return values
    plain = values.astype(object)
    found = plain.isin(list(mapping))
    if not bool(np.any(found)):
        return values
    mapped = plain.map(lambda v: mapping.get(v, v)) if isinstance(plain, pd.Index) else \
        plain.map(mapping).where(found, plain)
    return mapped


def _pairs(text: Any, labels: Mapping[str, Mapping[str, str]], lang: str) -> Any:
    """``"category=adult, facility=county"`` -> ``"Adult; County hospital"``."""
    if not isinstance(text, str) or not text.strip():
        return text
    parts = []
    dims = vocabulary()["dimensions"]
    for pair in text.split(","):
        dim, _, code = (x.strip() for x in pair.partition("="))
        if code in labels.get(dim, {}):
            parts.append(labels[dim][code])
        else:
            parts.append(f"{_name(dims.get(dim), lang) or dim.replace('_', ' ')}: {code}")
    return "; ".join(parts)


def reader_table(
    frame: pd.DataFrame | pd.Series,
    scheme: Any = None,
    *,
    lang: str = "en",
    labels: Mapping[str, Mapping[Any, str]] | None = None,
    headers: Mapping[Any, str] | None = None,
    caption: str = "",
    max_rows: int = 60,
) -> ReaderTable:
    """``frame`` as a reader should see it (see the module's docstring).

    Parameters
    ----------
    frame : the table (a Series becomes a one-column table).
    scheme : a loaded scheme, or a list of them, whose code names replace the codes.
    lang : ``"en"`` or ``"zh"``: the language of names and headers.
    labels : more names, ``{column or dimension: {code: name}}``; they win over the scheme's.
    headers : header names, ``{column: header}``; they win over ``vocabulary.yaml``.
    caption : a line shown above the table.
    max_rows : longer tables show their first and last five rows in HTML (all rows stay in
        :meth:`ReaderTable.to_frame`).

    Examples
    --------
    >>> import healthcover as hc
    >>> s = hc.load_scheme("dazu-resident", "tier2")
    >>> t = hc.reader_table(s.parameter_table()[["parameter", "cell", "value"]], s)
    """
    func = "reader_table"
    lang = checks.choice(func, "lang", lang, LANGS)
    max_rows = checks.positive_int(func, "max_rows", max_rows)
    if isinstance(frame, pd.Series):
        frame = frame.to_frame(name=frame.name if frame.name is not None else "value")
    if not isinstance(frame, pd.DataFrame):
        raise HealthcoverError(
            f"{func}: frame must be a pandas DataFrame or Series, got {type(frame).__name__}")
    names: dict[str, dict[Any, str]] = {}
    for column, mapping in vocabulary()["values"].items():
        names[column] = {code: _name(entry, lang) or "" for code, entry in mapping.items()}
    scheme_dims = scheme_labels(scheme, lang) if scheme is not None else {}
    for dim, mapping in scheme_dims.items():
        names.setdefault(dim, {}).update(mapping)
    for key, mapping in (labels or {}).items():
        if not isinstance(mapping, Mapping):
            raise HealthcoverError(f"{func}: labels[{key!r}] must map codes to names, got "
                                   f"{type(mapping).__name__}")
        names.setdefault(key, {}).update({k: str(v) for k, v in mapping.items()})
    dims = {d: m for d, m in names.items() if d in vocabulary()["dimensions"] or d in scheme_dims}

    out = frame.copy()
    # Index levels named after a dimension (or a labelled column) show names, too.
    if isinstance(out.index, pd.MultiIndex):
        out.index = pd.MultiIndex.from_arrays(
            [_map(out.index.get_level_values(i), names.get(n, {})) if n in names
             else out.index.get_level_values(i) for i, n in enumerate(out.index.names)],
            names=[_humanise(n, lang, headers or {}) if n is not None else None
                   for n in out.index.names])
    else:
        if out.index.name in names:
            out.index = _map(out.index, names[out.index.name])
        if out.index.name is not None:
            out.index.name = _humanise(out.index.name, lang, headers or {})
    for j, column in enumerate(out.columns):
        col = out.iloc[:, j]
        key = column if isinstance(column, str) else None
        if key in names:
            col = _map(col, names[key])
        elif key == "quote":
            col = col.map(lambda q: display_quote(q) if isinstance(q, str) else q)
        elif col.dtype == object or pd.api.types.is_string_dtype(col.dtype):
            text = col.dropna().astype(str)
            text = text[text.str.strip() != ""]
            if len(text) and text.str.fullmatch(_PAIRS).all():
                col = col.map(lambda v: _pairs(v, dims, lang))
        out.isetitem(j, col)
    out.columns = [_humanise(c, lang, headers or {}) for c in out.columns]
    return ReaderTable(out, caption=caption, max_rows=max_rows, lang=lang)


class ReaderTable:
    """A table ready for readers: :meth:`to_html` (also Jupyter's display) and
    :meth:`to_frame` (the relabelled frame, numbers still numbers, for CSV or Excel)."""

    def __init__(self, frame: pd.DataFrame, *, caption: str = "", max_rows: int = 60,
                 lang: str = "en"):
        self._frame = frame
        self.caption = caption
        self.max_rows = max_rows
        self.lang = lang

    def to_frame(self) -> pd.DataFrame:
        """The relabelled table, all rows, values as they were (NaN stays NaN)."""
        return self._frame.copy()

    @property
    def shape(self) -> tuple[int, int]:
        return self._frame.shape

    def __len__(self) -> int:
        return len(self._frame)

    def __repr__(self) -> str:
        with pd.option_context("display.max_rows", self.max_rows):
            return self._frame.astype(object).where(self._frame.notna(), "").to_string()

    def _repr_html_(self) -> str:
        return self.to_html()

    def to_html(self) -> str:
        """The table as HTML: blanks for missing values, numbers formatted per column, the
        first and last five rows of a table longer than ``max_rows``."""
        f = self._frame
        n = len(f)
        cut = n > self.max_rows
        shown = pd.concat([f.iloc[:5], f.iloc[-5:]]) if cut else f
        show_index = not _default_index(f.index)
        formats = [_column_format(f.iloc[:, j]) for j in range(f.shape[1])]
        index_formats = ([_column_format(pd.Series(f.index.get_level_values(i)))
                          for i in range(f.index.nlevels)] if show_index else [])
        parts = ['<table class="dataframe hc-table">']
        caption = self.caption
        if cut:
            more = (f"{n:,} rows x {f.shape[1]} columns, first and last five shown"
                    if self.lang == "en" else f"共{n:,}行、{f.shape[1]}列，显示首尾各五行")
            caption = f"{caption} ({more})" if caption else more
        if caption:
            parts.append(f"<caption>{html.escape(caption)}</caption>")
        parts.append("<thead><tr>")
        if show_index:
            for name in f.index.names:
                parts.append(f'<th class="hc-index">{html.escape(cell_text(name))}</th>')
        for column, fmt in zip(f.columns, formats):
            cls = ' class="hc-num"' if fmt.numeric else ""
            parts.append(f"<th{cls}>{html.escape(cell_text(column))}</th>")
        parts.append("</tr></thead><tbody>")
        last_index: tuple = ()
        for k, (idx, row) in enumerate(zip(shown.index, shown.itertuples(index=False, name=None))):
            if cut and k == 5:
                width = f.shape[1] + (f.index.nlevels if show_index else 0)
                parts.append(f'<tr class="hc-more"><td colspan="{width}">{_ELLIPSIS}</td></tr>')
                last_index = ()
            parts.append("<tr>")
            if show_index:
                levels = idx if isinstance(idx, tuple) else (idx,)
                for i, (value, fmt) in enumerate(zip(levels, index_formats)):
                    # A repeated outer level is shown once, as pandas does.
                    same = len(last_index) > i and last_index[: i + 1] == levels[: i + 1]
                    text = "" if same and i < len(levels) - 1 else fmt(value)
                    parts.append(f'<th class="hc-index">{html.escape(text)}</th>')
                last_index = levels
            for value, fmt in zip(row, formats):
                text = fmt(value)
                cls = "hc-num" if fmt.numeric else ("hc-long" if len(text) > 40 else "")
                attr = f' class="{cls}"' if cls else ""
                parts.append(f"<td{attr}>{html.escape(text)}</td>")
            parts.append("</tr>")
        parts.append("</tbody></table>")
        return "".join(parts)


def _default_index(index: pd.Index) -> bool:
    return (isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1
            and index.name is None)


def _blank(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float | np.floating):
        return math.isnan(value)
    try:
        return bool(pd.isna(value)) if np.ndim(value) == 0 else False
    except (TypeError, ValueError):
        return False


def cell_text(value: Any, decimals: int | None = None, yes: str = "yes", no: str = "no") -> str:
    """One value as a reader reads it."""
    if _blank(value):
        return ""
    if isinstance(value, bool | np.bool_):
        return yes if value else no
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}"
    if isinstance(value, numbers.Real):
        v = float(value)
        if math.isinf(v):
            return "\u221e" if v > 0 else "-\u221e"
        if decimals is None:
            decimals = _decimals(np.array([v]))
        if decimals < 0:  # tiny values: significant digits
            return f"{v:,.3g}"
        return f"{v:,.{decimals}f}"
    if isinstance(value, pd.Timestamp | _dt.datetime):
        ts = pd.Timestamp(value)
        return ts.date().isoformat() if ts == ts.normalize() else ts.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple, set, np.ndarray)):
        return "; ".join(cell_text(v) for v in value)
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {cell_text(v)}" for k, v in value.items())
    return str(value)


def _decimals(values: np.ndarray) -> int:
    """Decimals a float column needs (0 to 4); -1 when its non-zero values are all tiny."""
    x = values[np.isfinite(values)]
    if not len(x):
        return 0
    nonzero = np.abs(x[x != 0])
    if len(nonzero) and nonzero.max() < 10 ** -_MAX_DECIMALS:
        return -1
    with np.errstate(over="ignore", invalid="ignore"):  # huge values round to themselves
        target = np.round(x, _MAX_DECIMALS)
        for d in range(_MAX_DECIMALS + 1):
            if np.allclose(np.round(x, d), target, rtol=0, atol=10 ** -(_MAX_DECIMALS + 2)):
                return d
    return _MAX_DECIMALS


class _Format:
    """How one column's values are written; ``numeric`` columns are right-aligned."""

    def __init__(self, decimals: int | None, numeric: bool):
        self.decimals = decimals
        self.numeric = numeric

    def __call__(self, value: Any) -> str:
        if self.decimals is not None and isinstance(value, numbers.Real) \
                and not isinstance(value, numbers.Integral | bool | np.bool_):
            return cell_text(value, self.decimals)
        if isinstance(value, str):  # messages and notes quote the sources too
            return display_quote(value)
        return cell_text(value)


def _column_format(col: pd.Series) -> _Format:
    if pd.api.types.is_bool_dtype(col.dtype):
        return _Format(None, False)
    if pd.api.types.is_float_dtype(col.dtype):
        return _Format(_decimals(col.to_numpy(dtype=float, na_value=np.nan)), True)
    if pd.api.types.is_integer_dtype(col.dtype):
        return _Format(None, True)
    return _Format(None, False)


def _value_text(value: Any, unit: Any) -> str:
    text = cell_text(value)
    unit = "" if _blank(unit) else str(unit)
    if text and unit and unit not in {"rule", "list", "flag", "code"}:
        return f"{text} {unit}"
    return text


def parameter_sources(scheme: Any, *, lang: str = "en", prefix: str = "") -> ReaderTable:
    """Every parameter cell of ``scheme`` (one variant) as a reader's table of sources: the
    parameter, the cells it applies to (by name), the value used with its unit, what the
    document permits, the source (document, article, lines), the quote (its display form)
    and the note. Built on ``scheme.parameter_table(prefix)``; the citations page of the
    report and the scheme notebooks show it."""
    lang = checks.choice("parameter_sources", "lang", lang, LANGS)
    table = scheme.parameter_table(prefix)
    source = [", ".join(str(x) for x in (d, a, ln) if not _blank(x) and str(x))
              for d, a, ln in zip(table["doc"], table["article"], table["lines"])]
    compact = pd.DataFrame({
        "parameter": table["parameter"],
        "cell": table["cell"],
        "value_used": [_value_text(v, u) for v, u in zip(table["value"], table["unit"])],
        "permitted": table["permitted"],
        "source": source,
        "quote": table["quote"],
        "note": table["note"],
    })
    headers = {
        "value_used": "Value used" if lang == "en" else "采用值",
        "permitted": "Permitted by the document" if lang == "en" else "文件允许",
        "source": "Source (document, article, lines)" if lang == "en" else "出处(文件、条款、行)",
    }
    return reader_table(compact, scheme, lang=lang, headers=headers, max_rows=10**9)


# --------------------------------------------------------------------------- export

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
    path = Path(checks.path_like("export", "path", path))
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
