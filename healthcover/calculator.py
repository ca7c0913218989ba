"""One patient's claims in a benefit year: what the fund pays, what the patient pays and why.

The claim calculator dashboard shows these numbers; a notebook reaches the same ones::

    from healthcover.calculator import Episode, calculate
    r = calculate("dazu-resident", "tier2", "adult", [Episode("inpatient", "county", 10_000)])
    r.fund_paid, r.oop, r.breakdown, r.rules

:func:`calculate` adjudicates the episodes with the scheme's own engine (``Scheme.adjudicate``)
and splits each yuan of cost between the fund and the patient's parts, with the rules that
applied and their citations; :func:`cost_curve` gives the payment for one episode over a range
of costs; :func:`claim_schemes` lists the schemes whose default episode computes, and the
others with the reason.
"""
from __future__ import annotations

import datetime as _dt
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

import healthcover as hc
from healthcover import checks
from healthcover.schemes.model import BENEFIT_RULES

__all__ = ["BENEFIT_YEAR_START", "ClaimResult", "Episode", "calculate", "claim_schemes", "cost_curve",
           "default_episode"]

# Episodes fall in one benefit year, in the order listed (annual limits accumulate).
BENEFIT_YEAR_START = _dt.date(2024, 1, 1)

#: The benefit rules a visitor sees cited, in the engine's order (its table rules, not settings).
_RULES = tuple(r for r, spec in BENEFIT_RULES.items() if not spec.setting and r != "fund_amount")
_PARTS = (
    "part_non_covered",
    "part_special",
    "part_deductible",
    "part_copay",
    "part_above_limit",
    "part_not_reimbursed",
)


@dataclass(frozen=True)
class Episode:
    """One episode of care: care type, facility level, cost and its special-exam part."""

    care: str
    facility: str
    cost: float
    special_exam_cost: float = 0.0


@dataclass
class ClaimResult:
    """What :func:`calculate` returns; every table is a DataFrame tests can read."""

    scheme: Any
    category: str
    years_enrolled: int
    episodes: pd.DataFrame  # one row per episode: inputs and the engine's outputs
    breakdown: pd.DataFrame  # payer, component, amount (sums to the total cost)
    rules: pd.DataFrame  # rule, care, facility, value, kind, lo, hi, citation, reached

    @property
    def fund_paid(self) -> float:
        return float(self.episodes["fund_paid"].sum())

    @property
    def oop(self) -> float:
        return float(self.episodes["oop"].sum())

    @property
    def cost(self) -> float:
        return float(self.episodes["cost"].sum())


@functools.lru_cache(maxsize=32)
def _scheme(scheme_id: str, variant: str | None):
    """The scheme a claim is paid by: its file, with the cited assumptions of its population
    mapping where the document is blank (Liaoning's wage-linked deductible and ceiling and its
    rate, Xiangzhou's rate, Changchun's ceiling); listed on the page as assumptions."""
    from healthcover import data

    try:
        runnable = data.population_mapping(scheme_id).runnable
    except hc.HealthcoverError:
        runnable = False
    if runnable:
        return data.scheme_for_population(scheme_id, variant=variant, assumptions=True)[0]
    return hc.load_scheme(scheme_id, variant=variant)


def default_episode(scheme) -> Episode:
    """The episode a page opens with: an admission (or the scheme's first care type) at the
    county hospital (or its first level), costing 10,000 yuan, or the fee of a fee rule."""
    care = "inpatient" if "inpatient" in scheme.care_types else scheme.care_types[0]
    facs = scheme.facilities
    fac = ("county" if "county" in facs else facs[0]) if facs else ""
    cost = float(scheme.value("parameters.fee_per_visit")) if scheme.has("parameters.fee_per_visit") else 10_000.0
    return Episode(care, fac, cost)


@functools.lru_cache(maxsize=1)
def claim_schemes() -> tuple[dict, pd.DataFrame]:
    """``(offered, not_offered)``: the schemes whose default episode the engine pays for each
    variant (id -> bilingual title), and the others with the reason, in both languages, from
    their population mapping (a scheme without claim rules, a blank the calculator would need,
    a second payer)."""
    from healthcover import data

    offered, blocked = {}, []
    for sid in hc.list_schemes():
        try:
            base = hc.load_scheme(sid)
            reason = data.population_mapping(sid).reason or {}
        except hc.HealthcoverError:
            continue
        ok = bool(base.care_types and base.categories)
        if ok:
            try:
                for v in base.variants or [None]:
                    s = _scheme(sid, v)
                    e = default_episode(s)
                    s.adjudicate(_claims([e], s.categories[0], 1))
            except hc.HealthcoverError:
                ok = False
        if ok:
            offered[sid] = base.meta.title
        else:
            blocked.append({"scheme_id": sid, "reason_zh": reason.get("zh", ""), "reason_en": reason.get("en", "")})
    return offered, pd.DataFrame(blocked, columns=["scheme_id", "reason_zh", "reason_en"])


