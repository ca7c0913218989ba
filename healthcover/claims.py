r"""Claims adjudication, vectorised over whole populations: a short pipeline of steps.

For claim :math:`i` of a person (or household) :math:`p`, year :math:`y`, in limit pool :math:`g`:

.. math::

    e_i &= \text{covered}_i - s\,\text{special}_i \qquad \text{(Dazu Art. 23(三): special exams 50\% self-paid first)} \\
    d_i &= \min(e_i, D) \ \text{per claim, or}\ \min(e_i, \max(D - E_{<i}, 0)) \ \text{once a year} \\
    x_i &= e_i - d_i, \qquad r_i = \text{rate} + \text{bonus}(n) \\
    f_i &= \min(L, F_{\le i}) - \min(L, F_{<i}) \quad \text{(limit on the fund's cumulative payment, Dazu)} \\
    x_i &= \max(0, \min(C_{<i} + e_i, L) - \min(C_{<i} + d_i, L)) \quad \text{(limit on cumulative cost, Jilin)}

where :math:`E, F, C` are sums over earlier claims of the same group in claim order. Money is
integer fen (:mod:`healthcover.money`), so fund + out of pocket = cost to the fen and
cumulative limits are exact. The engine reads only a scheme's compiled tables
(:class:`~healthcover.schemes.compile.BenefitTables`), never the scheme file.

The steps, in order (``docs/architecture.md``):

1. :func:`read_claims` - every input column checked and coded once; :func:`out_of_county` -
   care that is not a benefit outside the county (claims column ``out_of_county``);
2. :func:`eligible_cost` - covered cost less the self-paid part of special examinations;
3. :func:`claim_order` - one sort: person (or household), limit pool, year, date, then the
   explicit order of same-day claims (``claim_seq``) or the claims' index;
   :func:`stay_limit` - days of stay a year the fund pays for (Dazu Art. 23(四)2);
4. :func:`deductible` - per claim, or once per person-year of a care type; wage-linked
   (a share of ``average_wage``) and reduced for repeat admissions where the scheme says so;
5. :func:`band_payment` - the rate, up to three bands and the continuous-enrolment bonus;
6. :func:`limits` - fixed amounts, per-claim caps and annual limits on the fund or on cost,
   wage-linked where the scheme says so, carried forward where the unused limit carries over;
   :func:`account` - a personal account that pays the patient's share (Dazu Art. 14(四)1);
7. :func:`result` - the table the user gets, in the claims' own row order and index.

Every accumulation runs over one owner's own claims (a person, or a household where a limit is
the household's), so a person's result never depends on other people's claims.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from healthcover import checks as v
from healthcover.errors import HealthcoverError, HealthcoverWarning, allowed, rows_preview
from healthcover.money import NO_LIMIT, to_fen, to_yuan
from healthcover.schemes.bands import band_pay
from healthcover.schemes.compile import MAX_FACTORS, REASONS, STAY_NO_LIMIT, BenefitTables

__all__ = [
    "REASONS", "NO_LIMIT", "MAX_YEARS_ENROLLED", "ClaimInputs", "adjudicate", "read_claims",
    "out_of_county", "eligible_cost", "claim_order", "stay_limit", "deductible", "band_payment", "limits",
    "account", "result", "payment_curve", "parse_dates",
]

REASONS = list(REASONS)
_NONE, _ANNUAL, _PER_CLAIM, _NOT_COVERED, _NOT_INSURED, _STAY = range(6)
#: The order blanks are reported in: what is paid at all, then how much.
_BLANK_ORDER = ("covered", "setting", "rate", "bands", "fund_amount", "deductible", "deductible_repeat_factors",
                "enrolment_bonus", "per_claim_limit", "annual_limit", "annual_stay_limit_days")
#: Consecutive years of enrolment accepted (a person's whole life, with room).
MAX_YEARS_ENROLLED = 150
#: Calendar years a claim date may fall in.
YEARS = (1900, 2200)
#: A person's (or household's) year of claims must stay exact in int64 fen.
_SAFE_TOTAL_YUAN = 4e16


# --------------------------------------------------------------------------- 1. inputs


@dataclass
class ClaimInputs:
    """The claims and persons of one call, checked and coded (see :func:`read_claims`)."""

    n: int
    care: np.ndarray  # care type code per claim
    category: np.ndarray
    facility: np.ndarray
    cell: np.ndarray  # flat benefit cell per claim
    cost: np.ndarray  # fen
    covered_cost: np.ndarray | None  # fen
    special: np.ndarray | None  # fen
    person: np.ndarray  # dense person code per claim
    n_people: int
    prow: np.ndarray | None  # row of persons per claim
    persons: pd.DataFrame | None
    table: pd.DataFrame  # persons, or claims without persons
    table_name: str
    insured: np.ndarray | None  # insured and inside the eligibility window
    days: np.ndarray  # days since 1970-01-01
    benefit_year: np.ndarray | None
    claims: pd.DataFrame
    order_by: tuple[str, ...]

    def per_claim(self, values: np.ndarray) -> np.ndarray:
        return values if self.prow is None else values[self.prow]


def parse_dates(values: pd.Series, table: str, column: str) -> np.ndarray:
    """Dates as whole days since 1970-01-01, or an error naming the rows.

    Accepted: datetimes, ``datetime.date`` objects and date strings (ISO ``YYYY-MM-DD``, with or
    without a time); whole numbers only as ``YYYYMMDD`` (20230601), never as a count of
    nanoseconds. A date with a time zone counts on its own calendar day (``2023-06-01T23:00+08:00``
    is 1 June), whatever the zones of the other rows. Years outside 1900-2200 are refused."""
    s = values
    len(s)
    if pd.api.types.is_bool_dtype(s):
        raise HealthcoverError(f"{table}: {column} holds True/False; allowed: dates (YYYY-MM-DD)")
    if pd.api.types.is_datetime64_any_dtype(s):
        if getattr(s.dt, "tz", None) is not None:
            s = s.dt.tz_localize(None)
        parsed = s
    elif pd.api.types.is_numeric_dtype(s):
        x = pd.to_numeric(s).to_numpy(dtype=np.float64, na_value=np.nan)
        ok = np.isfinite(x) & (x == np.floor(x)) & (x >= YEARS[0] * 10_000 + 101) & (x <= YEARS[1] * 10_000 + 1231)
        bad = np.flatnonzero(~ok)
        if bad.size:
            raise HealthcoverError(
                f"{table} {rows_preview(bad)}: {column} {v.fmt_values(s.iloc[bad[:5]].tolist())} is not a date; "
                "numbers are read only as YYYYMMDD (e.g. 20230601); otherwise give YYYY-MM-DD strings or datetimes"
            )
        parsed = pd.to_datetime(pd.Series(x.astype(np.int64).astype(str), index=s.index), format="%Y%m%d",
                                errors="coerce")
    else:
        # Distinct values are few (a year has 365 days): parse each once.
        codes, uniques = pd.factorize(s, use_na_sentinel=True)
        out = np.full(len(uniques), np.datetime64("NaT"), dtype="datetime64[ns]")
        for i, u in enumerate(uniques):
            try:
                ts = pd.Timestamp(u) if not isinstance(u, (int, float, np.integer, np.floating, bool)) else None
            except (ValueError, TypeError, OverflowError):
                ts = None
            if ts is None or ts is pd.NaT:
                continue
            if ts.tzinfo is not None:
                ts = ts.tz_localize(None)
            out[i] = ts.to_datetime64()
        nat = np.datetime64("NaT", "ns")
        parsed = pd.Series(np.where(codes >= 0, out[np.maximum(codes, 0)] if len(out) else nat,
                                    nat), index=s.index)
    raw = parsed.to_numpy()
    bad = np.flatnonzero(pd.isna(raw))
    if bad.size:
        shown = v.fmt_values(values.iloc[bad[:5]].tolist())
        raise HealthcoverError(
            f"{table} {rows_preview(bad)}: {column} {shown} is missing or not a date; allowed: YYYY-MM-DD, "
            "a datetime, or a whole number YYYYMMDD"
        )
    days = raw.astype("datetime64[D]").astype(np.int64)
    lo, hi = (np.datetime64(f"{y}-01-01").astype(np.int64) for y in (YEARS[0], YEARS[1] + 1))
    out_of = np.flatnonzero((days < lo) | (days >= hi))
    if out_of.size:
        raise HealthcoverError(
            f"{table} {rows_preview(out_of)}: {column} {v.fmt_values(values.iloc[out_of[:5]].tolist())} is outside "
            f"the years {YEARS[0]}-{YEARS[1]}; allowed: a claim date in those years"
        )
    return days


def _ids(series: pd.Series, table: str, column: str) -> None:
    missing = np.flatnonzero(series.isna().to_numpy())
    if missing.size:
        raise HealthcoverError(
            f"{table} {rows_preview(missing)}: {column} is missing; every row needs a {column}"
        )


def _flags(table: pd.DataFrame, column: str, name: str) -> np.ndarray:
    s = table[column]
    good = s.isin([True, False]).to_numpy() & s.notna().to_numpy()
    if not good.all():
        raise HealthcoverError(
            f"{name} {rows_preview(np.flatnonzero(~good))}: {column} {v.fmt_values(s[~good].head(5).tolist())} "
            "is not allowed; allowed: True or False"
        )
    return s.to_numpy(dtype=bool)


def read_claims(t: BenefitTables, claims: pd.DataFrame, persons: pd.DataFrame | None = None,
                order_by: str | Sequence[str] | None = None) -> ClaimInputs:
    """Step 1: check every input column (one message per problem, naming rows, column, value
    and what is allowed) and code it once. See :func:`adjudicate` for the columns."""
    v.frame(claims, "claims")
    v.require_columns(claims, ["person_id", "date", "care", "facility", "cost"], "claims")
    n = len(claims)
    care = v.codes(claims["care"], t.care_types, "claims", "care", f"care type of {t.scheme_id}")
    fac = (v.codes(claims["facility"], t.facilities, "claims", "facility", f"facility of {t.scheme_id}")
           if t.facilities else np.zeros(n, np.int8))
    cost_y = v.money(claims, "cost", "claims")
    covered_y = v.money(claims, "covered_cost", "claims", required=False)
    special_y = v.money(claims, "special_exam_cost", "claims", required=False)
    if covered_y is not None:
        over = np.flatnonzero(to_fen(covered_y) > to_fen(cost_y))
        if over.size:
            raise HealthcoverError(f"claims {rows_preview(over)}: covered_cost is above cost; "
                                   "allowed: 0 <= covered_cost <= cost")
    if special_y is not None:
        over = np.flatnonzero(to_fen(special_y) > to_fen(cost_y if covered_y is None else covered_y))
        if over.size:
            raise HealthcoverError(
                f"claims {rows_preview(over)}: special_exam_cost is above the covered cost; it is part of it "
                "(allowed: 0 <= special_exam_cost <= covered_cost)"
            )
    _ids(claims["person_id"], "claims", "person_id")
    days = parse_dates(claims["date"], "claims", "date")
    benefit_year = None
    if "benefit_year" in claims.columns:
        benefit_year = v.count_column(claims, "benefit_year", "claims", maximum=YEARS[1])
        low = np.flatnonzero(benefit_year < YEARS[0])
        if low.size:
            raise HealthcoverError(f"claims {rows_preview(low)}: benefit_year is before {YEARS[0]}; "
                                   f"allowed: a year from {YEARS[0]} to {YEARS[1]}")

    if persons is not None:
        v.frame(persons, "persons")
        v.require_columns(persons, ["person_id", "category"], "persons")
        _ids(persons["person_id"], "persons", "person_id")
        prow = _person_index(claims, persons)
        missing = np.flatnonzero(prow < 0)
        if missing.size:
            raise HealthcoverError(
                f"claims {rows_preview(missing)}: person_id {claims['person_id'].iloc[missing[:5]].tolist()} "
                "is not in persons; every claim's person_id must be a persons.person_id"
            )
        pcat = v.codes(persons["category"], t.categories, "persons", "category", f"category of {t.scheme_id}")
        cat = pcat[prow]
        table, table_name, person, n_people = persons, "persons", prow, len(persons)
        if "household_id" in persons.columns:
            _ids(persons["household_id"], "persons", "household_id")
    else:
        v.require_columns(claims, ["category"], "claims", "without a persons table, claims need a category column")
        cat = v.codes(claims["category"], t.categories, "claims", "category", f"category of {t.scheme_id}")
        person, uniq = pd.factorize(claims["person_id"])
        table, table_name, prow, n_people = claims, "claims", None, len(uniq)

    x = ClaimInputs(
        n=n, care=care, category=cat, facility=fac, cell=t.cell(care, cat, fac),
        cost=to_fen(cost_y), covered_cost=None if covered_y is None else to_fen(covered_y),
        special=None if special_y is None else to_fen(special_y),
        person=person.astype(np.int64, copy=False), n_people=n_people, prow=prow, persons=persons,
        table=table, table_name=table_name, insured=None, days=days, benefit_year=benefit_year,
        claims=claims, order_by=_order_columns(claims, order_by),
    )
    insured = None
    if "insured" in table.columns:
        insured = x.per_claim(_flags(table, "insured", table_name))
    window = [c for c in ("eligible_from", "eligible_to") if c in table.columns]
    if window:
        # Waiting periods, lapses and suspensions (Jilin (五)2, Dazu Art. 19, Bazhou Art. 17):
        # claims dated outside the person's window are not paid.
        inside = np.ones(n, dtype=bool)
        for col in window:
            known = table[col].notna().to_numpy()
            bound = np.zeros(len(table), dtype=np.int64)
            if known.any():
                bound[known] = parse_dates(table[col][known], table_name, col)
            b, k = x.per_claim(bound), x.per_claim(known)
            inside &= ~k | ((days >= b) if col == "eligible_from" else (days <= b))
        insured = inside if insured is None else insured & inside
    x.insured = insured
    return x


def _order_columns(claims: pd.DataFrame, order_by) -> tuple[str, ...]:
    if order_by is None:
        if "claim_seq" not in claims.columns:
            return ()
        order_by = "claim_seq"
    if isinstance(order_by, str):
        cols = (order_by,)
    elif isinstance(order_by, (list, tuple)) and order_by:
        cols = tuple(order_by)
    else:
        raise HealthcoverError(f"adjudicate: order_by = {order_by!r}; give a column name or a list of them")
    missing = [c for c in cols if not isinstance(c, str) or c not in claims.columns]
    if missing:
        raise HealthcoverError(f"adjudicate: order_by names {allowed(map(repr, missing))}, not columns of the "
                               f"claims; columns: {allowed(claims.columns)}")
    for c in cols:
        s = claims[c]
        if s.isna().any():
            raise HealthcoverError(f"claims {rows_preview(np.flatnonzero(s.isna().to_numpy()))}: {c} is missing; "
                                   "every claim needs its place in the order")
    return cols


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


def _require_stated(t: BenefitTables, x: ClaimInputs, active: np.ndarray) -> None:
    """Raise for claims that need a value the document leaves blank."""
    for rule in _BLANK_ORDER:
        status = t.status.get(rule)
        if status is None or not status.any():
            continue
        hit = active & (status[x.cell] != 0)
        if hit.any():
            rows = np.flatnonzero(hit)
            blank = t.blanks[(rule, int(x.cell[rows[0]]))]
            raise blank.error(prefix=f"claims {rows_preview(rows)} need it: ")


def out_of_county(t: BenefitTables, x: ClaimInputs, ok: np.ndarray, reason: np.ndarray) -> np.ndarray:
    """Step 1b: care received outside the county (optional claims column ``out_of_county``,
    True/False) is not paid where the scheme says it is a benefit only inside the county
    (``covered_out_of_county: false``; Dazu Art. 23(七): outpatient care away is not reimbursed,
    Art. 23(四)2: out-of-county district- or county-level psychiatric hospitals). Returns the
    updated ``ok``; ``reason`` becomes not_covered (in place)."""
    if t.out_of_county is None or "out_of_county" not in x.claims.columns:
        return ok
    away = _flags(x.claims, "out_of_county", "claims")
    if not away.any():
        return ok
    status = t.status.get("covered_out_of_county")
    hit = away & ok & (status[x.cell] != 0) if status is not None else np.zeros(x.n, dtype=bool)
    if hit.any():
        rows = np.flatnonzero(hit)
        raise t.blanks[("covered_out_of_county", int(x.cell[rows[0]]))].error(
            prefix=f"claims {rows_preview(rows)} (out of county) need it: ")
    refused = away & ~t.out_of_county[x.cell] & ok
    if refused.any():
        reason[refused & (reason == _NONE)] = _NOT_COVERED
        ok = ok & ~refused
    return ok


def _average_wage(t: BenefitTables, x: ClaimInputs, need: np.ndarray) -> np.ndarray:
    """Each claim's person's ``average_wage`` in yuan (persons, or claims without persons), for
    wage-linked deductibles and limits (Liaoning II(4))."""
    rows = np.flatnonzero(need)
    v.require_columns(x.table, ["average_wage"], x.table_name,
                      f"claims {rows_preview(rows)} of {t.scheme_id} have a deductible or limit linked to the local "
                      "average annual wage: give each person's average_wage")
    return x.per_claim(v.money(x.table, "average_wage", x.table_name))


def _cares_present(t: BenefitTables, x: ClaimInputs) -> np.ndarray:
    """Per care type: whether any claim has it (one counting pass, no sort)."""
    return np.bincount(x.care, minlength=len(t.care_types)) > 0


def _care_cells(t: BenefitTables, per_cell: np.ndarray) -> np.ndarray:
    """Per care type: whether any of its cells has the property."""
    return per_cell.reshape(len(t.care_types), -1).any(axis=1)


def _absolute_years(x: ClaimInputs) -> np.ndarray:
    """Each claim's benefit year (``benefit_year``, else the calendar year of its date)."""
    if x.benefit_year is not None:
        return np.asarray(x.benefit_year, dtype=np.int64)
    return x.days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970


