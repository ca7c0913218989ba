r"""Financial protection: catastrophic health spending, impoverishment and the unified measure.

Every function takes a household table (one row per household), the names of its columns,
and optional survey weights, and returns a dict of floats. Money columns are per household
and per the same period as ``poverty_line * size``.

The definitions follow O'Donnell, van Doorslaer, Wagstaff & Lindelow (2008), *Analyzing
Health Equity Using Household Survey Data*, chapters 18 (catastrophic payments) and 19
(impoverishment); Xu et al. (2003) for capacity to pay; WHO/World Bank SDG indicator 3.8.2
(10% and 25% of total consumption, and the revised 40%-of-discretionary-budget measure);
Wagstaff & Eozenou (2014) for the unified classification.

Conventions shared by all functions:

* weights are >= 0 with a positive total; a row of weight 0 counts nowhere (not in a
  numerator, a denominator, a percentile or anyone's rank);
* the weighted fractional rank is
  :math:`R_i = (\sum_{j: x_j < x_i} w_j + W_{g(i)}/2) / W`, where :math:`W_{g(i)}` is the
  weight of the households tied with *i* (so tied households share the mean of their ranks);
* a weighted percentile ``p`` is the smallest value whose cumulative weight share is >= p;
* covariances are in population form (divisor: the total weight).
"""
from __future__ import annotations

import importlib
import warnings
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from healthcover import checks
from healthcover.errors import HealthcoverError, allowed, rows_preview

__all__ = [
    "HouseholdMeasures",
    "METHODS",
    "catastrophic",
    "impoverishment",
    "unified",
    "catastrophic_households",
    "weighted_fractional_rank",
    "weighted_percentile",
    "concentration_index",
    "CONCENTRATION_KINDS",
    "concentration_indices",
    "decompose_concentration",
    "kakwani",
    "threshold_curve",
    "bootstrap",
    "concentration_curve",
    "pens_parade",
    "concentration_curve_chart",
    "pens_parade_chart",
    "threshold_curve_chart",
]

METHODS = ("total", "nonfood", "capacity_to_pay", "discretionary")
CATASTROPHIC_KEYS = (
    "headcount",
    "overshoot",
    "mean_positive_overshoot",
    "concentration_headcount",
    "concentration_overshoot",
    "weighted_headcount",
    "weighted_overshoot",
)
IMPOVERISHMENT_KEYS = (
    "headcount_pre",
    "headcount_post",
    "gap_pre",
    "gap_post",
    "normalized_gap_pre",
    "normalized_gap_post",
)
UNIFIED_KEYS = ("zero", "immiserizing", "impoverishing", "catastrophic", "non_catastrophic")
XU_EQUIVALENCE_EXPONENT = 0.56
XU_BAND = (0.45, 0.55)


def _on_dask(name: str) -> Callable[..., Any]:
    """The Dask implementation of a measure (:mod:`healthcover.distributed.measures`), loaded
    only when a Dask object is passed: pandas users never import Dask, and the measures module
    sits above this one (it builds on these definitions)."""
    return importlib.import_module("healthcover.distributed.measures").MEASURES[name]


# --------------------------------------------------------------------------- primitives


