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
  :func:`levels` and :func:`points`;
* **inference and inequality** (survey designs, replicates, indices): :func:`measure`,
  :func:`seed`, :func:`replicates`, :func:`flag`, :func:`design_codes`, :func:`vector`,
  :func:`weight_vector`, :func:`bounds`, :func:`column_names`, :func:`column_name`.
"""
from __future__ import annotations

import math
import sys
from typing import Any, Sequence

import numpy as np
import pandas as pd

from healthcover.errors import HealthcoverError, allowed, rows_preview
from healthcover.money import MAX_YUAN

__all__ = [
    "frame", "require_columns", "codes", "money", "unique_ids", "count_column",
    "column", "money_column", "positive_column", "weights", "sizes", "nonempty", "scalar",
    "number", "positive", "non_negative", "in_range", "probability", "choice", "positive_int",
    "sample", "fmt_values", "path_like",
    "measure", "seed", "replicates", "flag", "design_codes", "vector", "weight_vector", "bounds",
    "column_names", "column_name", "is_dask", "index_as_columns",
    "levels", "points", "rng_from_seed", "positive_at_most",
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
        ok = isinstance(value, (str, bool, int, float, type(None))) and value in options
    except TypeError:  # an unhashable value
        ok = False
    if not ok:
        shown = f"a {type(value).__name__}" if isinstance(value, (pd.DataFrame, pd.Series, np.ndarray)) else repr(value)
        raise HealthcoverError(f"{func}: {name} = {shown} is not allowed; allowed: {allowed(options)}")
    return value


def path_like(func: str, name: str, value: Any):
    """A file path (str or os.PathLike), or an error."""
    import os

    if isinstance(value, (str, os.PathLike)) and str(value).strip():
        return value
    shown = f"a {type(value).__name__}" if isinstance(value, (pd.DataFrame, pd.Series, np.ndarray)) else repr(value)
    raise HealthcoverError(f"{func}: {name} = {shown} is not a file path; give a path such as 'tables.xlsx'")


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


# --------------------------------------------------------------------------- inference, inequality


def measure(func: str, value: Any) -> Any:
    """A measure to re-estimate: a function ``f(df, **kwargs)`` returning a dict of floats."""
    if not callable(value):
        raise HealthcoverError(
            f"{func}: measure = {value!r} is not a function; pass one such as "
            "healthcover.protection.catastrophic (called as measure(df, **kwargs) -> dict of floats)"
        )
    return value


def seed(func: str, name: str, value: Any) -> int:
    """A seed for ``numpy.random.default_rng``: a whole number >= 0 (never a string or bool)."""
    ok = isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)) and value >= 0
    if not ok:
        raise HealthcoverError(
            f"{func}: {name} = {value!r} is not allowed; {name} must be a whole number >= 0 "
            "(the same seed gives the same replicates)"
        )
    return int(value)


def replicates(func: str, name: str, value: Any, minimum: int = 2) -> int:
    """A number of replicates: a whole number >= ``minimum`` (``"many"``, 2.5, True refused)."""
    ok = isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))
    if not ok and isinstance(value, (float, np.floating)) and math.isfinite(value):
        ok = float(value).is_integer()
    if not ok or int(value) < minimum:
        raise HealthcoverError(
            f"{func}: {name} = {value!r} is not allowed; {name} must be a whole number >= {minimum}"
        )
    return int(value)


def flag(func: str, name: str, value: Any) -> bool:
    """A True/False option (numpy bools accepted; 0, 1 and strings refused)."""
    if not isinstance(value, (bool, np.bool_)):
        raise HealthcoverError(f"{func}: {name} = {value!r} is not allowed; {name} must be True or False")
    return bool(value)


def design_codes(df: pd.DataFrame, name: str, func: str, role: str) -> tuple[np.ndarray, pd.Index]:
    """Integer codes and the distinct values of a survey-design column (strata, PSU).

    Any values are allowed (numbers, strings); a missing value is not, since a household
    without a stratum or PSU cannot be placed in the design."""
    if name not in df.columns:
        raise HealthcoverError(
            f"{func}: column '{name}' ({role}) is not in the data; "
            f"columns are: {allowed(map(str, df.columns))}"
        )
    codes_, uniques = pd.factorize(df[name], use_na_sentinel=True)
    bad = codes_ < 0
    if bad.any():
        raise HealthcoverError(
            f"{func}: column '{name}' ({role}) is missing in {_rows(df, bad)}; every household "
            "needs one"
        )
    return codes_.astype(np.int64), pd.Index(uniques)


def vector(func: str, name: str, values: Any, n: int | None = None) -> np.ndarray:
    """A 1-d array of finite floats (of length ``n`` when given)."""
    try:
        x = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise HealthcoverError(f"{func}: {name} must be numbers; got {type(values).__name__}") from None
    if x.ndim != 1:
        raise HealthcoverError(f"{func}: {name} must be one-dimensional; it has shape {x.shape}")
    if n is not None and x.size != n:
        raise HealthcoverError(f"{func}: {name} has {x.size} values; it must have {n}, one per household")
    bad = np.flatnonzero(~np.isfinite(x))
    if bad.size:
        raise HealthcoverError(
            f"{func}: {name} has missing or infinite values at positions "
            f"{', '.join(map(str, bad[:5]))}{' ...' if bad.size > 5 else ''}; every value must be finite"
        )
    return x


def weight_vector(func: str, name: str, values: Any, n: int) -> np.ndarray:
    """Weights as an array: finite, >= 0, with a positive total; all ones when None."""
    if values is None:
        return np.ones(n)
    w = vector(func, name, values, n)
    neg = np.flatnonzero(w < 0)
    if neg.size:
        raise HealthcoverError(
            f"{func}: {name} has negative values at positions {', '.join(map(str, neg[:5]))}; "
            "weights must be >= 0"
        )
    if not w.sum() > 0:
        raise HealthcoverError(f"{func}: {name} has a total of 0; at least one weight must be positive")
    return w


def column_name(func: str, name: str, value: Any, *, optional: bool = True) -> str | None:
    """A column name given as an option (None allowed when ``optional``)."""
    if value is None and optional:
        return None
    if not (isinstance(value, str) and value):
        rule = "a column name or None" if optional else "a column name"
        raise HealthcoverError(f"{func}: {name} = {value!r} is not allowed; give {rule}")
    return value


def bounds(func: str, value: Any, h: np.ndarray, w: np.ndarray, kind: str) -> tuple[float, float]:
    """The bounds (a, b) of a bounded variable ``h``: given, or (0, 1) for a binary variable.

    Only rows of positive weight are checked: rows of weight 0 count nowhere."""
    seen = h[w > 0]
    if value is None:
        if np.isin(seen, (0.0, 1.0)).all():
            return 0.0, 1.0
        raise HealthcoverError(
            f"{func}: kind '{kind}' needs bounds=(a, b), the lowest and highest values the variable "
            f"can take (it is not binary: it takes values such as {fmt_values(list(seen[~np.isin(seen, (0.0, 1.0))][:3]))}); "
            "e.g. bounds=(0, 1) for a share"
        )
    try:
        a, b = (float(x) for x in value)
    except (TypeError, ValueError):
        raise HealthcoverError(f"{func}: bounds = {value!r} is not allowed; give two numbers (a, b) with a < b") from None
    if not (math.isfinite(a) and math.isfinite(b) and a < b):
        raise HealthcoverError(f"{func}: bounds = {value!r} is not allowed; give two finite numbers (a, b) with a < b")
    out = np.flatnonzero((seen < a) | (seen > b))
    if out.size:
        raise HealthcoverError(
            f"{func}: the variable takes values outside bounds ({a:g}, {b:g}), e.g. "
            f"{fmt_values(list(seen[out[:3]]))}; the bounds must contain every value"
        )
    return a, b


def column_names(df: pd.DataFrame, names: Any, func: str, role: str) -> list[str]:
    """A non-empty list of distinct column names present in ``df`` (one name may be a string)."""
    names = [names] if isinstance(names, str) else list(names) if names is not None else []
    if not names:
        raise HealthcoverError(f"{func}: {role} is empty; give at least one column")
    dup = [c for c in dict.fromkeys(names) if names.count(c) > 1]
    if dup:
        raise HealthcoverError(f"{func}: {role} lists {fmt_values(dup)} more than once")
    missing = [c for c in names if c not in df.columns]
    if missing:
        raise HealthcoverError(
            f"{func}: {role} {fmt_values(missing)} not in the data; columns are: {allowed(map(str, df.columns))}"
        )
    return names


# --------------------------------------------------------------------------- collections


def is_dask(obj: Any) -> bool:
    """Whether ``obj`` is a Dask collection (a Dask DataFrame or Series), without importing
    Dask: a Dask object exists only once its user has imported Dask, so pandas input costs
    a dictionary look-up."""
    dask = sys.modules.get("dask")
    return dask is not None and obj is not None and dask.is_dask_collection(obj)


def index_as_columns(df: Any, names: Sequence[str]) -> Any:
    """``df`` with each id in ``names`` that travels as the index (``set_index("person_id")``,
    ``read_parquet(..., index="household_id")``) also given as a column, as the engine reads
    it; anything else is returned unchanged (for :func:`frame` to judge)."""
    if not isinstance(df, pd.DataFrame):
        return df
    for name in names:
        if name not in df.columns and df.index.name == name:
            df = df.assign(**{name: df.index.to_numpy()})
    return df
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
