"""A person's payments depend on their own claims alone (issue 12 item 1).

For every bundled scheme and variant that adjudicates claims, and for every basic scheme composed
with the veterans' medical subsidy (the secondary payer), a random household adjudicated alone
gets exactly the per-claim results it gets inside a random population: annual limits, once-a-year
deductibles, repeat-admission deductibles, stay limits, carried-forward accounts, the special-subsidy
account and the veterans' lump sum all accumulate over the owner's own claims (a person's, or the
household's where a limit is the household's).

Blanks the documents leave are filled with assumptions (any value in the rule's domain will do:
the property holds for every value); the rates and limits are otherwise the documents'.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import healthcover as hc
from healthcover.schemes.load import rule_spec
from healthcover.schemes.model import CODE, COUNT, FACTORS, FLAG, MONEY, NON_NEGATIVE, SHARE
from healthcover.secondary import compose

VET = "veterans-medical-subsidy"


def _assumptions(s: hc.Scheme) -> dict:
    """An override for every blank benefit cell the engine may need (bands excepted: the rate
    applies without them; wage-linked amounts excepted: the shares apply)."""
    out = {}
    for path, p in s.parameters.items():
        parts = path.split(".")
        if parts[0] not in ("benefits", "parameters"):
            continue
        spec = rule_spec(path)
        if spec is None or not spec.engine:
            continue
        rule = parts[-1]
        if rule == "bands":
            continue
        if parts[0] == "benefits" and rule in ("deductible", "annual_limit"):
            share = f"benefits.{parts[1]}.{'deductible_share_of_average_wage' if rule == 'deductible' else 'annual_limit_multiple_of_average_wage'}"
            if s.has(share):
                continue
        for key, leaf in p.cells.items():
            if leaf.usable:
                continue
            value = {SHARE: 0.6, MONEY: 20_000.0 if "limit" in rule else 300.0, NON_NEGATIVE: 1.0, COUNT: 60,
                     FLAG: True, FACTORS: [1.0, 0.5]}.get(spec.domain)
            if spec.domain == CODE:
                value = spec.default if spec.default is not None else (spec.options[0] if spec.options else None)
            if value is None:
                continue
            out[".".join((path,) + tuple(key))] = value
    return out


def _load(sid: str, variant: str | None) -> hc.Scheme:
    s = hc.load_scheme(sid, variant=variant)
    fill = _assumptions(s)
    return s.with_overrides(fill, allow_out_of_range=True) if fill else s


CASES = [(sid, v) for sid in hc.list_schemes() for v in (hc.load_scheme(sid).variants or [None])
         if hc.load_scheme(sid, variant=v).care_types]


@st.composite
def populations(draw, s: hc.Scheme, secondary: hc.Scheme | None = None):
    n_hh = draw(st.integers(1, 4))
    persons = []
    pid = 0
    for h in range(n_hh):
        for _ in range(draw(st.integers(1, 3))):
            pid += 1
            row = {
                "person_id": pid * 7 + 3,  # ids that are neither positions nor dense
                "household_id": f"h{h}",
                "category": draw(st.sampled_from(s.categories)),
                "years_enrolled": draw(st.integers(1, 12)),
                "average_wage": float(draw(st.integers(5_000, 40_000))),
                "insured": draw(st.sampled_from([True, True, True, False])),
            }
            if draw(st.booleans()):
                row["eligible_from"] = f"{draw(st.integers(2023, 2025))}-0{draw(st.integers(1, 9))}-01"
            if secondary is not None:
                row["secondary_category"] = draw(st.sampled_from(secondary.categories + [None]))
                row["pension_annual"] = float(draw(st.integers(0, 30_000)))
                if draw(st.booleans()):
                    row["entitled_from"] = f"{draw(st.integers(2022, 2025))}-06-01"
            persons.append(row)
    persons = pd.DataFrame(persons)
    if "eligible_from" not in persons:
        persons["eligible_from"] = None
    if secondary is not None and "entitled_from" not in persons:
        persons["entitled_from"] = None
    n = draw(st.integers(1, 25))
    facilities = s.facilities or [""]
    rows = []
    for i in range(n):
        cost = draw(st.integers(0, 12_000_000)) / 100
        covered = round(cost * draw(st.sampled_from([1.0, 1.0, 0.8, 0.5])), 2)
        rows.append({
            "person_id": int(persons.person_id.iloc[draw(st.integers(0, len(persons) - 1))]),
            "date": pd.Timestamp("2023-01-01") + pd.Timedelta(days=draw(st.integers(0, 3 * 365))),
            "care": draw(st.sampled_from(s.care_types)),
            "facility": draw(st.sampled_from(facilities)),
            "cost": cost,
            "covered_cost": covered,
            "special_exam_cost": round(covered * draw(st.sampled_from([0.0, 0.0, 0.3])), 2),
            "stay_days": draw(st.integers(0, 80)),
            "out_of_county": draw(st.sampled_from([False, False, True])),
            "claim_seq": i,
        })
    claims = pd.DataFrame(rows)
    claims.index = pd.Index(draw(st.permutations(range(100, 100 + n))), name="claim")
    household = draw(st.sampled_from(sorted(persons.household_id.unique())))
    return persons, claims, household


def _alone(persons, claims, household):
    who = persons[persons.household_id == household]
    return who, claims[claims.person_id.isin(who.person_id)]


def _same(run, persons, claims, household):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", hc.HealthcoverWarning)
        whole = run(claims, persons)
        who, mine = _alone(persons, claims, household)
        if mine.empty:
            return
        alone = run(mine, who)
    pd.testing.assert_frame_equal(whole.loc[mine.index], alone, check_exact=True)


@pytest.mark.parametrize("sid, variant", CASES, ids=[f"{sid}-{v}" if v else sid for sid, v in CASES])
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_a_household_alone_is_paid_as_inside_a_population(sid, variant, data):
    s = _load(sid, variant)
    persons, claims, household = data.draw(populations(s))
    _same(s.adjudicate, persons, claims, household)


BASICS = [(sid, v) for sid, v in CASES if hc.load_scheme(sid).meta.kind != "secondary"]


def _care_map(basic: hc.Scheme, secondary: hc.Scheme) -> dict:
    out = {}
    for c in basic.care_types:
        ends = [x for x in secondary.care_types if c == x or c.endswith("_" + x)]
        out[c] = ends[0] if ends else None
    return out


@pytest.mark.parametrize("sid, variant", BASICS, ids=[f"{sid}-{v}" if v else sid for sid, v in BASICS])
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_a_household_alone_is_paid_as_inside_a_population_with_a_secondary_payer(sid, variant, data):
    basic = _load(sid, variant)
    secondary = _load(VET, None)
    both = compose(basic, secondary, care_map=_care_map(basic, secondary))
    persons, claims, household = data.draw(populations(basic, secondary))
    _same(both.adjudicate, persons, claims, household)


def test_the_property_catches_a_lump_sum_that_looks_at_other_people():
    """The old rule (credits from the earliest claim year of the whole input) fails the property:
    person 1's 2026 claim got three years of credit inside a population whose other member claimed
    in 2024. Checked here with the data of tests/test_veterans.py."""
    dazu = hc.load_scheme("dazu-resident", variant="tier2")
    persons = pd.DataFrame({"person_id": [1, 2], "household_id": ["a", "b"], "category": "adult",
                            "secondary_category": "martyr_survivor", "pension_annual": 6000.0})
    claims = pd.DataFrame({"person_id": [1, 2, 2], "care": "chronic_outpatient", "facility": "county",
                           "date": ["2026-05-01", "2024-02-01", "2026-03-01"], "cost": [4000.0, 100.0, 100.0]})
    _same(compose(dazu, VET).adjudicate, persons, claims, "a")
    whole = compose(dazu, VET).adjudicate(claims, persons)
    assert whole.secondary_paid.iloc[0] == 600
    assert np.isfinite(whole.oop).all()
