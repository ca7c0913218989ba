r"""Claims adjudication, vectorised over whole populations.

For claim :math:`i` of a person (or household) :math:`p`, year :math:`y`, in limit pool :math:`g`:

.. math::

    e_i &= \text{covered}_i - s\,\text{special}_i \qquad \text{(Dazu Art. 23(三): special exams 50\% self-paid first)} \\
    d_i &= \min(e_i, D) \ \text{per claim, or}\ \min(e_i, \max(D - E_{<i}, 0)) \ \text{once a year} \\
    x_i &= e_i - d_i, \qquad r_i = \text{rate} + \text{bonus}(n) \\
    f_i &= \min(L, F_{\le i}) - \min(L, F_{<i}) \quad \text{(limit on the fund's cumulative payment, Dazu)} \\
    x_i &= \max(0, \min(C_{<i} + e_i, L) - \min(C_{<i} + d_i, L)) \quad \text{(limit on cumulative cost, Jilin)}

where :math:`E, F, C` are sums over earlier claims of the same group in date order (ties keep
input order). Money is held as integer fen, so fund + out of pocket = cost to the fen and
cumulative limits are exact. Sources: the scheme file cites every parameter.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from healthcover import _validate as v
from healthcover.errors import HealthcoverError, allowed, rows_preview

if TYPE_CHECKING:
    from healthcover.schemes.scheme import Scheme

REASONS = ["none", "annual_limit", "per_claim_limit", "not_covered", "not_insured"]
_NONE, _ANNUAL, _PER_CLAIM, _NOT_COVERED, _NOT_INSURED = range(5)
_BENEFIT_KEYS = (
    "covered", "deductible", "deductible_frequency", "rate", "bands", "enrolment_bonus",
    "per_claim_limit", "annual_limit", "annual_limit_basis", "annual_limit_pool", "annual_limit_scope",
)


@dataclass
class _Tables:
    """Per (care, category, facility) lookup tables, flattened for one gather per claim."""

    covered: np.ndarray
    deductible: np.ndarray  # fen
    ded_status: np.ndarray
    rates: np.ndarray  # (cells, 3) band rates
    uppers: np.ndarray  # (cells, 2) band upper bounds in fen above the deductible
    rate_status: np.ndarray
    bonus: np.ndarray
    per_claim: np.ndarray  # fen, inf = none
    annual: np.ndarray  # fen, inf = none
    annual_status: np.ndarray
    per_year: np.ndarray  # per care
    cost_basis: np.ndarray  # per care
    pool: np.ndarray  # per care
    household: np.ndarray  # per care
    paths: dict


def benefit_tables(scheme: "Scheme") -> _Tables:
    """Lookup tables of every care type's benefit rules for this variant (cached on the scheme)."""
    cached = getattr(scheme, "_benefit_tables", None)
    if cached is not None:
        return cached
    cares, cats, facs = scheme.care_types, scheme.categories, scheme.facilities
    nc, nk, nf = len(cares), len(cats), max(len(facs), 1)
    shape = (nc, nk, nf)
    covered = np.ones(shape, dtype=bool)
    ded = np.zeros(shape)
    ded_status = np.zeros(shape, dtype=np.int8)
    rates = np.zeros(shape + (3,))
    uppers = np.full(shape + (2,), np.inf)
    rate_status = np.full(shape, 2, dtype=np.int8)
    bonus = np.zeros(shape, dtype=bool)
    per_claim = np.full(shape, np.inf)
    annual = np.full(shape, np.inf)
    annual_status = np.zeros(shape, dtype=np.int8)
    per_year = np.zeros(nc, dtype=bool)
    cost_basis = np.zeros(nc, dtype=bool)
    household = np.zeros(nc, dtype=bool)
    pool_names: list[str] = []
    pool = np.zeros(nc, dtype=np.int64)
    axes = ("category", "facility") if facs else ("category",)

    def grid(path):
        vals, status = scheme.cell_array(path, axes)
        return (vals, status) if facs else (vals[:, None], status[:, None])

    for c, care in enumerate(cares):
        base = f"benefits.{care}"
        present = {k for k in _BENEFIT_KEYS if scheme.has(f"{base}.{k}")}
        unknown = [p for p in scheme.parameters if p.startswith(base + ".") and p[len(base) + 1:] not in _BENEFIT_KEYS]
        if unknown:
            raise HealthcoverError(
                f"{scheme.file.name}: {unknown[0]}: the engine does not read this; benefit parameters are "
                f"{allowed(_BENEFIT_KEYS)}"
            )
        if "covered" in present:
            vals, status = _grid_any(scheme, f"{base}.covered", axes, facs)
            covered[c] = np.where(status == 0, vals.astype(bool), False)
        if "deductible" in present:
            ded[c], ded_status[c] = grid(f"{base}.deductible")
        if "bands" in present:
            r3, u2, st = _bands(scheme, f"{base}.bands", axes, facs)
            rates[c], uppers[c], rate_status[c] = r3, u2, st
        if "rate" in present:
            vals, status = grid(f"{base}.rate")
            use = rate_status[c] != 0  # bands win where both are given
            rates[c, ..., 0] = np.where(use, vals, rates[c, ..., 0])
            rate_status[c] = np.where(use, status, rate_status[c])
        if "enrolment_bonus" in present:
            vals, status = _grid_any(scheme, f"{base}.enrolment_bonus", axes, facs)
            bonus[c] = np.where(status == 0, vals.astype(bool), False)
        if "per_claim_limit" in present:
            vals, status = grid(f"{base}.per_claim_limit")
            per_claim[c] = np.where(status == 0, vals, np.inf)
        if "annual_limit" in present:
            vals, status = grid(f"{base}.annual_limit")
            annual[c] = np.where(status == 2, np.inf, vals)
            annual_status[c] = np.where(status == 1, 1, 0)
        freq = _setting(scheme, f"{base}.deductible_frequency", "per_claim", ("per_claim", "per_year"))
        per_year[c] = freq == "per_year"
        cost_basis[c] = _setting(scheme, f"{base}.annual_limit_basis", "fund", ("fund", "cost")) == "cost"
        household[c] = _setting(scheme, f"{base}.annual_limit_scope", "person", ("person", "household")) == "household"
        name = _setting(scheme, f"{base}.annual_limit_pool", care, None)
        if name not in pool_names:
            pool_names.append(name)
        pool[c] = pool_names.index(name)
    _check_rates(scheme, rates, rate_status)
    to_fen = lambda a: np.where(np.isfinite(a), np.floor(a * 100 + 0.5), a)  # noqa: E731
    tables = _Tables(
        covered=covered.reshape(-1), deductible=to_fen(np.nan_to_num(ded)).reshape(-1),
        ded_status=ded_status.reshape(-1), rates=rates.reshape(-1, 3), uppers=to_fen(uppers).reshape(-1, 2),
        rate_status=rate_status.reshape(-1), bonus=bonus.reshape(-1), per_claim=to_fen(per_claim).reshape(-1),
        annual=to_fen(np.nan_to_num(annual, nan=np.inf)).reshape(-1), annual_status=annual_status.reshape(-1),
        per_year=per_year, cost_basis=cost_basis, pool=pool, household=household,
        paths={"pools": pool_names, "shape": shape},
    )
    scheme._benefit_tables = tables
    return tables