def _claim_schemes() -> dict:
    """The schemes the calculator offers (see :func:`claim_schemes`)."""
    return claim_schemes()[0]


def _claims(episodes: Sequence[Episode], category: str, years_enrolled: int) -> pd.DataFrame:
    n = len(episodes)
    return pd.DataFrame(
        {
            "person_id": ["p1"] * n,
            "date": [BENEFIT_YEAR_START + _dt.timedelta(days=i) for i in range(n)],
            "care": [e.care for e in episodes],
            "facility": [e.facility for e in episodes],
            # as given: the engine's input checks name a value that is not an amount
            "cost": pd.Series([e.cost for e in episodes], dtype=object),
            "special_exam_cost": pd.Series([e.special_exam_cost for e in episodes], dtype=object),
            "category": [category] * n,
            "years_enrolled": [int(years_enrolled)] * n,
        }
    )


#: The most points a cost curve is drawn with (each is a claim of its own).
MAX_POINTS = 100_000


def _years(value: Any, func: str) -> int:
    """Years of continuous enrolment: a whole number the engine's domain allows (0-150)."""
    years = checks.in_range(func, "years_enrolled", value, 0, 150)
    if years != int(years):
        raise hc.HealthcoverError(f"{func}: years_enrolled = {value!r} is not allowed; give a whole number of years")
    return int(years)


def _episodes(episodes: Any) -> list[Episode]:
    """Episodes given as :class:`Episode` or mappings with its fields; anything else is named."""
    fields = ("care", "facility", "cost", "special_exam_cost")
    if isinstance(episodes, (str, bytes, Mapping)) or not isinstance(episodes, Sequence):
        raise hc.HealthcoverError(f"calculate: episodes = {episodes!r} is not allowed; give a list of episodes, "
                                  f"each an Episode or a mapping with {', '.join(fields)}")
    out = []
    for i, e in enumerate(episodes):
        if isinstance(e, Episode):
            out.append(e)
            continue
        unknown = sorted(set(e) - set(fields)) if isinstance(e, Mapping) else None
        missing = [f for f in fields[:3] if f not in e] if isinstance(e, Mapping) else None
        if unknown is None or unknown or missing:
            raise hc.HealthcoverError(
                f"calculate: episode {i + 1} = {e!r} is not allowed; give an Episode or a mapping with "
                f"{', '.join(fields[:3])} (and optionally special_exam_cost)")
        out.append(Episode(**e))
    return out


def calculate(
    scheme_id: str,
    variant: str | None,
    category: str,
    episodes: Sequence[Episode | Mapping[str, Any]],
    years_enrolled: int = 1,
) -> ClaimResult:
    """Adjudicate one person's episodes; split and cite the result.

    ``breakdown`` splits each yuan of cost: the fund's payment, and the patient's parts
    (not covered, special-exam self-pay, below the deductible, co-payment, above the
    limit, not reimbursed at all), from the engine's own columns.
    """
    episodes = _episodes(episodes)
    years_enrolled = _years(years_enrolled, "calculate")
    if not episodes:
        raise hc.HealthcoverError("claim calculator: give at least one episode")
    scheme = _scheme(scheme_id, variant)
    claims = _claims(episodes, category, years_enrolled)
    out = scheme.adjudicate(claims, detail=True)
    # the engine accepted the amounts as given: the table carries them as numbers
    claims[["cost", "special_exam_cost"]] = claims[["cost", "special_exam_cost"]].apply(pd.to_numeric)
    table = pd.concat([claims.drop(columns=["person_id", "category", "years_enrolled"]), out], axis=1)
    table.insert(0, "episode", np.arange(1, len(table) + 1))
    return ClaimResult(
        scheme=scheme,
        category=category,
        years_enrolled=int(years_enrolled),
        episodes=table,
        breakdown=_breakdown(table),
        rules=_rules(scheme, table, category),
    )


def _breakdown(t: pd.DataFrame) -> pd.DataFrame:
    zeros = pd.Series(0.0, index=t.index)
    non_cov = t.get("non_covered", zeros)
    special = t.get("self_paid_special", zeros)
    before = t.get("fund_before_limit", t["fund_paid"])
    reimbursable = t["eligible_cost"] - t["deductible"]
    # Money is in fen: round each part so the parts add up to the cost exactly.
    parts = {
        "part_non_covered": non_cov.sum(),
        "part_special": special.sum(),
        "part_deductible": t["deductible"].sum(),
        "part_copay": (reimbursable - before).clip(lower=0).sum(),
        "part_above_limit": (before - t["fund_paid"]).clip(lower=0).sum(),
    }
    parts = {k: round(float(v), 2) for k, v in parts.items()}
    parts["part_not_reimbursed"] = round(float(t["oop"].sum()) - sum(parts.values()), 2)
    rows = [{"payer": "fund", "component": "fund_pays", "amount": round(float(t["fund_paid"].sum()), 2)}]
    rows += [{"payer": "patient", "component": k, "amount": parts[k]} for k in _PARTS]
    return pd.DataFrame(rows)