# --------------------------------------------------------------------------- 2. eligible cost


def eligible_cost(t: BenefitTables, x: ClaimInputs) -> tuple[np.ndarray, np.ndarray | None]:
    """Step 2: eligible cost in fen (covered cost less the self-paid share of special
    examinations, Dazu Art. 23(三)) and that self-paid part (or None)."""
    elig = (x.cost if x.covered_cost is None else x.covered_cost).copy()
    selfpay = None
    if x.special is not None and x.special.any():
        if t.selfpay_blank is not None:
            raise t.selfpay_blank.error(prefix=f"claims {rows_preview(np.flatnonzero(x.special > 0))} need it: ")
        if t.selfpay_share is not None:
            selfpay = np.floor(x.special * t.selfpay_share + 0.5).astype(np.int64)
            elig -= selfpay
    return elig, selfpay


# --------------------------------------------------------------------------- 3. order


@dataclass
class ClaimOrder:
    """One sort of the claims: ``order`` (positions), group starts and group ids in sorted
    order; a group is one owner (person or household), year and limit pool."""

    order: np.ndarray
    starts: np.ndarray
    gid: np.ndarray
    household_limit: np.ndarray | None  # fen per claim where a household pools the limit
    household_mask: np.ndarray | None
    owner: np.ndarray | None = None  # owner code per claim (a person, or a household after the persons)


