"""The inputs issue 12's rules read, fuzzed: any value gives a result or a HealthcoverError naming
the column, never a raw exception or NaN in money.

Columns: ``stay_days`` and ``out_of_county`` (claims), ``average_wage`` (wage-linked amounts),
``age`` and ``pension`` (personal accounts), ``entitled_from`` (the veterans' lump sum), and the
enrolment table of :func:`healthcover.enrolment.tier_choices`.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import healthcover as hc
from healthcover.enrolment import tier_choices
from healthcover.secondary import compose

ANY = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12), st.sampled_from(["2024-02-30", "20240230", "2025-01-01", "1e3", "", "NaN"]),
)
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _ok_or_named(run, column):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", hc.HealthcoverWarning)
        try:
            out = run()
        except hc.HealthcoverError as exc:
            assert column in str(exc), str(exc)
            return None
    money = [c for c in ("fund_paid", "oop", "account_paid", "secondary_paid", "personal_account", "total")
             if c in out.columns]
    for c in money:
        assert np.isfinite(out[c].to_numpy(dtype=float)).all() or c in ("personal_account", "total"), c
    return out


@FUZZ
@given(values=st.lists(ANY, min_size=2, max_size=2), away=st.lists(ANY, min_size=2, max_size=2))
def test_stay_days_and_out_of_county(values, away):
    s = hc.load_scheme("dazu-resident", variant="tier2")
    persons = pd.DataFrame({"person_id": [1], "category": ["adult"]})
    claims = pd.DataFrame({"person_id": 1, "date": ["2024-03-01", "2024-04-01"], "care": "psychiatric_inpatient",
                           "facility": "county", "cost": 5000.0, "stay_days": pd.Series(values, dtype=object)})
    out = _ok_or_named(lambda: s.adjudicate(claims, persons), "stay_days")
    if out is not None:
        assert (out.fund_paid + out.oop == claims.cost).all()
    claims = claims.assign(stay_days=10, out_of_county=pd.Series(away, dtype=object))
    _ok_or_named(lambda: s.adjudicate(claims, persons), "out_of_county")


@FUZZ
@given(wage=ANY)
def test_average_wage(wage):
    s = hc.load_scheme("liaoning-employee-1999", overrides={"benefits.inpatient.rate": 0.9})
    persons = pd.DataFrame({"person_id": [1], "category": ["employee"], "average_wage": pd.Series([wage], dtype=object)})
    claims = pd.DataFrame({"person_id": [1], "date": ["1999-11-01"], "care": ["inpatient"], "facility": ["-"],
                           "cost": [60000.0]})
    out = _ok_or_named(lambda: s.adjudicate(claims, persons), "average_wage")
    if out is not None:
        assert 0 <= out.fund_paid.item() <= 60000


@FUZZ
@given(age=ANY, pension=ANY)
def test_age_and_pension(age, pension):
    s = hc.load_scheme("bazhou-employee", overrides={
        "contributions.rate_employer.employee": 0.06, "contributions.rate_employer.retiree": 0,
        "contributions.personal_account_share_employer_by_age.employee": [[30, 0.2], [45, 0.3], [None, 0.4]],
        "contributions.personal_account_share_of_pension.retiree": 0.04})
    persons = pd.DataFrame({"person_id": [1, 2], "category": ["employee", "retiree"], "wage": 20000.0,
                            "average_wage": 20000.0, "age": pd.Series([age, 70], dtype=object),
                            "pension": pd.Series([0.0, pension], dtype=object)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", hc.HealthcoverWarning)
        try:
            out = s.contributions(persons)
        except hc.HealthcoverError as exc:
            assert "age" in str(exc) or "pension" in str(exc), str(exc)
            return
    assert np.isfinite(out["personal_account"]).all() and (out["personal_account"] >= 0).all()


@FUZZ
@given(entitled=ANY)
def test_entitled_from(entitled):
    both = compose(hc.load_scheme("dazu-resident", variant="tier2"), "veterans-medical-subsidy")
    persons = pd.DataFrame({"person_id": [1], "category": ["adult"], "secondary_category": ["martyr_survivor"],
                            "pension_annual": [6000.0], "entitled_from": pd.Series([entitled], dtype=object)})
    claims = pd.DataFrame({"person_id": [1], "date": ["2024-06-01"], "care": ["chronic_outpatient"],
                           "facility": ["county"], "cost": [2000.0]})
    out = _ok_or_named(lambda: both.adjudicate(claims, persons), "entitled_from")
    if out is not None:
        assert out.fund_paid.item() + out.secondary_paid.item() + out.oop.item() == 2000


@FUZZ
@given(rows=st.lists(st.tuples(st.sampled_from([1, 2, None]), st.integers(1, 4), ANY, ANY), min_size=1, max_size=8))
def test_tier_choices(rows):
    enrolment = pd.DataFrame({"household_id": [r[0] for r in rows], "person_id": [r[1] for r in rows],
                              "year": pd.Series([r[2] for r in rows], dtype=object),
                              "tier": pd.Series([r[3] for r in rows], dtype=object)})
    try:
        out = tier_choices(enrolment)
    except hc.HealthcoverError as exc:
        assert any(c in str(exc) for c in ("household_id", "year", "tier", "person")), str(exc)
        return
    assert out["allowed"].dtype == bool and set(out["tier"]) <= {"tier1", "tier2"}