def _grid_any(scheme, path, axes, facs):
    """Like Scheme.cell_array but for flags (True/False leaves)."""
    p = scheme.param(path)
    ncat, nfac = len(scheme.categories), max(len(facs), 1)
    vals = np.zeros((ncat, nfac))
    status = np.full((ncat, nfac), 2, dtype=np.int8)
    for i, cat in enumerate(scheme.categories):
        for j in range(nfac):
            dims = {"category": cat}
            if facs:
                dims["facility"] = facs[j]
            leaf = p.cells.get(scheme.cell_key(p, dims))
            if leaf is None:
                continue
            if not leaf.usable:
                status[i, j] = 1
                continue
            vals[i, j] = float(bool(leaf.value))
            status[i, j] = 0
    return vals, status


def _bands(scheme, path, axes, facs):
    """Up to three bands [[upper, rate], ...] over the amount above the deductible."""
    p = scheme.param(path)
    ncat, nfac = len(scheme.categories), max(len(facs), 1)
    rates = np.zeros((ncat, nfac, 3))
    uppers = np.full((ncat, nfac, 2), np.inf)
    status = np.full((ncat, nfac), 2, dtype=np.int8)
    for i, cat in enumerate(scheme.categories):
        for j in range(nfac):
            dims = {"category": cat}
            if facs:
                dims["facility"] = facs[j]
            key = scheme.cell_key(p, dims)
            leaf = p.cells.get(key)
            if leaf is None:
                continue
            if not leaf.usable:
                status[i, j] = 1
                continue
            bands = leaf.value
            where = f"{scheme.file.name}: {path}." + ".".join(key)
            if not isinstance(bands, list) or not 1 <= len(bands) <= 3:
                raise HealthcoverError(f"{where} = {bands!r}: expected 1 to 3 bands [[upper, rate], ...]")
            last = 0.0
            for b, band in enumerate(bands):
                if not (isinstance(band, list) and len(band) == 2):
                    raise HealthcoverError(f"{where}[{b}] = {band!r}: expected [upper, rate]")
                upper, rate = band
                rates[i, j, b] = float(rate)
                if b < len(bands) - 1:
                    if upper is None or float(upper) <= last:
                        raise HealthcoverError(f"{where}[{b}]: upper {upper!r} must rise above {last:g}")
                    uppers[i, j, b] = last = float(upper)
                elif upper is not None:
                    raise HealthcoverError(f"{where}[{b}]: the last band's upper must be null (no end)")
            if len(bands) < 3:  # unused bands repeat the last rate beyond an infinite upper
                rates[i, j, len(bands):] = rates[i, j, len(bands) - 1]
            status[i, j] = 0
    return rates, uppers, status


