"""The claims engine: every cell of Dazu's inpatient tables, error messages, and invariants."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

import healthcover as hc

# Dazu Art. 23(一)2 and 23(二)2 (seed 004, L317-L407), cell by cell as printed in the document.
DEDUCTIBLE = {"township": 30, "central_township": 100, "county": 200, "above_county": 1000}
RATE = {
    ("tier1", "adult"): {"township": 0.60, "central_township": 0.55, "county": 0.40, "above_county": 0.25},
    ("tier1", "minor"): {"township": 0.60, "central_township": 0.55, "county": 0.40, "above_county": 0.25},
    ("tier2", "adult"): {"township": 0.70, "central_township": 0.65, "county": 0.50, "above_county": 0.35},
    ("tier2", "minor"): {"township": 0.75, "central_township": 0.70, "county": 0.55, "above_county": 0.40},
}
LIMIT = {("tier1", "adult"): 30000, ("tier1", "minor"): 30000, ("tier2", "adult"): 60000, ("tier2", "minor"): 72000}


def one(person_cat="adult", cost=10000.0, facility="county", care="inpatient", **extra):
    persons = pd.DataFrame({"person_id": [1], "category": [person_cat], **{k: [v] for k, v in extra.items()}})
    claims = pd.DataFrame({"person_id": [1], "date": ["2024-05-01"], "care": [care], "facility": [facility], "cost": [cost]})
    return persons, claims


@pytest.mark.parametrize("tier, cls", list(RATE))
@pytest.mark.parametrize("facility", list(DEDUCTIBLE))
def test_every_dazu_inpatient_cell(tier, cls, facility):
    s = hc.load_scheme("dazu-resident", variant=tier)
    persons, claims = one(cls, cost=12345.67, facility=facility)
    r = s.adjudicate(claims, persons).iloc[0]
    expected = round((12345.67 - DEDUCTIBLE[facility]) * RATE[(tier, cls)][facility], 2)
    assert r.deductible == DEDUCTIBLE[facility]
    assert r.fund_paid == pytest.approx(expected, abs=0.005)
    assert r.fund_paid + r.oop == 12345.67


@pytest.mark.parametrize("tier, cls", list(LIMIT))
def test_every_dazu_annual_limit(tier, cls):
    s = hc.load_scheme("dazu-resident", variant=tier)
    persons = pd.DataFrame({"person_id": [1], "category": [cls]})
    claims = pd.DataFrame({"person_id": 1, "date": pd.date_range("2024-01-01", periods=4, freq="MS"),
                           "care": "inpatient", "facility": "above_county", "cost": 200000.0})
    r = s.adjudicate(claims, persons)
    assert r.fund_paid.sum() == LIMIT[(tier, cls)]
    assert r.limit_reason.iloc[-1] == "annual_limit"


def test_limit_resets_each_calendar_year():
    s = hc.load_scheme("dazu-resident", variant="tier1")
    persons = pd.DataFrame({"person_id": [1], "category": ["adult"]})
    claims = pd.DataFrame({"person_id": 1, "date": ["2024-12-30", "2025-01-02"], "care": "inpatient",
                           "facility": "above_county", "cost": 200000.0})
    assert s.adjudicate(claims, persons).fund_paid.tolist() == [30000, 30000]


def test_household_outpatient_account_is_shared():
    s = hc.load_scheme("dazu-resident", variant="tier2", overrides={"benefits.general_outpatient.rate": 1.0})
    persons = pd.DataFrame({"person_id": [1, 2, 3], "category": ["adult", "adult", "minor"], "household_id": [9, 9, 8]})
    claims = pd.DataFrame({"person_id": [1, 1, 3], "date": ["2024-01-01", "2024-02-01", "2024-01-01"],
                           "care": "general_outpatient", "facility": "township", "cost": [60.0, 50.0, 70.0]})
    r = s.adjudicate(claims, persons)
    # Household 9 has 2 x 40 = 80 to share; household 8 has 40.
    assert r.fund_paid.tolist() == [60, 20, 40]


def test_not_stated_rate_demands_an_assumption():
    s = hc.load_scheme("dazu-resident", variant="tier2")
    persons, claims = one(care="general_outpatient", cost=30, facility="township")
    with pytest.raises(hc.HealthcoverError, match=r"benefits\.general_outpatient\.rate .*not stated.*overrides="):
        s.adjudicate(claims, persons)


def test_override_outside_range_quotes_the_document():
    with pytest.raises(hc.HealthcoverError, match=r"outside the document's at most 3 .*004, Art\. 23\(四\)2.*精神病人"):
        hc.load_scheme("dazu-resident", overrides={"parameters.psychiatric_inpatient_max_months": 4})
    s = hc.load_scheme("dazu-resident", overrides={"parameters.psychiatric_inpatient_max_months": 4}, allow_out_of_range=True)
    row = s.parameter_table().set_index("parameter").loc["parameters.psychiatric_inpatient_max_months"]
    assert row.outside_document and row.value == 4


def test_reform_override_changes_payment():
    s = hc.load_scheme("dazu-resident", variant="tier2", overrides={"benefits.inpatient.deductible.county": 100})
    persons, claims = one()
    assert s.adjudicate(claims, persons).fund_paid.iloc[0] == 4950


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda p, c: (p, c.assign(facility="clinic")), r"claims row 0: facility 'clinic' is not a facility of dazu-resident; allowed: township, central_township, county, above_county"),
        (lambda p, c: (p, c.assign(care="dental")), r"claims row 0: care 'dental' is not a care type of dazu-resident; allowed: inpatient"),
        (lambda p, c: (p.assign(category="retiree"), c), r"persons row 0: category 'retiree' is not a category of dazu-resident; allowed: adult, minor"),
        (lambda p, c: (p, c.assign(cost=-5.0)), r"claims row 0: cost -5.0 is negative; allowed: an amount in yuan >= 0"),
        (lambda p, c: (p, c.assign(cost=np.nan)), r"claims row 0: cost nan is missing or not a number"),
        (lambda p, c: (p, c.drop(columns="facility")), r"claims is missing column\(s\) facility; it has person_id, date, care, cost"),
        (lambda p, c: (pd.concat([p, p]), c), r"persons rows 0, 1: duplicate person_id 1; each person_id must appear once"),
        (lambda p, c: (p, c.assign(person_id=2)), r"claims row 0: person_id \[2\] is not in persons"),
        (lambda p, c: (p, c.assign(date="someday")), r"claims row 0: date 'someday' is missing or not a date"),
        (lambda p, c: (p, c.assign(covered_cost=20000.0)), r"claims row 0: covered_cost is above cost"),
    ],
)
def test_bad_input_is_named(mutate, message):
    s = hc.load_scheme("dazu-resident")
    persons, claims = mutate(*one())
    with pytest.raises(hc.HealthcoverError, match=message):
        s.adjudicate(claims, persons)


def test_unknown_scheme_and_variant():
    with pytest.raises(hc.HealthcoverError, match=r"unknown scheme 'dazu'; bundled schemes: .*dazu-resident"):
        hc.load_scheme("dazu")
    with pytest.raises(hc.HealthcoverError, match=r"unknown variant 'tier3' of scheme dazu-resident; allowed: tier1, tier2"):
        hc.load_scheme("dazu-resident", variant="tier3")


def test_claims_without_persons_carry_category():
    s = hc.load_scheme("dazu-resident")
    _, claims = one()
    r = s.adjudicate(claims.assign(category="adult"))
    assert r.fund_paid.iloc[0] == 4900
    with pytest.raises(hc.HealthcoverError, match="without a persons table, claims need a category column"):
        s.adjudicate(claims)


def test_ties_on_the_same_day_keep_input_order():
    s = hc.load_scheme("dazu-resident", variant="tier1")
    persons = pd.DataFrame({"person_id": [1], "category": ["adult"]})
    claims = pd.DataFrame({"person_id": 1, "date": "2024-03-01", "care": "inpatient", "facility": "above_county",
                           "cost": [100000.0, 100000.0]})
    assert s.adjudicate(claims, persons).fund_paid.tolist() == [24750, 5250]


# --- invariants, on random populations ----------------------------------------------------

FACS = list(DEDUCTIBLE)
CARES = ["inpatient", "special_outpatient", "chronic_outpatient", "tb_outpatient", "maternity_antenatal", "maternity_delivery"]

claim_rows = st.lists(
    st.tuples(
        st.integers(0, 4),  # person
        st.integers(0, 500),  # day
        st.sampled_from(CARES),
        st.sampled_from(FACS),
        st.decimals(min_value=0, max_value=300000, places=2),
        st.floats(0, 1),  # covered share
        st.floats(0, 1),  # special-exam share of covered
    ),
    min_size=1, max_size=40,
)


def _frame(rows, cats):
    persons = pd.DataFrame({"person_id": range(5), "category": cats,
                            "years_enrolled": [1, 3, 5, 9, 12]})
    cost = np.array([float(r[4]) for r in rows])
    covered = np.round(cost * np.array([r[5] for r in rows]), 2)
    claims = pd.DataFrame({
        "person_id": [r[0] for r in rows],
        "date": pd.Timestamp("2024-01-01") + pd.to_timedelta([r[1] for r in rows], unit="D"),
        "care": [r[2] for r in rows], "facility": [r[3] for r in rows], "cost": cost,
        "covered_cost": covered, "special_exam_cost": np.round(covered * np.array([r[6] for r in rows]), 2),
    })
    return persons, claims


@settings(max_examples=150, deadline=None)
@given(rows=claim_rows, tier=st.sampled_from(["tier1", "tier2"]),
       cats=st.lists(st.sampled_from(["adult", "minor", "urban_special", "rural_dibao_minor"]), min_size=5, max_size=5))
def test_invariants(rows, tier, cats):
    s = hc.load_scheme("dazu-resident", variant=tier)
    persons, claims = _frame(rows, cats)
    r = s.adjudicate(claims, persons)
    # Tier 1's urban special-subsidy account pays part of the patient's share (Art. 14(四)1).
    account = r["account_paid"] if "account_paid" in r else 0.0
    assert (r.fund_paid >= 0).all() and (r.oop >= 0).all() and np.all(np.asarray(account) >= 0)
    assert np.all(np.abs(r.fund_paid + account + r.oop - claims.cost) < 1e-6)
    assert np.allclose(r.fund_paid * 100, np.round(r.fund_paid * 100), atol=1e-6)  # whole fen
    assert (r.fund_paid <= claims.covered_cost + 1e-9).all()
    # Per person-year, the merged inpatient/special limit is never exceeded.
    year = claims.date.dt.year
    main = claims.care.isin(["inpatient", "special_outpatient"])
    per = r.fund_paid[main].groupby([claims.person_id[main], year[main]]).sum()
    lim = {p: LIMIT[(tier, "minor" if "minor" in c else "adult")] for p, c in zip(persons.person_id, persons.category)}
    for (pid, _), total in per.items():
        assert total <= lim[pid] + 1e-9


@settings(max_examples=100, deadline=None)
@given(rows=claim_rows, tier=st.sampled_from(["tier1", "tier2"]), bump=st.integers(1, 500000),
       which=st.integers(0, 39), cat=st.sampled_from(["adult", "minor"]))
def test_monotone_in_cost(rows, tier, bump, which, cat):
    s = hc.load_scheme("dazu-resident", variant=tier)
    persons, claims = _frame(rows, [cat] * 5)
    claims = claims.assign(covered_cost=claims.cost, special_exam_cost=0.0)
    base = s.adjudicate(claims, persons)
    i = which % len(claims)
    more = claims.copy()
    more.loc[i, ["cost", "covered_cost"]] = claims.loc[i, "cost"] + bump / 100
    after = s.adjudicate(more, persons)
    # The claim that grew is paid no less, and the patient pays no less, in total.
    assert after.fund_paid.iloc[i] >= base.fund_paid.iloc[i] - 1e-9
    assert after.fund_paid.groupby(claims.person_id).sum().ge(base.fund_paid.groupby(claims.person_id).sum() - 1e-9).all()
    assert after.oop.sum() >= base.oop.sum() - 1e-9


def test_cost_cap_basis_through_an_inline_scheme(tmp_path):
    """Jilin-style limits cap cumulative eligible cost (DIGEST D-01): (min(60,000, 45,000) - 600) x 60%."""
    text = (hc.schemes.load.list_scheme_files()["dazu-resident"]).read_text(encoding="utf-8")
    text = text.replace("      value: fund\n    annual_limit_pool:\n      description: Care types sharing",
                        "      value: cost\n    annual_limit_pool:\n      description: Care types sharing", 1)
    f = tmp_path / "dazu-resident.yaml"
    f.write_text(text, encoding="utf-8")
    s = hc.load_scheme(f, variant="tier2", allow_out_of_range=True, overrides={
        "benefits.inpatient.deductible.county": 600, "benefits.inpatient.rate.adult.county": 0.6,
        "benefits.inpatient.annual_limit.adult": 45000, "benefits.special_outpatient.annual_limit_basis": "cost"})
    persons, claims = one(cost=60000)
    r = s.adjudicate(claims, persons).iloc[0]
    assert r.fund_paid == 26640 and r.oop == 33360 and r.limit_reason == "annual_limit"


BANDED = """
id: banded-test
kind: resident
title: {zh: 分段测试, en: Banded test}
jurisdiction: {zh: 测试, en: Test}
source: {doc: "001", article: "(五)3"}
categories:
  adult: {zh: 成年人, en: Adult}