def claim_order(t: BenefitTables, x: ClaimInputs, active: np.ndarray) -> ClaimOrder | None:
    """Step 3: the order once-a-year deductibles and annual limits accumulate in: owner, limit
    pool, year, date; same-day claims by ``claim_seq`` (or ``order_by=``) when given, else by
    the claims' index, then cost. A group (owner, pool, year) is contiguous, and so is an
    owner's pool over the years (for limits that carry forward). None when no rule of the
    claims accumulates."""
    care = x.care
    limited = t.annual_finite[x.cell]
    if t.wage_limit is not None:
        limited = limited | ~np.isnan(t.wage_limit[x.cell])
    accumulates = limited | t.per_year[care]
    present = _cares_present(t, x) if (t.stay_limit is not None or t.deductible_factors is not None) else None
    if t.stay_limit is not None and (_care_cells(t, t.stay_limit < STAY_NO_LIMIT) & present).any():
        accumulates |= t.stay_limit[x.cell] < STAY_NO_LIMIT
    if t.deductible_factors is not None and (_care_cells(t, (t.deductible_factors[:, 1:] != 1).any(axis=1)) & present).any():
        accumulates |= (t.deductible_factors[x.cell, 1:] != 1).any(axis=1)
    needed = accumulates & active
    if t.account is not None:
        # a personal account draws on all of its holder's claims, paid by the fund or not
        needed |= t.account[x.category] > 0
    if not bool(needed.any()):
        return None
    year, day, day_max = _dates(x)
    pool = t.pool[care]
    owner, n_owner, hh_limit, hh = x.person, x.n_people, None, None
    hh_mask = t.household[care] & active & limited
    if hh_mask.any():
        owner, n_owner, hh_limit = _household(t, x, hh_mask)
        hh = hh_mask
    _check_totals(x, owner)
    order, same, starts = _pack_sort([(owner, n_owner), (pool, int(t.pool.max())),
                                      (year, int(year.max()) if len(year) else 0), (day, day_max)])
    del year, pool, day
    if same.any():
        _break_ties(x, order, same)
    del same
    gid = np.cumsum(starts, dtype=np.int64 if x.n >= 2**31 else np.int32)
    gid -= 1
    return ClaimOrder(order, starts, gid, hh_limit, hh, owner)