def weighted_fractional_rank(x: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
    r"""Weighted fractional rank, ascending, ties sharing the mean of their ranks.

    .. math:: R_i = \frac{1}{W}\Big(\sum_{j:\,x_j < x_i} w_j
              + \tfrac12 \sum_{j:\,x_j = x_i} w_j\Big), \qquad W = \sum_j w_j

    Rows of weight 0 add nothing to anyone's rank (their own rank is still defined).

    References
    ----------
    O'Donnell et al. (2008), ch. 8 (the fractional rank of the concentration index).
    """
    x = np.asarray(x, dtype=np.float64)
    w = np.ones_like(x) if w is None else np.asarray(w, dtype=np.float64)
    n = x.size
    if n == 0:
        return np.empty(0)
    order = np.argsort(x)  # ties are grouped, so sort stability does not matter
    out = np.empty(n)
    out[order] = _sorted_ranks(x[order], w[order])
    return out


def _sorted_ranks(xs: np.ndarray, ws: np.ndarray) -> np.ndarray:
    """Weighted fractional ranks of values already sorted ascending (see above).

    For each row, the cumulative weight before its tie group and at the group's end are
    filled forward and backward with running max/min (cumulative weights never decrease),
    so ``R = (before + end) / 2W`` needs no per-group indexing.
    """
    n = xs.size
    cw = np.cumsum(ws)
    total = cw[-1]
    new = np.empty(n, dtype=bool)
    new[0] = True
    np.not_equal(xs[1:], xs[:-1], out=new[1:])
    if new.all():
        return (cw - ws / 2.0) / total
    last = np.empty(n, dtype=bool)
    last[-1] = True
    last[:-1] = new[1:]
    before = np.where(new, cw - ws, 0.0)
    np.maximum.accumulate(before, out=before)
    end = np.where(last, cw, np.inf)[::-1]
    end = np.minimum.accumulate(end)[::-1]
    return (before + end) / (2.0 * total)


def _grouped_midweights(xs: np.ndarray, ws: np.ndarray, gs: np.ndarray):
    """For rows sorted by (group, value): ``(start, gid, u, total)``, where ``u`` is each row's
    weight of the group's rows ranked below plus half the weight of its ties (cumulative weights
    run over the whole array; each group's starting weight is subtracted), ``start`` marks a
    group's first row, ``gid`` numbers the groups and ``total`` is each group's weight. The
    distributed ranks (:mod:`healthcover.distributed.measures`) use the same pass."""
    n = xs.size
    start = np.empty(n, dtype=bool)
    start[0] = True
    np.not_equal(gs[1:], gs[:-1], out=start[1:])
    gid = np.cumsum(start) - 1
    cw = np.cumsum(ws)
    base = (cw - ws)[start]
    total = np.bincount(gid, weights=ws)
    new = start.copy()
    new[1:] |= xs[1:] != xs[:-1]
    last = np.empty(n, dtype=bool)
    last[-1] = True
    last[:-1] = new[1:]
    before = np.maximum.accumulate(np.where(new, cw - ws, 0.0))
    end = np.minimum.accumulate(np.where(last, cw, np.inf)[::-1])[::-1]
    return start, gid, (before + end) / 2.0 - base[gid], total


def _sorted_ranks_grouped(xs: np.ndarray, ws: np.ndarray, gs: np.ndarray) -> np.ndarray:
    """Weighted fractional ranks within groups, of rows sorted by (group, value): the same
    formula as :func:`_sorted_ranks` in each group, in one vectorised pass."""
    _, gid, u, total = _grouped_midweights(xs, ws, gs)
    return u / total[gid]


def _catastrophic_from_sums(headcount, overshoot, c_e, c_o) -> dict:
    """The catastrophic measures from the headcount, the overshoot and their concentration
    indices (O'Donnell et al. 2008, ch. 18): one formula for pandas and Dask."""
    return {
        "headcount": headcount,
        "overshoot": overshoot,
        "mean_positive_overshoot": np.where(headcount > 0, overshoot / headcount, np.nan),
        "concentration_headcount": c_e,
        "concentration_overshoot": c_o,
        "weighted_headcount": np.where(headcount != 0, headcount * (1.0 - c_e), 0.0),
        "weighted_overshoot": np.where(overshoot != 0, overshoot * (1.0 - c_o), 0.0),
    }


def weighted_percentile(
    x: np.ndarray, w: np.ndarray | None, p: float | Sequence[float]
) -> float | np.ndarray:
    r"""Smallest value of ``x`` whose cumulative weight share is >= ``p``.

    .. math:: Q(p) = \min\{x_k : \textstyle\sum_{j:\,x_j \le x_k} w_j / W \ge p\}

    ``p`` may be a sequence (one sort serves them all). Rows of weight 0 never decide the
    result. Used for the 45th and 55th percentiles of the food share in Xu et al. (2003).
    """
    x = np.asarray(x, dtype=np.float64)
    w = np.ones_like(x) if w is None else np.asarray(w, dtype=np.float64)
    keep = w > 0
    if not keep.all():
        x, w = x[keep], w[keep]
    ps = np.atleast_1d(np.asarray(p, dtype=np.float64))
    out = _percentiles_bracketed(x, w, ps) if x.size > _BRACKET_MIN else None
    if out is None:
        order = np.argsort(x)
        xs = x[order]
        share = np.cumsum(w[order]) / w.sum()
        out = xs[np.minimum(np.searchsorted(share, ps, side="left"), xs.size - 1)]
    return float(out[0]) if np.ndim(p) == 0 else out


_BRACKET_MIN = 100_000


def _percentiles_bracketed(x, w, ps) -> np.ndarray | None:
    """Exact weighted percentiles sorting only the values near them (None: not bracketed).

    A strided subsample proposes a value interval [a, b]; exact weight sums confirm that all
    the requested percentiles fall inside it (weight share below a < min p, weight share up
    to b >= max p), and only the values in [a, b] are sorted. Same result as a full sort.
    """
    step = max(x.size // 20_000, 1)
    xs_s, ws_s = x[::step], w[::step]
    o = np.argsort(xs_s)
    share_s = np.cumsum(ws_s[o]) / ws_s.sum()
    lo_p, hi_p = max(ps.min() - 0.03, 0.0), min(ps.max() + 0.03, 1.0)
    k = np.minimum(np.searchsorted(share_s, [lo_p, hi_p], side="left"), xs_s.size - 1)
    a, b = xs_s[o][k]
    total = w.sum()
    below = x < a
    upto = x <= b
    w_below = np.sum(w, where=below)
    w_upto = np.sum(w, where=upto)
    if not (w_below / total < ps.min() and w_upto / total >= ps.max()):
        return None
    inside = np.flatnonzero(upto & ~below)
    xi, wi = x[inside], w[inside]
    order = np.argsort(xi)
    share = (w_below + np.cumsum(wi[order])) / total
    return xi[order][np.minimum(np.searchsorted(share, ps, side="left"), xi.size - 1)]


def concentration_index(
    h: np.ndarray,
    rank: np.ndarray,
    w: np.ndarray | None = None,
    *,
    kind: str = "standard",
    bounds: tuple[float, float] | None = None,
) -> float:
    r"""Concentration index by the convenient covariance formula, and its corrected forms.

    .. math::

        C = \frac{2\,\mathrm{cov}_w(h, R)}{\mu}, \qquad
        \mathrm{cov}_w(h, R) = \frac{1}{W}\sum_i w_i (h_i - \mu)(R_i - \bar R)

        GC = \mu C, \qquad
        C^W = \frac{(b - a)\,\mu\, C}{(b - \mu)(\mu - a)}, \qquad
        C^E = \frac{4 \mu C}{b - a}

    with :math:`\mu` the weighted mean of ``h``. ``kind`` chooses ``"standard"`` (C),
    ``"generalized"`` (GC, in the units of h: absolute inequality), ``"wagstaff"`` (Wagstaff's
    normalisation for a bounded variable, in [-1, 1]) or ``"erreygers"`` (Erreygers'
    correction, invariant to the variable's scale and satisfying the mirror property).
    ``bounds=(a, b)``, the limits h can take, are needed by the last two unless ``h`` is
    binary (then (0, 1)); without them they raise.

    ``rank`` is the weighted fractional rank :func:`weighted_fractional_rank`. The standard
    index is NaN when the mean of ``h`` is 0; Wagstaff's when the mean sits on a bound.

    References
    ----------
    O'Donnell et al. (2008), ch. 8, eq. 8.7; ch. 18 (concentration of catastrophic payments).
    O'Donnell, O., O'Neill, S., Van Ourti, T. & Walsh, B. (2016). conindex: Estimation of
    concentration indices. *The Stata Journal* 16(1), 112-138. Wagstaff, A. (2005). The bounds
    of the concentration index when the variable of interest is binary. *Health Economics* 14,
    429-432. Erreygers, G. (2009). Correcting the concentration index. *Journal of Health
    Economics* 28, 504-515.
    """
    if checks.is_dask(h):
        return _on_dask("concentration_index")(h, rank, w, kind=kind, bounds=bounds)

    func = "concentration_index"
    checks.choice(func, "kind", kind, CONCENTRATION_KINDS)
    h = checks.vector(func, "h", h)
    rank = checks.vector(func, "rank", rank, h.size)
    w = checks.weight_vector(func, "w", w, h.size)
    total = w.sum()
    mean_h = np.dot(w, h) / total
    mean_r = np.dot(w, rank) / total
    cov = np.dot(w, (h - mean_h) * (rank - mean_r)) / total
    return _corrected(2.0 * cov, mean_h, kind, checks.bounds(func, bounds, h, w, kind)
                      if kind in ("wagstaff", "erreygers") else None)


#: The concentration indices of :func:`concentration_index` (O'Donnell et al. 2016).
CONCENTRATION_KINDS = ("standard", "generalized", "wagstaff", "erreygers")


def _corrected(gc: float, mu: float, kind: str, ab: tuple[float, float] | None) -> float:
    """A concentration index of ``kind`` from the generalized index GC = 2 cov(h, R)."""
    if kind == "generalized":
        return float(gc)
    if kind == "standard":
        return float(gc / mu) if mu != 0 else float("nan")
    a, b = ab
    if kind == "erreygers":
        return float(4.0 * gc / (b - a))
    denom = (b - mu) * (mu - a)
    return float((b - a) * gc / denom) if denom > 0 else float("nan")


# --------------------------------------------------------------------------- catastrophic


def _method(func: str, method: Any) -> str:
    if not (isinstance(method, str) and method in METHODS):
        shown = f"a {type(method).__name__}" if isinstance(method, (pd.DataFrame, pd.Series, np.ndarray)) else repr(method)
        raise HealthcoverError(f"{func}: method {shown} is not known; allowed: {allowed(METHODS)}")
    return method


def _denominator(method, consumption, food, size, weight, poverty_line) -> np.ndarray:
    """The budget that OOP is compared with, by method (see :func:`catastrophic`)."""
    if method == "total":
        return consumption
    if method == "nonfood":
        return consumption - food
    if method == "discretionary":
        return consumption - poverty_line * size
    # capacity_to_pay (Xu et al. 2003)
    eqsize = size**XU_EQUIVALENCE_EXPONENT
    food_share = food / consumption
    positive = weight > 0
    lo, hi = weighted_percentile(food_share, weight, XU_BAND)
    band = positive & (food_share >= lo) & (food_share <= hi)
    wb = weight[band]
    subsistence_per_eq = np.dot(wb, food[band] / eqsize[band]) / wb.sum()
    subsistence = subsistence_per_eq * eqsize
    return np.where(food >= subsistence, consumption - subsistence, consumption - food)


def _prepare(
    func, df, *, oop, consumption, method, food, size, weight, poverty_line, rank, threshold
):
    """Validated arrays for the catastrophic-payment measures."""
    _method(func, method)
    checks.nonempty(df, func)
    if threshold is not None:
        threshold = checks.scalar(threshold, "threshold", func, positive=False)
    oop_v = checks.money_column(df, oop, func, "oop")
    cons_v = checks.positive_column(df, consumption, func, "consumption")
    size_v = checks.sizes(df, size, func)
    w = checks.weights(df, weight, func)
    food_v = None
    if method in ("nonfood", "capacity_to_pay"):
        if food is None:
            raise HealthcoverError(
                f"{func}: method '{method}' needs the food column; pass food='<column>'"
            )
        food_v = checks.money_column(df, food, func, "food")
    line = None
    if method == "discretionary":
        if poverty_line is None:
            raise HealthcoverError(
                f"{func}: method 'discretionary' needs poverty_line (per person, same period "
                f"as consumption)"
            )
        line = checks.scalar(poverty_line, "poverty_line", func, positive=True)
    if rank is not None:
        rank_v = checks.column(df, rank, func, "rank")
    else:
        rank_v = cons_v / size_v if size is not None else cons_v
    d = _denominator(method, cons_v, food_v, size_v, w, line)
    return oop_v, d, w, rank_v, threshold


def _shares(oop_v: np.ndarray, d: np.ndarray) -> np.ndarray:
    """r = oop / d where d > 0, NaN elsewhere (undefined share)."""
    r = np.full(d.shape, np.nan)
    np.divide(oop_v, d, out=r, where=d > 0)
    return r


def _weighted_concentration(h, ws, rc_w, total) -> float:
    """2 cov_w(h, R) / mean_w(h) with ``rc_w = w (R - mean_w R)`` precomputed."""
    mean_h = np.dot(ws, h) / total
    if mean_h == 0:
        return float("nan")
    return float(2.0 * (np.dot(h - mean_h, rc_w) / total) / mean_h)


def _groups(df: pd.DataFrame, by: str, func: str) -> tuple[np.ndarray, pd.Index]:
    """Integer codes of the ``by`` column and its sorted distinct values."""
    if not isinstance(by, str) or by not in df.columns:
        raise HealthcoverError(f"{func}: by = {by!r} is not a column of the data; columns are: "
                               f"{allowed(map(str, df.columns))}")
    col = df[by]
    if col.isna().any():
        raise HealthcoverError(f"{func}: column '{by}' (by) has missing values in "
                               f"{rows_preview(np.flatnonzero(col.isna().to_numpy()))}; every household needs a group")
    try:
        codes, uniques = pd.factorize(col, sort=True)
    except TypeError:
        codes, uniques = pd.factorize(col)
    return codes, pd.Index(uniques, name=by)


class _Ranked:
    """Households of positive weight sorted by group, then by rank, with everything the
    catastrophic measures reuse from one OOP vector to the next: the order, the weights, the
    within-group fractional ranks and their weighted deviations ``w (R - mean_w R)``."""

    def __init__(self, w: np.ndarray, rank_v: np.ndarray, g: np.ndarray | None = None, n_groups: int = 1):
        positive = w > 0
        self.keep = None if positive.all() else positive
        if self.keep is not None:
            w, rank_v = w[positive], rank_v[positive]
            g = None if g is None else g[positive]
        self.n_groups = n_groups
        if g is None or n_groups == 1:
            self.order = np.argsort(rank_v)  # ties are grouped, so sort stability does not matter
            self.gs = np.zeros(len(w), dtype=np.int64)
            self.ws = w[self.order]
            ranks = _sorted_ranks(rank_v[self.order], self.ws)
        else:
            self.order = np.lexsort((rank_v, g))
            self.gs = g[self.order]
            self.ws = w[self.order]
            ranks = _sorted_ranks_grouped(rank_v[self.order], self.ws, self.gs)
        self.total = self.sums(self.ws)
        self.rc_w = self.ws * (ranks - (self.sums(self.ws * ranks) / self.total)[self.gs])

    def sort(self, x: np.ndarray) -> np.ndarray:
        return (x if self.keep is None else x[self.keep])[self.order]

    def sums(self, x: np.ndarray) -> np.ndarray:
        if self.n_groups == 1:  # a dot product, as the measures have always been summed
            return np.array([x.sum()])
        return np.bincount(self.gs, weights=x, minlength=self.n_groups)

    def catastrophic(self, r: np.ndarray, threshold: float) -> dict[str, np.ndarray]:
        """The catastrophic measures of shares ``r`` in every group (see :func:`catastrophic`)."""
        rs, ws, total = self.sort(r), self.ws, self.total
        with np.errstate(invalid="ignore", divide="ignore"):
            catastrophic_ = rs > threshold  # NaN shares (d <= 0) compare False
            e = catastrophic_.astype(np.float64)
            over = np.where(catastrophic_, rs - threshold, 0.0)
            if self.n_groups == 1:
                headcount = np.array([np.dot(ws, e) / total[0]])
                overshoot = np.array([np.dot(ws, over) / total[0]])
            else:
                headcount = self.sums(ws * e) / total
                overshoot = self.sums(ws * over) / total

            def conc(h, mean_h):
                if self.n_groups == 1:
                    c = np.array([2.0 * (np.dot(h - mean_h[0], self.rc_w) / total[0]) / mean_h[0]])
                else:
                    c = 2.0 * (self.sums((h - mean_h[self.gs]) * self.rc_w) / total) / mean_h
                return np.where(mean_h == 0, np.nan, c)

            return _catastrophic_from_sums(headcount, overshoot, conc(e, headcount), conc(over, overshoot))


def _catastrophic_measures(r, w, rank_v, threshold) -> dict[str, float]:
    out = _Ranked(w, rank_v).catastrophic(r, threshold)
    return {k: float(out[k][0]) for k in CATASTROPHIC_KEYS}


class HouseholdMeasures:
    """Catastrophic spending and impoverishment for many OOP vectors on the same households.

    Validation, budgets (Xu's subsistence line needs a weighted percentile), ranks and group
    orders are computed once; each call then costs a few passes over the households: what a
    comparison of scenarios or a dashboard slider needs. :func:`catastrophic` and
    :func:`impoverishment` are this object used once, so both give the same numbers.

    Parameters
    ----------
    df : one row per household; ``consumption``, ``food``, ``size``, ``weight``, ``rank`` and
        ``by`` are its columns, as in :func:`catastrophic`.

    Examples
    --------
    >>> df = pd.DataFrame({"cons": [1000, 1000, 2000], "q": [1, 1, 2]})
    >>> m = HouseholdMeasures(df, consumption="cons", by="q")
    >>> m.catastrophic([0, 150, 150], threshold=0.1, method="total")["headcount"]
    0.3333333333333333
    >>> m.catastrophic([0, 150, 150], threshold=0.1, method="total", by=True)["headcount"].tolist()
    [0.5, 0.0]
    """

    def __init__(self, df: pd.DataFrame, *, consumption: str, food: str | None = None, size: str | None = None,
                 weight: str | None = None, rank: str | None = None, by: str | None = None,
                 func: str = "HouseholdMeasures"):
        self.func = func
        checks.nonempty(df, func)
        self.consumption = checks.positive_column(df, consumption, func, "consumption")
        self.size = checks.sizes(df, size, func)
        self.weight = checks.weights(df, weight, func)
        self.food = None if food is None else checks.money_column(df, food, func, "food")
        self.sized = size is not None
        self.rank = (checks.column(df, rank, func, "rank") if rank is not None
                     else self.consumption / self.size if size is not None else self.consumption)
        self.n = len(df)
        self.index = df.index
        self.groups: pd.Index | None = None
        self._g = None
        if by is not None:
            self._g, self.groups = _groups(df, by, func)
        self._ranked: dict[bool, _Ranked] = {}
        self._budgets: dict[tuple, np.ndarray] = {}
        self._group_weights: np.ndarray | None = None

    def _order(self, by: bool) -> _Ranked:
        if by and self.groups is None:
            raise HealthcoverError(f"{self.func}: by=True needs the groups: pass by='<column>' when preparing")
        if by not in self._ranked:
            self._ranked[by] = (_Ranked(self.weight, self.rank, self._g, len(self.groups)) if by
                                else _Ranked(self.weight, self.rank))
        return self._ranked[by]

    def budget(self, method: str, poverty_line: float | None = None) -> np.ndarray:
        """:math:`d_i`, what OOP is compared with under ``method`` (see :func:`catastrophic`)."""
        func = self.func
        _method(func, method)
        line = None
        if method in ("nonfood", "capacity_to_pay") and self.food is None:
            raise HealthcoverError(f"{func}: method '{method}' needs the food column; pass food='<column>'")
        if method == "discretionary":
            if poverty_line is None:
                raise HealthcoverError(
                    f"{func}: method 'discretionary' needs poverty_line (per person, same period as consumption)"
                )
            line = checks.scalar(poverty_line, "poverty_line", func, positive=True)
        key = (method, line)
        if key not in self._budgets:
            self._budgets[key] = _denominator(method, self.consumption, self.food, self.size, self.weight, line)
        return self._budgets[key]

    def _oop(self, oop: Any) -> np.ndarray:
        x = np.asarray(oop, dtype=np.float64) if not isinstance(oop, pd.Series) else oop.to_numpy(dtype=np.float64)
        if x.shape != (self.n,):
            raise HealthcoverError(f"{self.func}: oop has {x.size} values for {self.n} households")
        bad = ~np.isfinite(x) | (x < 0)
        if bad.any():
            raise HealthcoverError(f"{self.func}: oop is missing, infinite or negative in "
                                   f"{rows_preview(self.index[np.flatnonzero(bad)].tolist())}; money amounts must be >= 0")
        return x

    def catastrophic(self, oop: Any, *, threshold: float, method: str, poverty_line: float | None = None,
                     by: bool = False, incidence_only: bool = False) -> dict[str, float] | pd.DataFrame:
        """The measures of :func:`catastrophic` for these households with ``oop`` (one value per
        household); ``by=True``: one row per group. ``incidence_only``: only ``headcount``,
        ``overshoot`` and ``mean_positive_overshoot``, which need no ranking (a few passes over
        the households)."""
        d = self.budget(method, poverty_line)
        x = self._oop(oop)
        threshold = checks.scalar(threshold, "threshold", self.func, positive=False)
        r = _shares(x, d)
        if incidence_only:
            keys = CATASTROPHIC_KEYS[:3]
            out = self._incidence(r, threshold, by)
        else:
            keys = CATASTROPHIC_KEYS
            out = self._order(by).catastrophic(r, threshold)
        if not by:
            return {k: float(out[k][0]) for k in keys}
        return pd.DataFrame({k: out[k] for k in keys}, index=self.groups)

    def headcount(self, oop: Any, *, threshold: float, method: str,
                  poverty_line: float | None = None) -> tuple[float, np.ndarray]:
        """The catastrophic headcount overall and in each group, from one pass over the
        households: ``(overall, per group in the order of self.groups)``."""
        if self.groups is None:
            raise HealthcoverError(f"{self.func}: headcount by group needs the groups: pass by='<column>' when preparing")
        d = self.budget(method, poverty_line)
        x = self._oop(oop)
        threshold = checks.scalar(threshold, "threshold", self.func, positive=False)
        with np.errstate(invalid="ignore", divide="ignore"):
            e = _shares(x, d) > threshold  # NaN shares (d <= 0) compare False
        if self._group_weights is None:
            self._group_weights = np.bincount(self._g, weights=self.weight, minlength=len(self.groups))
        hit = np.bincount(self._g, weights=np.where(e, self.weight, 0.0), minlength=len(self.groups))
        return float(hit.sum() / self._group_weights.sum()), hit / self._group_weights

    def _incidence(self, r: np.ndarray, threshold: float, by: bool) -> dict[str, np.ndarray]:
        w = self.weight
        with np.errstate(invalid="ignore", divide="ignore"):
            e = r > threshold  # NaN shares (d <= 0) compare False
            over = np.where(e, r - threshold, 0.0)
            if by:
                if self.groups is None:
                    raise HealthcoverError(f"{self.func}: by=True needs the groups: pass by='<column>' when preparing")
                G = len(self.groups)
                total = np.bincount(self._g, weights=w, minlength=G)
                headcount = np.bincount(self._g, weights=w * e, minlength=G) / total
                overshoot = np.bincount(self._g, weights=w * over, minlength=G) / total
            else:
                total = w.sum()
                headcount = np.array([np.dot(w, e) / total])
                overshoot = np.array([np.dot(w, over) / total])
            return {"headcount": headcount, "overshoot": overshoot,
                    "mean_positive_overshoot": np.where(headcount > 0, overshoot / headcount, np.nan)}

    def impoverishment(self, oop: Any, *, poverty_line: float, by: bool = False) -> dict[str, float] | pd.DataFrame:
        """The measures of :func:`impoverishment` for these households with ``oop``."""
        x = self._oop(oop)
        z = checks.scalar(poverty_line, "poverty_line", self.func, positive=True)
        v = self.weight * self.size
        cons, size = self.consumption, self.size
        if by:
            if self.groups is None:
                raise HealthcoverError(f"{self.func}: by=True needs the groups: pass by='<column>' when preparing")
            g, G = self._g, len(self.groups)
            total = np.bincount(g, weights=v, minlength=G)
            cols: dict[str, np.ndarray] = {}
            with np.errstate(invalid="ignore", divide="ignore"):
                for tag, xx in (("pre", cons / size), ("post", (cons - x) / size)):
                    cols[f"headcount_{tag}"] = np.bincount(g, weights=v * (xx < z), minlength=G) / total
                    cols[f"gap_{tag}"] = np.bincount(g, weights=v * np.maximum(z - xx, 0.0), minlength=G) / total
                    cols[f"normalized_gap_{tag}"] = cols[f"gap_{tag}"] / z
            return pd.DataFrame({k: cols[k] for k in IMPOVERISHMENT_KEYS}, index=self.groups)
        total = v.sum()
        out: dict[str, float] = {}
        for tag, xx in (("pre", cons / size), ("post", (cons - x) / size)):
            out[f"headcount_{tag}"] = float(np.dot(v, (xx < z).astype(np.float64)) / total)
            out[f"gap_{tag}"] = float(np.dot(v, np.maximum(z - xx, 0.0)) / total)
        for tag in ("pre", "post"):
            out[f"normalized_gap_{tag}"] = out[f"gap_{tag}"] / z
        return {k: out[k] for k in IMPOVERISHMENT_KEYS}


def catastrophic(
    df: pd.DataFrame,
    *,
    oop: str,
    consumption: str,
    threshold: float,
    method: str,
    food: str | None = None,
    size: str | None = None,
    weight: str | None = None,
    poverty_line: float | None = None,
    rank: str | None = None,
    by: str | None = None,
) -> dict[str, float] | pd.DataFrame:
    r"""Catastrophic health spending: incidence, intensity and their distribution.

    Household *i* spends ``oop`` out of pocket against a budget :math:`d_i` set by ``method``:

    * ``"total"``: :math:`d_i = c_i` (consumption; SDG 3.8.2 uses thresholds 0.10 and 0.25);
    * ``"nonfood"``: :math:`d_i = c_i - f_i`;
    * ``"capacity_to_pay"`` (Xu et al. 2003): with equivalent size :math:`e_i = n_i^{0.56}`
      and food share :math:`f_i/c_i`, take the households whose food share lies between the
      weighted 45th and 55th percentiles inclusive; subsistence spending per equivalent adult
      is :math:`se = \sum_{band} w_i f_i/e_i \big/ \sum_{band} w_i`, :math:`s_i = se\, e_i`, and
      :math:`d_i = c_i - s_i` if :math:`f_i \ge s_i`, else :math:`c_i - f_i`;
    * ``"discretionary"``: :math:`d_i = c_i - z\, n_i` (``poverty_line`` z per person).

    .. math::

        r_i = \frac{OOP_i}{d_i}, \quad E_i = 1[d_i > 0,\ r_i > \tau], \quad
        O_i = E_i (r_i - \tau)

        H = \frac{\sum_i w_i E_i}{\sum_i w_i}, \quad O = \frac{\sum_i w_i O_i}{\sum_i w_i},
        \quad MPO = O / H

        C_h = \frac{2\,\mathrm{cov}_w(h, R)}{\mu_w(h)}, \quad
        H^W = H (1 - C_E), \quad O^W = O (1 - C_O)

    where :math:`R` is the weighted fractional rank by ``rank`` (default: consumption per head),
    ties sharing their mean rank, and the covariance has divisor :math:`\sum_i w_i`.
    Where :math:`d_i \le 0` the share is undefined and the household is not catastrophic
    here (under ``discretionary`` it appears as immiserizing or impoverishing in
    :func:`unified`). MPO is NaN when H = 0; a concentration index is NaN when its mean is 0;
    :math:`H^W` (:math:`O^W`) is 0 when H (O) is 0.

    The measure is household-level, weighted by the household weight (O'Donnell et al. ch. 18).
    For a person-level figure (as SDG 3.8.2 reports), pass a weight column equal to household
    weight times size.

    Parameters
    ----------
    df : one row per household.
    oop : column of out-of-pocket health spending (>= 0).
    consumption : column of total household consumption (> 0), same period as ``oop``.
    threshold : :math:`\tau`, a share (0.10, 0.25, 0.40 ...), compared strictly.
    method : ``"total"``, ``"nonfood"``, ``"capacity_to_pay"`` or ``"discretionary"``.
    food : column of food spending (>= 0); needed by ``nonfood`` and ``capacity_to_pay``.
    size : column of household size (> 0); 1 for every household when omitted.
    weight : column of household survey weights (>= 0, positive total); 1 when omitted.
    poverty_line : per person, same period as consumption; needed by ``discretionary``.
    rank : column to rank households by; default consumption / size (or consumption).
    by : column of groups (e.g. ``"income_quintile"``): the measures within each group, with
        ranks within the group; budgets (e.g. Xu's subsistence line) are still the whole
        population's.

    Returns
    -------
    dict with keys ``headcount``, ``overshoot``, ``mean_positive_overshoot``,
    ``concentration_headcount``, ``concentration_overshoot``, ``weighted_headcount``,
    ``weighted_overshoot``; with ``by``, a DataFrame of those columns indexed by group.

    Examples
    --------
    >>> df = pd.DataFrame({"oop": [0, 50, 300], "cons": [1000, 1000, 1000]})
    >>> catastrophic(df, oop="oop", consumption="cons", threshold=0.1, method="total")["headcount"]
    0.3333333333333333

    References
    ----------
    O'Donnell, O., van Doorslaer, E., Wagstaff, A. & Lindelow, M. (2008). *Analyzing Health
    Equity Using Household Survey Data*. World Bank, ch. 18 "Catastrophic payments for health
    care". Xu, K., Evans, D. B., Kawabata, K., Zeramdini, R., Klavus, J. & Murray, C. J. L.
    (2003). Household catastrophic health expenditure: a multicountry analysis. *The Lancet*
    362, 111-117. WHO & World Bank, SDG indicator 3.8.2 metadata. Wagstaff, A. & Eozenou, P.
    (2014). CATA meets IMPOV. World Bank Policy Research Working Paper 6646.
    """
    if checks.is_dask(df):
        return _on_dask("catastrophic")(
            df, oop=oop, consumption=consumption, threshold=threshold, method=method, food=food,
            size=size, weight=weight, poverty_line=poverty_line, rank=rank, by=by
        )

    _method("catastrophic", method)
    checks.nonempty(df, "catastrophic")
    oop_v = checks.money_column(df, oop, "catastrophic", "oop")
    m = HouseholdMeasures(df, consumption=consumption, food=food, size=size, weight=weight, rank=rank, by=by,
                          func="catastrophic")
    return m.catastrophic(oop_v, threshold=threshold, method=method, poverty_line=poverty_line, by=by is not None)


def catastrophic_households(
    df: pd.DataFrame,
    *,
    oop: str,
    consumption: str,
    threshold: float,
    method: str,
    food: str | None = None,
    size: str | None = None,
    weight: str | None = None,
    poverty_line: float | None = None,
    rank: str | None = None,
) -> pd.DataFrame:
    r"""The household-level quantities behind :func:`catastrophic`, aligned with ``df``.

    Columns: ``budget`` (:math:`d_i`), ``share`` (:math:`r_i`, NaN where
    :math:`d_i \le 0`), ``catastrophic`` (:math:`E_i`), ``overshoot`` (:math:`O_i`) and
    ``rank`` (weighted fractional rank; NaN for rows of weight 0, which rank nowhere).
    Use them for concentration curves or your own tabulations.
    """
    oop_v, d, w, rank_v, threshold = _prepare(
        "catastrophic_households", df, oop=oop, consumption=consumption, method=method,
        food=food, size=size, weight=weight, poverty_line=poverty_line, rank=rank,
        threshold=threshold,
    )
    r = _shares(oop_v, d)
    with np.errstate(invalid="ignore"):
        e = (r > threshold).astype(np.float64)
    ranks = np.full(len(df), np.nan)
    positive = w > 0
    ranks[positive] = weighted_fractional_rank(rank_v[positive], w[positive])
    return pd.DataFrame(
        {
            "budget": d,
            "share": r,
            "catastrophic": e,
            "overshoot": np.where(e > 0, r - threshold, 0.0),
            "rank": ranks,
        },
        index=df.index,
    )


# --------------------------------------------------------------------------- impoverishment


def _person_arrays(func, df, oop, consumption, size, weight):
    checks.nonempty(df, func)
    oop_v = checks.money_column(df, oop, func, "oop")
    cons_v = checks.positive_column(df, consumption, func, "consumption")
    size_v = checks.sizes(df, size, func)
    w = checks.weights(df, weight, func)
    return oop_v, cons_v, size_v, w * size_v


def impoverishment(
    df: pd.DataFrame,
    *,
    oop: str,
    consumption: str,
    poverty_line: float,
    size: str | None = None,
    weight: str | None = None,
    by: str | None = None,
) -> dict[str, float] | pd.DataFrame:
    r"""Poverty before and after out-of-pocket payments (the poverty impact of OOP).

    Person-level, with person weights :math:`v_i = w_i n_i`:

    .. math::

        x_i^{pre} = c_i / n_i, \qquad x_i^{post} = (c_i - OOP_i) / n_i

        H = \frac{\sum_i v_i 1[x_i < z]}{\sum_i v_i}, \qquad
        G = \frac{\sum_i v_i \max(z - x_i, 0)}{\sum_i v_i}, \qquad NG = G / z

    Poverty is strict (:math:`x < z`). The difference post minus pre is the poverty impact
    of paying for health care. :math:`x^{post}` may be negative when OOP exceeds consumption;
    the gap then exceeds z.

    Parameters
    ----------
    df : one row per household.
    oop, consumption : columns (>= 0 and > 0).
    poverty_line : z per person, same period as consumption.
    size : household size column (> 0); 1 when omitted.
    weight : household weight column (>= 0, positive total); 1 when omitted.
    by : column of groups (e.g. ``"income_quintile"``): the measures within each group.

    Returns
    -------
    dict with keys ``headcount_pre``, ``headcount_post``, ``gap_pre``, ``gap_post``,
    ``normalized_gap_pre``, ``normalized_gap_post``; with ``by``, a DataFrame of those
    columns indexed by group.

    References
    ----------
    O'Donnell et al. (2008), ch. 19 "Catastrophic payments and poverty" (impoverishment).
    Wagstaff, A. & van Doorslaer, E. (2003). Catastrophe and impoverishment in paying for health
    care. *Health Economics* 12, 921-934.
    """
    if checks.is_dask(df):
        return _on_dask("impoverishment")(
            df, oop=oop, consumption=consumption, poverty_line=poverty_line, size=size,
            weight=weight, by=by
        )

    func = "impoverishment"
    oop_v, _, _, _ = _person_arrays(func, df, oop, consumption, size, weight)
    m = HouseholdMeasures(df, consumption=consumption, size=size, weight=weight, by=by, func=func)
    return m.impoverishment(oop_v, poverty_line=poverty_line, by=by is not None)


def _unified_groups(func, oop_v, cons_v, size_v, poverty_line, threshold) -> dict[str, np.ndarray]:
    """Each household's class in the unified measure (see :func:`unified`), as masks."""
    z = checks.scalar(poverty_line, "poverty_line", func, positive=True)
    tau = checks.scalar(threshold, "threshold", func, positive=False)
    c = cons_v / size_v
    c_post = (cons_v - oop_v) / size_v
    d = cons_v - z * size_v
    pays = oop_v > 0
    above_after = pays & (c_post >= z)
    return {
        "zero": ~pays,
        "immiserizing": pays & (c < z),
        "impoverishing": pays & (c >= z) & (c_post < z),
        "catastrophic": above_after & (oop_v > tau * d),
        "non_catastrophic": above_after & (oop_v <= tau * d),
    }


def unified(
    df: pd.DataFrame,
    *,
    oop: str,
    consumption: str,
    poverty_line: float,
    threshold: float = 0.4,
    size: str | None = None,
    weight: str | None = None,
) -> dict[str, float]:
    r"""The unified classification of households by their health spending (shares of persons).

    With :math:`c_i = C_i/n_i`, :math:`c'_i = (C_i - OOP_i)/n_i` and
    :math:`d_i = C_i - z n_i`, every person falls in exactly one group:

    ============== ===================================================================
    zero           :math:`OOP_i = 0`
    immiserizing   :math:`OOP_i > 0,\ c_i < z` (already poor, pushed further)
    impoverishing  :math:`OOP_i > 0,\ c_i \ge z,\ c'_i < z`
    catastrophic   :math:`OOP_i > 0,\ c'_i \ge z,\ OOP_i > \tau d_i`
    non_catastrophic :math:`OOP_i > 0,\ c'_i \ge z,\ OOP_i \le \tau d_i`
    ============== ===================================================================

    .. math:: s_k = \frac{\sum_i w_i n_i 1[i \in k]}{\sum_i w_i n_i}, \qquad \sum_k s_k = 1

    At :math:`\tau = 0.4` the first three are the revised SDG 3.8.2 (financial hardship:
    spending that pushes or further pushes people into poverty, or exceeds 40% of the
    discretionary budget).

    Parameters
    ----------
    df, oop, consumption, size, weight : as in :func:`impoverishment`.
    poverty_line : z per person.
    threshold : :math:`\tau`, share of the discretionary budget (default 0.4).

    Returns
    -------
    dict with keys ``zero``, ``immiserizing``, ``impoverishing``, ``catastrophic``,
    ``non_catastrophic``.

    References
    ----------
    Wagstaff, A. & Eozenou, P. (2014). CATA meets IMPOV: a unified approach to measuring
    financial protection in health. World Bank Policy Research Working Paper 6646.
    WHO & World Bank (2021), SDG indicator 3.8.2 (revised). O'Donnell et al. (2008), ch. 18-19.
    """
    if checks.is_dask(df):
        return _on_dask("unified")(
            df, oop=oop, consumption=consumption, poverty_line=poverty_line, threshold=threshold,
            size=size, weight=weight
        )

    func = "unified"
    oop_v, cons_v, size_v, v = _person_arrays(func, df, oop, consumption, size, weight)
    groups = _unified_groups(func, oop_v, cons_v, size_v, poverty_line, threshold)
    total = v.sum()
    return {k: float(np.dot(v, g.astype(np.float64)) / total) for k, g in groups.items()}


# --------------------------------------------------------------------------- threshold curve


def threshold_curve(
    df: pd.DataFrame,
    *,
    oop: str,
    consumption: str,
    method: str = "total",
    thresholds: Iterable[float] | None = None,
    food: str | None = None,
    size: str | None = None,
    weight: str | None = None,
    poverty_line: float | None = None,
) -> pd.DataFrame:
    r"""Catastrophic headcount, overshoot and MPO as the threshold runs from 5% to 60%.

    .. math:: H(\tau) = \frac{\sum_i w_i 1[d_i > 0,\ OOP_i/d_i > \tau]}{\sum_i w_i}

    The budget :math:`d_i` is computed once (see :func:`catastrophic` for ``method``); the
    default thresholds are 0.05, 0.06, ..., 0.60. Returns one row per threshold with columns
    ``threshold``, ``headcount``, ``overshoot``, ``mean_positive_overshoot``.

    References
    ----------
    O'Donnell et al. (2008), ch. 18 (incidence against threshold, fig. 18.2).
    """
    oop_v, d, w, _, _ = _prepare(
        "threshold_curve", df, oop=oop, consumption=consumption, method=method, food=food,
        size=size, weight=weight, poverty_line=poverty_line, rank=None, threshold=None,
    )
    if thresholds is None:
        thresholds = np.round(np.arange(0.05, 0.6001, 0.01), 2)
    if isinstance(thresholds, (str, bytes)) or not isinstance(thresholds, Iterable):
        raise HealthcoverError(f"threshold_curve: thresholds = {thresholds!r}; give a list of shares such as [0.1, 0.25]")
    taus = [checks.scalar(t, "threshold", "threshold_curve", positive=False) for t in thresholds]
    keep = w > 0
    r, w = _shares(oop_v, d)[keep], w[keep]
    defined = ~np.isnan(r)
    r, wr = r[defined], w[defined]
    total = w.sum()
    rows = []
    for tau in taus:
        e = r > tau
        h = float(wr[e].sum() / total)
        o = float(np.dot(wr[e], r[e] - tau) / total)
        rows.append((tau, h, o, o / h if h > 0 else float("nan")))
    return pd.DataFrame(
        rows, columns=["threshold", "headcount", "overshoot", "mean_positive_overshoot"]
    )


# --------------------------------------------------------------------------- bootstrap


def bootstrap(
    measure: Callable[..., Mapping[str, float]],
    df: pd.DataFrame,
    *,
    reps: int = 200,
    seed: int = 0,
    level: float = 0.95,
    cluster: str | None = None,
    strata: str | None = None,
    singleton: str = "error",
    progress: bool = True,
    **kwargs,
) -> pd.DataFrame:
    r"""Bootstrap confidence intervals for every key of a measure.

    Without ``cluster`` and ``strata``, each replicate draws ``len(df)`` households with
    replacement, keeps their weights and recomputes ``measure(sample, **kwargs)``. With
    ``cluster`` (the survey's PSUs) and/or ``strata``, replicates follow the design: the
    Rao-Wu rescaling bootstrap draws :math:`n_h - 1` PSUs with replacement within each stratum
    and rescales the weights of PSU *j* by :math:`\frac{n_h}{n_h - 1} m^*_{hj}` (see
    :mod:`healthcover.survey`); the measure then receives the replicate weights through its
    ``weight`` argument (a column of ones when ``weight`` is not given). A stratum with one PSU
    raises unless ``singleton`` is ``"certainty"`` or ``"scaled"``.

    The interval is the percentile interval of the replicates:

    .. math:: [\hat\theta^*_{(\alpha/2)},\ \hat\theta^*_{(1-\alpha/2)}],
              \qquad \alpha = 1 - \text{level}

    For design-based standard errors with Stata-style intervals (and linearisation or the
    jackknife), use :func:`healthcover.standard_errors`.

    Parameters
    ----------
    measure : :func:`catastrophic`, :func:`impoverishment`, :func:`unified` or any function
        ``f(df, **kwargs) -> dict of floats``.
    df : the household table.
    reps : number of replicates (a whole number >= 2).
    seed : seed of ``numpy.random.default_rng`` (a whole number >= 0); the same seed gives
        the same intervals.
    level : coverage of the interval.
    cluster : optional column of primary sampling units.
    strata : optional column of strata (PSUs are resampled within them).
    singleton : treatment of a stratum with one PSU (see :class:`healthcover.SurveyDesign`).
    progress : show a progress bar.
    **kwargs : passed to ``measure`` (column names, threshold, method ...).

    Returns
    -------
    DataFrame indexed by key with columns ``estimate``, ``se``, ``lower``, ``upper``,
    ``reps`` (replicates with a finite value).

    References
    ----------
    Efron, B. & Tibshirani, R. (1993). *An Introduction to the Bootstrap*, ch. 13.
    Rao, J. N. K., Wu, C. F. J. & Yue, K. (1992). *Survey Methodology* 18, 209-217.
    O'Donnell et al. (2008), ch. 18 (standard errors of catastrophic payment measures).
    """
    from tqdm.auto import tqdm

    func = "bootstrap"
    checks.measure(func, measure)
    reps = checks.replicates(func, "reps", reps, 2)
    seed = checks.seed(func, "seed", seed)
    level = checks.probability(func, "level", level)
    checks.flag(func, "progress", progress)
    checks.frame(df, f"{func}: the household table")
    checks.nonempty(df, func)
    estimate = dict(measure(df, **kwargs))
    used = [v for k, v in kwargs.items() if isinstance(v, str) and v in df.columns]
    for role, col in (("cluster", cluster), ("strata", strata)):
        if col is not None:
            checks.design_codes(df, col, func, role)  # present, no missing value
            used.append(col)
    # Resample on a slim, position-indexed copy: copying only needed columns is what makes a
    # replicate cheap.
    slim = df[list(dict.fromkeys(used))].reset_index(drop=True)
    rng = np.random.default_rng(seed)
    n = len(slim)
    keys = list(estimate)
    draws = np.empty((reps, len(keys)))
    by_design = cluster is not None or strata is not None
    if by_design:
        from healthcover import survey

        wcol = kwargs.get("weight") or survey._UNIT_WEIGHT
        design = survey.SurveyDesign(weight=kwargs.get("weight"), strata=strata, psu=cluster,
                                     singleton=singleton)
        prep = survey._prepare(design, slim, func, method="bootstrap")
        factors = survey._rao_wu_factors(prep, reps, rng)
        kwargs = {**kwargs, "weight": wcol}
    for b in tqdm(range(reps), desc=f"bootstrap {getattr(measure, '__name__', '')}",
                  disable=not progress):
        if by_design:
            sample = slim.copy(deep=False)
            sample[wcol] = prep.w * factors[b][prep.psu]
        else:
            sample = slim.take(rng.integers(0, n, n))
        try:
            res = measure(sample, **kwargs)
            draws[b] = [res[k] for k in keys]
        except HealthcoverError:
            # A replicate with no positive weight has no estimate; it is left out.
            draws[b] = np.nan
        except TypeError as exc:
            if by_design and "weight" in str(exc):
                raise HealthcoverError(
                    f"{func}: with cluster= or strata= the replicate weights reach the measure "
                    f"through weight=, which {getattr(measure, '__name__', 'it')} does not accept"
                ) from None
            raise
    alpha = (1.0 - level) / 2.0
    finite = np.isfinite(draws)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN keys, e.g. MPO when H = 0
        lower = np.nanquantile(draws, alpha, axis=0)
        upper = np.nanquantile(draws, 1.0 - alpha, axis=0)
        se = np.nanstd(draws, axis=0, ddof=1)
    return pd.DataFrame(
        {
            "estimate": [estimate[k] for k in keys],
            "se": se,
            "lower": lower,
            "upper": upper,
            "reps": finite.sum(axis=0),
        },
        index=pd.Index(keys, name="measure"),
    )


# --------------------------------------------------------------------------- inequality


def _gc_influence(h: np.ndarray, x: np.ndarray, w: np.ndarray, *,
                  order: np.ndarray | None = None, influence: bool = True):
    r"""The generalized concentration index of ``h`` ranked by ``x``, the mean of ``h``, and
    their derivatives with respect to each row's weight (the influence values that
    :func:`healthcover.standard_errors` linearises).

    With :math:`W = \sum w`, fractional ranks :math:`R` (ties sharing their mean rank, so
    :math:`\sum w R / W = 1/2` exactly), :math:`\mu = \sum w h / W` and
    :math:`m = \sum w h R / W`, :math:`GC = 2\,\mathrm{cov}_w(h, R) = 2m - \mu` and

    .. math::

        \frac{\partial GC}{\partial w_k} = \frac1W\Big(2 h_k R_k + \frac{2 G_k}{W} - 4m
        - h_k + \mu\Big), \qquad
        G_k = \sum_{i:\,x_i > x_k} w_i h_i + \tfrac12 \sum_{i:\,x_i = x_k} w_i h_i,

    :math:`\partial\mu/\partial w_k = (h_k - \mu)/W`. (A weight also moves every rank; the
    :math:`G_k` term carries that, as for the Gini coefficient in Binder & Kovacevic 1995.)

    ``order`` (an argsort of ``x``) saves the sort when several indices share a ranking;
    ``influence=False`` skips the derivatives (they are then None).
    """
    n = h.size
    total = w.sum()
    if order is None:
        order = np.argsort(x, kind="stable")
    xs, ws, hs = x[order], w[order], h[order]
    new = np.empty(n, dtype=bool)
    new[0] = True
    np.not_equal(xs[1:], xs[:-1], out=new[1:])
    gid = np.cumsum(new) - 1
    gw = np.bincount(gid, weights=ws)
    gwh = np.bincount(gid, weights=ws * hs)
    ranks = (np.cumsum(gw)[gid] - 0.5 * gw[gid]) / total
    cum_wh = np.cumsum(gwh)
    above = cum_wh[-1] - cum_wh[gid] + 0.5 * gwh[gid]
    mu = cum_wh[-1] / total
    m = np.dot(ws * hs, ranks) / total
    gc = 2.0 * m - mu
    if not influence:
        return float(gc), float(mu), None, None
    z_sorted = (2.0 * hs * ranks + 2.0 * above / total - 4.0 * m - hs + mu) / total
    z_gc = np.empty(n)
    z_gc[order] = z_sorted
    return float(gc), float(mu), z_gc, (h - mu) / total


def _index_influence(kind: str, gc: float, mu: float, z_gc, z_mu, ab):
    """A concentration index of ``kind`` and its influence values, from GC and the mean."""
    value = _corrected(gc, mu, kind, ab)
    if not np.isfinite(value):
        return value, None
    if kind == "generalized":
        return value, z_gc
    if kind == "standard":
        return value, z_gc / mu - gc * z_mu / mu**2
    a, b = ab
    if kind == "erreygers":
        return value, 4.0 * z_gc / (b - a)
    denom = (b - mu) * (mu - a)
    return value, (b - a) * (z_gc / denom - gc * (a + b - 2.0 * mu) * z_mu / denom**2)


def _indices_setup(func, df, variable, rank, weight, bounds, kinds):
    checks.nonempty(df, func)
    h = checks.column(df, variable, func, "variable")
    x = h if rank is None else checks.column(df, rank, func, "rank")
    w = checks.weights(df, weight, func)
    if kinds is None:
        ab = None
        if bounds is not None or np.isin(h[w > 0], (0.0, 1.0)).all():
            ab = checks.bounds(func, bounds, h, w, "wagstaff")
        kinds = CONCENTRATION_KINDS if ab is not None else ("standard", "generalized")
    else:
        kinds = [kinds] if isinstance(kinds, str) else list(kinds)
        for k in kinds:
            checks.choice(func, "kinds", k, CONCENTRATION_KINDS)
        needs = [k for k in kinds if k in ("wagstaff", "erreygers")]
        ab = checks.bounds(func, bounds, h, w, needs[0]) if needs else None
    return h, x, w, list(kinds), ab


def concentration_indices(
    df: pd.DataFrame,
    *,
    variable: str,
    rank: str | None = None,
    weight: str | None = None,
    bounds: tuple[float, float] | None = None,
    kinds: str | Sequence[str] | None = None,
) -> dict[str, float]:
    r"""Concentration indices of a household variable, ranked by another (a measure).

    Computes, with weighted fractional ranks by ``rank`` (the variable itself when omitted: the
    Gini coefficient), the indices of :func:`concentration_index`: ``standard`` (C),
    ``generalized`` (:math:`\mu C`), ``wagstaff`` and ``erreygers`` (the last two when the
    variable is binary or ``bounds=(a, b)`` is given). ``kinds`` restricts the list (asking
    for the bounded ones without bounds on a non-binary variable raises). Rows of weight 0
    count nowhere. The key ``mean`` is the weighted mean of the variable.

    Standard errors: :func:`healthcover.standard_errors` (linearisation included).

    Examples
    --------
    >>> df = pd.DataFrame({"ill": [1, 1, 0, 0], "income": [1.0, 2, 3, 4]})
    >>> concentration_indices(df, variable="ill", rank="income")["erreygers"]
    -1.0

    References
    ----------
    O'Donnell, O., O'Neill, S., Van Ourti, T. & Walsh, B. (2016). conindex: Estimation of
    concentration indices. *The Stata Journal* 16(1), 112-138. O'Donnell et al. (2008), ch. 8.
    """
    if checks.is_dask(df):
        return _on_dask("concentration_indices")(
            df, variable=variable, rank=rank, weight=weight, bounds=bounds, kinds=kinds
        )

    h, x, w, kinds, ab = _indices_setup("concentration_indices", df, variable, rank, weight,
                                        bounds, kinds)
    gc, mu, _, _ = _gc_influence(h, x, w, influence=False)
    return {"mean": mu, **{k: _corrected(gc, mu, k, ab) for k in kinds}}


def _concentration_indices_influence(df, *, variable, rank=None, weight=None, bounds=None,
                                     kinds=None):
    h, x, w, kinds, ab = _indices_setup("concentration_indices", df, variable, rank, weight,
                                        bounds, kinds)
    gc, mu, z_gc, z_mu = _gc_influence(h, x, w)
    return {"mean": z_mu, **{k: _index_influence(k, gc, mu, z_gc, z_mu, ab)[1] for k in kinds}}


def decompose_concentration(
    df: pd.DataFrame,
    *,
    outcome: str,
    determinants: Sequence[str],
    rank: str,
    weight: str | None = None,
    kind: str = "standard",
    bounds: tuple[float, float] | None = None,
) -> pd.DataFrame:
    r"""Decompose the concentration index of an outcome into its determinants' contributions.

    A weighted least-squares regression :math:`y_i = \alpha + \sum_k \beta_k x_{ki} +
    \varepsilon_i` gives, because the concentration index is linear in its variable,

    .. math::

        C_y = \sum_k \frac{\beta_k \bar x_k}{\mu_y} C_k + \frac{GC_\varepsilon}{\mu_y}

    (Wagstaff, van Doorslaer & Watanabe 2003): the elasticity :math:`\eta_k = \beta_k \bar
    x_k/\mu_y` times the determinant's concentration index :math:`C_k` is its contribution;
    what the determinants leave is the residual :math:`GC_\varepsilon/\mu_y`. With
    ``kind="generalized"`` contributions are :math:`\beta_k GC_k` (summing to :math:`GC_y`);
    with ``kind="erreygers"`` :math:`4\beta_k GC_k/(b - a)` (summing to Erreygers' index;
    ``bounds`` as in :func:`concentration_index`). Wagstaff's normalisation is not linear in
    the variable and has no such decomposition.

    Returns
    -------
    DataFrame indexed by determinant, then ``residual`` and ``total``, with columns
    ``coefficient`` (:math:`\beta_k`), ``mean`` (:math:`\bar x_k`), ``elasticity``,
    ``concentration`` (:math:`C_k`, NaN when :math:`\bar x_k = 0`), ``contribution`` and
    ``percent`` (of the total index). In the ``residual`` and ``total`` rows only
    ``contribution`` and ``percent`` apply (the others are NaN). ``attrs["index"]`` is the
    outcome's index. Standard errors: :func:`healthcover.standard_errors` with
    ``se="jackknife"`` or ``"bootstrap"``.

    References
    ----------
    Wagstaff, A., van Doorslaer, E. & Watanabe, N. (2003). On decomposing the causes of health
    sector inequalities with an application to malnutrition inequalities in Vietnam. *Journal
    of Econometrics* 112, 207-223. O'Donnell et al. (2008), ch. 13. Erreygers (2009).
    """
    func = "decompose_concentration"
    checks.nonempty(df, func)
    if kind == "wagstaff":
        raise HealthcoverError(
            f"{func}: kind 'wagstaff' has no linear decomposition (its normalisation depends on "
            "the mean); use 'erreygers' for a bounded outcome"
        )
    checks.choice(func, "kind", kind, ("standard", "generalized", "erreygers"))
    names = checks.column_names(df, determinants, func, "determinants")
    if outcome in names:
        raise HealthcoverError(f"{func}: the outcome '{outcome}' is also among the determinants")
    y = checks.column(df, outcome, func, "outcome")
    xs = np.column_stack([checks.column(df, c, func, "determinant") for c in names])
    r = checks.column(df, rank, func, "rank")
    w = checks.weights(df, weight, func)
    keep = w > 0
    y, xs, r, w = y[keep], xs[keep], r[keep], w[keep]
    if y.size <= len(names) + 1:
        raise HealthcoverError(
            f"{func}: {y.size} households of positive weight cannot identify {len(names)} "
            "coefficients and an intercept; more households are needed"
        )
    constant = [c for c, col in zip(names, xs.T) if np.ptp(col) == 0]
    if constant:
        raise HealthcoverError(
            f"{func}: determinant(s) {allowed(constant)} take one value for every household; "
            "a constant is absorbed by the intercept, so drop it"
        )
    root = np.sqrt(w)
    design = np.column_stack([np.ones(y.size), xs]) * root[:, None]
    coef, _, rank_, _ = np.linalg.lstsq(design, y * root, rcond=None)
    if rank_ < len(names) + 1:
        raise HealthcoverError(
            f"{func}: determinants {allowed(names)} are collinear (one is a linear combination of "
            "others and the intercept, e.g. every category of a dummy set); drop one"
        )
    beta = coef[1:]
    ab = checks.bounds(func, bounds, y, w, kind) if kind == "erreygers" else None
    ranks = weighted_fractional_rank(r, w)
    total = w.sum()
    mr = np.dot(w, ranks) / total

    def gc_of(v):
        return 2.0 * np.dot(w, (v - np.dot(w, v) / total) * (ranks - mr)) / total

    mu_y = np.dot(w, y) / total
    gc_y = gc_of(y)
    index = _corrected(gc_y, mu_y, kind, ab)
    if kind == "standard" and mu_y == 0:
        raise HealthcoverError(f"{func}: the outcome '{outcome}' has mean 0, so its standard "
                               "concentration index is undefined; use kind='generalized'")
    factor = {"standard": 1.0 / mu_y if mu_y != 0 else np.nan, "generalized": 1.0}.get(
        kind, 4.0 / (ab[1] - ab[0]) if ab else np.nan)
    means = w @ xs / total
    gcs = np.array([gc_of(col) for col in xs.T])
    contrib = factor * beta * gcs
    with np.errstate(divide="ignore", invalid="ignore"):
        conc = np.where(means != 0, gcs / np.where(means != 0, means, 1.0), np.nan)
        elasticity = beta * means / mu_y if mu_y != 0 else np.full(len(names), np.nan)
    residual = index - contrib.sum()
    nan = np.full(2, np.nan)
    contributions = np.concatenate([contrib, [residual, index]])
    out = pd.DataFrame(
        {
            "coefficient": np.concatenate([beta, nan]),
            "mean": np.concatenate([means, nan]),
            "elasticity": np.concatenate([elasticity, nan]),
            "concentration": np.concatenate([conc, nan]),
            "contribution": contributions,
            "percent": 100.0 * contributions / index if index != 0 else np.full(len(names) + 2, np.nan),
        },
        index=pd.Index([*names, "residual", "total"], name="determinant"),
    )
    out.attrs.update({"outcome": outcome, "kind": kind, "index": index,
                      "intercept": float(coef[0])})
    return out


KAKWANI_KEYS = (
    "kakwani", "concentration", "gini", "reynolds_smolensky", "redistributive_effect",
    "reranking", "gini_post", "payment_share",
)


def _kakwani_setup(df, payment, income, weight):
    func = "kakwani"
    checks.nonempty(df, func)
    pay = checks.money_column(df, payment, func, "payment")
    inc = checks.positive_column(df, income, func, "income")
    w = checks.weights(df, weight, func)
    total = w.sum()
    mu_p, mu_x = np.dot(w, pay) / total, np.dot(w, inc) / total
    if mu_p == 0:
        raise HealthcoverError(
            f"{func}: payment '{payment}' is 0 for every household of positive weight; the "
            "progressivity of a payment nobody makes is undefined"
        )
    if mu_p >= mu_x:
        raise HealthcoverError(
            f"{func}: payments ('{payment}', mean {mu_p:g}) are at least income ('{income}', mean "
            f"{mu_x:g}) on average, so post-payment income has no positive mean; check the columns "
            "and their periods"
        )
    return pay, inc, w


def kakwani(
    df: pd.DataFrame,
    *,
    payment: str,
    income: str,
    weight: str | None = None,
) -> dict[str, float]:
    r"""Progressivity of a payment (contributions, OOP) and its redistributive effect.

    With households ranked by pre-payment income :math:`x` (weighted fractional ranks),
    payment :math:`p` and post-payment income :math:`x - p`:

    .. math::

        K = C_p - G_x, \qquad
        \Pi^{RS} = G_x - C_{x-p} = \frac{g}{1 - g} K, \qquad g = \mu_p/\mu_x

        RE = G_x - G_{x-p} = \Pi^{RS} - R, \qquad R = G_{x-p} - C_{x-p}

    :math:`C_p` is the concentration index of the payment, :math:`G_x` the Gini coefficient
    of income, :math:`C_{x-p}` the concentration index of post-payment income ranked by
    pre-payment income, :math:`G_{x-p}` its Gini. K > 0: the payment is progressive (the
    better-off pay a larger share of their income); K < 0: regressive. :math:`\Pi^{RS}` is the
    Reynolds-Smolensky index (vertical redistribution), RE the redistributive effect and R the
    reranking it causes.

    Parameters
    ----------
    df : one row per paying unit (household or person).
    payment : column of the payment (>= 0), e.g. individual contributions or OOP.
    income : column of pre-payment income or consumption (> 0), same period.
    weight : column of weights; for a person-level figure from household rows use household
        weight times size.

    Returns
    -------
    dict with keys ``kakwani``, ``concentration`` (:math:`C_p`), ``gini`` (:math:`G_x`),
    ``reynolds_smolensky``, ``redistributive_effect``, ``reranking``, ``gini_post``
    (:math:`G_{x-p}`) and ``payment_share`` (g).

    Examples
    --------
    >>> df = pd.DataFrame({"pay": [10.0, 20, 30, 40], "income": [100.0, 200, 300, 400]})
    >>> round(kakwani(df, payment="pay", income="income")["kakwani"], 12)   # proportional
    0.0

    References
    ----------
    Kakwani, N. C. (1977). Measurement of tax progressivity: an international comparison.
    *Economic Journal* 87, 71-80. Reynolds, M. & Smolensky, E. (1977). *Public Expenditures,
    Taxes, and the Distribution of Income*. O'Donnell et al. (2008), ch. 16 (progressivity of
    health care financing) and ch. 17 (redistributive effect). Wagstaff, A. et al. (1999).
    Equity in the finance of health care: some further international comparisons. *Journal of
    Health Economics* 18, 263-290.
    """
    if checks.is_dask(df):
        return _on_dask("kakwani")(df, payment=payment, income=income, weight=weight)

    out = _kakwani_parts(*_kakwani_setup(df, payment, income, weight), influence=False)
    return {k: out[k][0] for k in KAKWANI_KEYS}


def _kakwani_parts(pay, inc, w, *, influence: bool):
    post = inc - pay
    by_income = np.argsort(inc, kind="stable")  # three of the four indices share this ranking
    parts = {}
    for key, h, x, order in (("c_p", pay, inc, by_income), ("g_x", inc, inc, by_income),
                             ("c_post", post, inc, by_income), ("g_post", post, post, None)):
        gc, mu, z_gc, z_mu = _gc_influence(h, x, w, order=order, influence=influence)
        value = _corrected(gc, mu, "standard", None)
        parts[key] = ((value, None) if not influence
                      else _index_influence("standard", gc, mu, z_gc, z_mu, None))
        parts["mu_" + key] = (mu, z_mu)
    (cp, zcp), (gx, zgx) = parts["c_p"], parts["g_x"]
    (cpost, zcpost), (gpost, zgpost) = parts["c_post"], parts["g_post"]
    (mp, zmp), (mx, zmx) = parts["mu_c_p"], parts["mu_g_x"]

    def lin(*terms):
        """The influence values of a linear combination sum(c * z) (None without them)."""
        return sum(c * z for c, z in terms) if influence else None

    out = {
        "kakwani": (cp - gx, lin((1, zcp), (-1, zgx))),
        "concentration": (cp, zcp),
        "gini": (gx, zgx),
        "reynolds_smolensky": (gx - cpost, lin((1, zgx), (-1, zcpost))),
        "redistributive_effect": (gx - gpost, lin((1, zgx), (-1, zgpost))),
        "reranking": (gpost - cpost, lin((1, zgpost), (-1, zcpost))),
        "gini_post": (gpost, zgpost),
        "payment_share": (mp / mx, lin((1 / mx, zmp), (-mp / mx**2, zmx))),
    }
    return {k: (float(v), z) for k, (v, z) in out.items()}


def _kakwani_influence(df, *, payment, income, weight=None):
    out = _kakwani_parts(*_kakwani_setup(df, payment, income, weight), influence=True)
    return {k: out[k][1] for k in KAKWANI_KEYS}


# Influence values (derivatives of each key with respect to every household's weight) of the
# measures that are means, ratios of means or concentration indices: what
# healthcover.standard_errors(se="linearization") needs. Each mirrors its measure's
# definition exactly; tests check them against finite differences and samplics.


def _catastrophic_influence(df, *, oop, consumption, threshold, method, food=None, size=None,
                            weight=None, poverty_line=None, rank=None):
    oop_v, d, w, rank_v, threshold = _prepare(
        "catastrophic", df, oop=oop, consumption=consumption, method=method, food=food,
        size=size, weight=weight, poverty_line=poverty_line, rank=rank, threshold=threshold,
    )
    r = _shares(oop_v, d)
    with np.errstate(invalid="ignore"):
        e = (r > threshold).astype(np.float64)
    over = np.where(e > 0, r - threshold, 0.0)
    total = w.sum()
    head, shoot = np.dot(w, e) / total, np.dot(w, over) / total
    gc_e, _, zgc_e, z_e = _gc_influence(e, rank_v, w)
    gc_o, _, zgc_o, z_o = _gc_influence(over, rank_v, w)
    return {
        "headcount": z_e,
        "overshoot": z_o,
        "mean_positive_overshoot": (over - shoot / head * e) / (head * total) if head > 0 else None,
        "concentration_headcount": _index_influence("standard", gc_e, head, zgc_e, z_e, None)[1],
        "concentration_overshoot": _index_influence("standard", gc_o, shoot, zgc_o, z_o, None)[1],
        # H (1 - C) = H - GC: defined (and 0) even when nobody is catastrophic.
        "weighted_headcount": z_e - zgc_e,
        "weighted_overshoot": z_o - zgc_o,
    }


def _impoverishment_influence(df, *, oop, consumption, poverty_line, size=None, weight=None):
    func = "impoverishment"
    oop_v, cons_v, size_v, v = _person_arrays(func, df, oop, consumption, size, weight)
    z = checks.scalar(poverty_line, "poverty_line", func, positive=True)
    total = v.sum()
    out = {}
    for tag, x in (("pre", cons_v / size_v), ("post", (cons_v - oop_v) / size_v)):
        for key, y in ((f"headcount_{tag}", (x < z).astype(np.float64)),
                       (f"gap_{tag}", np.maximum(z - x, 0.0))):
            # Person-level ratio sum(w n y) / sum(w n): derivative n (y - mean) / sum(w n).
            out[key] = size_v * (y - np.dot(v, y) / total) / total
        out[f"normalized_gap_{tag}"] = out[f"gap_{tag}"] / z
    return out


def _unified_influence(df, *, oop, consumption, poverty_line, threshold=0.4, size=None,
                       weight=None):
    func = "unified"
    oop_v, cons_v, size_v, v = _person_arrays(func, df, oop, consumption, size, weight)
    groups = _unified_groups(func, oop_v, cons_v, size_v, poverty_line, threshold)
    total = v.sum()
    out = {}
    for k, g in groups.items():
        y = g.astype(np.float64)
        out[k] = size_v * (y - np.dot(v, y) / total) / total
    return out


catastrophic.influence = _catastrophic_influence
impoverishment.influence = _impoverishment_influence
unified.influence = _unified_influence
concentration_indices.influence = _concentration_indices_influence
kakwani.influence = _kakwani_influence


# --------------------------------------------------------------------------- chart data


def _thin(n: int, max_points: int) -> np.ndarray:
    """Evenly spaced positions 0..n-1 keeping both ends, at most ``max_points`` of them."""
    if n <= max_points:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, max_points).round().astype(np.int64))


