r"""Check a local scheme design against a guideline's minimum standards.

A guideline (``kind: guideline``, e.g. the Zhejiang urban resident pilot guidance, seed 003 §4)
sets floors and ceilings rather than a computable scheme. :func:`check_design` evaluates a
design's contributions (and, given reference schemes and episodes, its benefits) against them:

.. math::

    \text{financing}_c &\ge F_g \quad &\text{(minors: at least 80 yuan a year)} \\
    S_i &\ge \tfrac13 T_i \ \forall i \quad\text{or}\quad \textstyle\sum_i S_i \ge \tfrac13 \sum_i T_i
        &\text{(subsidy floor, per person or in aggregate: D-26)} \\
    A_i &\le 0 &\text{(pooled fund only, no personal accounts)} \\
    I_i &= 0 &\text{(disabled unable to work, dibao: the government pays)} \\
    \frac{\sum_e f^{design}_e}{\sum_e c_e} &\ge \frac{\sum_e f^{ref}_e}{\sum_e c_e}
        \quad\text{or}\quad f^{design}_e \ge f^{ref}_e\ \forall e &\text{(benefits not below NCMS)}

with :math:`T` the financing standard (total contribution), :math:`S` all government subsidies,
:math:`A` the personal account, :math:`I` the individual contribution, :math:`f` the fund's payment
on episode :math:`e` of cost :math:`c`. Money comparisons allow half a fen.

A provincial rule on a local design's *average* fund rate (Jilin (五)3, L86: 「平均支付比例不低于50%」,
70% for students and children) is checked by :func:`average_rate` on a reference population's
claims: by default (reading ``average_rate = realised_ratio``)

.. math:: \bar r_g = \frac{\sum_{i \in g} f_i}{\sum_{i \in g} (e_i - d_i - a_i)} \ \ge\ \underline r_g

the cost-weighted ratio of what the fund pays to the eligible cost between the deductible and
the ceiling (:math:`e` eligible cost, :math:`d` deductible, :math:`a` eligible cost above the
annual limit), over the claims of the care types the floor covers, for each group :math:`g`
with its own floor (adults, students and children); ``covered_ratio`` divides by the whole
eligible cost and ``simple_mean`` averages the rates the design sets (each level's rate, or each
band's rate) without claims (DIGEST D-03).

The rules are read from the guideline file's parameters (their values, bounds and citations):
``parameters.financing_floor`` (by category), ``parameters.subsidy_share_floor`` with
``parameters.subsidy_floor_basis``, ``parameters.personal_account``,
``parameters.individual_paid_by_government`` (by category), ``parameters.benefit_floor`` with
``parameters.benefit_floor_basis``, ``parameters.benefit_ceiling`` and
``parameters.average_rate_floor`` (by category or a category attribute, with
``parameters.average_rate_care`` and the reading ``average_rate``). A guideline without one of
them simply has no such rule; an override of the guideline (e.g. a stricter floor) is used as is.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from healthcover.errors import HealthcoverError, allowed
from healthcover.schemes.model import AT_LEAST, AT_MOST
from healthcover.scheme import Scheme, load_scheme

__all__ = ["RULES", "AVERAGE_METHODS", "average_rate", "check_design"]

#: Rules :func:`check_design` knows, by the guideline parameter that states them.
RULES = {
    "financing_floor": "parameters.financing_floor",
    "subsidy_share_floor": "parameters.subsidy_share_floor",
    "personal_account": "parameters.personal_account",
    "individual_paid_by_government": "parameters.individual_paid_by_government",
    "benefit_floor": "parameters.benefit_floor",
    "benefit_ceiling": "parameters.benefit_ceiling",
    "average_rate_floor": "parameters.average_rate_floor",
}
#: How an average fund rate is measured (the options of a guideline's reading ``average_rate``).
AVERAGE_METHODS = ("realised_ratio", "covered_ratio", "simple_mean")
COLUMNS = ["rule", "category", "guideline_category", "comparison", "required", "actual", "passes",
           "citation", "note"]
TOL = 0.005  # half a fen


def _scheme(s: Scheme | str, overrides: Mapping[str, Any] | None, name: str) -> Scheme:
    if isinstance(s, Scheme):
        if overrides:
            raise HealthcoverError(
                f"check_design: overrides apply when {name} is given by id; {name} is already a loaded "
                f"Scheme ({s.id}): load it with the overrides instead"
            )
        return s
    if isinstance(s, str) or hasattr(s, "__fspath__"):
        return load_scheme(s, overrides=overrides)
    raise HealthcoverError(f"check_design: {name} must be a Scheme or a scheme id; received {type(s).__name__}")


def _groups(design: Scheme, guideline: Scheme, groups: Mapping[str, str] | None) -> dict[str, str | None]:
    """Design category -> guideline category (None: only the rules for everyone apply)."""
    out: dict[str, str | None] = {c: (c if c in guideline.categories else None) for c in design.categories}
    if groups:
        bad_keys = [k for k in groups if k not in design.categories]
        if bad_keys:
            raise HealthcoverError(
                f"check_design: groups key {bad_keys[0]!r} is not a category of the design {design.id}; "
                f"allowed: {allowed(design.categories)}"
            )
        bad_vals = [v for v in groups.values() if v is not None and v not in guideline.categories]
        if bad_vals:
            raise HealthcoverError(
                f"check_design: groups value {bad_vals[0]!r} is not a category of the guideline {guideline.id}; "
                f"allowed: {allowed(guideline.categories)}"
            )
        out.update(groups)
    return out


def _row(rule, category, gcat, comparison, required, actual, passes, citation, note=""):
    return {"rule": rule, "category": category, "guideline_category": gcat, "comparison": comparison,
            "required": required, "actual": actual, "passes": passes, "citation": citation, "note": note}


def _compare(actual: float, comparison: str, required: float) -> bool:
    if comparison == ">=":
        return bool(actual >= required - TOL)
    if comparison == "<=":
        return bool(actual <= required + TOL)
    return bool(abs(actual - required) <= TOL)


def _bound(leaf) -> str:
    return "<=" if leaf.kind == AT_MOST else (">=" if leaf.kind == AT_LEAST else "==")


def check_design(
    design: Scheme | str,
    against: Scheme | str = "zhejiang-resident-pilot",
    *,
    groups: Mapping[str, str | None] | None = None,
    persons: pd.DataFrame | None = None,
    reference: Scheme | str | None = None,
    ceiling: Scheme | str | None = None,
    episodes: pd.DataFrame | None = None,
    reference_episodes: pd.DataFrame | None = None,
    ceiling_episodes: pd.DataFrame | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Check a local design against a guideline's minimum standards, one row per rule and category.

    Parameters
    ----------
    design : the local scheme (a :class:`~healthcover.Scheme` or a bundled id / file path).
    against : the guideline (default the Zhejiang pilot guidance, seed 003 §4).
    groups : design category -> guideline category (e.g. ``{"student": "minor"}``); same-named
        codes map themselves. Unmapped categories get only the rules for everyone.
    persons : the design's persons for :meth:`Scheme.contributions` (``person_id``, ``category``
        and whatever the design needs); default one person per design category. With the
        aggregate reading of the subsidy floor they stand for the insured population.
    reference, ceiling : the local NCMS scheme (benefit floor) and the local employee scheme
        (ceiling of the protection level). Without them the rule is listed as not checked.
    episodes : claims coded for the design (with ``category`` or matching ``persons``), the
        standard set of episodes the protection levels are compared on, and the reference
        population's claims an average fund rate is measured on (:func:`average_rate`).
    reference_episodes, ceiling_episodes : the same episodes coded for the reference and ceiling
        schemes, row for row, where their codes differ (default: ``episodes``).
    overrides : overrides of the guideline when ``against`` is an id, e.g.
        ``{"readings.subsidy_floor_basis": "aggregate"}``.

    Returns
    -------
    DataFrame with ``rule, category, guideline_category, comparison, required, actual, passes,
    citation, note``; ``passes`` is a nullable boolean, missing where the guideline leaves the
    value open or a reference was not given.

    Examples
    --------
    >>> import healthcover as hc
    >>> from healthcover.constraints import check_design
    >>> t = check_design("dazu-resident", groups={"minor": "minor"})   # doctest: +SKIP
    """
    guideline = _scheme(against, overrides, "against")
    design = _scheme(design, None, "design")
    known = [r for r, p in RULES.items() if guideline.has(p)]
    if not known:
        raise HealthcoverError(
            f"check_design: {guideline.id} has none of the rules check_design reads "
            f"({allowed(RULES.values())})"
        )
    gmap = _groups(design, guideline, groups)
    if persons is None:
        persons = pd.DataFrame({"person_id": np.arange(len(design.categories)), "category": design.categories})
    contrib = design.contributions(persons)
    cats = persons["category"].astype(str).to_numpy()
    rows: list[dict] = []
    present = [c for c in design.categories if (cats == c).any()]

    if "financing_floor" in known:
        path = RULES["financing_floor"]
        for c in present:
            g = gmap[c]
            if g is None:
                continue
            leaf = guideline.leaf(path, category=g)
            if leaf is None:
                continue
            cite = guideline.citation(path, category=g)
            total = contrib["total"].to_numpy()[cats == c]
            if not leaf.usable:
                rows.append(_row("financing_floor", c, g, "", np.nan, float(total.min()), pd.NA, cite,
                                 leaf.note or "not stated in the guideline"))
                continue
            comp = _bound(leaf)
            actual = float(total.min() if comp == ">=" else total.max())
            rows.append(_row("financing_floor", c, g, comp, float(leaf.value), actual,
                             _compare(actual, comp, float(leaf.value)), cite))

    if "subsidy_share_floor" in known:
        path = RULES["subsidy_share_floor"]
        share = float(guideline.value(path))
        basis = guideline.value("parameters.subsidy_floor_basis") if guideline.has("parameters.subsidy_floor_basis") else "per_person"
        cite = guideline.citation(path)
        total = contrib["total"].to_numpy()
        subsidy = contrib["subsidy_total"].to_numpy()
        if basis == "per_person":
            for c in present:
                m = cats == c
                ok = subsidy[m] >= share * total[m] - TOL
                with np.errstate(invalid="ignore", divide="ignore"):
                    ratio = np.where(total[m] > 0, subsidy[m] / total[m], np.nan)
                worst = float(np.nanmin(ratio)) if np.isfinite(ratio).any() else np.nan
                rows.append(_row("subsidy_share_floor", c, gmap[c], ">=", share, worst, bool(ok.all()), cite,
                                 "per person (D-26 (a)): each person's subsidy / financing standard"))
        elif basis == "aggregate":
            tot, sub = float(total.sum()), float(subsidy.sum())
            ratio = sub / tot if tot > 0 else np.nan
            rows.append(_row("subsidy_share_floor", "(all)", None, ">=", share, ratio,
                             bool(sub >= share * tot - TOL), cite,
                             "in aggregate (D-26 (b)): total subsidy / total financing over the persons given"))
        else:
            raise HealthcoverError(
                f"{guideline.file.name}: parameters.subsidy_floor_basis = {basis!r}; allowed: per_person, aggregate"
            )

    if "personal_account" in known:
        path = RULES["personal_account"]
        leaf = guideline.leaf(path)
        comp = _bound(leaf)
        pa = contrib["personal_account"].to_numpy()
        for c in present:
            actual = float(pa[cats == c].max())
            rows.append(_row("personal_account", c, gmap[c], comp, float(leaf.value), actual,
                             _compare(actual, comp, float(leaf.value)), guideline.citation(path), leaf.note or ""))

    if "individual_paid_by_government" in known:
        path = RULES["individual_paid_by_government"]
        ind = contrib["individual"].to_numpy()
        for c in present:
            g = gmap[c]
            if g is None:
                continue
            leaf = guideline.leaf(path, category=g)
            if leaf is None or not leaf.usable or not bool(leaf.value):
                continue
            actual = float(ind[cats == c].max())
            rows.append(_row("individual_paid_by_government", c, g, "==", 0.0, actual,
                             _compare(actual, "==", 0.0), guideline.citation(path, category=g),
                             "the individual contribution, which the government pays"))

    if "average_rate_floor" in known:
        rows.extend(_average_rate_rows(guideline, design, gmap, episodes, persons if episodes is not None and
                                       "category" not in episodes.columns else None))

    for rule, other, other_eps, comp in (("benefit_floor", reference, reference_episodes, ">="),
                                         ("benefit_ceiling", ceiling, ceiling_episodes, "<=")):
        if rule not in known:
            continue
        rows.extend(_benefit_rule(rule, comp, guideline, design, other, episodes, other_eps, persons))

    out = pd.DataFrame(rows, columns=COLUMNS)
    out["passes"] = out["passes"].astype("boolean")
    out["required"] = out["required"].astype(float)
    out["actual"] = out["actual"].astype(float)
    return out