facilities:
  county: {zh: 县级, en: County}
care:
  inpatient: {zh: 住院, en: Inpatient}
  special_outpatient: {zh: 门诊大病, en: Outpatient major disease}
benefits:
  inpatient:
    deductible: {description: d, unit: CNY, source: {doc: "001", article: "(五)2"}, value: 600}
    bands:
      description: Three cost bands over the amount above the deductible (DIGEST D-03 example)
      unit: "[upper CNY, share]"
      source: {doc: "001", article: "(五)3", quote: 費用分段不得超過3段}
      value: [[10000, 0.4], [30000, 0.6], [null, 0.7]]
    annual_limit: {description: L, unit: CNY, source: {doc: "001", article: "(五)2"}, value: 45000}
    annual_limit_basis: {description: b, unit: code, source: {doc: "001", article: "(五)2"}, value: cost}
    annual_limit_pool: {description: p, unit: code, source: {doc: "001", article: "(五)2"}, value: main}
  special_outpatient:
    deductible: {description: d, unit: CNY, source: {doc: "001", article: "(五)2"}, value: 600}
    deductible_frequency: {description: f, unit: code, source: {doc: "001", article: "(五)2", quote: 門診大病一個年度內只設一次起付標準}, value: per_year}
    rate: {description: r, unit: share, source: {doc: "001", article: "(五)3"}, value: 0.5}
    annual_limit: {description: L, unit: CNY, source: {doc: "001", article: "(五)2"}, value: 45000}
    annual_limit_basis: {description: b, unit: code, source: {doc: "001", article: "(五)2"}, value: cost}
    annual_limit_pool: {description: p, unit: code, source: {doc: "001", article: "(五)2"}, value: main}