def _break_ties(x: ClaimInputs, order: np.ndarray, same: np.ndarray) -> None:
    """Reorder runs of same-day claims of one group (in place) by the explicit order, else by
    the claims' index then cost: never by row position, so shuffled rows give the same result."""
    member = np.zeros(len(order), dtype=bool)
    member[1:] |= same
    member[:-1] |= same
    pos = np.flatnonzero(member)
    run = np.cumsum(~np.r_[False, same][pos] | np.r_[True, np.diff(pos) != 1])
    rows = order[pos]
    claims = x.claims
    if x.order_by:
        keys = [_sortable(claims[c].to_numpy()[rows], c) for c in reversed(x.order_by)]
    else:
        n_ties = int(len(pos) - run[-1]) if len(pos) else 0
        warnings.warn(
            f"{n_ties} claim(s) share their date with another claim of the same person and limit pool, and the "
            "claims have no claim_seq: they are applied in the order of the claims' index, then cost; give a "
            "claim_seq column (or order_by=) to state the order", HealthcoverWarning, stacklevel=4,
        )
        keys = []
        try:
            keys.append(pd.factorize(claims.index[rows], sort=True)[0])
        except TypeError:  # an index of labels that cannot be compared: cost and codes decide
            pass
    tail = [x.cost[rows], x.care[rows], x.facility[rows]]
    local = np.lexsort(tuple(reversed(tail)) + tuple(keys[::-1]) + (run,)) if keys else \
        np.lexsort(tuple(reversed(tail)) + (run,))
    order[pos] = rows[local]


def _sortable(values: np.ndarray, column: str) -> np.ndarray:
    try:
        return pd.factorize(values, sort=True)[0]
    except TypeError:
        raise HealthcoverError(f"claims: {column} mixes values that cannot be ordered; allowed: numbers, "
                               "strings or dates of one kind") from None


def _check_totals(x: ClaimInputs, owner: np.ndarray) -> None:
    """Refuse a person whose year of claims would not stay exact in int64 fen."""
    total = float(x.cost.sum(dtype=np.float64)) / 100.0
    if total < _SAFE_TOTAL_YUAN:
        return
    per = np.bincount(owner, weights=x.cost.astype(np.float64) / 100.0)
    bad = np.flatnonzero(per >= _SAFE_TOTAL_YUAN)
    if bad.size:
        rows = np.flatnonzero(np.isin(owner, bad))
        raise HealthcoverError(f"claims {rows_preview(rows)}: one person's claims add up to more than "
                               f"{_SAFE_TOTAL_YUAN:.0e} yuan; allowed: totals that money can be counted in")


def _dates(x: ClaimInputs) -> tuple[np.ndarray, np.ndarray, int]:
    """Year index and day within the year for each claim (or the given benefit year, with the
    day counted from the earliest claim, since a benefit year may span two calendar years:
    Jilin (五)2). Calendar arithmetic runs on a small per-day table, not per claim."""
    days = x.days
    lo = int(days.min())
    span = int(days.max()) - lo + 1
    rel = (days - lo).astype(np.int32)
    if x.benefit_year is not None:
        by = x.benefit_year
        return (by - by.min()).astype(np.int32), rel, span - 1
    cal = np.arange(lo, lo + span).astype("datetime64[D]")
    ystart = cal.astype("datetime64[Y]")
    year_of = (ystart.astype(np.int64) + 1970).astype(np.int32)
    doy_of = (cal - ystart.astype("datetime64[D]")).astype(np.int16)
    year = year_of[rel]
    year -= year_of.min()
    return year, doy_of[rel], 365


def _household(t: BenefitTables, x: ClaimInputs, mask: np.ndarray):
    """Household-pooled limits (Dazu's outpatient account, Art. 23(一)1): the limit is the sum of
    the household's insured members' limits, and any member's claims draw on it.

    Returns the owner code per claim (households numbered after persons), the number of owners
    and the household limit per claim (fen)."""
    persons = x.persons
    if persons is None or "household_id" not in persons.columns:
        warnings.warn(
            f"{t.scheme_id}: some care types pool their annual limit within the household, but there is no "
            "persons table with a household_id column; each person's own limit is applied instead",
            HealthcoverWarning, stacklevel=4,
        )
        return x.person, x.n_people, None
    hh_codes, hh_uniq = pd.factorize(persons["household_id"])
    insured = (_flags(persons, "insured", "persons") if "insured" in persons.columns
               else np.ones(len(persons), bool))
    person_cat = v.codes(persons["category"], t.categories, "persons", "category", f"category of {t.scheme_id}")
    _, ncat, nfac = t.shape
    limit = np.zeros(x.n, dtype=np.int64)
    for c in np.unique(x.care[mask]):
        # Facility does not vary a household's account: take the first facility's cell.
        per_person = t.annual[(int(c) * ncat + person_cat.astype(np.int64)) * nfac]
        per_person = np.where((per_person < NO_LIMIT) & insured, per_person, 0)
        hh_limit = np.bincount(hh_codes, weights=per_person, minlength=len(hh_uniq))
        sel = mask & (x.care == c)
        limit[sel] = np.rint(hh_limit[hh_codes[x.prow[sel]]]).astype(np.int64)
    owner = np.where(mask, x.n_people + hh_codes[x.prow], x.person)
    return owner, x.n_people + len(hh_uniq), limit