def _check_rates(scheme, rates, status):
    bad = (status == 0)[..., None] & ((rates < 0) | (rates > 1))
    if bad.any():
        c, k, f, _ = np.argwhere(bad)[0]
        raise HealthcoverError(
            f"{scheme.file.name}: benefits.{scheme.care_types[c]} rate for category {scheme.categories[k]}"
            f"{', facility ' + scheme.facilities[f] if scheme.facilities else ''} = {rates[c, k, f].max():g}; "
            "allowed: a share between 0 and 1"
        )


def _setting(scheme, path, default, options):
    """A code-valued setting that must be the same in every cell of this variant."""
    if not scheme.has(path):
        return default
    p = scheme.param(path)
    values = set()
    for key, leaf in p.cells.items():
        if "variant" in p.by and key[p.by.index("variant")] != scheme.variant:
            continue
        if not leaf.usable:
            raise scheme.not_stated_error(p, key, leaf)
        values.add(leaf.value)
    if len(values) != 1:
        raise HealthcoverError(f"{scheme.file.name}: {path} must take one value per variant; found {allowed(sorted(map(str, values)))}")
    value = values.pop()
    if options is not None and value not in options:
        raise HealthcoverError(f"{scheme.file.name}: {path} = {value!r}; allowed: {allowed(options)}")
    return value


def _bonus(scheme: "Scheme", years: np.ndarray) -> tuple[np.ndarray, str]:
    """Continuous-enrolment bonus per claim (Dazu Art. 23(二)4, reading enrolment_bonus)."""
    g = lambda name: scheme.value(f"parameters.enrolment_bonus.{name}")  # noqa: E731
    start, every, step, cap = float(g("start_year")), float(g("every")), float(g("step")), float(g("cap"))
    steps = np.floor((years - start) / every) + 1
    return np.where(years >= start, np.minimum(cap, step * steps), 0.0), g("mode")


def _person_index(claims: pd.DataFrame, persons: pd.DataFrame) -> np.ndarray:
    """Row of ``persons`` for each claim; integer ids take a direct-address fast path."""
    cid = claims["person_id"].to_numpy()
    pid = persons["person_id"].to_numpy()
    if cid.dtype.kind in "iu" and pid.dtype.kind in "iu" and len(pid):
        lo, hi = int(pid.min()), int(pid.max())
        span = hi - lo + 1
        if span <= 4 * len(pid) + 1024:
            table = np.full(span, -1, dtype=np.int64)
            table[pid - lo] = np.arange(len(pid))
            off = cid.astype(np.int64) - lo
            ok = (off >= 0) & (off < span)
            return np.where(ok, table[np.where(ok, off, 0)], -1)
    return pd.Index(pid).get_indexer(cid)