"""


@pytest.fixture(scope="module")
def banded(tmp_path_factory):
    f = tmp_path_factory.mktemp("schemes") / "banded-test.yaml"
    f.write_text(BANDED, encoding="utf-8")
    return hc.load_scheme(f)


def test_three_bands(banded):
    persons = pd.DataFrame({"person_id": [1], "category": ["adult"]})
    claims = pd.DataFrame({"person_id": [1], "date": ["2024-01-01"], "care": ["inpatient"], "facility": ["county"], "cost": [40000.0]})
    # 10,000 x 40% + 20,000 x 60% + 9,400 x 70%
    assert banded.adjudicate(claims, persons).fund_paid.iloc[0] == 22580


def test_cost_cap_with_bands_and_yearly_outpatient_deductible(banded):
    persons = pd.DataFrame({"person_id": [1], "category": ["adult"]})
    claims = pd.DataFrame({"person_id": 1, "date": ["2024-01-01", "2024-02-01", "2024-03-01", "2024-04-01"],
                           "care": ["inpatient", "special_outpatient", "special_outpatient", "inpatient"],
                           "facility": "county", "cost": [30000.0, 500.0, 5000.0, 20000.0]})
    r = banded.adjudicate(claims, persons)
    # 29,400 through bands 1-2; the outpatient deductible of 600 is met once (500, then 100 more);
    # the last admission counts only the 45,000 - 35,500 = 9,500 left under the cost limit.
    assert r.deductible.tolist() == [600, 500, 100, 600]
    assert r.fund_paid.tolist() == [10000 * 0.4 + 19400 * 0.6, 0, 2450, 8900 * 0.4]
    assert r.limit_reason.tolist()[-1] == "annual_limit"


@settings(max_examples=100, deadline=None)
@given(rows=st.lists(st.tuples(st.integers(0, 2), st.integers(0, 700), st.sampled_from(["inpatient", "special_outpatient"]),
                               st.decimals(min_value=0, max_value=80000, places=2)), min_size=1, max_size=30))
def test_cost_cap_invariants(banded, rows):
    persons = pd.DataFrame({"person_id": [0, 1, 2], "category": "adult"})
    claims = pd.DataFrame({"person_id": [r[0] for r in rows],
                           "date": pd.Timestamp("2024-01-01") + pd.to_timedelta([r[1] for r in rows], unit="D"),
                           "care": [r[2] for r in rows], "facility": "county", "cost": [float(r[3]) for r in rows]})
    r = banded.adjudicate(claims, persons)
    assert (r.fund_paid >= 0).all() and (r.oop >= 0).all()
    assert np.all(np.abs(r.fund_paid + r.oop - claims.cost) < 1e-6)
    # The cost counted per person-year never exceeds the limit, so the fund never pays more
    # than the highest band rate times it.
    per = r.fund_paid.groupby([claims.person_id, claims.date.dt.year]).sum()
    assert (per <= 0.7 * 45000 + 1e-6).all()


def test_eligibility_window_by_claim_date():
    """A 3-month waiting period after payment (Jilin (五)2) or a lapse (Dazu Art. 19)."""
    s = hc.load_scheme("dazu-resident", variant="tier2")
    persons = pd.DataFrame({"person_id": [1, 2], "category": "adult",
                            "eligible_from": ["2024-04-01", None], "eligible_to": [None, "2024-02-29"]})
    claims = pd.DataFrame({"person_id": [1, 1, 2, 2], "date": ["2024-03-31", "2024-04-01", "2024-02-29", "2024-03-01"],
                           "care": "inpatient", "facility": "county", "cost": 10000.0})
    r = s.adjudicate(claims, persons)
    assert r.fund_paid.tolist() == [0, 4900, 4900, 0]
    assert r.limit_reason.astype(str).tolist() == ["not_insured", "none", "none", "not_insured"]
    with pytest.raises(hc.HealthcoverError, match=r"persons row 0: eligible_from 'soon' is missing or not a date"):
        s.adjudicate(claims, persons.assign(eligible_from=["soon", None]))


def test_contributions_with_a_blank_give_nan_only_where_needed():
    import warnings
    s = hc.load_scheme("dazu-resident", variant="tier1")
    persons = pd.DataFrame({"person_id": [1, 2], "category": ["adult", "rural_wubao"]})
    with pytest.raises(hc.HealthcoverError, match="subsidy_special_level"):
        s.contributions(persons)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        c = s.contributions(persons, missing="nan")
    assert "contributions.subsidy_special_level" in str(caught[0].message)
    assert c.individual.tolist() == [20, 0]
    # The paying level of the wubao's 20 is blank, so the level columns are NaN; the totals the
    # document fixes are not (issue 12 item 3: 100 = 80 universal + 20 special).
    assert c.subsidy_local.isna().tolist() == [False, True] and c.total.tolist() == [100, 100]
    assert c.subsidy_total.tolist() == [80, 100]


def test_payment_curve_by_facility():
    s = hc.load_scheme("dazu-resident", variant="tier2")
    curve = s.payment_curve([0, 100, 10000, 200000], category="adult")
    county = curve[curve.facility == "county"].set_index("cost").fund_paid
    assert county.tolist() == [0, 0, 4900, 60000]  # deductible 200, rate 50%, limit 60,000
    assert len(curve) == 16 and np.isnan(curve.fund_share.iloc[0])


def test_detail_shows_what_the_annual_limit_withheld(banded):
    s = hc.load_scheme("dazu-resident", variant="tier1")
    persons, claims = one(cost=150000.0, facility="above_county")
    r = s.adjudicate(claims, persons, detail=True).iloc[0]
    assert r.fund_before_limit == 37250 and r.fund_paid == 30000 and r.fund_shortfall == 7250
    assert r.above_limit_cost == 29000  # 7,250 withheld at 25%
    claims = pd.DataFrame({"person_id": [1], "date": ["2024-01-01"], "care": ["inpatient"], "facility": ["county"], "cost": [60000.0]})
    r = banded.adjudicate(claims, pd.DataFrame({"person_id": [1], "category": ["adult"]}), detail=True).iloc[0]
    assert r.above_limit_cost == 15000  # 60,000 - 45,000 left uncounted by the cost limit


def test_personal_account_carried_forward_when_a_scheme_says_so():
    """Dazu's special-subsidy account is valid for the year (当年有效, L267); with the
    carry-forward switched on (a reform), 2024's unused 20 adds to 2025's 50."""
    persons = pd.DataFrame({"person_id": [1], "category": ["urban_special"]})
    claims = pd.DataFrame({"person_id": 1, "care": "chronic_outpatient", "facility": "township",
                           "date": ["2024-03-01", "2025-03-01"], "cost": [60.0, 400.0]})
    year_only = hc.load_scheme("dazu-resident", variant="tier1").adjudicate(claims, persons)
    assert year_only.account_paid.tolist() == [30, 50]  # the person bears 30, then 200
    carried = hc.load_scheme("dazu-resident", variant="tier1",
                             overrides={"parameters.personal_account_carry_forward": True}).adjudicate(claims, persons)
    assert carried.account_paid.tolist() == [30, 70]
    assert (carried.fund_paid + carried.account_paid + carried.oop == claims.cost).all()


def test_stay_days_are_needed_only_where_a_stay_limit_applies():
    s = hc.load_scheme("dazu-resident", variant="tier2")
    persons = pd.DataFrame({"person_id": [1], "category": ["adult"]})
    claims = pd.DataFrame({"person_id": 1, "date": ["2024-03-01", "2024-04-01"], "care": ["inpatient", "psychiatric_inpatient"],
                           "facility": "county", "cost": 5000.0, "stay_days": [np.nan, 30]})
    assert s.adjudicate(claims, persons).fund_paid.tolist() == [2400, 2400]
    with pytest.raises(hc.HealthcoverError, match=r"claims row 1: stay_days -3.0 is not allowed; allowed: a whole number "
                                                    r"from 0 to 73200 \(days of stay\)"):
        s.adjudicate(claims.assign(stay_days=[np.nan, -3]), persons)
    with pytest.raises(hc.HealthcoverError, match=r"claims row 0: out_of_county .* allowed: True or False"):
        s.adjudicate(claims.assign(out_of_county=["yes", False]), persons)