def _rules(scheme, t: pd.DataFrame, category: str) -> pd.DataFrame:
    """The parameters behind each (care, facility) used, with the value and its citation."""
    rows = []
    reached = t.groupby(["care", "facility"], sort=False)["limit_reason"].agg(lambda s: set(s.astype(str)))
    for (care, facility), reasons in reached.items():
        covered = "not_covered" not in reasons
        for rule in _RULES:
            path = f"benefits.{care}.{rule}"
            if not scheme.has(path):
                continue
            if rule == "rate" and scheme.has(f"benefits.{care}.bands"):
                continue
            leaf = scheme.leaf(path, **_dims(category, facility))
            if leaf is None:
                continue
            if rule == "covered" and covered:
                continue  # cite coverage only where it excluded the care
            if rule == "enrolment_bonus" and not leaf.value:
                continue
            extra = ""
            if rule == "deductible" and scheme.has(f"benefits.{care}.deductible_frequency"):
                extra = str(scheme.leaf(f"benefits.{care}.deductible_frequency", **_dims(category, facility)).value)
            if rule == "annual_limit" and scheme.has(f"benefits.{care}.annual_limit_basis"):
                extra = str(scheme.leaf(f"benefits.{care}.annual_limit_basis", **_dims(category, facility)).value)
            value = leaf.value
            if rule == "enrolment_bonus" and "bonus" in t.columns:
                # the bonus the engine added for these episodes, not just the flag
                here = (t["care"] == care) & (t["facility"] == facility)
                value = float(t.loc[here, "bonus"].max())
            rows.append(
                {
                    "rule": rule,
                    "care": care,
                    "facility": facility,
                    "value": value,
                    "kind": leaf.kind,
                    "lo": leaf.lo,
                    "hi": leaf.hi,
                    "extra": extra,
                    "citation": scheme.citation(path, **_dims(category, facility)),
                    "source": _source(scheme, path, **_dims(category, facility)),
                    "reached": rule == "annual_limit" and "annual_limit" in reasons
                    or rule == "per_claim_limit" and "per_claim_limit" in reasons,
                }
            )
    if (t["special_exam_cost"] > 0).any() and scheme.has("parameters.special_exam_selfpay_share"):
        leaf = scheme.leaf("parameters.special_exam_selfpay_share")
        rows.append(
            {
                "rule": "special_exam_selfpay_share",
                "care": "*",
                "facility": "*",
                "value": leaf.value,
                "kind": leaf.kind,
                "lo": leaf.lo,
                "hi": leaf.hi,
                "extra": "",
                "citation": scheme.citation("parameters.special_exam_selfpay_share"),
                "source": _source(scheme, "parameters.special_exam_selfpay_share"),
                "reached": False,
            }
        )
    return pd.DataFrame(
        rows, columns=["rule", "care", "facility", "value", "kind", "lo", "hi", "extra", "citation", "source", "reached"]
    )


def _dims(category: str, facility: str | None) -> dict[str, str]:
    """Cell coordinates of a claim; a scheme without facility levels takes none."""
    return {"category": category} | ({"facility": facility} if facility else {})


def _source(scheme, path: str, **dims: str):
    """The :class:`~healthcover.sources.Source` of a rule's cell (its own, else the rule's)."""
    p = scheme.param(path)
    try:
        leaf = p.cells.get(scheme.cell_key(p, {k: v for k, v in dims.items() if v}))
    except hc.HealthcoverError:
        leaf = None
    return leaf.source if leaf is not None and leaf.source is not None else p.source


def cost_curve(
    scheme_id: str,
    variant: str | None,
    category: str,
    care: str,
    facility: str,
    years_enrolled: int = 1,
    max_cost: float = 100_000.0,
    points: int = 81,
) -> pd.DataFrame:
    """Fund and patient payment for a single episode of each cost in ``[0, max_cost]``.

    One vectorised call: each point is a different person, so no limit carries over.
    Long form: ``cost``, ``payer`` (fund / patient), ``amount``.
    """
    max_cost = checks.positive("cost_curve", "max_cost", max_cost)
    points = checks.positive_int("cost_curve", "points", points)
    if points > MAX_POINTS:
        raise hc.HealthcoverError(f"cost_curve: points = {points} is not allowed; points must be at most {MAX_POINTS:,}")
    years_enrolled = _years(years_enrolled, "cost_curve")
    scheme = _scheme(scheme_id, variant)
    costs = np.linspace(0.0, max_cost, points).round(2)
    claims = pd.DataFrame(
        {
            "person_id": np.arange(points),
            "date": BENEFIT_YEAR_START,
            "care": care,
            "facility": facility,
            "cost": costs,
            "category": category,
            "years_enrolled": int(years_enrolled),
        }
    )
    out = scheme.adjudicate(claims)
    return pd.concat(
        [
            pd.DataFrame({"cost": costs, "payer": "fund", "amount": out["fund_paid"].to_numpy()}),
            pd.DataFrame({"cost": costs, "payer": "patient", "amount": out["oop"].to_numpy()}),
        ],
        ignore_index=True,
    )