def _pack_sort(parts: list[tuple[np.ndarray, int]]) -> np.ndarray:
    """Order of rows sorted by the given (array, max value) parts, most significant first,
    ties kept in input order. One packed int64 key when the bits fit, lexsort otherwise."""
    n = len(parts[0][0])
    bits = [max(int(m).bit_length(), 1) for _, m in parts] + [max((n - 1).bit_length(), 1)]
    if sum(bits) <= 63:
        key = np.zeros(n, dtype=np.int64)
        for (arr, _), b in zip(parts, bits):
            key <<= b
            key |= arr.astype(np.int64, copy=False)
        key <<= bits[-1]
        key |= np.arange(n, dtype=np.int64)
        key.sort()
        key &= (1 << bits[-1]) - 1
        return key
    return np.lexsort([np.arange(n)] + [a for a, _ in reversed(parts)])


def _segment_cumsum(x: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Inclusive cumulative sum of ``x`` restarting where ``starts`` is True."""
    c = np.cumsum(x)
    before = c - x
    gid = np.cumsum(starts) - 1
    return c - before[starts][gid]


def adjudicate(scheme: "Scheme", claims: pd.DataFrame, persons: pd.DataFrame | None = None,
               *, detail: bool = False) -> pd.DataFrame:
    """What the fund pays and what the patient pays, per claim, in the claims' row order.

    Parameters
    ----------
    claims : columns ``person_id, date, care, facility, cost``; optional ``covered_cost``
        (eligible part of the cost; the rest is not covered), ``special_exam_cost`` (approved
        special examinations and blood, part of the covered cost), ``benefit_year`` (else the
        calendar year of ``date``). Without ``persons``: also ``category`` and, where the
        scheme has the continuity bonus, ``years_enrolled``.
    persons : columns ``person_id, category``; optional ``years_enrolled`` (consecutive
        contribution years including the benefit year; default 1), ``insured`` (False: the
        fund pays nothing, e.g. Dazu Art. 19), ``household_id`` (household-pooled limits).
    detail : add ``non_covered``, ``self_paid_special``, ``fund_before_limit``, ``bonus``.

    Returns
    -------
    DataFrame aligned with ``claims`` (same index): ``eligible_cost``, ``deductible``, ``rate``,
    ``fund_paid``, ``oop`` and ``limit_reason`` (none, annual_limit, per_claim_limit,
    not_covered, not_insured). ``fund_paid + oop == cost`` to the fen.
    """
    n = len(claims)
    v.require_columns(claims, ["person_id", "date", "care", "facility", "cost"], "claims")
    t = benefit_tables(scheme)
    cares, cats, facs = scheme.care_types, scheme.categories, scheme.facilities
    care = v.codes(claims["care"], cares, "claims", "care", f"care type of {scheme.id}")
    fac = v.codes(claims["facility"], facs, "claims", "facility", f"facility of {scheme.id}") if facs else np.zeros(n, np.int8)
    cost = v.money(claims, "cost", "claims")
    covered_cost = v.money(claims, "covered_cost", "claims", required=False)
    special = v.money(claims, "special_exam_cost", "claims", required=False)
    if covered_cost is not None:
        over = np.flatnonzero(covered_cost > cost + 1e-9)
        if over.size:
            raise HealthcoverError(f"claims {rows_preview(over)}: covered_cost is above cost; allowed: 0 <= covered_cost <= cost")
    base_cost = cost if covered_cost is None else covered_cost
    if special is not None:
        over = np.flatnonzero(special > base_cost + 1e-9)
        if over.size:
            raise HealthcoverError(
                f"claims {rows_preview(over)}: special_exam_cost is above the covered cost; it is part of it "
                "(allowed: 0 <= special_exam_cost <= covered_cost)"
            )

    # Who: category, years enrolled, insured, household, and a dense person code.
    if persons is not None:
        v.require_columns(persons, ["person_id", "category"], "persons")
        v.unique_ids(persons["person_id"], "persons", "person_id")
        prow = _person_index(claims, persons)
        missing = np.flatnonzero(prow < 0)
        if missing.size:
            raise HealthcoverError(
                f"claims {rows_preview(missing)}: person_id {claims['person_id'].iloc[missing[:5]].tolist()} "
                "is not in persons; every claim's person_id must be a persons.person_id"
            )
        pcat = v.codes(persons["category"], cats, "persons", "category", f"category of {scheme.id}")
        cat = pcat[prow]
        table, person_code, n_people = persons, prow, len(persons)
    else:
        v.require_columns(claims, ["category"], "claims", "without a persons table, claims need a category column")
        cat = v.codes(claims["category"], cats, "claims", "category", f"category of {scheme.id}")
        person_code, uniq = pd.factorize(claims["person_id"])
        table, prow, n_people = claims, None, len(uniq)

    def person_col(name, reader, default=None):
        arr = reader(table, name, "persons" if persons is not None else "claims", default) if name in table.columns or default is not None else None
        if arr is not None and prow is not None:
            arr = arr[prow]
        return arr

    years = person_col("years_enrolled", v.count_column, 1)
    insured = None
    if "insured" in table.columns:
        ins = table["insured"]
        if ins.isna().any() or not set(pd.unique(ins)) <= {True, False, 0, 1}:
            bad = np.flatnonzero(~ins.isin([True, False, 0, 1]).to_numpy() | ins.isna().to_numpy())
            raise HealthcoverError(f"{'persons' if persons is not None else 'claims'} {rows_preview(bad)}: insured must be True or False")
        insured = ins.to_numpy(dtype=bool)
        if prow is not None:
            insured = insured[prow]

    # Dates: calendar year (or the benefit year given) and day within it.
    year, day, day_max = _dates(claims)

    cell = (care.astype(np.int64) * len(cats) + cat) * max(len(facs), 1) + fac
    _check_status(scheme, t, cell, care, cat, fac)

    # Money in integer fen.
    cost_f = _to_fen(cost)
    elig_f = cost_f if covered_cost is None else _to_fen(covered_cost)
    noncov_f = cost_f - elig_f
    selfpay_f = np.zeros(n, dtype=np.int64)
    if special is not None and scheme.has("parameters.special_exam_selfpay_share"):
        share = float(scheme.value("parameters.special_exam_selfpay_share"))
        selfpay_f = np.floor(_to_fen(special) * share + 0.5).astype(np.int64)
    elig_f = elig_f - selfpay_f

    ok = t.covered[cell]
    reason = np.where(ok, _NONE, _NOT_COVERED).astype(np.int8)
    if insured is not None:
        reason = np.where(insured, reason, _NOT_INSURED).astype(np.int8)
        ok &= insured
    elig_f = np.where(ok, elig_f, 0)

    # Deductible: per claim, or once a year per person and care type in date order.
    D = t.deductible[cell].astype(np.int64)
    ded_f = np.minimum(elig_f, D)
    yearly = t.per_year[care] & ok
    if yearly.any():
        idx = np.flatnonzero(yearly)
        order = idx[_pack_sort([(person_code[idx], n_people), (year[idx], year.max()), (care[idx], len(cares)), (day[idx], day_max)])]
        grp = (person_code[order].astype(np.int64) * (year.max() + 1) + year[order]) * len(cares) + care[order]
        starts = np.r_[True, grp[1:] != grp[:-1]]
        before = _segment_cumsum(elig_f[order], starts) - elig_f[order]
        ded_f[order] = np.clip(D[order] - before, 0, elig_f[order])

    # Rates, with the continuity bonus where the care type has it.
    rates = t.rates[cell]
    bonus = np.zeros(n)
    has_bonus = t.bonus[cell]
    if has_bonus.any():
        b, mode = _bonus(scheme, years)
        bonus = np.where(has_bonus, b, 0.0)
        if mode == "relative":
            rates = np.minimum(rates * (1 + bonus)[:, None], 1.0)
        else:
            rates = np.minimum(rates + bonus[:, None], 1.0)
    uppers = t.uppers[cell] if np.isfinite(t.uppers).any() else None

    # Annual limits over pools, in date order per person (or household), year and pool.
    L = t.annual[cell]
    limited = np.isfinite(L) & ok
    pool = t.pool[care]
    owner = person_code.astype(np.int64)
    n_owner = n_people
    household_cares = t.household[care] & limited
    Lgrp = L.copy()
    if household_cares.any():
        owner, n_owner, Lgrp = _household(scheme, t, persons, prow, claims, cat, care, fac, household_cares, owner, n_people, Lgrp)

    x_f = elig_f - ded_f  # amount above the deductible
    cost_cap = t.cost_basis[care] & limited
    fund_f = _band_pay(x_f, rates, uppers)
    pcl = t.per_claim[cell]
    capped_claim = fund_f > pcl
    fund_f = np.where(capped_claim, pcl, fund_f).astype(np.int64)
    reason = np.where(capped_claim & ok, _PER_CLAIM, reason).astype(np.int8)
    before_limit = fund_f.copy() if detail else None
    if limited.any():
        idx = np.flatnonzero(limited)
        order = idx[_pack_sort([(owner[idx], n_owner), (year[idx], year.max()), (pool[idx], t.pool.max()), (day[idx], day_max)])]
        grp = (owner[order] * (year.max() + 1) + year[order]) * (t.pool.max() + 1) + pool[order]
        starts = np.r_[True, grp[1:] != grp[:-1]]
        Lo = Lgrp[order]
        cb = cost_cap[order]
        if cb.any():
            e = elig_f[order]
            cum = _segment_cumsum(e, starts)
            prev = cum - e
            x_cap = np.maximum(np.minimum(cum, Lo) - np.minimum(prev + ded_f[order], Lo), 0).astype(np.int64)
            x_new = np.where(cb, x_cap, x_f[order])
            bit = x_new < x_f[order]
            pay = _band_pay(x_new, rates[order], None if uppers is None else uppers[order])
            pay = np.minimum(pay, pcl[order]).astype(np.int64)
            fund_f[order] = np.where(cb, pay, fund_f[order])
            reason[order] = np.where(cb & bit, _ANNUAL, reason[order])
        fb = ~cb
        if fb.any():
            raw = np.where(fb, fund_f[order], 0)
            cum = _segment_cumsum(raw, starts)
            paid = np.minimum(cum, Lo) - np.minimum(cum - raw, Lo)
            bit = fb & (paid < raw)
            fund_f[order] = np.where(fb, paid, fund_f[order]).astype(np.int64)
            reason[order] = np.where(bit, _ANNUAL, reason[order])
    fund_f = np.where(ok, fund_f, 0)

    fund_paid = fund_f / 100.0
    out = pd.DataFrame(
        {
            "eligible_cost": elig_f / 100.0,
            "deductible": np.where(ok, ded_f, 0) / 100.0,
            "rate": np.where(ok, rates[:, 0], 0.0),
            "fund_paid": fund_paid,
            "oop": cost - fund_paid,
            "limit_reason": pd.Categorical.from_codes(reason, REASONS),
        },
        index=claims.index,
    )
    if detail:
        out["non_covered"] = noncov_f / 100.0
        out["self_paid_special"] = selfpay_f / 100.0
        out["fund_before_limit"] = np.where(ok, before_limit, 0) / 100.0
        out["bonus"] = bonus
    return out


def _to_fen(x: np.ndarray) -> np.ndarray:
    return np.floor(x * 100 + 0.5).astype(np.int64)


def _band_pay(x_f: np.ndarray, rates: np.ndarray, uppers: np.ndarray | None) -> np.ndarray:
    """Fund payment in fen for amounts above the deductible through up to three bands."""
    x = x_f.astype(np.float64)
    if uppers is None:  # one rate everywhere: the common case, kept lean
        return np.floor(x * rates[:, 0] + 0.5 + 1e-9).astype(np.int64)
    u1, u2 = uppers[:, 0], uppers[:, 1]
    fin1, fin2 = np.isfinite(u1), np.isfinite(u2)
    u1z = np.where(fin1, u1, 0.0)
    width2 = np.where(fin2, u2 - u1z, np.inf)
    b1 = np.minimum(x, u1)
    b2 = np.where(fin1, np.minimum(np.maximum(x - u1z, 0), width2), 0.0)
    b3 = np.where(fin2, np.maximum(x - np.where(fin2, u2, 0.0), 0), 0.0)
    pay = b1 * rates[:, 0] + b2 * rates[:, 1] + b3 * rates[:, 2]
    return np.floor(pay + 0.5 + 1e-9).astype(np.int64)


def _dates(claims: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, int]:
    d = claims["date"]
    if not pd.api.types.is_datetime64_any_dtype(d):
        parsed = pd.to_datetime(d, errors="coerce")
        bad = np.flatnonzero(parsed.isna().to_numpy())
        if bad.size:
            raise HealthcoverError(
                f"claims {rows_preview(bad)}: date {d.iloc[bad[:5]].tolist()} is not a date; allowed: YYYY-MM-DD or datetime64"
            )
        d = parsed
    elif d.isna().any():
        bad = np.flatnonzero(d.isna().to_numpy())
        raise HealthcoverError(f"claims {rows_preview(bad)}: date is missing")
    days = d.to_numpy().astype("datetime64[D]")
    ystart = days.astype("datetime64[Y]")
    cal_year = ystart.astype(np.int64) + 1970
    doy = (days - ystart.astype("datetime64[D]")).astype(np.int64)
    if "benefit_year" in claims.columns:
        by = v.count_column(claims, "benefit_year", "claims")
        # A benefit year may span two calendar years (Jilin (五)2): order by full date within it.
        day = days.astype(np.int64) - days.astype(np.int64).min()
        year = by - by.min()
        return year, day, int(day.max())
    return cal_year - cal_year.min(), doy, 365


def _check_status(scheme, t: _Tables, cell, care, cat, fac) -> None:
    """Raise for claims that need a parameter the document leaves blank (or has no cell for)."""
    active = t.covered[cell]
    for status, name in ((t.rate_status, "rate"), (t.ded_status, "deductible"), (t.annual_status, "annual_limit")):
        hit = active & (status[cell] != 0) if name != "rate" else active & (status[cell] != 0)
        if not hit.any():
            continue
        i = int(np.flatnonzero(hit)[0])
        care_code = scheme.care_types[care[i]]
        path = f"benefits.{care_code}.{name}"
        if name == "rate" and scheme.has(f"benefits.{care_code}.bands") and not scheme.has(path):
            path = f"benefits.{care_code}.bands"
        dims = {"category": scheme.categories[cat[i]]}
        if scheme.facilities:
            dims["facility"] = scheme.facilities[fac[i]]
        rows = np.flatnonzero(hit)
        if not scheme.has(path):
            raise HealthcoverError(
                f"claims {rows_preview(rows)}: scheme {scheme.id} has no {name} for care {care_code}"
            )
        p = scheme.param(path)
        key = scheme.cell_key(p, dims)
        leaf = p.cells.get(key)
        if leaf is not None and not leaf.usable:
            err = scheme.not_stated_error(p, key, leaf)
            raise HealthcoverError(f"claims {rows_preview(rows)} need it: {err}")
        raise HealthcoverError(
            f"claims {rows_preview(rows)}: {scheme.file.name}: {path} has no value for "
            + ", ".join(f"{k}={val}" for k, val in dims.items())
        )


def _household(scheme, t, persons, prow, claims, cat, care, fac, mask, owner, n_people, L):
    """Household-pooled limits (Dazu's outpatient account): the limit is the sum over the
    household's insured members, and claims of any member draw on it."""
    table = persons if persons is not None else claims
    if "household_id" not in table.columns:
        warnings.warn(
            f"{scheme.id}: some care types pool their annual limit within the household, but there is no "
            "household_id column; each person's own limit is applied instead",
            stacklevel=3,
        )
        return owner, n_people, L
    if persons is None:
        raise HealthcoverError("household-pooled limits need a persons table with household_id (to count members)")
    hh_codes, hh_uniq = pd.factorize(persons["household_id"])
    members_insured = np.ones(len(persons), dtype=bool)
    if "insured" in persons.columns:
        members_insured = persons["insured"].to_numpy(dtype=bool)
    pcat = cat  # per claim
    person_cat = v.codes(persons["category"], scheme.categories, "persons", "category", f"category of {scheme.id}")
    L = L.copy()
    for c in np.unique(care[mask]):
        # Sum of members' limits for care c; facility does not vary a household's limit.
        per_person = t.annual[((c * len(scheme.categories)) + person_cat.astype(np.int64)) * max(len(scheme.facilities), 1)]
        per_person = np.where(np.isfinite(per_person) & members_insured, per_person, 0)
        hh_limit = np.bincount(hh_codes, weights=per_person, minlength=len(hh_uniq))
        sel = mask & (care == c)
        L[sel] = hh_limit[hh_codes[prow[sel]]]
    owner = np.where(mask, n_people + hh_codes[prow], owner)
    return owner, n_people + len(hh_uniq), L