def _benefit_rule(rule, comp, guideline, design, other, episodes, other_eps, persons) -> list[dict]:
    path = RULES[rule]
    cite = guideline.citation(path)
    kind = guideline.value(path)
    if other is None:
        return [_row(rule, "(all)", None, comp, np.nan, np.nan, pd.NA, cite,
                     f"not checked: give the local {kind} scheme as "
                     f"{'reference' if rule == 'benefit_floor' else 'ceiling'}= and the episodes to compare on")]
    other = _scheme(other, None, "reference" if rule == "benefit_floor" else "ceiling")
    if episodes is None:
        raise HealthcoverError(
            f"check_design: the {rule} rule compares protection levels on episodes; pass episodes= (claims "
            f"coded for {design.id}) and, if {other.id}'s codes differ, the same episodes coded for it"
        )
    other_eps = episodes if other_eps is None else other_eps
    if len(other_eps) != len(episodes):
        raise HealthcoverError(
            f"check_design: the episodes for {other.id} have {len(other_eps)} rows and those for "
            f"{design.id} {len(episodes)}; they must be the same episodes, row for row"
        )
    use_persons = persons if "category" not in episodes.columns else None
    d = design.adjudicate(episodes, use_persons)
    r = other.adjudicate(other_eps, None if "category" in other_eps.columns else persons)
    cost = episodes["cost"].to_numpy(dtype=float)
    other_cost = other_eps["cost"].to_numpy(dtype=float)
    if not np.allclose(cost, other_cost, atol=TOL):
        bad = np.flatnonzero(~np.isclose(cost, other_cost, atol=TOL))
        raise HealthcoverError(
            f"check_design: episodes rows {allowed(bad[:5])}: the cost differs between the design's and "
            f"{other.id}'s episodes; they must be the same episodes"
        )
    basis = "aggregate"
    if rule == "benefit_floor" and guideline.has("parameters.benefit_floor_basis"):
        basis = guideline.value("parameters.benefit_floor_basis")
    df, rf = d["fund_paid"].to_numpy(), r["fund_paid"].to_numpy()
    if basis == "aggregate":
        total = cost.sum()
        a, b = df.sum() / total, rf.sum() / total
        return [_row(rule, "(all)", None, comp, float(b), float(a), bool(a >= b - 1e-12) if comp == ">=" else bool(a <= b + 1e-12),
                     cite, f"fund share of total cost over {len(cost)} episodes: {design.id} vs {other.id}")]
    if basis == "per_episode":
        diff = df - rf
        worst = float(diff.min()) if comp == ">=" else float(diff.max())
        return [_row(rule, "(all)", None, comp, 0.0, worst, _compare(worst, comp, 0.0), cite,
                     f"least margin over {len(cost)} episodes of {design.id}'s payment over {other.id}'s (yuan)")]
    raise HealthcoverError(
        f"{guideline.file.name}: parameters.benefit_floor_basis = {basis!r}; allowed: aggregate, per_episode"
    )


