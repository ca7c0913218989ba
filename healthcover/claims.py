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
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from healthcover import checks as v
from healthcover.errors import HealthcoverError, allowed, rows_preview
from healthcover.money import to_fen as _to_fen

if TYPE_CHECKING:
    from healthcover.schemes.scheme import Scheme

NO_LIMIT = 2**62  # fen; stands for "no limit" in integer arithmetic
REASONS = ["none", "annual_limit", "per_claim_limit", "not_covered", "not_insured"]
_NONE, _ANNUAL, _PER_CLAIM, _NOT_COVERED, _NOT_INSURED = range(5)
_BENEFIT_KEYS = (
    "covered", "deductible", "deductible_frequency", "rate", "bands", "enrolment_bonus",
    "fund_amount", "per_claim_limit", "annual_limit", "annual_limit_basis", "annual_limit_pool", "annual_limit_scope",
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
    fixed: np.ndarray  # fen, inf = none: a fixed fund amount per claim
    annual: np.ndarray  # fen, inf = none
    annual_status: np.ndarray
    per_year: np.ndarray  # per care
    cost_basis: np.ndarray  # per care
    pool: np.ndarray  # per care
    household: np.ndarray  # per care
    paths: dict
    annual_finite: np.ndarray = None
    has_bands: bool = False
    any_bonus: bool = False
    any_per_claim: bool = False
    any_fixed: bool = False


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
    fixed = np.full(shape, np.inf)
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
        if "fund_amount" in present:
            # A fixed fund amount per claim (the diagnosis fee's 7 of 10 yuan): the fund pays
            # min(eligible cost, amount), a rule of its own rather than a limit that "bit".
            vals, status = grid(f"{base}.fund_amount")
            fixed[c] = np.where(status == 0, vals, np.inf)
            if "rate" not in present and "bands" not in present:
                rates[c, ..., 0] = np.where(status == 0, 1.0, rates[c, ..., 0])
                rate_status[c] = np.where(status == 2, rate_status[c], status)
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
    def to_fen(a):
        with np.errstate(over="ignore", invalid="ignore"):  # inf stays inf ("no limit")
            return np.where(np.isfinite(a), np.floor(a * 100 + 0.5), a)

    tables = _Tables(
        covered=covered.reshape(-1), deductible=to_fen(np.nan_to_num(ded)).reshape(-1),
        ded_status=ded_status.reshape(-1), rates=rates.reshape(-1, 3), uppers=to_fen(uppers).reshape(-1, 2),
        rate_status=rate_status.reshape(-1), bonus=bonus.reshape(-1), per_claim=to_fen(per_claim).reshape(-1),
        fixed=to_fen(fixed).reshape(-1),
        annual=to_fen(np.nan_to_num(annual, nan=np.inf)).reshape(-1), annual_status=annual_status.reshape(-1),
        per_year=per_year, cost_basis=cost_basis, pool=pool, household=household,
        paths={"pools": pool_names, "shape": shape},
    )
    tables.deductible = tables.deductible.astype(np.int64)
    tables.annual_finite = np.isfinite(tables.annual)
    # Integer fen throughout; "no limit" is a sentinel far above any money amount.
    tables.annual = np.where(tables.annual_finite, tables.annual, NO_LIMIT).astype(np.int64)
    tables.has_bands = bool(np.isfinite(tables.uppers).any())
    tables.any_bonus = bool(tables.bonus.any())
    tables.any_per_claim = bool(np.isfinite(tables.per_claim).any())
    tables.any_fixed = bool(np.isfinite(tables.fixed).any())
    scheme._benefit_tables = tables
    return tables


def _usable_cells(scheme, path, facs):
    """Each (category, facility) cell of a benefit parameter: ``(i, j, key, leaf)``, where
    ``leaf`` is None when there is no cell; the status grid marks not-stated cells 1 and
    missing cells 2 (usable cells are set to 0 by the caller)."""
    p = scheme.param(path)
    nfac = max(len(facs), 1)
    status = np.full((len(scheme.categories), nfac), 2, dtype=np.int8)
    cells = []
    for i, cat in enumerate(scheme.categories):
        for j in range(nfac):
            dims = {"category": cat, **({"facility": facs[j]} if facs else {})}
            key = scheme.cell_key(p, dims)
            leaf = p.cells.get(key)
            if leaf is not None and not leaf.usable:
                status[i, j] = 1
            elif leaf is not None:
                cells.append((i, j, key, leaf))
    return cells, status


def _grid_any(scheme, path, axes, facs):
    """Like Scheme.cell_array but for flags (True/False leaves)."""
    cells, status = _usable_cells(scheme, path, facs)
    vals = np.zeros(status.shape)
    for i, j, _, leaf in cells:
        vals[i, j] = float(bool(leaf.value))
        status[i, j] = 0
    return vals, status


def _bands(scheme, path, axes, facs):
    """Up to three bands [[upper, rate], ...] over the amount above the deductible."""
    cells, status = _usable_cells(scheme, path, facs)
    rates = np.zeros(status.shape + (3,))
    uppers = np.full(status.shape + (2,), np.inf)
    for i, j, key, leaf in cells:
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
    """Continuous-enrolment bonus per claim (Dazu Art. 23(二)4, reading enrolment_bonus):
    ``min(cap, step * (1 + floor((n - start) / every)))`` from year ``start`` on."""
    g = lambda name: scheme.value(f"parameters.enrolment_bonus.{name}")  # noqa: E731
    start, every, step, cap = float(g("start_year")), float(g("every")), float(g("step")), float(g("cap"))
    n = np.arange(int(years.max()) + 1 if len(years) else 1, dtype=np.float64)
    table = np.where(n >= start, np.minimum(cap, step * (np.floor((n - start) / every) + 1)), 0.0)
    return table[years], g("mode")


def _person_index(claims: pd.DataFrame, persons: pd.DataFrame) -> np.ndarray:
    """Row of ``persons`` for each claim (-1 if absent); checks that person ids are unique.
    Integer ids take a direct-address path, others a hash index."""
    cid = claims["person_id"].to_numpy()
    pid = persons["person_id"].to_numpy()
    if cid.dtype.kind in "iu" and pid.dtype.kind in "iu" and len(pid):
        lo, hi = int(pid.min()), int(pid.max())
        span = hi - lo + 1
        if span <= 4 * len(pid) + 1024:
            off_p = pid.astype(np.int64) - lo
            if np.bincount(off_p, minlength=span).max() > 1:
                v.unique_ids(persons["person_id"], "persons", "person_id")
            table = np.full(span, -1, dtype=np.int64)
            table[off_p] = np.arange(len(pid))
            if len(cid) and lo <= int(cid.min()) and int(cid.max()) <= hi:
                return table[cid - lo]  # every claim id inside the persons' range: one gather
            off = cid.astype(np.int64) - lo
            ok = (off >= 0) & (off < span)
            return np.where(ok, table[np.where(ok, off, 0)], -1)
    v.unique_ids(persons["person_id"], "persons", "person_id")
    return pd.Index(pid).get_indexer(cid)


def _pack_sort(parts: list[tuple[np.ndarray, int]]) -> tuple[np.ndarray, np.ndarray]:
    """Sort rows by the given (array, max value) parts, most significant first, ties kept in
    input order. Returns ``(order, group)``: ``group`` identifies equal leading parts (all but
    the last) in sorted order. One packed int64 key when the bits fit, lexsort otherwise."""
    n = len(parts[0][0])
    bits = [max(int(m).bit_length(), 1) for _, m in parts]
    ib = max((n - 1).bit_length(), 1)
    if sum(bits) + ib <= 63:
        key = np.zeros(n, dtype=np.int64)
        for (arr, _), b in zip(parts, bits):
            key <<= b
            np.bitwise_or(key, arr, out=key, casting="unsafe")
        key <<= ib
        key |= np.arange(n, dtype=np.int64)
        key.sort()
        group = key >> (ib + bits[-1])
        key &= (1 << ib) - 1
        return key, group
    order = np.lexsort([np.arange(n)] + [a for a, _ in reversed(parts)])
    group = np.zeros(n, dtype=np.int64)
    for arr, m in parts[:-1]:
        group = group * (int(m) + 1) + arr[order]
    return order, group


def _segment_cumsum(x: np.ndarray, starts: np.ndarray, gid: np.ndarray) -> np.ndarray:
    """Inclusive cumulative sum of ``x`` restarting at each group start (``gid``: group number)."""
    c = np.cumsum(x)
    base = c[starts] - x[starts]
    c -= base[gid]
    return c


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
        fund pays nothing, e.g. Dazu Art. 19), ``eligible_from`` / ``eligible_to`` (dates: claims
        outside are not paid - waiting periods, lapses, suspensions), ``household_id``
        (household-pooled limits).
    detail : add ``non_covered``, ``self_paid_special``, ``fund_before_limit`` (after per-claim
        rules, before the annual limit), ``fund_shortfall`` (what the annual limit withheld),
        ``above_limit_cost`` (eligible cost above the deductible that the annual limit left
        unpaid: uncounted cost under a cost limit, the withheld payment divided by the rate
        under a fund limit; the base of supplementary cover above the ceiling) and ``bonus``.

    Returns
    -------
    DataFrame aligned with ``claims`` (same index): ``eligible_cost``, ``deductible``, ``rate``,
    ``fund_paid``, ``oop`` and ``limit_reason`` (none, annual_limit, per_claim_limit,
    not_covered, not_insured). ``fund_paid + oop == cost`` to the fen.

    Examples
    --------
    >>> import pandas as pd, healthcover as hc
    >>> s = hc.load_scheme("dazu-resident", variant="tier2")
    >>> claims = pd.DataFrame({"person_id": [1], "date": ["2024-03-01"], "care": ["inpatient"],
    ...                        "facility": ["county"], "cost": [10000.0], "category": ["adult"]})
    >>> s.adjudicate(claims).fund_paid.tolist()   # (10,000 - 200) x 50%, Art. 23(二)2
    [4900.0]
    """
    n = len(claims)
    v.require_columns(claims, ["person_id", "date", "care", "facility", "cost"], "claims")
    t = benefit_tables(scheme)
    cares, cats, facs = scheme.care_types, scheme.categories, scheme.facilities
    ncat, nfac = len(cats), max(len(facs), 1)
    care = v.codes(claims["care"], cares, "claims", "care", f"care type of {scheme.id}")
    fac = v.codes(claims["facility"], facs, "claims", "facility", f"facility of {scheme.id}") if facs else np.zeros(n, np.int8)
    cost = v.money(claims, "cost", "claims")
    covered_cost = v.money(claims, "covered_cost", "claims", required=False)
    special = v.money(claims, "special_exam_cost", "claims", required=False)
    if covered_cost is not None:
        over = np.flatnonzero(covered_cost > cost + 1e-9)
        if over.size:
            raise HealthcoverError(f"claims {rows_preview(over)}: covered_cost is above cost; allowed: 0 <= covered_cost <= cost")
    if special is not None:
        over = np.flatnonzero(special > (cost if covered_cost is None else covered_cost) + 1e-9)
        if over.size:
            raise HealthcoverError(
                f"claims {rows_preview(over)}: special_exam_cost is above the covered cost; it is part of it "
                "(allowed: 0 <= special_exam_cost <= covered_cost)"
            )

    # Who: category, years enrolled, insured, household, and a dense person code.
    if persons is not None:
        v.require_columns(persons, ["person_id", "category"], "persons")
        prow = _person_index(claims, persons)
        missing = np.flatnonzero(prow < 0)
        if missing.size:
            raise HealthcoverError(
                f"claims {rows_preview(missing)}: person_id {claims['person_id'].iloc[missing[:5]].tolist()} "
                "is not in persons; every claim's person_id must be a persons.person_id"
            )
        pcat = v.codes(persons["category"], cats, "persons", "category", f"category of {scheme.id}")
        cat = pcat[prow]
        table, table_name, person_code, n_people = persons, "persons", prow, len(persons)
    else:
        v.require_columns(claims, ["category"], "claims", "without a persons table, claims need a category column")
        cat = v.codes(claims["category"], cats, "claims", "category", f"category of {scheme.id}")
        person_code, uniq = pd.factorize(claims["person_id"])
        table, table_name, prow, n_people = claims, "claims", None, len(uniq)

    def per_claim(values):
        return values if prow is None else values[prow]

    insured = None
    if "insured" in table.columns:
        ins = table["insured"]
        good = ins.isin([True, False]).to_numpy() & ins.notna().to_numpy()
        if not good.all():
            raise HealthcoverError(f"{table_name} {rows_preview(np.flatnonzero(~good))}: insured must be True or False")
        insured = per_claim(ins.to_numpy(dtype=bool))

    window = [c for c in ("eligible_from", "eligible_to") if c in table.columns]
    if window:
        # Waiting periods, lapses and suspensions (Jilin (五)2, Dazu Art. 19, Bazhou Art. 17):
        # claims dated outside the person's window are not paid.
        days = _claim_days(claims)
        inside = np.ones(n, dtype=bool)
        for col in window:
            bound = pd.to_datetime(table[col], errors="coerce")
            bad = np.flatnonzero(bound.isna().to_numpy() & table[col].notna().to_numpy())
            if bad.size:
                raise HealthcoverError(f"{table_name} {rows_preview(bad)}: {col} {table[col].iloc[bad[:5]].tolist()} is not a date")
            b = per_claim(bound.to_numpy().astype("datetime64[D]").astype(np.int64))
            known = per_claim(bound.notna().to_numpy())
            inside &= ~known | ((days >= b) if col == "eligible_from" else (days <= b))
        insured = inside if insured is None else insured & inside

    cell = (care.astype(np.int32) * ncat + cat) * nfac + fac
    _check_status(scheme, t, cell, care, cat, fac)

    # Per-claim stage, in input order. Money in integer fen.
    elig = _to_fen(cost if covered_cost is None else covered_cost)
    noncov = _to_fen(cost) - elig if detail else None
    selfpay = None
    if special is not None and scheme.has("parameters.special_exam_selfpay_share"):
        share = float(scheme.value("parameters.special_exam_selfpay_share"))
        selfpay = np.floor(_to_fen(special) * share + 0.5).astype(np.int64)
        elig -= selfpay
    ok = t.covered[cell]
    reason = np.zeros(n, dtype=np.int8)
    reason[~ok] = _NOT_COVERED
    if insured is not None:
        reason[~insured] = _NOT_INSURED
        ok &= insured
    all_ok = bool(ok.all())
    if not all_ok:
        elig[~ok] = 0
    ded = np.minimum(elig, t.deductible[cell])
    rates = t.rates[cell] if t.has_bands else t.rates[cell, 0]
    bonus = None
    if t.any_bonus:
        has_bonus = t.bonus[cell]
        years = v.count_column(table, "years_enrolled", table_name, 1) if has_bonus.any() else None
        if years is not None and len(years):
            # The bonus per person (a table over years enrolled), gathered once per claim; skipped
            # when nobody has reached it (e.g. no years_enrolled column: everyone in year 1).
            b, mode = _bonus(scheme, years)
            if b.any():
                bonus = np.where(has_bonus, per_claim(b), 0.0)
                col = bonus if rates.ndim == 1 else bonus[:, None]
                rates = np.minimum(rates * (1 + col) if mode == "relative" else rates + col, 1.0)
            del b, has_bonus
    uppers = t.uppers[cell] if t.has_bands else None

    # Ordered stage: once-a-year deductibles and annual limits accumulate in date order within a
    # person (or household), year and limit pool; one sort serves both.
    limited = t.annual_finite[cell]
    ordered = bool(((limited | t.per_year[care]) & ok).any())
    fund_before = None
    above = None
    if ordered:
        year, day, day_max = _dates(claims)
        pool = t.pool[care]
        owner, n_owner, hh_limit = person_code, n_people, None
        hh = t.household[care] & ok & limited
        if hh.any():
            owner, n_owner, hh_limit = _household(scheme, t, persons, prow, claims, care, hh, person_code, n_people)
        order, grp = _pack_sort([(owner, n_owner), (year, year.max()), (pool, t.pool.max()), (day, day_max)])
        del year, day, pool
        starts = np.empty(n, dtype=bool)
        starts[0] = True
        np.not_equal(grp[1:], grp[:-1], out=starts[1:])
        del grp
        gid = np.cumsum(starts, dtype=np.int64 if n >= 2**31 else np.int32)
        gid -= 1
        present = np.bincount(cell, minlength=t.annual.size) > 0
        needs_care = bool((t.per_year | t.cost_basis).any() and (t.per_year[care] | t.cost_basis[care]).any())
        care_s = care[order] if needs_care else np.zeros(1, dtype=care.dtype)
        for c in (np.flatnonzero(t.per_year) if needs_care else ()):
            m = care_s == c
            if not m.any():
                continue
            # Once a year: what earlier claims of this care type already put toward the deductible.
            e_s = np.where(m, elig[order], 0)
            before = _segment_cumsum(e_s, starts, gid) - e_s
            o = order[m]
            ded[o] = np.clip(t.deductible[cell[o]] - before[m], 0, elig[o])
            del e_s, before, o, m
        fund = _band_pay(elig - ded, rates, uppers)
        pcl_bit = _per_claim_limit(t, cell, fund)
        if detail:
            fund_before = fund.copy()
        limits = np.unique(t.annual[present])
        cell_s = cell[order] if (len(limits) > 1 or t.any_per_claim or needs_care) else None
        L = t.annual[cell_s] if cell_s is not None else limits[0]
        if hh_limit is not None:
            L = np.where(hh[order], hh_limit[order], L)
        raw = fund[order]
        cost_basis = t.cost_basis[care_s] if needs_care else np.zeros(1, dtype=bool)
        del care_s
        if cost_basis.any():
            # Limit on cumulative eligible cost (Jilin): the part of this claim above its
            # deductible that still fits under the limit.
            e = elig[order]
            cum = _segment_cumsum(e, starts, gid)
            x_cap = np.maximum(np.minimum(cum, L) - np.minimum(cum - e + ded[order], L), 0)
            del cum
            pay = _band_pay(x_cap, rates[order], None if uppers is None else uppers[order])
            pay = np.minimum(pay, t.per_claim[cell_s]).astype(np.int64)
            bit_cost = cost_basis & (x_cap < e - ded[order])
            raw_fund = np.where(cost_basis, 0, raw)
            cum = _segment_cumsum(raw_fund, starts, gid)
            paid = np.where(cost_basis, pay, np.minimum(cum, L) - np.minimum(cum - raw_fund, L))
            bit = bit_cost | (~cost_basis & (paid < raw))
            x_cap_keep = x_cap if detail else None
            del e, x_cap, pay, raw_fund, bit_cost
        else:
            # Limit on the fund's cumulative payment (Dazu): pay what is left under the limit.
            cum = _segment_cumsum(raw, starts, gid)
            prev = cum - raw
            np.minimum(prev, L, out=prev)
            np.minimum(cum, L, out=cum)
            paid = np.subtract(cum, prev, out=cum)
            bit = paid < raw
            del prev
        del L, gid, starts, raw, cell_s
        fund[order] = paid
        if detail:
            above = np.zeros(n, dtype=np.int64)
            if cost_basis.any():
                above[order] = np.where(cost_basis, (elig[order] - ded[order]) - x_cap_keep, 0)
        del paid
        if bit.any():
            reason[order[bit]] = _ANNUAL
        del order, bit
    else:
        fund = _band_pay(elig - ded, rates, uppers)
        pcl_bit = _per_claim_limit(t, cell, fund)
        if detail:
            fund_before = fund.copy()
    if pcl_bit is not None:
        reason[pcl_bit & (reason == _NONE)] = _PER_CLAIM
    if not all_ok:
        fund[~ok] = 0
        ded[~ok] = 0

    rate_out = rates if rates.ndim == 1 else rates[:, 0]
    if not all_ok:
        rate_out = np.where(ok, rate_out, 0.0)
    del cell
    fund_paid = fund / 100.0
    del fund
    columns = {
        "eligible_cost": np.divide(elig, 100.0),
        "deductible": np.divide(ded, 100.0),
        "rate": rate_out,
        "fund_paid": fund_paid,
        "oop": cost - fund_paid,
        "limit_reason": pd.Categorical.from_codes(reason, REASONS),
    }
    if detail:
        columns["non_covered"] = noncov / 100.0
        columns["self_paid_special"] = (selfpay if selfpay is not None else np.zeros(n, np.int64)) / 100.0
        columns["fund_before_limit"] = np.where(ok, fund_before, 0) / 100.0
        shortfall = np.where(ok, fund_before, 0) / 100.0 - fund_paid
        columns["fund_shortfall"] = np.maximum(shortfall, 0.0)
        r0 = np.where(rate_out > 0, rate_out, 1.0)
        above_fund = np.floor(np.maximum(shortfall, 0.0) * 100 / r0 + 0.5) / 100.0
        if ordered and above is not None and above.any():
            columns["above_limit_cost"] = np.where(above > 0, above / 100.0, above_fund)
        else:
            columns["above_limit_cost"] = above_fund
        columns["bonus"] = bonus if bonus is not None else np.zeros(n)
    # copy=False keeps each column its own block: no consolidation copy of the whole result.
    return pd.DataFrame(columns, index=claims.index, copy=False)


def _per_claim_limit(t: "_Tables", cell: np.ndarray, fund: np.ndarray) -> np.ndarray | None:
    """Cap each claim's payment at a fixed amount and at a per-claim limit where the scheme
    sets them (in place); returns where the per-claim limit bit."""
    if t.any_fixed:
        np.minimum(fund, t.fixed[cell], out=fund, casting="unsafe")
    if not t.any_per_claim:
        return None
    pcl = t.per_claim[cell]
    bit = fund > pcl
    np.minimum(fund, pcl, out=fund, casting="unsafe")
    return bit


def _band_pay(x_f: np.ndarray, rates: np.ndarray, uppers: np.ndarray | None) -> np.ndarray:
    """Fund payment in fen for amounts above the deductible: one rate (1-D ``rates``) or up to
    three bands (``rates`` of shape (n, 3), ``uppers`` (n, 2) in fen above the deductible)."""
    if uppers is None:  # one rate: the common case, kept lean (in place, one float temp)
        r = rates if rates.ndim == 1 else rates[:, 0]
        pay = np.multiply(x_f, r)
        pay += 0.5 + 1e-9
        np.floor(pay, out=pay)
        return pay.astype(np.int64)
    x = x_f.astype(np.float64)
    u1, u2 = uppers[:, 0], uppers[:, 1]
    fin1, fin2 = np.isfinite(u1), np.isfinite(u2)
    u1z = np.where(fin1, u1, 0.0)
    width2 = np.where(fin2, u2 - u1z, np.inf)
    b1 = np.minimum(x, u1)
    b2 = np.where(fin1, np.minimum(np.maximum(x - u1z, 0), width2), 0.0)
    b3 = np.where(fin2, np.maximum(x - np.where(fin2, u2, 0.0), 0), 0.0)
    pay = b1 * rates[:, 0] + b2 * rates[:, 1] + b3 * rates[:, 2]
    return np.floor(pay + 0.5 + 1e-9).astype(np.int64)


def _claim_days(claims: pd.DataFrame) -> np.ndarray:
    """Claim dates as whole days since 1970-01-01 (validated)."""
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
    if getattr(d.dt, "tz", None) is not None:
        d = d.dt.tz_localize(None)
    raw = d.to_numpy()
    if raw.dtype == "datetime64[ns]":
        return raw.view(np.int64) // 86_400_000_000_000
    return raw.astype("datetime64[D]").astype(np.int64)


def _dates(claims: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, int]:
    """Year index and day within the year for each claim (or the given benefit year, with the
    day counted from the earliest claim, since a benefit year may span two calendar years:
    Jilin (五)2). Calendar arithmetic runs on a small per-day table, not per claim."""
    days = _claim_days(claims)
    lo = int(days.min())
    span = int(days.max()) - lo + 1
    days -= lo  # in place: a fresh 8-byte array per claim costs more than the arithmetic
    cal = np.arange(lo, lo + span).astype("datetime64[D]")
    ystart = cal.astype("datetime64[Y]")
    year_of = (ystart.astype(np.int64) + 1970).astype(np.int32)
    doy_of = (cal - ystart.astype("datetime64[D]")).astype(np.int16)
    rel = days.astype(np.int32) if span < 2**31 else days
    del days
    if "benefit_year" in claims.columns:
        by = v.count_column(claims, "benefit_year", "claims")
        return (by - by.min()).astype(np.int32), rel, span - 1
    year = year_of[rel]
    year -= year_of.min()
    return year, doy_of[rel], 365


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
            raise err.with_prefix(f"claims {rows_preview(rows)} need it: ")
        raise HealthcoverError(
            f"claims {rows_preview(rows)}: {scheme.file.name}: {path} has no value for "
            + ", ".join(f"{k}={val}" for k, val in dims.items())
        )


def _household(scheme, t, persons, prow, claims, care, mask, person_code, n_people):
    """Household-pooled limits (Dazu's outpatient account, Art. 23(一)1): the limit is the sum of
    the household's insured members' limits, and any member's claims draw on it.

    Returns the owner code per claim (households numbered after persons), the number of owners
    and the household limit per claim (fen)."""
    table = persons if persons is not None else claims
    if "household_id" not in table.columns or persons is None:
        warnings.warn(
            f"{scheme.id}: some care types pool their annual limit within the household, but there is no "
            "persons table with a household_id column; each person's own limit is applied instead",
            stacklevel=3,
        )
        return person_code, n_people, None
    hh_codes, hh_uniq = pd.factorize(persons["household_id"])
    insured = persons["insured"].to_numpy(dtype=bool) if "insured" in persons.columns else np.ones(len(persons), bool)
    person_cat = v.codes(persons["category"], scheme.categories, "persons", "category", f"category of {scheme.id}")
    ncat, nfac = len(scheme.categories), max(len(scheme.facilities), 1)
    limit = np.zeros(len(claims), dtype=np.int64)
    for c in np.unique(care[mask]):
        # Facility does not vary a household's account: take the first facility's cell.
        per_person = t.annual[(int(c) * ncat + person_cat.astype(np.int64)) * nfac]
        per_person = np.where((per_person < NO_LIMIT) & insured, per_person, 0)
        hh_limit = np.bincount(hh_codes, weights=per_person, minlength=len(hh_uniq))
        sel = mask & (care == c)
        limit[sel] = np.rint(hh_limit[hh_codes[prow[sel]]]).astype(np.int64)
    owner = np.where(mask, n_people + hh_codes[prow], person_code)
    return owner, n_people + len(hh_uniq), limit


def payment_curve(scheme: "Scheme", costs, *, care: str = "inpatient", facilities=None,
                  category: str | None = None, years_enrolled: int = 1) -> pd.DataFrame:
    """What the fund pays as one claim's cost grows, by facility level.

    Each point is a single claim, the first of its person's year, so deductibles and annual
    limits apply as to one episode. Returns a long table: ``facility, cost, fund_paid, oop,
    fund_share`` (fund_paid / cost, NaN at cost 0), ready for a chart.
    """
    costs = np.asarray(costs, dtype=np.float64)
    facilities = list(scheme.facilities if facilities is None else facilities)
    category = scheme.categories[0] if category is None else category
    nf, nc = len(facilities), len(costs)
    claims = pd.DataFrame({
        "person_id": np.arange(nf * nc),
        "date": pd.Timestamp("2000-01-01"),
        "care": care,
        "facility": np.repeat(facilities, nc) if facilities else "",
        "cost": np.tile(costs, nf),
        "category": category,
        "years_enrolled": years_enrolled,
    })
    r = adjudicate(scheme, claims)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(claims.cost > 0, r.fund_paid / claims.cost, np.nan)
    return pd.DataFrame({"facility": claims.facility, "cost": claims.cost, "fund_paid": r.fund_paid,
                         "oop": r.oop, "fund_share": share})
