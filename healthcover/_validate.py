"""Input checks shared by the calculators: every message names the table, column, rows,
the value received and what is allowed."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from healthcover.errors import HealthcoverError, allowed, rows_preview


def require_columns(df: pd.DataFrame, columns: Sequence[str], table: str, hint: str = "") -> None:
    if not isinstance(df, pd.DataFrame):
        raise HealthcoverError(f"{table} must be a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise HealthcoverError(
            f"{table} is missing column(s) {allowed(missing)}; it has {allowed(df.columns) or '(no columns)'}"
            + (f"; {hint}" if hint else "")
        )


def codes(series: pd.Series, domain: Sequence[str], table: str, column: str, what: str) -> np.ndarray:
    """Integer codes of ``series`` in ``domain`` (int8/int16); unknown values raise, naming rows."""
    domain = list(domain)
    if isinstance(series.dtype, pd.CategoricalDtype):
        cats = series.cat.categories
        mapping = pd.Index(domain).get_indexer(cats.astype(str))
        raw = series.cat.codes.to_numpy()
        out = np.where(raw >= 0, mapping[np.maximum(raw, 0)] if len(mapping) else -1, -1)
    else:
        uniq_codes, uniques = pd.factorize(series, use_na_sentinel=True)
        mapping = pd.Index(domain).get_indexer(pd.Index(uniques).astype(str)) if len(uniques) else np.array([], dtype=np.intp)
        out = np.where(uniq_codes >= 0, mapping[np.maximum(uniq_codes, 0)] if len(mapping) else -1, -1)
    bad = np.flatnonzero(out < 0)
    if bad.size:
        values = series.iloc[bad[:5]].tolist()
        raise HealthcoverError(
            f"{table} {rows_preview(bad)}: {column} {_fmt_values(values)} is not a {what}; allowed: {allowed(domain)}"
        )
    dtype = np.int8 if len(domain) < 127 else np.int32
    return out.astype(dtype)


def _fmt_values(values: list) -> str:
    uniq = list(dict.fromkeys(repr(v) for v in values))
    return ", ".join(uniq)


def money(df: pd.DataFrame, column: str, table: str, *, required: bool = True) -> np.ndarray | None:
    """A money column as float64 yuan: present, numeric, finite and not negative."""
    if column not in df.columns:
        if required:
            raise HealthcoverError(f"{table} is missing column {column}; it has {allowed(df.columns)}")
        return None
    s = df[column]
    try:
        x = pd.to_numeric(s, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError):
        x = np.full(len(s), np.nan)
    bad = np.flatnonzero(~np.isfinite(x))
    if bad.size:
        raise HealthcoverError(
            f"{table} {rows_preview(bad)}: {column} {_fmt_values(s.iloc[bad[:5]].tolist())} is missing or not a number; "
            "allowed: a finite amount in yuan >= 0"
        )
    neg = np.flatnonzero(x < 0)
    if neg.size:
        raise HealthcoverError(
            f"{table} {rows_preview(neg)}: {column} {_fmt_values(s.iloc[neg[:5]].tolist())} is negative; "
            "allowed: an amount in yuan >= 0"
        )
    return x


def unique_ids(series: pd.Series, table: str, column: str) -> None:
    dup = series.duplicated(keep=False).to_numpy()
    if dup.any():
        rows = np.flatnonzero(dup)
        raise HealthcoverError(
            f"{table} {rows_preview(rows)}: duplicate {column} {_fmt_values(series.iloc[rows[:5]].tolist())}; "
            f"each {column} must appear once"
        )


def count_column(df: pd.DataFrame, column: str, table: str, default: int | None = None) -> np.ndarray | None:
    """A whole-number column (years, ages) >= 0; ``default`` fills a missing column."""
    if column not in df.columns:
        return None if default is None else np.full(len(df), default, dtype=np.int64)
    x = pd.to_numeric(df[column], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    bad = np.flatnonzero(~np.isfinite(x) | (x < 0) | (x != np.floor(x)))
    if bad.size:
        raise HealthcoverError(
            f"{table} {rows_preview(bad)}: {column} {_fmt_values(df[column].iloc[bad[:5]].tolist())} is not allowed; "
            "allowed: a whole number >= 0"
        )
    return x.astype(np.int64)
