r"""Secondary payers: what a second payer pays of what the basic scheme leaves.

A secondary payer (the veterans' medical subsidy of seed 003 §3, medical assistance,
supplementary insurance) is a scheme file of ``kind: secondary`` whose benefit rules apply to a
*base* left by the basic scheme. For claim :math:`i` with cost :math:`c_i`, covered cost
:math:`v_i` and basic fund payment :math:`f_i`:

.. math::

    b_i &= c_i - f_i \quad\text{(remainder: all the basic scheme leaves; veterans Art. 8, D-11 (a))} \\
    b_i &= \max(v_i - f_i, 0) \quad\text{(covered remainder: within the basic catalogue; Art. 5, D-11 (b))} \\
    s_i &= \text{adjudicate}_{\text{secondary}}(\text{cost} = c_i - f_i,\ \text{covered cost} = b_i) \\
    o_i &= c_i - f_i - s_i

so the secondary scheme's own deductibles, rates and annual limits (in date order, per person and
year) apply to the base, through the same claims engine. Invariants, to the fen:
:math:`f_i + s_i + o_i = c_i` and :math:`0 \le s_i \le c_i - f_i`.

Two rules of the veterans' subsidy sit outside the engine and are kept here:

* the outpatient lump sum (Art. 8): each year at least 10% of the person's annual pension
  (``pension_annual``, D-12), drawn on by outpatient claims in date order, never topped up,
  the unused rest carried forward. With a person's cumulative outpatient demand :math:`C` and
  cumulative credits :math:`A` (one a year from that person's own entitlement: ``entitled_from``,
  else the first year of the person's own claims; never from other people's claims), the amount
  paid so far is :math:`P = C - \max(0, \max_{s \le t}(C_s - A_s))`;
* several identities (Art. 21): one benefit, the highest. Each identity's rules are applied to
  all of the person's claims and the identity that pays the most in total is kept.

Also here: the medical-assistance approval routing and the migrant workers' assistance fund of
Xiangzhou (seed 003 §5), and the Red Army funding of the veterans' measures (Art. 9).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from healthcover import checks as v
from healthcover.claims import REASONS as ENGINE_REASONS
from healthcover.claims import parse_dates
from healthcover.errors import HealthcoverError, allowed, rows_preview
from healthcover.money import to_fen as _fen
from healthcover.scheme import Scheme, load_scheme

__all__ = [
    "REASONS",
    "Composed",
    "assistance_route",
    "compose",
    "migrant_assistance_fund",
    "outpatient_allowance",
    "red_army_funding",
]

#: Why the secondary payer paid less than its rate would give, per claim.
REASONS = list(ENGINE_REASONS) + ["not_eligible", "excluded", "allowance_limit"]
_NOT_ELIGIBLE, _EXCLUDED, _ALLOWANCE = (REASONS.index(r) for r in ("not_eligible", "excluded", "allowance_limit"))
BASES = ("remainder", "covered_remainder")
ALLOWANCE_CARE = "outpatient"


def _load(s: Scheme | str, name: str) -> Scheme:
    if isinstance(s, Scheme):
        return s
    if isinstance(s, str) or hasattr(s, "__fspath__"):
        return load_scheme(s)
    raise HealthcoverError(f"compose: {name} must be a Scheme or a scheme id; received {type(s).__name__}")


def compose(
    basic: Scheme | str,
    secondary: Scheme | str,
    *,
    category_column: str = "secondary_category",
    identities_column: str = "secondary_identities",
    care_map: Mapping[str, str | None] | None = None,
) -> Composed:
    """A basic scheme followed by a secondary payer, adjudicated together.

    Parameters
    ----------
    basic : the basic scheme (e.g. ``load_scheme("dazu-resident", variant="tier2")``).
    secondary : a scheme of ``kind: secondary`` (e.g. ``"veterans-medical-subsidy"``).
    category_column : column of ``persons`` (or of ``claims`` without persons) with the person's
        category in the secondary scheme; missing or empty: the secondary payer pays nothing.
    identities_column : optional column with further categories of people with several
        identities, separated by ``;`` or ``,`` (or a list); one benefit, the highest (Art. 21).
    care_map : basic care type -> secondary care type (``None``: the secondary pays nothing for
        it). By default a care type maps to the secondary care type of the same name, or to the
        one its name ends with (``special_outpatient`` -> ``outpatient``).

    Examples
    --------
    >>> import pandas as pd, healthcover as hc
    >>> from healthcover.secondary import compose
    >>> both = compose(hc.load_scheme("dazu-resident", variant="tier2"), "veterans-medical-subsidy")
    >>> persons = pd.DataFrame({"person_id": [1], "category": ["adult"],
    ...                         "secondary_category": ["martyr_survivor"]})
    >>> claims = pd.DataFrame({"person_id": [1], "date": ["2024-03-01"], "care": ["inpatient"],
    ...                        "facility": ["county"], "cost": [10000.0]})
    >>> both.adjudicate(claims, persons)[["fund_paid", "secondary_paid", "oop"]].iloc[0].tolist()
    [4900.0, 4080.0, 1020.0]
    """
    basic = _load(basic, "basic")
    secondary = _load(secondary, "secondary")
    if secondary.meta.kind != "secondary":
        raise HealthcoverError(
            f"compose: secondary scheme {secondary.id} has kind {secondary.meta.kind!r}; allowed: secondary"
        )
    mapping: dict[str, str | None] = {}
    for care in basic.care_types:
        if care in secondary.care_types:
            mapping[care] = care
        else:
            ends = [c for c in secondary.care_types if care.endswith("_" + c)]
            if len(ends) == 1:
                mapping[care] = ends[0]
    if care_map:
        for k, val in care_map.items():
            if k not in basic.care_types:
                raise HealthcoverError(
                    f"compose: care_map key {k!r} is not a care type of {basic.id}; allowed: {allowed(basic.care_types)}"
                )
            if val is not None and val not in secondary.care_types:
                raise HealthcoverError(
                    f"compose: care_map[{k!r}] = {val!r} is not a care type of {secondary.id}; "
                    f"allowed: {allowed(secondary.care_types)} or None"
                )
            mapping[k] = val
        explicit = set(care_map)
    else:
        explicit = set()
    return Composed(basic, secondary, category_column, identities_column, mapping, explicit)


@dataclass
class Composed:
    """A basic scheme and a secondary payer; see :func:`compose`."""

    basic: Scheme
    secondary: Scheme
    category_column: str = "secondary_category"
    identities_column: str = "secondary_identities"
    care_map: dict = field(default_factory=dict)
    _explicit: set = field(default_factory=set, repr=False)

    def __repr__(self) -> str:
        return f"<Composed {self.basic!r} then {self.secondary!r}>"

    def _repr_html_(self) -> str:
        from healthcover.display import composed_html
        return composed_html(self)

    # --- per-category settings of the secondary scheme ---------------------------------
    def _per_category(self, path: str, default: Any) -> list[Any]:
        s = self.secondary
        if not s.has(path):
            return [default] * len(s.categories)
        out = []
        for c in s.categories:
            leaf = s.leaf(path, category=c)
            if leaf is None:
                out.append(None)
            elif not leaf.usable:
                raise s.not_stated_error(s.param(path), s.cell_key(s.param(path), {"category": c}), leaf)
            else:
                out.append(leaf.value)
        return out

    def adjudicate(self, claims: pd.DataFrame, persons: pd.DataFrame | None = None) -> pd.DataFrame:
        """Basic scheme, then the secondary payer on what it leaves, per claim in input order.

        Returns the basic scheme's columns (``eligible_cost, deductible, rate, fund_paid,
        limit_reason``) with its out of pocket as ``basic_oop``, then ``secondary_category``
        (the identity applied), ``secondary_base``, ``secondary_paid``, ``secondary_reason``
        (see :data:`REASONS`) and the final ``oop``. ``fund_paid + secondary_paid + oop == cost``
        (plus ``account_paid`` where the basic scheme has a personal account that pays claims: it
        pays before the secondary payer).

        ``persons`` (or ``claims`` without persons) carries the secondary category column; an
        optional claims column ``secondary_excluded`` (True: e.g. veterans Art. 24, care abroad,
        self-harm, a liable third party) stops the secondary payment; ``pension_annual`` gives the
        annual pension or subsidy standard for an outpatient lump sum, and the optional
        ``entitled_from`` (a date) the start of the person's entitlement: the lump sum is credited
        once a year from that year (default: the year of the person's first claim in the input).
        """
        basic = self.basic.adjudicate(claims, persons)
        n = len(claims)
        cost_f = _fen(v.money(claims, "cost", "claims"))
        fund_f = _fen(basic["fund_paid"].to_numpy())
        if "account_paid" in basic.columns:
            # The basic scheme's own personal account (Dazu Art. 14(四)1) pays before the second payer.
            fund_f = fund_f + _fen(basic["account_paid"].to_numpy())
        remainder = cost_f - fund_f
        covered = v.money(claims, "covered_cost", "claims", required=False)
        covered_rem = np.maximum((cost_f if covered is None else _fen(covered)) - fund_f, 0)
        covered_rem = np.minimum(covered_rem, remainder)

        table, table_name = (persons, "persons") if persons is not None else (claims, "claims")
        v.require_columns(table, [self.category_column], table_name,
                          f"the secondary payer {self.secondary.id} needs each person's category in it "
                          f"(empty for people it does not cover)")
        slots = self._identities(table, table_name)  # (rows of table, K) codes, -1 none
        if persons is not None:
            prow = pd.Index(persons["person_id"]).get_indexer(claims["person_id"])
            person_code = prow
        else:
            prow = np.arange(n)
            person_code = pd.factorize(claims["person_id"])[0]
        slot_claims = slots[prow]  # (n, K)

        care_i, care_u = pd.factorize(claims["care"])
        care_u = np.array([str(c) for c in care_u], dtype=object)
        care_codes = care_u[care_i]
        mapped_u = np.array([self.care_map.get(c) for c in care_u] + [None], dtype=object)
        unmapped_u = np.array([self.care_map.get(c) is None and c not in self._explicit for c in care_u] + [False])
        unmapped = unmapped_u[np.where(care_i >= 0, care_i, len(care_u))]
        has_identity = (slot_claims >= 0).any(axis=1)
        bad = np.flatnonzero(unmapped & has_identity)
        if bad.size:
            missing = list(dict.fromkeys(care_codes[bad]))
            raise HealthcoverError(
                f"claims {rows_preview(bad)}: care {allowed(repr(m) for m in missing)} of {self.basic.id} has no "
                f"counterpart in {self.secondary.id} (care types: {allowed(self.secondary.care_types)}); pass "
                f"care_map={{{missing[0]!r}: ...}} to compose (None: the secondary payer pays nothing for it)"
            )
        sec_care_u = np.array([self.secondary.care_types.index(m) if m is not None else -1 for m in mapped_u])
        sec_care = sec_care_u[np.where(care_i >= 0, care_i, len(care_u))]
        care_ok = sec_care >= 0
        fac_i, fac_u = pd.factorize(claims["facility"])
        facility = (fac_i, np.array([str(f) for f in fac_u], dtype=object))

        excluded = np.zeros(n, dtype=bool)
        if "secondary_excluded" in claims.columns:
            ex = claims["secondary_excluded"]
            good = ex.isin([True, False]).to_numpy() & ex.notna().to_numpy()
            if not good.all():
                raise HealthcoverError(
                    f"claims {rows_preview(np.flatnonzero(~good))}: secondary_excluded must be True or False"
                )
            excluded = ex.to_numpy(dtype=bool)
        basic_reason = basic["limit_reason"]
        requires_insured = bool(self.secondary.value("parameters.requires_insured")) if self.secondary.has(
            "parameters.requires_insured") else False
        not_insured = ((basic_reason.cat.codes == list(basic_reason.cat.categories).index("not_insured")).to_numpy()
                       if requires_insured else np.zeros(n, dtype=bool))

        kinds = self._per_category("parameters.requires_basic_kind", "any")
        kind_ok = np.array([k in ("any", None, self.basic.meta.kind) for k in kinds], dtype=bool)
        bases = self._per_category("parameters.base", "remainder")
        for c, b in zip(self.secondary.categories, bases):
            if b not in BASES and b is not None:
                raise HealthcoverError(
                    f"{self.secondary.file.name}: parameters.base for category {c} = {b!r}; allowed: {allowed(BASES)}"
                )
        base_is_covered = np.array([b == "covered_remainder" for b in bases], dtype=bool)

        K = slot_claims.shape[1]
        paid = np.zeros((K, n), dtype=np.int64)
        reason = np.full((K, n), _NOT_ELIGIBLE, dtype=np.int8)
        base = np.zeros((K, n), dtype=np.int64)
        for k in range(K):
            cat = slot_claims[:, k]
            has = cat >= 0
            safe = np.where(has, cat, 0)
            elig = has & care_ok & kind_ok[safe] & ~excluded & ~not_insured
            base[k] = np.where(has, np.where(base_is_covered[safe], covered_rem, remainder), 0)
            reason[k] = np.where(has & excluded, _EXCLUDED, _NOT_ELIGIBLE)
            idx = np.flatnonzero(elig)
            if not idx.size:
                continue
            p, r = self._secondary_pass(claims, idx, cat[idx], sec_care[idx], remainder[idx], base[k, idx],
                                        table, prow, facility)
            paid[k, idx] = p
            reason[k, idx] = r

        # One benefit, the highest (Art. 21): the identity paying most over the person's claims.
        if K > 1:
            owners = int(person_code.max()) + 1 if n else 0
            totals = np.stack([np.bincount(person_code, weights=paid[k], minlength=owners) for k in range(K)])
            best = np.argmax(totals, axis=0)[person_code] if n else np.zeros(0, dtype=np.int64)
        else:
            best = np.zeros(n, dtype=np.int64)
        rows = np.arange(n)
        sec_paid = paid[best, rows]
        sec_reason = reason[best, rows]
        sec_base = base[best, rows]
        chosen = slot_claims[rows, best] if n else np.zeros(0, dtype=np.int64)
        final = remainder - sec_paid
        assert (sec_paid >= 0).all() and (final >= 0).all()

        out = basic.rename(columns={"oop": "basic_oop"})
        out["secondary_category"] = pd.Categorical.from_codes(chosen, self.secondary.categories)
        out["secondary_base"] = sec_base / 100.0
        out["secondary_paid"] = sec_paid / 100.0
        out["secondary_reason"] = pd.Categorical.from_codes(sec_reason, REASONS)
        out["oop"] = final / 100.0
        return out

    def _identities(self, table: pd.DataFrame, table_name: str) -> np.ndarray:
        """(rows, K) integer codes of each row's secondary categories, primary first; -1 none.

        Each distinct cell value is parsed once (``"a; b"``, a list, or one code), so the cost is
        one factorisation per column however large the table."""
        cats = self.secondary.categories
        index = pd.Index(cats)
        cols = [self.category_column] + ([self.identities_column] if self.identities_column in table.columns else [])
        parts = []
        for col in cols:
            values = table[col]
            try:
                codes, uniques = pd.factorize(values, use_na_sentinel=True)
            except TypeError:  # lists are unhashable: key them by their text
                values = values.map(lambda x: ";".join(map(str, x)) if isinstance(x, (list, tuple, set)) else x)
                codes, uniques = pd.factorize(values, use_na_sentinel=True)
            parsed = []
            for u in uniques:
                items = list(u) if isinstance(u, (list, tuple, set)) else str(u).replace(",", ";").split(";")
                parsed.append([str(x).strip() for x in items if str(x).strip() not in ("", "nan", "None", "<NA>")])
            width = max((len(p) for p in parsed), default=0)
            for j in range(width):
                names = [p[j] if j < len(p) else None for p in parsed]
                lookup = np.array([index.get_loc(x) if x in index else (-2 if x is not None else -1) for x in names]
                                  + [-1], dtype=np.int64)
                slot = lookup[np.where(codes >= 0, codes, len(names))]
                bad = np.flatnonzero(slot == -2)
                if bad.size:
                    shown = list(dict.fromkeys(x for x in names if x is not None and x not in index))[:5]
                    raise HealthcoverError(
                        f"{table_name} {rows_preview(bad)}: {col} {allowed(repr(x) for x in shown)} is not a "
                        f"category of {self.secondary.id}; allowed: {allowed(cats)}"
                    )
                parts.append(slot)
            if width == 0:
                parts.append(np.full(len(table), -1, dtype=np.int64))
        out = np.stack(parts, axis=1)
        # a code given twice for a row counts once
        for k in range(1, out.shape[1]):
            dup = (out[:, [k]] == out[:, :k]).any(axis=1) & (out[:, k] >= 0)
            out[dup, k] = -1
        keep = (out >= 0).any(axis=0)
        keep[0] = True
        return out[:, keep]

    def _secondary_pass(self, claims, idx, cat, care, remainder, base, table, prow, facility):
        """The secondary scheme's engine on the selected claims; returns (paid fen, reason code).
        ``cat`` and ``care`` are codes of the secondary scheme's categories and care types."""
        s = self.secondary
        ncat = len(s.categories)
        # A blank the document leaves (e.g. the grades 1-6 rate) raises naming the original rows.
        for pair in np.unique(care.astype(np.int64) * ncat + cat):
            care_code, c = s.care_types[pair // ncat], s.categories[pair % ncat]
            path = f"benefits.{care_code}.rate"
            if s.has(path):
                p = s.param(path)
                key = s.cell_key(p, {"category": c, **({"facility": s.facilities[0]} if s.facilities and "facility" in p.by else {})})
                leaf = p.cells.get(key)
                if leaf is not None and not leaf.usable:
                    hit = idx[care.astype(np.int64) * ncat + cat == pair]
                    raise s.not_stated_error(p, key, leaf).with_prefix(f"claims {rows_preview(hit)} need it (secondary payer): ")
        fac_i, fac_u = facility
        sec = pd.DataFrame({
            "person_id": claims["person_id"].to_numpy()[idx],
            "date": claims["date"].to_numpy()[idx],
            "care": pd.Categorical.from_codes(care, s.care_types),
            "facility": (pd.Categorical.from_codes(fac_i[idx], fac_u) if s.facilities
                         else pd.Categorical.from_codes(np.zeros(len(idx), dtype=np.int8), [""])),
            "cost": remainder / 100.0,
            "covered_cost": base / 100.0,
            "category": pd.Categorical.from_codes(cat, s.categories),
        })
        if "benefit_year" in claims.columns:
            sec["benefit_year"] = claims["benefit_year"].to_numpy()[idx]
        try:
            r = s.adjudicate(sec)
        except HealthcoverError as exc:
            raise HealthcoverError(
                f"secondary payer {s.id} (its claims are the rows {rows_preview(idx)} of the input): {exc}"
            ) from None
        paid = _fen(r["fund_paid"].to_numpy())
        reason = r["limit_reason"].cat.codes.to_numpy().astype(np.int8)
        shares = self._per_category("parameters.outpatient_allowance_share", None)
        if ALLOWANCE_CARE in s.care_types and any(x is not None for x in shares):
            paid, capped = self._allowance(claims, idx, cat, care, paid, table, prow, shares)
            reason = np.where(capped, _ALLOWANCE, reason).astype(np.int8)
        return paid, reason

    def _allowance(self, claims, idx, cat, care, paid, table, prow, shares):
        r"""Outpatient lump sum per person and year, drawn in date order, carried forward (Art. 8).

        Each person's credits come from that person's own entitlement only: one credit a year
        (share x ``pension_annual``) from the year of ``entitled_from`` (a persons column, or a
        claims column without persons; a date) or, where it is not given, from the first year of
        the person's own claims in the input. Years before the entitlement get no credit. With
        cumulative demand :math:`C` and cumulative credits :math:`A` of one person,
        :math:`P = C - \max(0, \max_{s \le t}(C_s - A_s))` is paid so far."""
        s = self.secondary
        has_share = np.array([x is not None for x in shares], dtype=bool)
        share = np.array([float(x) if x is not None else 0.0 for x in shares])
        m = (care == s.care_types.index(ALLOWANCE_CARE)) & has_share[cat]
        if not m.any():
            return paid, np.zeros(len(idx), dtype=bool)
        table_name = "persons" if table is not claims else "claims"
        v.require_columns(
            table, ["pension_annual"], table_name,
            f"the outpatient lump sum of {s.id} is a share of each person's pension or subsidy standard: "
            "give the annual amount (DIGEST D-12: 12 x a monthly pension)",
        )
        pension = v.money(table, "pension_annual", table_name)[prow[idx[m]]]
        credit = np.floor(share[cat[m]] * pension * 100 + 0.5).astype(np.int64)
        carry = bool(s.value("parameters.outpatient_allowance_carry_forward")) if s.has(
            "parameters.outpatient_allowance_carry_forward") else False
        days = parse_dates(claims["date"], "claims", "date")
        if "benefit_year" in claims.columns:
            year_all = v.count_column(claims, "benefit_year", "claims").astype(np.int64)
        else:
            year_all = days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
        # The person's own first year: entitled_from where given, else their first claim's year.
        person_all = pd.factorize(claims["person_id"].to_numpy())[0]
        first = pd.Series(year_all).groupby(person_all).transform("min").to_numpy()
        if "entitled_from" in table.columns:
            col = table["entitled_from"]
            known = col.notna().to_numpy()
            # Missing entries fall back to the default; filled in only to keep row numbers in messages.
            d = parse_dates(col.where(known, "2000-01-01"), table_name, "entitled_from")
            start_t = d.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
            start_all = np.where(known[prow], start_t[prow], first)
        else:
            start_all = first
        year, start, person = year_all[idx], start_all[idx], person_all[idx]
        sub = np.flatnonzero(m)
        order = np.lexsort((sub, days[idx][sub], year[sub], person[sub]))
        o = sub[order]
        since = year[o] - start[o]  # whole years of entitlement before this claim's year
        group = person[o] if carry else person[o] * 10_000 + year[o]
        demand = pd.Series(paid[o])
        cum = demand.groupby(group).cumsum().to_numpy()
        credits = credit[order] * np.where(since >= 0, (since + 1) if carry else 1, 0)
        lost = np.maximum(pd.Series(cum - credits).groupby(group).cummax().to_numpy(), 0)
        total = cum - lost
        prev = pd.Series(total).groupby(group).shift(1, fill_value=0).to_numpy()
        new = total - prev
        out = paid.copy()
        out[o] = new
        capped = np.zeros(len(idx), dtype=bool)
        capped[o] = new < paid[o]
        return out, capped


# --- the veterans' measures (seed 003 §3) ------------------------------------------------------


def _per_person(scheme: Scheme, path: str, persons: pd.DataFrame, column: str, hint: str) -> pd.Series:
    v.require_columns(persons, ["person_id", "category"], "persons")
    cat = v.codes(persons["category"], scheme.categories, "persons", "category", f"category of {scheme.id}")
    share = np.zeros(len(scheme.categories))
    has = np.zeros(len(scheme.categories), dtype=bool)
    for i, c in enumerate(scheme.categories):
        leaf = scheme.leaf(path, category=c)
        if leaf is not None:
            share[i] = float(scheme.value(path, category=c))
            has[i] = True
    out = np.zeros(len(persons))
    if has[cat].any():
        v.require_columns(persons, [column], "persons", hint)
        amount = v.money(persons, column, "persons")
        out = np.where(has[cat], np.floor(share[cat] * amount * 100 + 0.5) / 100, 0.0)
    return pd.Series(out, index=persons.index)


def outpatient_allowance(persons: pd.DataFrame, scheme: Scheme | str = "veterans-medical-subsidy") -> pd.Series:
    r"""Annual outpatient lump sum per person (veterans Art. 8): share x annual pension standard.

    .. math:: a = s \times \text{pension\_annual}, \quad s \ge 10\%

    Source: seed 003 §3 Art. 8 (L127), 「按不低于其抚恤补助标准的10%补助,包干使用,超支不补,
    结余转下年度使用」. ``pension_annual`` is the annual amount (D-12: a monthly pension of 500
    gives 600 a year, not 50). Persons in categories without the lump sum get 0.
    """
    scheme = _load(scheme, "scheme")
    return _per_person(scheme, "parameters.outpatient_allowance_share", persons, "pension_annual",
                       "the lump sum is a share of the annual pension or subsidy standard (D-12)")


def red_army_funding(persons: pd.DataFrame, scheme: Scheme | str = "veterans-medical-subsidy") -> pd.Series:
    r"""Provincial funding per person of the Art. 9 groups: 8% of last year's provincial average wage.

    .. math:: F = 0.08 \times \bar w_{t-1}

    Source: seed 003 §3 Art. 9 (L129), 「人均按上年度全省社会平均工资8%标准筹集,由省财政预算
    安排,按年划拨」. ``average_wage`` is the previous year's provincial average wage; other
    categories get 0.
    """
    scheme = _load(scheme, "scheme")
    return _per_person(scheme, "fund.red_army_funding_share", persons, "average_wage",
                       "the funding is a share of the previous year's provincial average wage")


# --- Xiangzhou medical assistance (seed 003 §5) --------------------------------------------------


def assistance_route(
    amounts: Sequence[float] | np.ndarray | pd.Series,
    scheme: Scheme | str = "xiangzhou-resident",
    *,
    group_threshold: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    r"""Who reviews and approves a case of medical assistance, by its annual cumulative amount.

    Xiangzhou (seed 003 §5, 三(三)2, L279): from 15,000 (inclusive) the district civil affairs
    bureau reviews and the district leading group approves; above 20,000 or from 30,000
    "depending on the target group" the district group reviews first and the city group decides.

    .. math::

        \text{route}(x) = \begin{cases}
            \text{city} & x > 20000 \ (\text{lower}) \ \text{or}\ x \ge 30000 \ (\text{upper}) \\
            \text{district} & x \ge 15000 \\
            \text{not stated} & x < 15000
        \end{cases}

    Which group has which threshold is not stated (D-13): give ``group_threshold`` ("lower" or
    "upper", one for all or one per case) or load the scheme with the reading
    ``readings.city_threshold_group``. It is needed only for amounts strictly between 20,000
    and 30,000, where the two thresholds disagree; other amounts route the same under both.
    Who approves below 15,000 is not stated either; such cases are labelled so.
    """
    scheme = _load(scheme, "scheme")
    x = pd.to_numeric(pd.Series(amounts), errors="coerce").to_numpy(dtype=float)
    bad = np.flatnonzero(~np.isfinite(x) | (x < 0))
    if bad.size:
        raise HealthcoverError(
            f"assistance_route: amounts {rows_preview(bad)} = {list(np.asarray(amounts, dtype=object)[bad[:5]])} "
            "not allowed; allowed: an annual assistance amount in yuan >= 0"
        )
    a = scheme.param("parameters.assistance.district_threshold")
    district = float(scheme.value("parameters.assistance.district_threshold"))
    lower = float(scheme.value("parameters.assistance.city_threshold_lower"))
    upper = float(scheme.value("parameters.assistance.city_threshold_upper"))
    n = len(x)
    ambiguous = (x > lower) & (x < upper)
    if group_threshold is None:
        leaf = scheme.leaf("parameters.assistance.city_threshold_group")
        if leaf is not None and leaf.usable:
            g = np.full(n, leaf.value, dtype=object)
        else:
            g = np.full(n, None, dtype=object)
            if ambiguous.any():
                p = scheme.param("parameters.assistance.city_threshold_group")
                err = scheme.not_stated_error(p, (), leaf)
                raise HealthcoverError(
                    f"assistance_route: amounts {rows_preview(np.flatnonzero(ambiguous))}: between "
                    f"{lower:,.0f} and {upper:,.0f} the route depends on the target group: {err}; "
                    "or pass group_threshold='lower' or 'upper' (per case: a list)"
                )
    else:
        g = np.asarray([group_threshold] * n if isinstance(group_threshold, str) else list(group_threshold), dtype=object)
        if len(g) != n:
            raise HealthcoverError(
                f"assistance_route: group_threshold has {len(g)} values for {n} amounts; give one, or one per case"
            )
        wrong = np.flatnonzero(~np.isin(g.astype(str), ["lower", "upper"]))
        if wrong.size:
            raise HealthcoverError(
                f"assistance_route: group_threshold {rows_preview(wrong)} = {g[wrong[0]]!r}; allowed: lower, upper"
            )
    city = np.where(g == "upper", x >= upper, x > lower)
    city = np.where(pd.isna(g), x >= upper, city)  # only unambiguous amounts reach here without g
    route = np.where(city, "city", np.where(x >= district, "district", "not_stated"))
    # Who reviews and approves by route (the scheme file's, L279); below 15,000 it is not stated.
    v = lambda name: scheme.value(f"parameters.assistance.{name}")  # noqa: E731
    reviewer = np.array(["not stated", v("district_reviewer"), v("city_reviewer")], dtype=object)
    approver = np.array(["not stated", v("district_approver"), v("city_approver")], dtype=object)
    code = np.select([route == "district", route == "city"], [1, 2], 0)
    return pd.DataFrame({
        "amount": x,
        "group_threshold": g,
        "route": route,
        "reviewer": reviewer[code],
        "approver": approver[code],
        "citation": a.source.cite(),
    }, index=amounts.index if isinstance(amounts, pd.Series) else None)


def migrant_assistance_fund(migrants, scheme: Scheme | str = "xiangzhou-resident"):
    r"""Migrant workers' medical-assistance fund a year: 20 yuan per insured migrant worker.

    .. math:: M = 20 \times N_{\text{migrants insured}}

    Source: seed 003 §5, 三(三)3 (L281), 「财政按参加重大疾病医疗保险或城镇职工(城乡居民)基本
    医疗保险的外来工人数以每人每年20元的标准划拨外来工医疗救助金」. ``migrants`` is a count (or
    an array of counts) of migrant workers in the major-disease or basic schemes.
    """
    scheme = _load(scheme, "scheme")
    n = np.asarray(migrants, dtype=float)
    if not np.isfinite(n).all() or (n < 0).any() or (n != np.floor(n)).any():
        raise HealthcoverError(
            f"migrant_assistance_fund: migrants = {migrants!r}; allowed: a whole number of people >= 0"
        )
    out = n * float(scheme.value("parameters.assistance.migrant_fund_per_head"))
    return float(out) if out.ndim == 0 else out