# --- the average fund rate (Jilin (五)3) ----------------------------------------------------------


def _floor_groups(guideline: Scheme, design: Scheme, gmap: Mapping[str, str | None]) -> dict:
    """Floor cell of the guideline -> (leaf, citation, design categories sharing it)."""
    path = RULES["average_rate_floor"]
    p = guideline.param(path)
    groups: dict[tuple, list] = {}
    for c in design.categories:
        g = gmap.get(c)
        if g is None:
            continue
        key = guideline.cell_key(p, {"category": g})
        leaf = p.cells.get(key)
        if leaf is None:
            continue
        entry = groups.setdefault(key, [leaf, guideline.citation(path, category=g), []])
        entry[2].append(c)
    return groups


def _average_care(guideline: Scheme, design: Scheme) -> list[str]:
    if guideline.has("parameters.average_rate_care"):
        care = guideline.value("parameters.average_rate_care")
        care = [care] if isinstance(care, str) else list(care)
    else:
        care = list(design.care_types)
    return [c for c in care if c in design.care_types]


def _simple_mean(design: Scheme, categories: list[str], care: list[str]) -> float:
    """Mean of the rates the design sets for these categories: each facility level's rate, or
    each band's rate where bands replace it (covered cells only)."""
    rates = []
    facilities = design.facilities or [None]
    for c in care:
        for cat in categories:
            for f in facilities:
                dims = {"category": cat, **({"facility": f} if f is not None else {})}
                path = f"benefits.{c}"
                covered = design.leaf(f"{path}.covered", **dims) if design.has(f"{path}.covered") else None
                if covered is not None and covered.usable and not covered.value:
                    continue
                bands = design.leaf(f"{path}.bands", **dims) if design.has(f"{path}.bands") else None
                if bands is not None and bands.usable:
                    rates.extend(float(r) for _, r in bands.value)
                    continue
                rate = design.leaf(f"{path}.rate", **dims) if design.has(f"{path}.rate") else None
                if rate is not None and rate.usable:
                    rates.append(float(rate.value))
    return float(np.mean(rates)) if rates else np.nan


