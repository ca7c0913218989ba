r"""The financial-protection measures of :mod:`healthcover.protection` on Dask DataFrames of
households (see :mod:`healthcover.distributed` for the method).

Each partition is checked with the same column checks as pandas (messages name the
partition's index labels) and reduced to exact sums; weighted percentiles are found by a
histogram pass and a sort of only the values in the percentile's bin; concentration indices
sort the households by the ranking variable once and combine per-partition co-moments in
partition order. The measures compute (they return numbers, as in pandas).
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from healthcover import checks
from healthcover import protection as _p
from healthcover.errors import HealthcoverError, allowed

__all__ = [
    "catastrophic", "impoverishment", "unified", "concentration_index", "concentration_indices", "kakwani",
    "weighted_percentile",
]

_HIST_BINS = 1024


def _compute(*objs):
    import dask

    return dask.compute(*objs)


def _per_partition(df, kernel: Callable, *args) -> list:
    """``kernel(partition, *args)`` on every partition, results in partition order."""
    import dask

    return list(_compute(*[dask.delayed(kernel)(part, *args) for part in df.to_delayed()]))


def _weights(part: pd.DataFrame, name: str | None, func: str) -> np.ndarray:
    """Survey weights of one partition: >= 0 (the positive total is checked on the whole)."""
    if name is None:
        return np.ones(len(part))
    values = checks.column(part, name, func, "weight")
    neg = values < 0
    if neg.any():
        raise HealthcoverError(f"{func}: column '{name}' (weight) has negative values in "
                               f"{checks._rows(part, neg)}; weights must be >= 0")
    return values


def _sizes(part: pd.DataFrame, name: str | None, func: str) -> np.ndarray:
    return checks.sizes(part, name, func) if len(part) else np.ones(0)


def _total(w_sum: float, weight: str | None, func: str, n: int) -> float:
    if n == 0:
        checks.nonempty(pd.DataFrame(), func)
    if not w_sum > 0:
        raise HealthcoverError(f"{func}: column '{weight}' (weight) has a total weight of 0; at least one "
                               "household needs a positive weight")
    return w_sum


def _group_values(df, by: str | None, func: str):
    """The sorted distinct groups (as pandas sorts them), or None."""
    if by is None:
        return None
    if not isinstance(by, str) or by not in df.columns:
        raise HealthcoverError(f"{func}: by = {by!r} is not a column of the data; columns are: "
                               f"{allowed(map(str, df.columns))}")
    values = _compute(df[by].dropna().unique())[0]
    try:
        return pd.Index(pd.Series(values).sort_values().to_numpy(), name=by)
    except TypeError:
        return pd.Index(values, name=by)


def _codes(part: pd.DataFrame, by: str | None, groups: pd.Index | None, func: str) -> np.ndarray:
    if by is None:
        return np.zeros(len(part), dtype=np.int64)
    col = part[by]
    if col.isna().any():
        raise HealthcoverError(f"{func}: column '{by}' (by) has missing values in "
                               f"{checks._rows(part, col.isna().to_numpy())}; every household needs a group")
    return groups.get_indexer(col.to_numpy())


# --------------------------------------------------------------------------- weighted percentiles


def _bin_weights(part: pd.DataFrame, edges: np.ndarray) -> np.ndarray:
    return np.bincount(np.searchsorted(edges, part["v"].to_numpy(), side="left"), weights=part["w"].to_numpy(),
                       minlength=len(edges) + 1)


def _in_bins(part: pd.DataFrame, edges: np.ndarray, bins: np.ndarray) -> pd.DataFrame:
    j = np.searchsorted(edges, part["v"].to_numpy(), side="left")
    keep = np.isin(j, bins)
    return pd.DataFrame({"v": part["v"].to_numpy()[keep], "w": part["w"].to_numpy()[keep], "bin": j[keep]})


def _sample(part: pd.DataFrame, k: int) -> np.ndarray:
    v = part["v"].to_numpy()
    return v[:: max(len(v) // k, 1)]


def weighted_percentile(frame, ps: Sequence[float]) -> np.ndarray:
    """Exact weighted percentiles (:func:`healthcover.protection.weighted_percentile`: the
    smallest value whose cumulative weight share is >= p) of a Dask frame with columns ``v``
    and ``w`` (positive weights): one pass bins the weights on edges from a sample, a second
    collects only the values in the bins holding the percentiles."""
    ps = np.asarray(ps, dtype=np.float64)
    sample = np.concatenate(_per_partition(frame, _sample, 4096))
    edges = np.unique(np.quantile(sample, np.linspace(0, 1, _HIST_BINS + 1))) if sample.size else np.zeros(1)
    counts = np.sum(_per_partition(frame, _bin_weights, edges), axis=0)
    total = counts.sum()
    cum = np.cumsum(counts)
    bins = np.minimum(np.searchsorted(cum / total, ps, side="left"), len(cum) - 1)
    chosen = pd.concat(_per_partition(frame, _in_bins, edges, np.unique(bins)), ignore_index=True)
    out = np.empty(len(ps))
    for i, (p, j) in enumerate(zip(ps, bins)):
        inside = chosen[chosen["bin"] == j].sort_values("v", kind="stable")
        below = cum[j - 1] if j > 0 else 0.0
        share = (below + np.cumsum(inside["w"].to_numpy())) / total
        xs = inside["v"].to_numpy()
        out[i] = xs[min(np.searchsorted(share, p, side="left"), xs.size - 1)]
    return out


# --------------------------------------------------------------------------- ranks


def _rank_moments(part: pd.DataFrame, hs: Sequence[str]) -> pd.DataFrame:
    """One partition of households sorted by ``x`` (positive weights ``w``, groups ``g``): per
    group, the weight, the weighted means of each ``h`` and of the unnormalised rank ``u`` (the
    weight of the group's households ranked below in this partition plus half the ties), and the
    centred co-moments :math:`\\sum w (h - \\bar h)(u - \\bar u)`."""
    cols = ["g", "W", "u", "xmin", "xmax"] + [f"m_{h}" for h in hs] + [f"c_{h}" for h in hs]
    if not len(part):
        return pd.DataFrame({c: [] for c in cols})
    g0, x0, w0 = (part[c].to_numpy() for c in ("g", "x", "w"))
    order = np.lexsort((x0, g0))
    g, x, w = g0[order], x0[order], w0[order]
    n = len(x)
    start, gid, u, W = _p._grouped_midweights(x, w, g)
    mu_u = np.bincount(gid, weights=w * u) / W
    out = {"g": g[start], "W": W, "u": mu_u, "xmin": x[start], "xmax": x[np.r_[np.flatnonzero(start)[1:] - 1, n - 1]]}
    du = u - mu_u[gid]
    for h in hs:
        hv = part[h].to_numpy()[order]
        mh = np.bincount(gid, weights=w * hv) / W
        out[f"m_{h}"] = mh
        out[f"c_{h}"] = np.bincount(gid, weights=w * (hv - mh[gid]) * du)
    return pd.DataFrame(out)


def _combine_ranked(parts: list[pd.DataFrame], hs: Sequence[str], n_groups: int) -> dict[str, np.ndarray]:
    """Per group: total weight, weighted mean of each h and GC = 2 cov_w(h, R), from the
    partitions' moments in partition order (ranks R = (O_p + u) / W)."""
    stats = pd.concat([p.assign(part=i) for i, p in enumerate(parts)], ignore_index=True)
    out = {"W": np.full(n_groups, np.nan), **{f"mean_{h}": np.full(n_groups, np.nan) for h in hs},
           **{f"gc_{h}": np.full(n_groups, np.nan) for h in hs}}
    for g, s in stats.groupby("g", sort=True):
        s = s.sort_values("part", kind="stable")
        if (s["xmin"].to_numpy()[1:] <= s["xmax"].to_numpy()[:-1]).any():  # pragma: no cover - sort_values keeps ties
            raise HealthcoverError("concentration: tied households were split between partitions by the sort; "
                                   "repartition the data and try again")
        Wp = s["W"].to_numpy()
        W = Wp.sum()
        offset = np.cumsum(Wp) - Wp
        mR_p = (offset + s["u"].to_numpy()) / W
        mR = np.dot(Wp, mR_p) / W
        g = int(g)
        out["W"][g] = W
        for h in hs:
            mh_p = s[f"m_{h}"].to_numpy()
            mh = np.dot(Wp, mh_p) / W
            cov = (s[f"c_{h}"].to_numpy().sum() / W + np.dot(Wp, (mh_p - mh) * (mR_p - mR))) / W
            out[f"mean_{h}"][g] = mh
            out[f"gc_{h}"][g] = 2.0 * cov
    return out


def _ranked(frame, hs: Sequence[str], n_groups: int = 1) -> dict[str, np.ndarray]:
    """GC and means of the columns ``hs`` of a Dask frame with ``x`` (ranking variable), ``w``
    (weights) and ``g`` (group codes), ranks within groups. Rows of weight 0 count nowhere."""
    frame = frame[frame["w"] > 0].sort_values("x")
    return _combine_ranked(_per_partition(frame, _rank_moments, list(hs)), hs, n_groups)


# --------------------------------------------------------------------------- household measures


def _prepared(part: pd.DataFrame, func: str, oop: str | None, consumption: str, food: str | None,
              size: str | None, weight: str | None, rank: str | None, by: str | None, groups) -> pd.DataFrame:
    """One partition's checked columns: oop, c, food, n, w, x (rank variable), g."""
    out = {
        "c": checks.positive_column(part, consumption, func, "consumption") if len(part) else np.ones(0),
        "n": _sizes(part, size, func),
        "w": _weights(part, weight, func),
        "g": _codes(part, by, groups, func),
    }
    if oop is not None:
        out["oop"] = checks.money_column(part, oop, func, "oop") if len(part) else np.zeros(0)
    if food is not None:
        out["food"] = checks.money_column(part, food, func, "food") if len(part) else np.zeros(0)
    if rank is not None:
        out["x"] = checks.column(part, rank, func, "rank") if len(part) else np.zeros(0)
    else:
        out["x"] = out["c"] / out["n"] if size is not None else out["c"]
    return pd.DataFrame(out, index=part.index)


def _prepare(df, func, *, oop, consumption, food=None, size=None, weight=None, rank=None, by=None):
    if not checks.is_dask(df) or not hasattr(df, "columns"):
        raise HealthcoverError(f"{func}: expected a DataFrame of households, got {type(df).__name__}")
    groups = _group_values(df, by, func)
    meta = _prepared(df._meta, func, oop, consumption, food, size, weight, rank, by, groups)
    frame = df.map_partitions(_prepared, func, oop, consumption, food, size, weight, rank, by, groups, meta=meta)
    return frame, groups


def _sums(part: pd.DataFrame, columns: Sequence[str], n_groups: int) -> np.ndarray:
    g = part["g"].to_numpy()
    return np.array([np.bincount(g, weights=part[c].to_numpy(), minlength=n_groups) for c in columns]
                    + [np.bincount(g, minlength=n_groups).astype(np.float64)])


def _group_sums(frame, columns: Sequence[str], n_groups: int) -> dict[str, np.ndarray]:
    total = np.sum(_per_partition(frame, _sums, list(columns), n_groups), axis=0)
    return {**{c: total[i] for i, c in enumerate(columns)}, "_n": total[-1]}


def _budget(frame, method: str, poverty_line, func: str):
    """The frame with ``d``, the budget OOP is compared with (see protection.catastrophic)."""
    if method == "total":
        return frame.assign(d=frame["c"])
    if method == "nonfood":
        return frame.assign(d=frame["c"] - frame["food"])
    if method == "discretionary":
        return frame.assign(d=frame["c"] - poverty_line * frame["n"])
    positive = frame[frame["w"] > 0]
    lo, hi = weighted_percentile(positive.assign(v=positive["food"] / positive["c"])[["v", "w"]], _p.XU_BAND)
    eq = frame["n"] ** _p.XU_EQUIVALENCE_EXPONENT
    share = frame["food"] / frame["c"]
    band = (frame["w"] > 0) & (share >= lo) & (share <= hi)
    num, den = _compute((frame["w"] * (frame["food"] / eq)).where(band, 0.0).sum(), frame["w"].where(band, 0.0).sum())
    subsistence = num / den * eq
    return frame.assign(d=frame["c"] - subsistence.where(frame["food"] >= subsistence, frame["food"]))


def catastrophic(df, *, oop: str, consumption: str, threshold: float, method: str, food: str | None = None,
                 size: str | None = None, weight: str | None = None, poverty_line: float | None = None,
                 rank: str | None = None, by: str | None = None):
    """:func:`healthcover.protection.catastrophic` of a Dask DataFrame of households."""
    func = "catastrophic"
    if method not in _p.METHODS:
        raise HealthcoverError(f"{func}: method {method!r} is not known; allowed: {allowed(_p.METHODS)}")
    threshold = checks.scalar(threshold, "threshold", func, positive=False)
    if method in ("nonfood", "capacity_to_pay") and food is None:
        raise HealthcoverError(f"{func}: method '{method}' needs the food column; pass food='<column>'")
    line = None
    if method == "discretionary":
        if poverty_line is None:
            raise HealthcoverError(f"{func}: method 'discretionary' needs poverty_line (per person, same period as "
                                   "consumption)")
        line = checks.scalar(poverty_line, "poverty_line", func, positive=True)
    frame, groups = _prepare(df, func, oop=oop, consumption=consumption, food=food, size=size, weight=weight,
                             rank=rank, by=by)
    G = 1 if groups is None else len(groups)
    frame = _budget(frame, method, line, func)
    d, x = frame["d"], frame["oop"]
    r = (x / d).where(d > 0)
    e = (r > threshold).astype(np.float64)
    frame = frame.assign(e=e, over=(r - threshold).where(r > threshold, 0.0))
    sums = _group_sums(frame.assign(we=frame["w"] * frame["e"], wo=frame["w"] * frame["over"]),
                       ["w", "we", "wo"], G)
    _total(sums["w"].sum(), weight, func, int(sums["_n"].sum()))
    total = sums["w"]
    headcount, overshoot = sums["we"] / total, sums["wo"] / total
    ranked = _ranked(frame[["x", "w", "g", "e", "over"]], ["e", "over"], G)
    with np.errstate(invalid="ignore", divide="ignore"):
        c_e = np.where(headcount == 0, np.nan, ranked["gc_e"] / headcount)
        c_o = np.where(overshoot == 0, np.nan, ranked["gc_over"] / overshoot)
        out = _p._catastrophic_from_sums(headcount, overshoot, c_e, c_o)
    if groups is None:
        return {k: float(out[k][0]) for k in _p.CATASTROPHIC_KEYS}
    return pd.DataFrame({k: out[k] for k in _p.CATASTROPHIC_KEYS}, index=groups)


def impoverishment(df, *, oop: str, consumption: str, poverty_line: float, size: str | None = None,
                   weight: str | None = None, by: str | None = None):
    """:func:`healthcover.protection.impoverishment` of a Dask DataFrame of households."""
    func = "impoverishment"
    z = checks.scalar(poverty_line, "poverty_line", func, positive=True)
    frame, groups = _prepare(df, func, oop=oop, consumption=consumption, size=size, weight=weight, by=by)
    G = 1 if groups is None else len(groups)
    v = frame["w"] * frame["n"]
    cols = {"v": v}
    for tag, xx in (("pre", frame["c"] / frame["n"]), ("post", (frame["c"] - frame["oop"]) / frame["n"])):
        cols[f"h_{tag}"] = v * (xx < z)
        cols[f"g_{tag}"] = v * (z - xx).clip(lower=0.0)
    sums = _group_sums(frame.assign(w0=frame["w"], **cols), ["w0", *cols], G)
    _total(sums["w0"].sum(), weight, func, int(sums["_n"].sum()))
    out = {}
    for tag in ("pre", "post"):
        out[f"headcount_{tag}"] = sums[f"h_{tag}"] / sums["v"]
        out[f"gap_{tag}"] = sums[f"g_{tag}"] / sums["v"]
        out[f"normalized_gap_{tag}"] = out[f"gap_{tag}"] / z
    if groups is None:
        return {k: float(out[k][0]) for k in _p.IMPOVERISHMENT_KEYS}
    return pd.DataFrame({k: out[k] for k in _p.IMPOVERISHMENT_KEYS}, index=groups)


def unified(df, *, oop: str, consumption: str, poverty_line: float, threshold: float = 0.4,
            size: str | None = None, weight: str | None = None) -> dict[str, float]:
    """:func:`healthcover.protection.unified` of a Dask DataFrame of households."""
    func = "unified"
    z = checks.scalar(poverty_line, "poverty_line", func, positive=True)
    tau = checks.scalar(threshold, "threshold", func, positive=False)
    frame, _ = _prepare(df, func, oop=oop, consumption=consumption, size=size, weight=weight)
    c, n, x = frame["c"], frame["n"], frame["oop"]
    v = frame["w"] * n
    per, post, d = c / n, (c - x) / n, c - z * n
    pays = x > 0
    above = pays & (post >= z)
    classes = {
        "zero": ~pays,
        "immiserizing": pays & (per < z),
        "impoverishing": pays & (per >= z) & (post < z),
        "catastrophic": above & (x > tau * d),
        "non_catastrophic": above & (x <= tau * d),
    }
    sums = _group_sums(frame.assign(v=v, **{k: v * m for k, m in classes.items()}), ["w", "v", *classes], 1)
    _total(sums["w"].sum(), weight, func, int(sums["_n"].sum()))
    return {k: float(sums[k][0] / sums["v"][0]) for k in classes}


# --------------------------------------------------------------------------- inequality


def _columns(part: pd.DataFrame, func: str, spec: dict[str, tuple[str, str, str]]) -> pd.DataFrame:
    """Checked columns of one partition: name -> (column, role, check)."""
    out = {}
    for name, (col, role, kind) in spec.items():
        if col is None:
            out[name] = np.ones(len(part))
        elif kind == "weight":
            out[name] = _weights(part, col, func)
        elif not len(part):
            out[name] = np.zeros(0)
        else:
            out[name] = {"any": checks.column, "money": checks.money_column,
                         "positive": checks.positive_column}[kind](part, col, func, role)
    return pd.DataFrame(out, index=part.index)


def _checked(df, func: str, spec):
    if not (checks.is_dask(df) and hasattr(df, "columns")):
        raise HealthcoverError(f"{func}: expected a DataFrame of households, got {type(df).__name__}")
    return df.map_partitions(_columns, func, spec, meta=_columns(df._meta, func, spec))


def _binary_and_range(part: pd.DataFrame) -> np.ndarray:
    seen = part["h"].to_numpy()[part["w"].to_numpy() > 0]
    return np.array([float(np.isin(seen, (0.0, 1.0)).all()), seen.min() if seen.size else np.inf,
                     seen.max() if seen.size else -np.inf])


def concentration_indices(df, *, variable: str, rank: str | None = None, weight: str | None = None,
                          bounds: tuple[float, float] | None = None, kinds: str | Sequence[str] | None = None):
    """:func:`healthcover.protection.concentration_indices` of a Dask DataFrame."""
    func = "concentration_indices"
    frame = _checked(df, func, {"h": (variable, "variable", "any"), "w": (weight, "weight", "weight"),
                                **({"x": (rank, "rank", "any")} if rank is not None else {})})
    if rank is None:
        frame = frame.assign(x=frame["h"])
    stats = np.array(_per_partition(frame, _binary_and_range))
    n = int(_compute(frame.map_partitions(len).sum())[0])
    _total(float(_compute(frame["w"].sum())[0]), weight, func, n)
    binary = bool(stats[:, 0].all())
    probe = np.array([stats[:, 1].min(), stats[:, 2].max()])  # what checks.bounds needs to see

    def ab_for(kind):
        return (0.0, 1.0) if bounds is None and binary else checks.bounds(func, bounds, probe, np.ones(2), kind)

    if kinds is None:
        ab = ab_for("wagstaff") if (bounds is not None or binary) else None
        kinds = list(_p.CONCENTRATION_KINDS) if ab is not None else ["standard", "generalized"]
    else:
        kinds = [kinds] if isinstance(kinds, str) else list(kinds)
        for k in kinds:
            checks.choice(func, "kinds", k, _p.CONCENTRATION_KINDS)
        needs = [k for k in kinds if k in ("wagstaff", "erreygers")]
        ab = ab_for(needs[0]) if needs else None
    r = _ranked(frame.assign(g=0), ["h"])
    gc, mu = float(r["gc_h"][0]), float(r["mean_h"][0])
    return {"mean": mu, **{k: _p._corrected(gc, mu, k, ab) for k in kinds}}


def kakwani(df, *, payment: str, income: str, weight: str | None = None) -> dict[str, float]:
    """:func:`healthcover.protection.kakwani` of a Dask DataFrame."""
    func = "kakwani"
    frame = _checked(df, func, {"pay": (payment, "payment", "money"), "inc": (income, "income", "positive"),
                                "w": (weight, "weight", "weight")})
    frame = frame.assign(post=frame["inc"] - frame["pay"], g=0)
    n, w_sum = _compute(frame.map_partitions(len).sum(), frame["w"].sum())
    _total(float(w_sum), weight, func, int(n))
    by_income = _ranked(frame.assign(x=frame["inc"]), ["pay", "inc", "post"])
    by_post = _ranked(frame.assign(x=frame["post"]), ["post"])
    mu_p, mu_x = float(by_income["mean_pay"][0]), float(by_income["mean_inc"][0])
    if mu_p == 0:
        raise HealthcoverError(f"{func}: payment '{payment}' is 0 for every household of positive weight; the "
                               "progressivity of a payment nobody makes is undefined")
    if mu_p >= mu_x:
        raise HealthcoverError(
            f"{func}: payments ('{payment}', mean {mu_p:g}) are at least income ('{income}', mean {mu_x:g}) on "
            "average, so post-payment income has no positive mean; check the columns and their periods"
        )

    def index(r, h):
        return _p._corrected(float(r[f"gc_{h}"][0]), float(r[f"mean_{h}"][0]), "standard", None)

    cp, gx, cpost, gpost = index(by_income, "pay"), index(by_income, "inc"), index(by_income, "post"), \
        index(by_post, "post")
    out = {
        "kakwani": cp - gx, "concentration": cp, "gini": gx, "reynolds_smolensky": gx - cpost,
        "redistributive_effect": gx - gpost, "reranking": gpost - cpost, "gini_post": gpost,
        "payment_share": mu_p / mu_x,
    }
    return {k: float(out[k]) for k in _p.KAKWANI_KEYS}


def _cov_moments(part: pd.DataFrame) -> np.ndarray:
    h, r, w = (part[c].to_numpy() for c in ("h", "r", "w"))
    W = w.sum()
    if W == 0:
        return np.zeros(4)
    mh, mr = np.dot(w, h) / W, np.dot(w, r) / W
    return np.array([W, mh, mr, np.dot(w, (h - mh) * (r - mr))])


def concentration_index(h, rank, w=None, *, kind: str = "standard", bounds: tuple[float, float] | None = None) -> float:
    """:func:`healthcover.protection.concentration_index` of Dask Series (``rank`` already the
    weighted fractional rank): a centred weighted covariance, combined over partitions."""
    import dask.dataframe as dd

    func = "concentration_index"
    checks.choice(func, "kind", kind, _p.CONCENTRATION_KINDS)
    parts = {"h": h, "r": rank}
    if w is not None:
        parts["w"] = w
    for name, s in parts.items():
        if not checks.is_dask(s):
            raise HealthcoverError(f"{func}: {name} must be a Dask Series like the others; received "
                                   f"{type(s).__name__}")
    frame = dd.concat([s.rename(k) for k, s in parts.items()], axis=1)
    if w is None:
        frame = frame.assign(w=1.0)
    frame = _checked(frame, func, {"h": ("h", "h", "any"), "r": ("r", "rank", "any"), "w": ("w", "w", "weight")})
    moments = np.array(_per_partition(frame, _cov_moments))
    Wp, mh_p, mr_p, c_p = moments.T
    W = Wp.sum()
    _total(W, "w", func, len(moments))
    mh, mr = np.dot(Wp, mh_p) / W, np.dot(Wp, mr_p) / W
    cov = (c_p.sum() + np.dot(Wp, (mh_p - mh) * (mr_p - mr))) / W
    ab = None
    if kind in ("wagstaff", "erreygers"):
        stats = np.array(_per_partition(frame, _binary_and_range))
        probe = np.array([stats[:, 1].min(), stats[:, 2].max()])
        ab = (0.0, 1.0) if bounds is None and stats[:, 0].all() else checks.bounds(func, bounds, probe, np.ones(2), kind)
    return _p._corrected(2.0 * cov, mh, kind, ab)


#: The measures a Dask frame reaches through :mod:`healthcover.protection`.
MEASURES: dict[str, Callable[..., Any]] = {
    "catastrophic": catastrophic, "impoverishment": impoverishment, "unified": unified,
    "concentration_index": concentration_index, "concentration_indices": concentration_indices, "kakwani": kakwani,
}
