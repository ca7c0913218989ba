"""Argument checks for the actuarial helpers.

Every message names the function, the argument, the value received and what is allowed,
in one sentence, e.g. ``Lognormal.from_mean_cv: cv = -1.5 is not allowed; cv must be > 0``.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from healthcover.errors import HealthcoverError, allowed


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return repr(value)


def number(func: str, name: str, value: Any) -> float:
    """``value`` as a finite float, or an error naming it."""
    try:
        x = float(value)
    except (TypeError, ValueError):
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
    if value not in options:
        raise HealthcoverError(f"{func}: {name} = {value!r} is not allowed; allowed: {allowed(options)}")
    return value


def positive_int(func: str, name: str, value: Any) -> int:
    try:
        ok = int(value) == value and int(value) > 0
    except (TypeError, ValueError):
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
