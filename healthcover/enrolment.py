r"""Enrolment rules that are neither a contribution nor a claim payment: a household's choice of
financing tier (Dazu Art. 16).

Dazu residents enrol by household; every member of a household chooses the same tier, and the
tier, once chosen, may not change within two years (seed 004 §4 Art. 16(一), L279:
「家庭中符合参保条件的所有成员须选择同一档筹资水平参保,选择档次一经确定,两年内不得变更」).
Students registered outside the county enrol through their school (Art. 16(二), L281) and are
outside the household rule. The tier is the scheme's variant (``tier1``, ``tier2``), so a
population whose households chose tiers is adjudicated variant by variant; this module checks
that the choices themselves follow the rule.

With the household's tier :math:`t_y` in year :math:`y` and its choice years
:math:`c_0 < c_1 < \dots` (the first year observed, and every year the tier differs from the
year before), a change at :math:`c_{k+1}` is allowed only if :math:`c_{k+1} - c_k \ge L`
(:math:`L` = ``parameters.tier_lock_years``, 2).
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from healthcover import checks as v
from healthcover.errors import HealthcoverError, allowed, rows_preview
from healthcover.scheme import Scheme, load_scheme

__all__ = ["TIER_COLUMNS", "tier_choices"]

#: Columns of :func:`tier_choices`' result.
TIER_COLUMNS = ["household_id", "year", "tier", "members", "same_tier", "chosen", "years_held", "allowed",
                "reason", "citation"]


def _scheme(scheme: Any) -> Scheme:
    if isinstance(scheme, Scheme):
        return scheme
    if isinstance(scheme, str) or hasattr(scheme, "__fspath__"):
        return load_scheme(scheme)
    raise HealthcoverError(f"tier_choices: scheme must be a Scheme or a scheme id; received {type(scheme).__name__}")


def tier_choices(enrolment: pd.DataFrame, scheme: Scheme | str = "dazu-resident", *,
                 errors: str = "report") -> pd.DataFrame:
    """Check households' tier choices against the household and two-year rules, per household-year.

    Parameters
    ----------
    enrolment : one row per person and year: ``household_id``, ``person_id``, ``year`` (the
        benefit year, a whole number), ``tier`` (a variant of the scheme) and, to exempt people
        enrolled through their school, ``category``.
    scheme : a scheme with ``parameters.tier_lock_years`` (default Dazu).
    errors : ``"report"`` returns the table; ``"raise"`` raises a
        :class:`~healthcover.HealthcoverError` naming the first household-years that break a rule.

    Returns
    -------
    DataFrame with one row per household and year: ``household_id``, ``year``, ``tier`` (the
    household's tier; the first member's where they differ), ``members``, ``same_tier``,
    ``chosen`` (a year the tier is chosen: the first observed or a change), ``years_held`` (years
    since the previous choice, at a change), ``allowed``, ``reason`` (``""``,
    ``"members in different tiers"`` or ``"changed within N years"``) and ``citation``.

    Examples
    --------
    >>> import pandas as pd
    >>> e = pd.DataFrame({"household_id": 1, "person_id": [1, 2, 1, 2], "year": [2024, 2024, 2025, 2025],
    ...                   "tier": ["tier1", "tier1", "tier2", "tier2"]})
    >>> tier_choices(e)[["year", "allowed", "reason"]].values.tolist()
    [[2024, True, ''], [2025, False, 'changed within 2 years']]
    """
    s = _scheme(scheme)
    if errors not in ("report", "raise"):
        raise HealthcoverError(f"tier_choices: errors = {errors!r}; allowed: report, raise")
    v.frame(enrolment, "enrolment")
    v.require_columns(enrolment, ["household_id", "person_id", "year", "tier"], "enrolment")
    for col in ("household_id", "person_id", "tier"):
        missing = np.flatnonzero(enrolment[col].isna().to_numpy())
        if missing.size:
            raise HealthcoverError(f"enrolment {rows_preview(missing)}: {col} is missing; every row needs one")
    year = v.count_column(enrolment, "year", "enrolment", maximum=2200, why="benefit year")
    tier = enrolment["tier"].astype(str)
    bad = np.flatnonzero(~tier.isin(s.variants).to_numpy())
    if bad.size:
        raise HealthcoverError(f"enrolment {rows_preview(bad)}: tier {tier.iloc[bad[0]]!r} is not a tier of {s.id}; "
                               f"allowed: {allowed(s.variants)}")
    lock_path = "parameters.tier_lock_years"
    lock = float(s.value(lock_path))
    cite = s.citation(lock_path)
    same_cite = s.citation("parameters.household_same_tier") if s.has("parameters.household_same_tier") else cite
    exempt = list(s.value("parameters.tier_choice_exempt")) if s.has("parameters.tier_choice_exempt") else []
    keep = np.ones(len(enrolment), dtype=bool)
    if exempt and "category" in enrolment.columns:
        keep = ~enrolment["category"].astype(str).isin(exempt).to_numpy()
    dup = enrolment.loc[keep].duplicated(["person_id", "year"], keep=False).to_numpy()
    if dup.any():
        rows = np.flatnonzero(keep)[dup]
        raise HealthcoverError(f"enrolment {rows_preview(rows)}: a person appears twice in one year; allowed: one row "
                               "per person and year")
    df = pd.DataFrame({"household_id": enrolment["household_id"].to_numpy()[keep], "year": year[keep],
                       "tier": tier.to_numpy()[keep]})
    g = df.groupby(["household_id", "year"], sort=True)
    hy = g.agg(tier=("tier", "first"), members=("tier", "size"), tiers=("tier", "nunique")).reset_index()
    hy["same_tier"] = hy.pop("tiers") == 1
    # Choice years: the first year observed and each year whose tier differs from the previous one.
    prev_tier = hy.groupby("household_id")["tier"].shift(1)
    first = prev_tier.isna().to_numpy()
    hy["chosen"] = first | (hy["tier"].to_numpy() != prev_tier.to_numpy())
    choice_year = pd.Series(np.where(hy["chosen"], hy["year"], np.nan)).groupby(hy["household_id"].to_numpy()).ffill()
    last_choice = choice_year.groupby(hy["household_id"].to_numpy()).shift(1).to_numpy()
    change = hy["chosen"].to_numpy() & ~first
    held = np.where(change, hy["year"].to_numpy() - last_choice, np.nan)
    hy["years_held"] = held
    too_soon = change & (held < lock)
    hy["allowed"] = hy["same_tier"].to_numpy() & ~too_soon
    n_years = f"{lock:g}"
    hy["reason"] = np.where(~hy["same_tier"], "members in different tiers",
                            np.where(too_soon, f"changed within {n_years} years", ""))
    hy["citation"] = np.where(~hy["same_tier"], same_cite, cite)
    out = hy[TIER_COLUMNS].reset_index(drop=True)
    if errors == "raise" and not out["allowed"].all():
        bad = out[~out["allowed"]].head(5)
        shown = "; ".join(f"household {r.household_id} in {r.year}: {r.reason}" for r in bad.itertuples())
        raise HealthcoverError(f"tier_choices: {shown} ({bad['citation'].iloc[0]})")
    return out