def average_rate(
    design: Scheme | str,
    claims: pd.DataFrame | None = None,
    persons: pd.DataFrame | None = None,
    *,
    method: str | None = None,
    care: list[str] | None = None,
    against: Scheme | str | None = None,
    groups: Mapping[str, str | None] | None = None,
) -> pd.DataFrame:
    """The average fund payment rate of a design, per group with its own floor, and the floor.

    Parameters
    ----------
    design : the local design (a scheme, e.g. Jilin with a city's overrides).
    claims, persons : the reference population's claims (and persons) coded for the design;
        not needed for ``method="simple_mean"``.
    method : ``realised_ratio`` (fund over the eligible cost between deductible and ceiling,
        cost-weighted), ``covered_ratio`` (fund over the whole eligible cost) or ``simple_mean``
        (the rates the design sets); default: the guideline's reading ``average_rate``.
    care : the care types averaged over (default the guideline's ``parameters.average_rate_care``).
    against : the guideline with ``parameters.average_rate_floor`` (default: the design itself,
        as for Jilin, whose file states both the defaults and the provincial rule).
    groups : design category -> guideline category, as for :func:`check_design`.

    Returns
    -------
    DataFrame with ``categories`` (the design categories sharing a floor), ``group`` (the floor's
    cell, e.g. ``benefit_class=adult``), ``method``, ``average``, ``floor``, ``passes``,
    ``claims`` (how many were averaged), ``fund_paid``, ``base`` (yuan) and ``citation``.

    Examples
    --------
    >>> import healthcover as hc
    >>> from healthcover.constraints import average_rate
    >>> city = hc.load_scheme("jilin-resident-2008", overrides={
    ...     "benefits.inpatient.bands.adult.county": [[10000, 0.4], [30000, 0.6], [None, 0.7]]})
    >>> average_rate(city, method="simple_mean").set_index("group").loc["benefit_class=adult", "passes"]
    True
    """
    design = _scheme(design, None, "design")
    guideline = design if against is None else _scheme(against, None, "against")
    if not guideline.has(RULES["average_rate_floor"]):
        raise HealthcoverError(f"average_rate: {guideline.id} has no parameters.average_rate_floor; pass against= "
                               "the guideline that states the floor")
    if method is None:
        method = guideline.reading("average_rate") if "average_rate" in guideline.readings else "realised_ratio"
    if method not in AVERAGE_METHODS:
        raise HealthcoverError(f"average_rate: method = {method!r}; allowed: {allowed(AVERAGE_METHODS)}")
    care = _average_care(guideline, design) if care is None else list(care)
    unknown = [c for c in care if c not in design.care_types]
    if unknown:
        raise HealthcoverError(f"average_rate: care {unknown[0]!r} is not a care type of {design.id}; "
                               f"allowed: {allowed(design.care_types)}")
    gmap = _groups(design, guideline, groups)
    floors = _floor_groups(guideline, design, gmap)
    result = None
    if method != "simple_mean":
        if claims is None:
            raise HealthcoverError(f"average_rate: method {method!r} measures the rate on claims; pass the reference "
                                   "population's claims (and persons), or method='simple_mean'")
        result = design.adjudicate(claims, persons, detail=True)
        cats = (persons.set_index("person_id")["category"].reindex(claims["person_id"]).to_numpy()
                if persons is not None else claims["category"].to_numpy()).astype(str)
        in_care = claims["care"].astype(str).isin(care).to_numpy()
        fund = result["fund_paid"].to_numpy()
        if method == "realised_ratio":
            base = (result["eligible_cost"] - result["deductible"] - result["above_limit_cost"]).to_numpy()
        else:
            base = result["eligible_cost"].to_numpy()
    rows = []
    for key, (leaf, cite, cats_g) in floors.items():
        group = ", ".join(f"{d}={k}" for d, k in zip(guideline.param(RULES["average_rate_floor"]).by, key)
                          if d != "variant")
        floor = float(leaf.value) if leaf.usable else np.nan
        if method == "simple_mean":
            avg, n, f_sum, b_sum = _simple_mean(design, cats_g, care), 0, np.nan, np.nan
        else:
            m = in_care & np.isin(cats, cats_g)
            n = int(m.sum())
            f_sum, b_sum = float(fund[m].sum()), float(np.maximum(base[m], 0).sum())
            avg = f_sum / b_sum if b_sum > 0 else np.nan
        passes = pd.NA if (np.isnan(avg) or np.isnan(floor)) else bool(avg >= floor - 1e-12)
        rows.append({"categories": ", ".join(cats_g), "group": group, "method": method, "average": avg,
                     "floor": floor, "passes": passes, "claims": n, "fund_paid": f_sum, "base": b_sum,
                     "citation": cite})
    out = pd.DataFrame(rows, columns=["categories", "group", "method", "average", "floor", "passes", "claims",
                                      "fund_paid", "base", "citation"])
    out["passes"] = out["passes"].astype("boolean")
    return out


def _average_rate_rows(guideline, design, gmap, episodes, persons) -> list[dict]:
    method = guideline.reading("average_rate") if "average_rate" in guideline.readings else "realised_ratio"
    path = RULES["average_rate_floor"]
    if episodes is None and method != "simple_mean":
        return [_row("average_rate_floor", "(all)", None, ">=", np.nan, np.nan, pd.NA, guideline.citation(path),
                     f"not checked: the average is measured on claims ({method}); pass episodes= (the reference "
                     "population's claims coded for the design)")]
    t = average_rate(design, episodes, persons, method=method, against=guideline, groups=gmap)
    return [_row("average_rate_floor", r.categories, r.group, ">=", r.floor, r.average, r.passes, r.citation,
                 f"{method} over {r.claims} claims" if method != "simple_mean" else "simple mean of the rates set")
            for r in t.itertuples()]