def _pack_sort(parts: list[tuple[np.ndarray, int]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sort rows by the given (array, max value) parts, most significant first, ties in row
    order (broken later by :func:`_break_ties`). Returns ``(order, same, starts)``: ``same[i]``
    says sorted rows ``i`` and ``i + 1`` agree on every part; ``starts`` marks where the leading
    parts (all but the last) change. One packed int64 key when the bits fit, lexsort otherwise."""
    n = len(parts[0][0])
    bits = [max(int(m).bit_length(), 1) for _, m in parts]
    ib = max((n - 1).bit_length(), 1)
    starts = np.empty(n, dtype=bool)
    if n:
        starts[0] = True
    if sum(bits) + ib <= 63:
        key = np.zeros(n, dtype=np.int64)
        for (arr, _), b in zip(parts, bits):
            key <<= b
            np.bitwise_or(key, arr, out=key, casting="unsafe")
        key <<= ib
        key |= np.arange(n, dtype=np.int64)
        key.sort()
        order = key & ((1 << ib) - 1)
        key >>= ib
        same = key[1:] == key[:-1]
        key >>= bits[-1]
        np.not_equal(key[1:], key[:-1], out=starts[1:])
        return order, same, starts
    order = np.lexsort([np.arange(n)] + [a for a, _ in reversed(parts)])
    lead = np.zeros(max(n - 1, 0), dtype=bool)
    for arr, _ in parts[:-1]:
        s = arr[order]
        lead |= s[1:] != s[:-1]
    last = parts[-1][0][order]
    same = ~lead & (last[1:] == last[:-1])
    starts[1:] = lead
    return order, same, starts


def _segment_cumsum(x: np.ndarray, starts: np.ndarray, gid: np.ndarray) -> np.ndarray:
    """Inclusive cumulative sum of ``x`` restarting at each group start (``gid``: group number)."""
    c = np.cumsum(x)
    base = c[starts] - x[starts]
    c -= base[gid]
    return c


def stay_limit(t: BenefitTables, x: ClaimInputs, elig: np.ndarray, o: ClaimOrder | None,
               reason: np.ndarray, ok: np.ndarray) -> np.ndarray:
    r"""Step 3b: the days of stay a person-year the fund pays for (Dazu Art. 23(四)2: a
    psychiatric patient's inpatient time, at most 3 months a year). With :math:`D` the person's
    cumulative days of the care type in the year (claims column ``stay_days``) and limit :math:`L`,
    claim :math:`i` is paid on the share of its days inside the limit:

    .. math:: e_i' = e_i \, \frac{\min(D_i, L) - \min(D_{i-1}, L)}{d_i}

    (a claim of 0 days counts whole while the limit is not used up). Returns the eligible cost."""
    if t.stay_limit is None or o is None:
        return elig
    if not (_care_cells(t, t.stay_limit < STAY_NO_LIMIT) & _cares_present(t, x)).any():
        return elig
    lim = t.stay_limit[x.cell].astype(np.int64)
    need = (lim < STAY_NO_LIMIT) & ok
    if not need.any():
        return elig
    rows = np.flatnonzero(need)
    if "stay_days" not in x.claims.columns:
        raise HealthcoverError(
            f"claims {rows_preview(rows)}: stay_days is missing; {t.scheme_id} pays at most "
            f"{int(lim[rows[0]])} days of stay a year for care type {t.care_types[int(x.care[rows[0]])]}: "
            "give each claim's days of stay (a whole number >= 0)")
    # Only the claims with a stay limit need their days (other rows may leave them blank).
    given = pd.DataFrame({"stay_days": x.claims["stay_days"].where(need, 0).to_numpy()})
    days = v.count_column(given, "stay_days", "claims", maximum=366 * 200, why="days of stay")
    order = o.order
    care_s = x.care[order]
    out = elig.copy()
    for c in np.unique(x.care[rows]):
        m = (care_s == c) & need[order]
        d_s = np.where(m, days[order], 0).astype(np.int64)
        cum = _segment_cumsum(d_s, o.starts, o.gid)
        before = cum - d_s
        L = lim[order]
        inside = np.minimum(cum, L) - np.minimum(before, L)
        whole = d_s == 0
        share = np.where(whole, (before < L).astype(np.float64), inside / np.maximum(d_s, 1))
        sel = order[m]
        e = elig[sel]
        out[sel] = np.floor(e * share[m] + 0.5 + 1e-9).astype(np.int64)
        cut = out[sel] < e
        reason[sel[cut & (reason[sel] == _NONE)]] = _STAY
    return out


# --------------------------------------------------------------------------- 4. deductible


def _deductible_amounts(t: BenefitTables, x: ClaimInputs, o: ClaimOrder | None) -> np.ndarray:
    """Each claim's deductible before it meets the cost, in fen: the cell's amount, or its share
    of the person's ``average_wage`` (Liaoning II(4): about 10%), times the factor of the claim's
    rank among the person-year's claims of the care type (repeat admissions, Liaoning II(4))."""
    D = t.deductible[x.cell]
    if t.wage_deductible is not None:
        share = t.wage_deductible[x.cell]
        wage_linked = ~np.isnan(share)
        if wage_linked.any():
            wage = _average_wage(t, x, wage_linked)
            D = np.where(wage_linked, np.floor(np.where(wage_linked, share, 0) * wage * 100 + 0.5 + 1e-9), D).astype(np.int64)
    if t.deductible_factors is not None and o is not None:
        reduced = (t.deductible_factors[x.cell, 1:] != 1).any(axis=1)
        if reduced.any():
            care_s = x.care[o.order]
            rank = np.zeros(x.n, dtype=np.int64)
            for c in np.unique(x.care[reduced]):
                m = care_s == c
                count = _segment_cumsum(m.astype(np.int64), o.starts, o.gid) - 1
                rank[o.order[m]] = count[m]
            factor = t.deductible_factors[x.cell, np.minimum(rank, MAX_FACTORS - 1)]
            D = np.where(reduced, np.floor(D * factor + 0.5 + 1e-9).astype(np.int64), D)
    return D


def deductible(t: BenefitTables, x: ClaimInputs, elig: np.ndarray, o: ClaimOrder | None) -> np.ndarray:
    """Step 4: the deductible in fen: ``min(eligible, D)`` per claim, or once a year what the
    year's earlier claims of the care type have not yet met (in claim order). ``D`` is the
    cell's amount, or a share of the person's average wage, reduced for repeat admissions where
    the scheme gives factors."""
    D = _deductible_amounts(t, x, o)
    ded = np.minimum(elig, D)
    if o is None or not t.per_year.any():
        return ded
    care_s = x.care[o.order]
    for c in np.flatnonzero(t.per_year):
        m = care_s == c
        if not m.any():
            continue
        e_s = np.where(m, elig[o.order], 0)
        before = _segment_cumsum(e_s, o.starts, o.gid) - e_s
        rows = o.order[m]
        ded[rows] = np.clip(D[rows] - before[m], 0, elig[rows])
    return ded


# --------------------------------------------------------------------------- 5. rates and bands


def rates(t: BenefitTables, x: ClaimInputs) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """The rate of each claim (``(n,)``, or ``(n, 3)`` band rates with ``(n, 2)`` band uppers in
    fen) with the continuous-enrolment bonus, and the bonus itself (None when nobody has one)."""
    bands = t.has_bands
    r = t.rates[x.cell] if bands else t.rates[x.cell, 0]
    uppers = t.uppers[x.cell] if bands else None
    bonus = None
    has_bonus = t.bonus[x.cell] if t.bonus.any() else None
    if has_bonus is not None and has_bonus.any():
        if t.bonus_blank is not None:
            raise t.bonus_blank.error(prefix=f"claims {rows_preview(np.flatnonzero(has_bonus))} need it: ")
        if "years_enrolled" in x.table.columns:
            years = v.count_column(x.table, "years_enrolled", x.table_name, maximum=MAX_YEARS_ENROLLED,
                                   why="consecutive years of enrolment")
            b = t.bonus_schedule.table(years)
        else:  # everyone in their first year: a bonus only if the schedule starts at once
            b = np.full(len(x.table), float(t.bonus_schedule.bonus(1)))
        if b.any():
            bonus = np.where(has_bonus, x.per_claim(b), 0.0)
            col = bonus if r.ndim == 1 else bonus[:, None]
            relative = t.bonus_schedule.mode == "relative"
            r = np.minimum(r * (1 + col) if relative else r + col, 1.0)
    return r, uppers, bonus


def band_payment(amount: np.ndarray, rates: np.ndarray, uppers: np.ndarray | None) -> np.ndarray:
    """Step 5: the fund's payment in fen of amounts above the deductible, through one rate
    (1-D ``rates``) or up to three bands (``rates`` (n, 3), ``uppers`` (n, 2) in fen above the
    deductible, :data:`NO_LIMIT` for an open band), rounded half up to the fen.

    The same schedule as :class:`healthcover.schemes.bands.BandSchedule` (used by the actuarial
    helpers), applied per claim."""
    if uppers is None:  # one rate: the common case, kept lean (in place, one float temp)
        r = rates if rates.ndim == 1 else rates[:, 0]
        pay = np.multiply(amount, r)
        pay += 0.5 + 1e-9
        np.floor(pay, out=pay)
        return pay.astype(np.int64)
    open_ended = np.where(uppers < NO_LIMIT, uppers, np.inf)
    pay = band_pay(amount, rates, open_ended)
    return np.floor(pay + 0.5 + 1e-9).astype(np.int64)


# --------------------------------------------------------------------------- 6. limits


@dataclass
class Limited:
    fund: np.ndarray  # fen, after every limit
    fund_before: np.ndarray  # fen, after per-claim rules, before the annual limit
    reason: np.ndarray  # int8 codes of REASONS
    above: np.ndarray | None  # fen of eligible cost the annual cost limit left uncounted


def limits(t: BenefitTables, x: ClaimInputs, elig: np.ndarray, ded: np.ndarray, r: np.ndarray,
           uppers: np.ndarray | None, o: ClaimOrder | None, reason: np.ndarray, detail: bool) -> Limited:
    """Step 6: a fixed fund amount and the per-claim limit cap each claim; the annual limit
    caps, in claim order, the fund's cumulative payment (``basis: fund``) or the eligible cost
    counted (``basis: cost``), per person (or household), year and pool."""
    fund = band_payment(elig - ded, r, uppers)
    pcl_bit = _per_claim_caps(t, x.cell, fund)
    fund_before = fund.copy() if (detail and o is not None) else fund
    above = None
    if o is not None:
        order = o.order
        present = np.bincount(x.cell, minlength=t.annual.size) > 0
        one_limit = np.unique(t.annual[present])
        any_cost = bool(t.cost_basis[np.unique(x.care)].any())
        wage_L = _wage_limits(t, x)
        cell_s = x.cell[order] if (len(one_limit) > 1 or any_cost or wage_L is not None) else None
        # One limit for every claim present (the usual case): no per-claim gather.
        L = t.annual[cell_s] if cell_s is not None else one_limit[0]
        if wage_L is not None:
            L = wage_L[order]
        if o.household_limit is not None:
            L = np.where(o.household_mask[order], o.household_limit[order], L)
        raw = fund[order]
        cost_basis = t.cost_basis[x.care[order]] if any_cost else None
        if cost_basis is not None:
            # Limit on cumulative eligible cost (Jilin): the part of this claim above its
            # deductible that still fits under the limit.
            e = elig[order]
            d = ded[order]
            cum = _segment_cumsum(e, o.starts, o.gid)
            x_cap = np.maximum(np.minimum(cum, L) - np.minimum(cum - e + d, L), 0)
            pay = band_payment(x_cap, r[order], None if uppers is None else uppers[order])
            pay = np.minimum(pay, t.per_claim[cell_s])
            pay = np.minimum(pay, t.fixed[cell_s])
            bit_cost = cost_basis & (x_cap < e - d)
            raw_fund = np.where(cost_basis, 0, raw)
            cum = _segment_cumsum(raw_fund, o.starts, o.gid)
            paid = np.where(cost_basis, pay, np.minimum(cum, L) - np.minimum(cum - raw_fund, L))
            bit = bit_cost | (~cost_basis & (paid < raw))
            if detail:
                above = np.zeros(x.n, dtype=np.int64)
                above[order] = np.where(cost_basis, (e - d) - x_cap, 0)
        else:
            # Limit on the fund's cumulative payment (Dazu): pay what is left under the limit.
            cum = _segment_cumsum(raw, o.starts, o.gid)
            prev = cum - raw
            np.minimum(prev, L, out=prev)
            np.minimum(cum, L, out=cum)
            paid = np.subtract(cum, prev, out=cum)
            if t.carry is not None and t.carry.any() and (t.carry & _cares_present(t, x)).any():
                paid = _carry_forward(t, x, o, raw, L, paid)
            bit = paid < raw
        fund[order] = paid
        if bit.any():
            reason[order[bit]] = _ANNUAL
    if pcl_bit is not None:
        reason[pcl_bit & (reason == _NONE)] = _PER_CLAIM
    return Limited(fund, fund_before, reason, above)


def _wage_limits(t: BenefitTables, x: ClaimInputs) -> np.ndarray | None:
    """Per-claim annual limits in fen where a cell's limit is a multiple of the person's
    ``average_wage`` (Liaoning II(4): about 4 times), else the cell's amount; None when no claim
    has a wage-linked limit."""
    if t.wage_limit is None:
        return None
    mult = t.wage_limit[x.cell]
    linked = ~np.isnan(mult)
    if not linked.any():
        return None
    wage = _average_wage(t, x, linked)
    return np.where(linked, np.floor(np.where(linked, mult, 0) * wage * 100 + 0.5 + 1e-9).astype(np.int64),
                    t.annual[x.cell])


def _start_years(x: ClaimInputs, owner: np.ndarray, years: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """For claims ``rows`` (with their owners and years), the first year the owner holds the
    account: the earliest ``eligible_from`` of the owner's claims' persons where given, else the
    earliest year of the owner's own claims among ``rows``."""
    start = years.copy()
    if "eligible_from" in x.table.columns:
        col = x.table["eligible_from"]
        known = col.notna().to_numpy()
        if known.any():
            # Missing entries are filled in only to keep row numbers in messages.
            d = parse_dates(col.where(known, "2000-01-01"), x.table_name, "eligible_from")
            y = d.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
            k = x.per_claim(known)[rows]
            start = np.where(k, np.minimum(x.per_claim(y)[rows], years), years)
    return pd.Series(start).groupby(owner).transform("min").to_numpy()


def _carry_forward(t: BenefitTables, x: ClaimInputs, o: ClaimOrder, raw: np.ndarray, L, paid: np.ndarray) -> np.ndarray:
    r"""Annual limits whose unused part carries to the next year (Dazu Art. 26(四): the outpatient
    account's balance 「转存至次年由参保居民继续使用」): an account credited with the limit every
    year from the owner's first year :math:`s`, drawn in claim order, never topped up. With the
    owner's cumulative demand :math:`C` on the pool over the years and credits
    :math:`A_i = L\,(y_i - s + 1)`, the amount paid so far is
    :math:`P_i = C_i - \max(0, \max_{j \le i}(C_j - A_j))`. Sorted arrays in, sorted out."""
    order = o.order
    carry = t.carry[x.care[order]]
    sub = np.flatnonzero(carry)  # sorted positions of the carried pools' claims (contiguous per owner-pool)
    if not sub.size:
        return paid
    rows = order[sub]
    owner_s = o.owner[rows]
    pool_s = t.pool[x.care[rows]]
    starts = np.empty(len(sub), dtype=bool)
    starts[:1] = True
    starts[1:] = (owner_s[1:] != owner_s[:-1]) | (pool_s[1:] != pool_s[:-1])
    gid = np.cumsum(starts) - 1
    years = _absolute_years(x)[rows]
    first = _start_years(x, owner_s, years, rows)
    C = _segment_cumsum(raw[sub], starts, gid)
    L_s = np.broadcast_to(np.asarray(L, dtype=np.int64), raw.shape)[sub]
    # An account "no limit" stays no limit; credits grow by one year's limit a year.
    credits = np.where(L_s < NO_LIMIT, L_s * (years - first + 1), NO_LIMIT)
    lost = np.maximum(pd.Series(C - credits).groupby(gid).cummax().to_numpy(), 0)
    total = C - lost
    prev = pd.Series(total).groupby(gid).shift(1, fill_value=0).to_numpy()
    out = paid.copy()
    out[sub] = total - prev
    return out


def _per_claim_caps(t: BenefitTables, cell: np.ndarray, fund: np.ndarray) -> np.ndarray | None:
    """Cap each claim's payment at a fixed amount and at a per-claim limit where the scheme
    sets them (in place); returns where the per-claim limit bit."""
    if t.any_fixed:
        np.minimum(fund, t.fixed[cell], out=fund)
    if not t.any_per_claim:
        return None
    pcl = t.per_claim[cell]
    bit = fund > pcl
    np.minimum(fund, pcl, out=fund)
    return bit


def account(t: BenefitTables, x: ClaimInputs, elig: np.ndarray, fund: np.ndarray, ok: np.ndarray,
            o: ClaimOrder | None) -> np.ndarray | None:
    r"""Step 6b: a personal account that pays the patient's share (Dazu Art. 14(四)1, L267: the
    rest of the urban special subsidy, 50 yuan in tier 1, 「可用於支付參保居民醫療支出的個人負擔部分,
    當年有效」). Each person with an account (``contributions.personal_account`` of the category)
    draws on it claim by claim in date order, across care types: on everything the patient bears
    (``patient_share``: cost - fund) or on the patient's share of the covered cost
    (``covered_patient_share``), per year (or carried forward). Claims outside the person's
    insured period do not draw. With cumulative base :math:`C` and credits :math:`A`, the
    account pays :math:`P = C - \max(0, \max(C - A))` so far. Returns fen per claim, or None
    when the scheme has no such account."""
    if t.account is None:
        return None
    amount = t.account[x.category]
    if t.account_blanks:
        for k, blank in t.account_blanks.items():
            hit = x.category == k
            if hit.any():
                raise blank.error(prefix=f"claims {rows_preview(np.flatnonzero(hit))} (the personal account) need it: ")
    holders = amount > 0
    out = np.zeros(x.n, dtype=np.int64)
    if not holders.any():
        return out
    if t.account_pays == "covered_patient_share":
        base = np.maximum(elig - fund, 0)
    else:
        base = x.cost - fund
    if x.insured is not None:
        base = np.where(x.insured, base, 0)
    idx = np.flatnonzero(holders)
    rank = np.empty(x.n, dtype=np.int64)
    rank[o.order] = np.arange(x.n)
    years = _absolute_years(x)
    order = idx[np.lexsort((rank[idx], x.days[idx], years[idx], x.person[idx]))]
    person = x.person[order]
    y = years[order]
    starts = np.empty(len(order), dtype=bool)
    starts[:1] = True
    starts[1:] = (person[1:] != person[:-1]) | (~t.account_carry & (y[1:] != y[:-1]))
    gid = np.cumsum(starts) - 1
    C = _segment_cumsum(base[order], starts, gid)
    A = amount[order]
    if t.account_carry:
        first = _start_years(x, person, y, order)
        A = A * (y - first + 1)
    lost = np.maximum(pd.Series(C - A).groupby(gid).cummax().to_numpy(), 0)
    total = C - lost
    prev = pd.Series(total).groupby(gid).shift(1, fill_value=0).to_numpy()
    out[order] = total - prev
    return out


# --------------------------------------------------------------------------- 7. result


def result(x: ClaimInputs, elig: np.ndarray, ded: np.ndarray, r: np.ndarray, lim: Limited,
           ok: np.ndarray, selfpay: np.ndarray | None, bonus: np.ndarray | None, detail: bool,
           account_paid: np.ndarray | None = None) -> pd.DataFrame:
    """Step 7: the per-claim table, aligned with the claims (same index), money in yuan. With a
    personal account, ``account_paid`` comes before ``oop`` and
    ``fund_paid + account_paid + oop == cost``."""
    all_ok = bool(ok.all())
    fund = lim.fund
    if not all_ok:
        fund = np.where(ok, fund, 0)
        ded = np.where(ok, ded, 0)
    rate_out = r if r.ndim == 1 else r[:, 0]
    if not all_ok:
        rate_out = np.where(ok, rate_out, 0.0)
    fund_paid = to_yuan(fund)
    columns = {
        "eligible_cost": to_yuan(elig),
        "deductible": to_yuan(ded),
        "rate": rate_out,
        "fund_paid": fund_paid,
        # cost (to the fen) less the fund's payment in yuan, so that fund_paid + oop == cost
        # holds in floating point too, as users check it
        "oop": to_yuan(x.cost) - fund_paid,
        "limit_reason": pd.Categorical.from_codes(lim.reason, REASONS),
    }
    if account_paid is not None:
        paid = to_yuan(account_paid)
        columns = {**{k: v for k, v in columns.items() if k not in ("oop", "limit_reason")},
                   "account_paid": paid, "oop": to_yuan(x.cost - fund - account_paid),
                   "limit_reason": columns["limit_reason"]}
    if detail:
        base_cost = x.cost if x.covered_cost is None else x.covered_cost
        fund_before = np.where(ok, lim.fund_before, 0)
        shortfall = to_yuan(np.maximum(fund_before - fund, 0))
        columns["non_covered"] = to_yuan(x.cost - base_cost)
        columns["self_paid_special"] = to_yuan(selfpay if selfpay is not None else np.zeros(x.n, np.int64))
        columns["fund_before_limit"] = to_yuan(fund_before)
        columns["fund_shortfall"] = shortfall
        r0 = np.where(rate_out > 0, rate_out, 1.0)
        above_fund = np.floor(shortfall * 100 / r0 + 0.5) / 100.0
        if lim.above is not None and lim.above.any():
            columns["above_limit_cost"] = np.where(lim.above > 0, to_yuan(lim.above), above_fund)
        else:
            columns["above_limit_cost"] = above_fund
        columns["bonus"] = bonus if bonus is not None else np.zeros(x.n)
    # copy=False keeps each column its own block: no consolidation copy of the whole result.
    return pd.DataFrame(columns, index=x.claims.index, copy=False)


# --------------------------------------------------------------------------- the pipeline


def adjudicate(t: BenefitTables, claims: pd.DataFrame, persons: pd.DataFrame | None = None,
               *, detail: bool = False, order_by: str | Sequence[str] | None = None) -> pd.DataFrame:
    """What the fund pays and what the patient pays, per claim, in the claims' row order.

    Parameters
    ----------
    t : a scheme's compiled benefit tables (``scheme.compiled.benefits``); users call
        ``scheme.adjudicate(claims, persons)``.
    claims : columns ``person_id, date, care, facility, cost``; optional ``covered_cost``
        (eligible part of the cost; the rest is not covered), ``special_exam_cost`` (approved
        special examinations and blood, part of the covered cost), ``benefit_year`` (else the
        calendar year of ``date``), ``claim_seq`` (the order of a person's same-day claims).
        Without ``persons``: also ``category`` and, where the scheme has the continuity bonus,
        ``years_enrolled``. Dates: see :func:`parse_dates`. Money: yuan, finite, 0 to 10^12,
        rounded half away from zero to the fen. Where the scheme needs them: ``stay_days``
        (days of stay, for a care type with ``annual_stay_limit_days``) and ``out_of_county``
        (True for care received outside the county).
    persons : columns ``person_id, category``; optional ``years_enrolled`` (consecutive
        contribution years including the benefit year, 0-150; default 1), ``insured`` (False: the
        fund pays nothing, e.g. Dazu Art. 19), ``eligible_from`` / ``eligible_to`` (dates: claims
        outside are not paid - waiting periods, lapses, suspensions; ``eligible_from`` also starts
        an account that carries forward), ``household_id`` (household-pooled limits),
        ``average_wage`` (wage-linked deductibles and ceilings, Liaoning II(4)).
    detail : add ``non_covered``, ``self_paid_special``, ``fund_before_limit`` (after per-claim
        rules, before the annual limit), ``fund_shortfall`` (what the annual limit withheld),
        ``above_limit_cost`` (eligible cost above the deductible that the annual limit left
        unpaid: uncounted cost under a cost limit, the withheld payment divided by the rate
        under a fund limit; the base of supplementary cover above the ceiling) and ``bonus``.
    order_by : column(s) that order a person's same-day claims (default ``claim_seq`` when the
        claims have it). Without either, same-day claims follow the claims' index, then cost
        (a :class:`~healthcover.errors.HealthcoverWarning` says so where the order matters):
        never the rows' positions, so shuffled rows give the same result.

    Returns
    -------
    DataFrame aligned with ``claims`` (same index): ``eligible_cost``, ``deductible``, ``rate``,
    ``fund_paid``, ``oop`` and ``limit_reason`` (none, annual_limit, per_claim_limit,
    not_covered, not_insured, stay_limit). ``fund_paid + oop`` equals the cost rounded to the
    fen, both whole fen and >= 0; where the scheme has a personal account that pays claims
    (Dazu tier 1), ``account_paid`` comes before ``oop`` and
    ``fund_paid + account_paid + oop`` equals the cost. A claim's result depends on its owner's
    claims only (the person, or the household for household-pooled limits).

    Examples
    --------
    >>> import pandas as pd, healthcover as hc
    >>> s = hc.load_scheme("dazu-resident", variant="tier2")
    >>> claims = pd.DataFrame({"person_id": [1], "date": ["2024-03-01"], "care": ["inpatient"],
    ...                        "facility": ["county"], "cost": [10000.0], "category": ["adult"]})
    >>> s.adjudicate(claims).fund_paid.tolist()   # (10,000 - 200) x 50%, Art. 23(二)2
    [4900.0]
    """
    if not isinstance(t, BenefitTables):
        raise HealthcoverError("adjudicate: the first argument is a scheme's compiled benefit tables "
                               "(scheme.compiled.benefits); call scheme.adjudicate(claims, persons)")
    if not isinstance(detail, bool):
        raise HealthcoverError(f"adjudicate: detail must be True or False; received {detail!r}")
    x = read_claims(t, claims, persons, order_by)
    if x.n == 0:
        return _empty(claims, detail)
    ok = t.covered[x.cell] | (t.status["covered"][x.cell] != 0)
    reason = np.zeros(x.n, dtype=np.int8)
    reason[~ok] = _NOT_COVERED
    if x.insured is not None:
        reason[~x.insured] = _NOT_INSURED
        ok &= x.insured
    ok = out_of_county(t, x, ok, reason)
    _require_stated(t, x, ok)
    elig, selfpay = eligible_cost(t, x)
    if not ok.all():
        elig = np.where(ok, elig, 0)
    o = claim_order(t, x, ok)
    elig = stay_limit(t, x, elig, o, reason, ok)
    ded = deductible(t, x, elig, o)
    r, uppers, bonus = rates(t, x)
    lim = limits(t, x, elig, ded, r, uppers, o, reason, detail)
    acc = account(t, x, elig, np.where(ok, lim.fund, 0), ok, o)
    return result(x, elig, ded, r, lim, ok, selfpay, bonus, detail, acc)


def _empty(claims: pd.DataFrame, detail: bool) -> pd.DataFrame:
    cols = {"eligible_cost": [], "deductible": [], "rate": [], "fund_paid": [], "oop": []}
    out = pd.DataFrame({k: np.array(v, dtype=np.float64) for k, v in cols.items()}, index=claims.index)
    out["limit_reason"] = pd.Categorical([], categories=REASONS)
    if detail:
        for c in ("non_covered", "self_paid_special", "fund_before_limit", "fund_shortfall",
                  "above_limit_cost", "bonus"):
            out[c] = np.array([], dtype=np.float64)
    return out


def payment_curve(t: BenefitTables, costs, *, care: str = "inpatient", facilities=None,
                  category: str | None = None, years_enrolled: int = 1) -> pd.DataFrame:
    """What the fund pays as one claim's cost grows, by facility level.

    Each point is a single claim, the first of its person's year, so deductibles and annual
    limits apply as to one episode. Returns a long table: ``facility, cost, fund_paid, oop,
    fund_share`` (fund_paid / cost, NaN at cost 0), ready for a chart.
    """
    costs = v.sample("payment_curve", "costs", costs, positive_only=False, min_size=1)
    v.choice("payment_curve", "care", care, t.care_types)
    facilities = list(t.facilities if facilities is None else facilities)
    for f in facilities:
        v.choice("payment_curve", "facilities", f, t.facilities)
    category = t.categories[0] if category is None else v.choice("payment_curve", "category", category, t.categories)
    v.count_column(pd.DataFrame({"years_enrolled": [years_enrolled]}), "years_enrolled", "payment_curve",
                   maximum=MAX_YEARS_ENROLLED)
    nf, nc = len(facilities), len(costs)
    claims = pd.DataFrame({
        "person_id": np.arange(max(nf, 1) * nc),
        "date": pd.Timestamp("2000-01-01"),
        "care": care,
        "facility": np.repeat(facilities, nc) if facilities else "",
        "cost": np.tile(costs, max(nf, 1)),
        "category": category,
        "years_enrolled": years_enrolled,
    })
    r = adjudicate(t, claims)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(claims.cost > 0, r.fund_paid / claims.cost, np.nan)
    return pd.DataFrame({"facility": claims.facility, "cost": claims.cost, "fund_paid": r.fund_paid,
                         "oop": r.oop, "fund_share": share})