def concentration_curve(
    df: pd.DataFrame,
    *,
    variables: str | Sequence[str],
    rank: str | None = None,
    consumption: str | None = None,
    size: str | None = None,
    weight: str | None = None,
    max_points: int = 1000,
) -> pd.DataFrame:
    r"""Points of the concentration curve of one or more variables.

    Households are ranked by ``rank`` (or consumption per head), ascending; tied households
    form one step. For each variable *h*:

    .. math:: L_h(p) = \frac{\sum_{i:\, R_i \le p} w_i h_i}{\sum_i w_i h_i}

    Returns a long table with columns ``variable``, ``population_share`` (cumulative weight
    share), ``variable_share`` (cumulative share of the variable), starting at (0, 0). The
    curve lies above the diagonal when *h* is concentrated among the poor (C < 0).

    References
    ----------
    O'Donnell et al. (2008), ch. 7 "The concentration curve"; ch. 18, fig. 18.3.
    """
    func = "concentration_curve"
    checks.nonempty(df, func)
    variables = [variables] if isinstance(variables, str) else list(variables)
    w = checks.weights(df, weight, func)
    if rank is not None:
        key = checks.column(df, rank, func, "rank")
    elif consumption is not None:
        key = checks.positive_column(df, consumption, func, "consumption")
        if size is not None:
            key = key / checks.sizes(df, size, func)
    else:
        raise HealthcoverError(f"{func}: pass rank='<column>' or consumption='<column>'")
    keep = w > 0
    order = np.argsort(key[keep], kind="stable")
    ks, ws = key[keep][order], w[keep][order]
    last = np.append(ks[1:] != ks[:-1], True)  # last row of each tie group
    pop = np.cumsum(ws)[last] / ws.sum()
    frames = []
    for var in variables:
        h = checks.column(df, var, func, "variable")[keep][order]
        cum = np.cumsum(ws * h)[last]
        tot = cum[-1]
        share = cum / tot if tot != 0 else np.full(cum.shape, np.nan)
        pick = _thin(pop.size, max_points)
        frames.append(
            pd.DataFrame(
                {
                    "variable": var,
                    "population_share": np.concatenate([[0.0], pop[pick]]),
                    "variable_share": np.concatenate([[0.0], share[pick]]),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def pens_parade(
    df: pd.DataFrame,
    *,
    oop: str,
    consumption: str,
    size: str | None = None,
    weight: str | None = None,
    poverty_line: float | None = None,
    max_points: int = 400,
) -> pd.DataFrame:
    r"""Data for Pen's parade with "paint drips" (Wagstaff & van Doorslaer 2003).

    Persons (weights :math:`w_i n_i`) are lined up by pre-payment consumption per head
    :math:`c_i/n_i`. The parade is that curve; each drip runs down to post-payment
    consumption per head :math:`(c_i - OOP_i)/n_i`. Where a drip crosses the poverty line,
    health spending impoverishes.

    Returns one row per plotted household (at most ``max_points``, evenly spaced along the
    parade) with columns ``population_share`` (mid-point cumulative person share), ``pre``,
    ``post``, ``drip`` (pre - post), ``poverty_line`` (NaN when not given), ``crosses``
    (pre >= line > post).

    References
    ----------
    O'Donnell et al. (2008), ch. 19, fig. 19.1. Wagstaff, A. & van Doorslaer, E. (2003),
    *Health Economics* 12, 921-934.
    """
    func = "pens_parade"
    oop_v, cons_v, size_v, v = _person_arrays(func, df, oop, consumption, size, weight)
    line = np.nan if poverty_line is None else checks.scalar(poverty_line, "poverty_line", func,
                                                       positive=True)
    keep = v > 0
    pre = (cons_v / size_v)[keep]
    post = ((cons_v - oop_v) / size_v)[keep]
    vk = v[keep]
    order = np.argsort(pre, kind="stable")
    pre, post, vk = pre[order], post[order], vk[order]
    cum = np.cumsum(vk)
    mid = (cum - vk / 2.0) / cum[-1]
    pick = _thin(pre.size, max_points)
    out = pd.DataFrame(
        {
            "population_share": mid[pick],
            "pre": pre[pick],
            "post": post[pick],
            "drip": pre[pick] - post[pick],
            "poverty_line": line,
        }
    )
    out["crosses"] = (out["pre"] >= line) & (out["post"] < line)
    return out


# --------------------------------------------------------------------------- charts
# The chart builders live in healthcover.plotting; these names keep working here.
from healthcover.plotting import (  # noqa: E402,F401
    concentration_curve_chart,
    pens_parade_chart,
    threshold_curve_chart,
)
