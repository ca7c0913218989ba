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

import warnings
from typing import Callable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from healthcover import checks
from healthcover.errors import HealthcoverError, allowed

__all__ = [
    "METHODS",
    "catastrophic",
    "impoverishment",
    "unified",
    "catastrophic_households",
    "weighted_fractional_rank",
    "weighted_percentile",
    "concentration_index",
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


def concentration_index(h: np.ndarray, rank: np.ndarray, w: np.ndarray | None = None) -> float:
    r"""Concentration index by the convenient covariance formula.

    .. math:: C = \frac{2\,\mathrm{cov}_w(h, R)}{\mu_w(h)}, \qquad
              \mathrm{cov}_w(h, R) = \frac{1}{W}\sum_i w_i (h_i - \mu_w(h))(R_i - \mu_w(R))

    ``rank`` is the weighted fractional rank :func:`weighted_fractional_rank`. NaN when
    the weighted mean of ``h`` is 0.

    References
    ----------
    O'Donnell et al. (2008), ch. 8, eq. 8.7; ch. 18 (concentration of catastrophic payments).
    """
    h = np.asarray(h, dtype=np.float64)
    rank = np.asarray(rank, dtype=np.float64)
    w = np.ones_like(h) if w is None else np.asarray(w, dtype=np.float64)
    total = w.sum()
    mean_h = np.dot(w, h) / total
    if mean_h == 0:
        return float("nan")
    mean_r = np.dot(w, rank) / total
    cov = np.dot(w, (h - mean_h) * (rank - mean_r)) / total
    return float(2.0 * cov / mean_h)


# --------------------------------------------------------------------------- catastrophic


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
    if method not in METHODS:
        raise HealthcoverError(
            f"{func}: method {method!r} is not known; allowed: {allowed(METHODS)}"
        )
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


def _catastrophic_measures(r, w, rank_v, threshold) -> dict[str, float]:
    positive = w > 0
    if not positive.all():
        r, w, rank_v = r[positive], w[positive], rank_v[positive]
    # Everything below runs in rank order: one gather of r instead of scattering ranks back.
    order = np.argsort(rank_v)
    ws = w[order]
    rs = r[order]
    ranks = _sorted_ranks(rank_v[order], ws)
    total = ws.sum()
    with np.errstate(invalid="ignore"):
        catastrophic_ = rs > threshold  # NaN shares (d <= 0) compare False
    e = catastrophic_.astype(np.float64)
    over = np.where(catastrophic_, rs - threshold, 0.0)
    headcount = float(np.dot(ws, e) / total)
    overshoot = float(np.dot(ws, over) / total)
    rc_w = ws * (ranks - np.dot(ws, ranks) / total)
    c_e = _weighted_concentration(e, ws, rc_w, total)
    c_o = _weighted_concentration(over, ws, rc_w, total)
    return {
        "headcount": headcount,
        "overshoot": overshoot,
        "mean_positive_overshoot": overshoot / headcount if headcount > 0 else float("nan"),
        "concentration_headcount": c_e,
        "concentration_overshoot": c_o,
        "weighted_headcount": headcount * (1.0 - c_e) if headcount != 0 else 0.0,
        "weighted_overshoot": overshoot * (1.0 - c_o) if overshoot != 0 else 0.0,
    }


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
) -> dict[str, float]:
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

    Returns
    -------
    dict with keys ``headcount``, ``overshoot``, ``mean_positive_overshoot``,
    ``concentration_headcount``, ``concentration_overshoot``, ``weighted_headcount``,
    ``weighted_overshoot``.

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
    oop_v, d, w, rank_v, threshold = _prepare(
        "catastrophic", df, oop=oop, consumption=consumption, method=method, food=food,
        size=size, weight=weight, poverty_line=poverty_line, rank=rank, threshold=threshold,
    )
    return _catastrophic_measures(_shares(oop_v, d), w, rank_v, threshold)


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
) -> dict[str, float]:
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

    Returns
    -------
    dict with keys ``headcount_pre``, ``headcount_post``, ``gap_pre``, ``gap_post``,
    ``normalized_gap_pre``, ``normalized_gap_post``.

    References
    ----------
    O'Donnell et al. (2008), ch. 19 "Catastrophic payments and poverty" (impoverishment).
    Wagstaff, A. & van Doorslaer, E. (2003). Catastrophe and impoverishment in paying for health
    care. *Health Economics* 12, 921-934.
    """
    func = "impoverishment"
    oop_v, cons_v, size_v, v = _person_arrays(func, df, oop, consumption, size, weight)
    z = checks.scalar(poverty_line, "poverty_line", func, positive=True)
    total = v.sum()
    out: dict[str, float] = {}
    for tag, x in (("pre", cons_v / size_v), ("post", (cons_v - oop_v) / size_v)):
        out[f"headcount_{tag}"] = float(np.dot(v, (x < z).astype(np.float64)) / total)
        out[f"gap_{tag}"] = float(np.dot(v, np.maximum(z - x, 0.0)) / total)
    for tag in ("pre", "post"):
        out[f"normalized_gap_{tag}"] = out[f"gap_{tag}"] / z
    return {k: out[k] for k in IMPOVERISHMENT_KEYS}


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
    func = "unified"
    oop_v, cons_v, size_v, v = _person_arrays(func, df, oop, consumption, size, weight)
    z = checks.scalar(poverty_line, "poverty_line", func, positive=True)
    tau = checks.scalar(threshold, "threshold", func, positive=False)
    c = cons_v / size_v
    c_post = (cons_v - oop_v) / size_v
    d = cons_v - z * size_v
    pays = oop_v > 0
    above_after = pays & (c_post >= z)
    groups = {
        "zero": ~pays,
        "immiserizing": pays & (c < z),
        "impoverishing": pays & (c >= z) & (c_post < z),
        "catastrophic": above_after & (oop_v > tau * d),
        "non_catastrophic": above_after & (oop_v <= tau * d),
    }
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
    progress: bool = True,
    **kwargs,
) -> pd.DataFrame:
    r"""Bootstrap confidence intervals for every key of a measure, resampling households.

    Each replicate draws ``len(df)`` households with replacement (or, with ``cluster``,
    as many clusters as there are, keeping each cluster's households together, as for
    survey PSUs), keeps their weights and recomputes ``measure(sample, **kwargs)``.
    The interval is the percentile interval of the replicates:

    .. math:: [\hat\theta^*_{(\alpha/2)},\ \hat\theta^*_{(1-\alpha/2)}],
              \qquad \alpha = 1 - \text{level}

    Parameters
    ----------
    measure : :func:`catastrophic`, :func:`impoverishment`, :func:`unified` or any function
        ``f(df, **kwargs) -> dict of floats``.
    df : the household table.
    reps : number of replicates.
    seed : seed of ``numpy.random.default_rng``; the same seed gives the same intervals.
    level : coverage of the interval.
    cluster : optional column of primary sampling units to resample instead of households.
    progress : show a progress bar.
    **kwargs : passed to ``measure`` (column names, threshold, method ...).

    Returns
    -------
    DataFrame indexed by key with columns ``estimate``, ``se``, ``lower``, ``upper``,
    ``reps`` (replicates with a finite value).

    References
    ----------
    Efron, B. & Tibshirani, R. (1993). *An Introduction to the Bootstrap*, ch. 13.
    O'Donnell et al. (2008), ch. 18 (standard errors of catastrophic payment measures).
    """
    from tqdm.auto import tqdm

    if not 0 < level < 1:
        raise HealthcoverError(f"bootstrap: level must be between 0 and 1; received {level!r}")
    if int(reps) < 2:
        raise HealthcoverError(f"bootstrap: reps must be at least 2; received {reps!r}")
    estimate = dict(measure(df, **kwargs))
    used = [v for k, v in kwargs.items() if isinstance(v, str) and v in df.columns]
    if cluster is not None:
        if cluster not in df.columns:
            raise HealthcoverError(
                f"bootstrap: cluster column '{cluster}' is not in the data; "
                f"columns are: {allowed(map(str, df.columns))}"
            )
        used.append(cluster)
    # Resample positions on a slim, position-indexed copy: copying only needed columns is
    # what makes a replicate cheap.
    slim = df[list(dict.fromkeys(used))].reset_index(drop=True)
    rng = np.random.default_rng(seed)
    n = len(slim)
    if cluster is not None:
        codes, uniques = pd.factorize(slim[cluster])
        order = np.argsort(codes, kind="stable")
        counts = np.bincount(codes, minlength=len(uniques))
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    draws = np.empty((int(reps), len(estimate)))
    keys = list(estimate)
    for b in tqdm(range(int(reps)), desc=f"bootstrap {getattr(measure, '__name__', '')}",
                  disable=not progress):
        if cluster is None:
            idx = rng.integers(0, n, n)
        else:
            chosen = rng.integers(0, len(uniques), len(uniques))
            lens = counts[chosen]
            offsets = np.repeat(starts[chosen] - np.cumsum(lens) + lens, lens)
            idx = order[np.arange(lens.sum()) + offsets]
        sample = slim.take(idx)
        try:
            res = measure(sample, **kwargs)
            draws[b] = [res[k] for k in keys]
        except HealthcoverError:
            # A replicate with no positive weight has no estimate; it is left out.
            draws[b] = np.nan
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
