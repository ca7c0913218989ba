"""Input checks shared by every calculator: one home, one way of saying what is wrong.

Every message names where the problem is (the table or function, the column or argument, the
rows), the value received and what is allowed, in one sentence, so the user can fix it without
reading code; see ``../shared/STYLE.md``. Checks are vectorised: a million rows cost one pass.

Three families:

* **claims and persons tables** (the engine): :func:`frame`, :func:`require_columns`,
  :func:`codes`, :func:`money`, :func:`unique_ids`, :func:`count_column`;
* **household tables** (the protection measures): :func:`column`, :func:`money_column`,
  :func:`positive_column`, :func:`weights`, :func:`sizes`, :func:`nonempty`, :func:`scalar`;
* **arguments** (actuarial models, options): :func:`number`, :func:`positive`,
  :func:`non_negative`, :func:`in_range`, :func:`probability`, :func:`choice`,
  :func:`positive_int`, :func:`sample`; for a distribution's arguments (scalars or arrays)
  :func:`levels` and :func:`points`.
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
import pandas as pd

from healthcover.errors import HealthcoverError, allowed, rows_preview
from healthcover.money import MAX_YUAN

__all__ = [
    "frame", "require_columns", "codes", "money", "unique_ids", "count_column",
    "column", "money_column", "positive_column", "weights", "sizes", "nonempty", "scalar",
    "number", "positive", "non_negative", "in_range", "probability", "choice", "positive_int",
    "sample", "fmt_values", "levels", "points", "rng_from_seed", "positive_at_most",
]


def fmt_values(values: list) -> str:
    """The distinct values of a short list, as the user would type them."""
    return ", ".join(dict.fromkeys(repr(v) for v in values))


# --------------------------------------------------------------------------- claims and persons


def frame(df: Any, table: str) -> pd.DataFrame:
    """``df`` as a DataFrame with unique column names, or an error naming the table."""
    if not isinstance(df, pd.DataFrame):
        got = "None" if df is None else type(df).__name__
        raise HealthcoverError(f"{table} must be a pandas DataFrame; received {got}")
    dup = df.columns[df.columns.duplicated()]
    if len(dup):
        raise HealthcoverError(
            f"{table} has the column(s) {fmt_values(list(dict.fromkeys(dup)))} more than once; "
            "each column name must appear once"
        )
    return df


def require_columns(df: pd.DataFrame, columns: Sequence[str], table: str, hint: str = "") -> None:
    frame(df, table)
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise HealthcoverError(
            f"{table} is missing column(s) {allowed(missing)}; it has {allowed(df.columns) or '(no columns)'}"
            + (f"; {hint}" if hint else "")
        )


def codes(series: pd.Series, domain: Sequence[str], table: str, column: str, what: str) -> np.ndarray:
    """Integer codes of ``series`` in ``domain`` (int8/int32); unknown values raise, naming rows.

    Strings are factorised once (the distinct values are few), so plain ``object`` columns from
    a CSV or Parquet file cost about as much as categoricals."""
    domain = list(domain)
    if isinstance(series.dtype, pd.CategoricalDtype):
        cats = series.cat.categories
        mapping = pd.Index(domain).get_indexer(cats.astype(str))
        raw = series.cat.codes.to_numpy()
        out = np.where(raw >= 0, mapping[np.maximum(raw, 0)] if len(mapping) else -1, -1)
    else:
        uniq_codes, uniques = pd.factorize(series, use_na_sentinel=True)
        mapping = (pd.Index(domain).get_indexer(pd.Index(uniques).astype(str)) if len(uniques)
                   else np.array([], dtype=np.intp))
        out = np.where(uniq_codes >= 0, mapping[np.maximum(uniq_codes, 0)] if len(mapping) else -1, -1)
    bad = np.flatnonzero(out < 0)
    if bad.size:
        values = series.iloc[bad[:5]].tolist()
        raise HealthcoverError(
            f"{table} {rows_preview(bad)}: {column} {fmt_values(values)} is not a {what}; allowed: {allowed(domain)}"
        )
    dtype = np.int8 if len(domain) < 127 else np.int32
    return out.astype(dtype)


def money(df: pd.DataFrame, column: str, table: str, *, required: bool = True) -> np.ndarray | None:
    """A money column as float64 yuan: present, numeric, finite, >= 0 and at most
    :data:`~healthcover.money.MAX_YUAN`."""
    if column not in df.columns:
        if required:
            raise HealthcoverError(f"{table} is missing column {column}; it has {allowed(df.columns)}")
        return None
    s = df[column]
    if pd.api.types.is_bool_dtype(s):
        raise HealthcoverError(f"{table}: {column} holds True/False; allowed: an amount in yuan >= 0")
    try:
        x = pd.to_numeric(s, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError):
        x = np.full(len(s), np.nan)
    bad = np.flatnonzero(~np.isfinite(x))
    if bad.size:
        raise HealthcoverError(
            f"{table} {rows_preview(bad)}: {column} {fmt_values(s.iloc[bad[:5]].tolist())} is missing or not a number; "
            "allowed: a finite amount in yuan >= 0"
        )
    neg = np.flatnonzero(x < 0)
    if neg.size:
        raise HealthcoverError(
            f"{table} {rows_preview(neg)}: {column} {fmt_values(s.iloc[neg[:5]].tolist())} is negative; "
            "allowed: an amount in yuan >= 0"
        )
    huge = np.flatnonzero(x > MAX_YUAN)
    if huge.size:
        raise HealthcoverError(
            f"{table} {rows_preview(huge)}: {column} {fmt_values(s.iloc[huge[:5]].tolist())} is above the largest "
            f"amount accepted; allowed: an amount in yuan <= {MAX_YUAN:.0e}"
        )
    return x


def unique_ids(series: pd.Series, table: str, column: str) -> None:
    missing = series.isna().to_numpy()
    if missing.any():
        raise HealthcoverError(
            f"{table} {rows_preview(np.flatnonzero(missing))}: {column} is missing; every row needs an id"
        )
    dup = series.duplicated(keep=False).to_numpy()
    if dup.any():
        rows = np.flatnonzero(dup)
        raise HealthcoverError(
            f"{table} {rows_preview(rows)}: duplicate {column} {fmt_values(series.iloc[rows[:5]].tolist())}; "
            f"each {column} must appear once"
        )


def count_column(df: pd.DataFrame, column: str, table: str, default: int | None = None,
                 maximum: int | None = None, why: str = "") -> np.ndarray | None:
    """A whole-number column (years, ages) >= 0 (and <= ``maximum``); ``default`` fills a
    missing column."""
    if column not in df.columns:
        return None if default is None else np.full(len(df), default, dtype=np.int64)
    s = df[column]
    if pd.api.types.is_bool_dtype(s):
        raise HealthcoverError(f"{table}: {column} holds True/False; allowed: a whole number >= 0")
    x = pd.to_numeric(s, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isfinite(x) | (x < 0) | (x != np.floor(x))
    rule = "a whole number >= 0"
    if maximum is not None:
        bad |= x > maximum
        rule = f"a whole number from 0 to {maximum}" + (f" ({why})" if why else "")
    if bad.any():
        rows = np.flatnonzero(bad)
        raise HealthcoverError(
            f"{table} {rows_preview(rows)}: {column} {fmt_values(s.iloc[rows[:5]].tolist())} is not allowed; "
            f"allowed: {rule}"
        )
    return x.astype(np.int64)


# --------------------------------------------------------------------------- household tables


def _rows(df: pd.DataFrame, mask: np.ndarray) -> str:
    """Name offending rows by their index labels (0-based positions for a default index)."""
    return rows_preview(df.index[np.flatnonzero(mask)].tolist())


def column(df: pd.DataFrame, name: str, func: str, role: str) -> np.ndarray:
    """A numeric column as float64, or an error naming the column and what is wrong."""
    if not isinstance(df, pd.DataFrame):
        raise HealthcoverError(
            f"{func}: expected a pandas DataFrame of households, got {type(df).__name__}"
        )
    if df.columns.duplicated().any():
        frame(df, f"{func}: the household table")
    if name not in df.columns:
        raise HealthcoverError(
            f"{func}: column '{name}' ({role}) is not in the data; "
            f"columns are: {allowed(map(str, df.columns))}"
        )
    col = df[name]
    if not (pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)):
        raise HealthcoverError(
            f"{func}: column '{name}' ({role}) must be numeric; it has dtype {col.dtype}"
        )
    values = col.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isfinite(values)
    if bad.any():
        raise HealthcoverError(
            f"{func}: column '{name}' ({role}) has missing or infinite values in "
            f"{_rows(df, bad)}; fill them or drop those households"
        )
    return values


def money_column(df: pd.DataFrame, name: str, func: str, role: str) -> np.ndarray:
    """A household money column (yuan): numeric, finite, >= 0."""
    values = column(df, name, func, role)
    neg = values < 0
    if neg.any():
        raise HealthcoverError(
            f"{func}: column '{name}' ({role}) has negative values in {_rows(df, neg)}; "
            f"money amounts must be >= 0"
        )
    return values


def positive_column(df: pd.DataFrame, name: str, func: str, role: str) -> np.ndarray:
    values = column(df, name, func, role)
    bad = values <= 0
    if bad.any():
        raise HealthcoverError(
            f"{func}: column '{name}' ({role}) must be positive; values <= 0 in "
            f"{_rows(df, bad)}"
        )
    return values


def weights(df: pd.DataFrame, name: str | None, func: str) -> np.ndarray:
    """Survey weights (>= 0, positive total); all ones when ``name`` is None."""
    if name is None:
        return np.ones(len(df))
    values = column(df, name, func, "weight")
    neg = values < 0
    if neg.any():
        raise HealthcoverError(
            f"{func}: column '{name}' (weight) has negative values in {_rows(df, neg)}; "
            f"weights must be >= 0"
        )
    if not values.sum() > 0:
        raise HealthcoverError(
            f"{func}: column '{name}' (weight) has a total weight of 0; at least one "
            f"household needs a positive weight"
        )
    return values


def sizes(df: pd.DataFrame, name: str | None, func: str) -> np.ndarray:
    if name is None:
        return np.ones(len(df))
    return positive_column(df, name, func, "size")


def nonempty(df: Any, func: str) -> None:
    if isinstance(df, pd.DataFrame) and len(df) == 0:
        raise HealthcoverError(f"{func}: the household table has no rows")


def scalar(value: Any, name: str, func: str, *, positive: bool) -> float:
    """A finite number (> 0 or >= 0) given as an option, e.g. a poverty line."""
    if isinstance(value, (bool, np.bool_)):
        raise HealthcoverError(f"{func}: {name} must be a number; received {value!r}")
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise HealthcoverError(f"{func}: {name} must be a number; received {value!r}") from None
    if not math.isfinite(x) or (x <= 0 if positive else x < 0):
        need = "a positive number" if positive else "a number >= 0"
        raise HealthcoverError(f"{func}: {name} must be {need}; received {value!r}")
    return x


# --------------------------------------------------------------------------- arguments


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return repr(value)


def number(func: str, name: str, value: Any) -> float:
    """``value`` as a float that is not NaN, or an error naming it."""
    if isinstance(value, (bool, np.bool_)):
        raise HealthcoverError(f"{func}: {name} = {value!r} is not a number")
    try:
        x = float(value)
    except (TypeError, ValueError, OverflowError):
        raise HealthcoverError(f"{func}: {name} = {value!r} is not a number") from None
    if math.isnan(x):
        raise HealthcoverError(f"{func}: {name} is NaN; give a number")
    return x


def positive(func: str, name: str, value: Any, *, allow_inf: bool = False) -> float:
    x = number(func, name, value)
    if not (x > 0) or (math.isinf(x) and not allow_inf):
        rule = "> 0" + ("" if allow_inf else " and finite")
        raise HealthcoverError(f"{func}: {name} = {_fmt(x)} is not allowed; {name} must be {rule}")
    return x


def non_negative(func: str, name: str, value: Any, *, allow_inf: bool = False) -> float:
    x = number(func, name, value)
    if x < 0 or (math.isinf(x) and not allow_inf):
        rule = ">= 0" + ("" if allow_inf else " and finite")
        raise HealthcoverError(f"{func}: {name} = {_fmt(x)} is not allowed; {name} must be {rule}")
    return x


def in_range(func: str, name: str, value: Any, lo: float, hi: float, *,
             lo_open: bool = False, hi_open: bool = False, why: str = "") -> float:
    x = number(func, name, value)
    bad = (x < lo or x > hi or (lo_open and x == lo) or (hi_open and x == hi))
    if bad:
        left = "(" if lo_open else "["
        right = ")" if hi_open else "]"
        extra = f" ({why})" if why else ""
        raise HealthcoverError(
            f"{func}: {name} = {_fmt(x)} is outside the allowed range {left}{lo:g}, {hi:g}{right}{extra}"
        )
    return x


def probability(func: str, name: str, value: Any, *, open_ends: bool = True) -> float:
    return in_range(func, name, value, 0.0, 1.0, lo_open=open_ends, hi_open=open_ends)


def choice(func: str, name: str, value: Any, options: tuple[str, ...] | list[str]) -> str:
    try:
        ok = value in options
    except TypeError:  # an unhashable value
        ok = False
    if not ok:
        raise HealthcoverError(f"{func}: {name} = {value!r} is not allowed; allowed: {allowed(options)}")
    return value


def positive_int(func: str, name: str, value: Any) -> int:
    if isinstance(value, (bool, np.bool_)):
        ok = False
    else:
        try:
            ok = int(value) == value and int(value) > 0
        except (TypeError, ValueError, OverflowError):
            ok = False
    if not ok:
        raise HealthcoverError(f"{func}: {name} = {value!r} is not allowed; {name} must be a positive integer")
    return int(value)


def sample(func: str, name: str, values: Any, *, positive_only: bool = True,
           integer: bool = False, min_size: int = 2) -> np.ndarray:
    """A 1-d float array of observations: finite, (positive | non-negative), enough of them."""
    try:
        x = np.asarray(values, dtype=float).ravel()
    except (TypeError, ValueError):
        raise HealthcoverError(f"{func}: {name} must be numbers; got {type(values).__name__}") from None
    if x.size < min_size:
        raise HealthcoverError(f"{func}: {name} has {x.size} value(s); at least {min_size} are needed")
    bad = np.flatnonzero(~np.isfinite(x) | ((x <= 0) if positive_only else (x < 0)))
    if bad.size:
        rule = "> 0" if positive_only else ">= 0"
        show = ", ".join(f"{x[i]:g}" for i in bad[:5])
        raise HealthcoverError(
            f"{func}: {name} has {bad.size} value(s) not allowed (positions {', '.join(map(str, bad[:5]))}: {show}); "
            f"every value must be finite and {rule}"
        )
    if integer and np.any(x != np.round(x)):
        i = int(np.flatnonzero(x != np.round(x))[0])
        raise HealthcoverError(f"{func}: {name}[{i}] = {x[i]:g} is not a whole number; counts must be integers")
    return x


def _as_real_array(func: str, name: str, values: Any) -> np.ndarray:
    """``values`` (a number or an array of numbers) as float64, or an error naming them.

    True/False, strings, dates and complex numbers are refused, not read as numbers."""
    def bad():  # (the message is built only when needed: repr of a large array is slow)
        return HealthcoverError(f"{func}: {name} = {values!r} is not a number or an array of numbers")

    try:
        arr = np.asarray(values)
        if arr.dtype.kind == "O":
            if any(v is None or isinstance(v, (bool, np.bool_, str, bytes)) for v in arr.ravel().tolist()):
                raise bad()
            arr = arr.astype(np.float64)
        elif arr.dtype.kind not in "iuf":
            raise bad()
        return arr if arr.dtype == np.float64 else arr.astype(np.float64)
    except (TypeError, ValueError, OverflowError):
        raise bad() from None


def _where(name: str, arr: np.ndarray, i: int) -> str:
    return name if arr.ndim == 0 else f"{name}[{', '.join(map(str, np.unravel_index(i, arr.shape)))}]"


def levels(func: str, name: str, q: Any) -> np.ndarray:
    """Probability levels strictly between 0 and 1 (a number or an array), as float64.

    A quantile, VaR or TVaR at level 0 or 1 is the edge of the support (often infinite), and a
    NaN level has no answer, so both are refused, naming the first offending position."""
    arr = _as_real_array(func, name, q)
    bad = ~((arr > 0.0) & (arr < 1.0))  # NaN fails both comparisons
    if bad.any():
        i = int(np.flatnonzero(bad.ravel())[0])
        v = float(arr.ravel()[i])
        rule = "a level strictly between 0 and 1, e.g. 0.995"
        raise HealthcoverError(f"{func}: {_where(name, arr, i)} = {v:g} is not allowed; allowed: {rule}")
    return arr


def points(func: str, name: str, x: Any) -> np.ndarray:
    """Real numbers (a number or an array; -inf and inf allowed, NaN refused), as float64."""
    arr = _as_real_array(func, name, x)
    bad = np.isnan(arr)
    if bad.any():
        i = int(np.flatnonzero(bad.ravel())[0])
        raise HealthcoverError(f"{func}: {_where(name, arr, i)} is NaN; give a number")
    return arr


def rng_from_seed(func: str, name: str, seed: Any) -> np.random.Generator:
    """A NumPy random generator from a seed: None (fresh entropy), a whole number >= 0 or a
    ``numpy.random.Generator`` (used as is)."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        return np.random.default_rng()
    ok = not isinstance(seed, (bool, np.bool_)) and isinstance(seed, (int, np.integer)) and seed >= 0
    if not ok:
        raise HealthcoverError(
            f"{func}: {name} = {seed!r} is not allowed; allowed: None, a whole number >= 0 or a numpy.random.Generator"
        )
    return np.random.default_rng(int(seed))


def positive_at_most(func: str, name: str, value: Any, hi: float, *, lo: float = 0.0,
                     why: str = "") -> float:
    """A finite number > ``lo`` (0 by default) and <= ``hi``: a scale or count whose size
    has a documented ceiling (e.g. money at most :data:`~healthcover.money.MAX_YUAN`)."""
    x = positive(func, name, value) if lo == 0.0 else number(func, name, value)
    if not x > lo or x > hi:
        extra = f" ({why})" if why else ""
        raise HealthcoverError(
            f"{func}: {name} = {_fmt(x)} is not allowed; {name} must be > {lo:g} and at most {hi:g}{extra}"
        )
    return x
