"""Jilin 2008 resident scheme (seed 001): the file, its readings, its gaps and its rules.

The document's worked numbers are in ``tests/cases/jilin-resident-2008.yaml`` (run by
``tests/test_cases.py``); this module checks what those cases cannot: citations, bounds and
their messages, not-stated values, readings, and invariants of the cost-capped ceiling.
"""
from __future__ import annotations

import re

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import healthcover as hc

ROOT = Path(__file__).resolve().parents[1]
FILE = ROOT / "data" / "schemes" / "jilin-resident-2008.yaml"
CASES = ROOT / "tests" / "cases" / "jilin-resident-2008.yaml"
SID = "jilin-resident-2008"
CATEGORIES = ["adult", "student", "child", "dibao_student", "dibao_child", "dibao", "poor_disabled", "severely_disabled",
              "low_income_elderly"]


def _persons(*cats):
    return pd.DataFrame({"person_id": range(1, len(cats) + 1), "category": list(cats)})


def _claim(pid, date, care, facility, cost, **extra):
    return {"person_id": pid, "date": date, "care": care, "facility": facility, "cost": cost, **extra}


# --- the file --------------------------------------------------------------------------------


def test_codes_the_issue_names():
    s = hc.load_scheme(SID)
    assert s.variants == ["city", "county", "changchun"]
    assert s.categories == CATEGORIES
    assert s.facilities == ["community", "county", "city", "province"]
    assert set(s.care_types) == {"inpatient", "special_outpatient", "accident_outpatient"}
    classes = {c: code.attributes["benefit_class"] for c, code in s.meta.categories.items()}
    assert classes == {
        "adult": "adult", "student": "student", "child": "student", "dibao_student": "student",
        "dibao_child": "student", "dibao": "adult",
        "poor_disabled": "adult", "severely_disabled": "adult", "low_income_elderly": "adult",
    }






def test_cases_file_has_the_documents_examples():
    doc = yaml.safe_load(CASES.read_text(encoding="utf-8"))
    names = " | ".join(c["name"] for kind in ("claims", "contributions") for c in doc[kind])
    for tag in ("E11", "E13", "E14", "C-01", "D-01", "D-02", "D-03", "D-05", "Changchun", "every figure"):
        assert tag in names, tag


# --- contributions ---------------------------------------------------------------------------


@pytest.mark.parametrize("variant", ["city", "county", "changchun"])
def test_parts_add_up_to_the_standard(variant):
    s = hc.load_scheme(SID, variant)
    out = s.contributions(_persons(*CATEGORIES))
    standard = [s.value("contributions.standard", category=c) for c in CATEGORIES]
    np.testing.assert_allclose(out["total"], standard)
    parts = out[["individual", "subsidy_central", "subsidy_provincial", "subsidy_local"]].sum(axis=1)
    np.testing.assert_allclose(parts, out["total"])
    assert (out[["individual", "subsidy_local"]] >= 0).all().all()


@pytest.mark.parametrize("variant", ["city", "county", "changchun"])
def test_subsidy_floor_of_categories_2_and_3(variant):
    """(四)2(2)-(3): the subsidy is at least 80% of the standard (the file's default is exactly 80%)."""
    s = hc.load_scheme(SID, variant)
    cats = ["dibao", "poor_disabled", "severely_disabled"]
    out = s.contributions(_persons(*cats))
    floor = s.value("contributions.subsidy_ratio_floor", category="dibao")
    np.testing.assert_allclose(out["subsidy_total"], floor * out["total"])


def test_adult_subsidy_gap_is_recorded_with_the_reading_used():
    s = hc.load_scheme(SID)
    r = s.meta.readings["adult_subsidy_gap"]
    assert set(r.options) == {"local_tops_up", "individual_pays", "standard_reduced"}
    assert r.used == "local_tops_up" and s.reading("adult_subsidy_gap") == "local_tops_up"
    assert "code uses local_tops_up" in r.note
    # The two figures of the contradiction, both from the library.
    implied = s.contributions(_persons("adult"))["subsidy_total"].iloc[0]
    listed = hc.load_scheme(SID, overrides={"readings.adult_subsidy_gap": "individual_pays"}).contributions(
        _persons("adult"))["subsidy_total"].iloc[0]
    assert (implied, listed) == (80, 70)
    assert s.value("parameters.subsidy_2008") == listed
    assert s.value("parameters.subsidy_standard") == implied


def test_changchun_standard_is_capped_with_the_source_quoted():
    with pytest.raises(hc.HealthcoverError, match=r"at most 300 .*doc 001, \(四\)1 \(L54\)"):
        hc.load_scheme(SID, "changchun", overrides={"contributions.standard.adult": 320})
    s = hc.load_scheme(SID, "changchun", overrides={"contributions.standard.adult": 320}, allow_out_of_range=True)
    assert s.contributions(_persons("adult"))["total"].iloc[0] == 320
    assert s.parameter_table().query("parameter == 'contributions.standard' and cell == 'category=adult'")[
        "outside_document"].item()


# --- benefits: ranges, bounds, not stated ----------------------------------------------------


def test_deductible_range_rejects_a_value_outside_and_quotes_it():
    msg = r"benefits\.inpatient\.deductible\.adult\.province = 1000 is outside the document's range \[300, 900\] \(doc 001, \(五\)2 \(L78\)"
    with pytest.raises(hc.HealthcoverError, match=msg):
        hc.load_scheme(SID, overrides={"benefits.inpatient.deductible.adult.province": 1000})
    with pytest.raises(hc.HealthcoverError, match=r"range \[100, 300\]"):
        hc.load_scheme(SID, overrides={"benefits.inpatient.deductible.student.county": 50})
    with pytest.raises(hc.HealthcoverError, match=r"range \[0\.3, 0\.7\]"):
        hc.load_scheme(SID, overrides={"benefits.inpatient.rate.adult.city": 0.8})
    with pytest.raises(hc.HealthcoverError, match=r"range \[0\.5, 0\.7\]"):
        hc.load_scheme(SID, overrides={"benefits.special_outpatient.rate.adult.city": 0.45})
    # The 70% ceiling of every fund rate applies to outpatient major diseases too (L86).
    with pytest.raises(hc.HealthcoverError, match=r"special_outpatient\.rate\.adult\.city = 0\.75 is outside the "
                                                    r"document's range \[0\.5, 0\.7\] \(doc 001, \(五\)3 \(L86\)"):
        hc.load_scheme(SID, overrides={"benefits.special_outpatient.rate.adult.city": 0.75})
    with pytest.raises(hc.HealthcoverError, match=r"range \[0\.02, 0\.05\]"):
        hc.load_scheme(SID, overrides={"fund.risk_reserve_draw": 0.06})
    with pytest.raises(hc.HealthcoverError, match=r"at most 3"):
        hc.load_scheme(SID, overrides={"parameters.waiting_period_months": 4})


def test_defaults_comply_with_the_average_rule_under_both_readings():
    """D-03: every default rate is at or above the average floor, so any weighting passes."""
    s = hc.load_scheme(SID)
    for care in ("inpatient", "special_outpatient"):
        for cat in ("adult", "student"):
            floor = s.value("parameters.average_rate_floor", category=cat)
            rates = [s.value(f"benefits.{care}.rate", category=cat, facility=f) for f in s.facilities]
            assert min(rates) >= floor
    # Community care is favoured ((八)2): the highest default rate, the lowest deductible.
    rates = [s.value("benefits.inpatient.rate", category="adult", facility=f) for f in s.facilities]
    assert rates == sorted(rates, reverse=True)


def test_d03_bands_pass_the_simple_mean_but_not_the_realised_ratio():
    bands = [[10000, 0.4], [30000, 0.6], [None, 0.7]]
    s = hc.load_scheme(SID, overrides={"benefits.inpatient.bands.adult.county": bands})
    used = s.value("benefits.inpatient.bands", category="adult", facility="county")
    floor = s.value("parameters.average_rate_floor", category="adult")
    simple_mean = np.mean([r for _, r in used])
    assert simple_mean == pytest.approx(0.5667, abs=1e-4) and simple_mean >= floor  # (a) complies
    out = s.adjudicate(pd.DataFrame([_claim(1, "2008-06-01", "inpatient", "county", 5300)]), _persons("adult"))
    realised = out["fund_paid"].item() / (out["eligible_cost"].item() - out["deductible"].item())
    assert realised == pytest.approx(0.40) and realised < floor  # (b) fails
    assert len(used) <= s.value("parameters.max_cost_bands") + 2  # at most 3 bands
    with pytest.raises(hc.HealthcoverError, match="1 to 3 bands"):
        hc.load_scheme(SID, overrides={"benefits.inpatient.bands.adult.county": [[1, .3], [2, .4], [3, .5], [None, .6]]}
                       ).adjudicate(pd.DataFrame([_claim(1, "2008-06-01", "inpatient", "county", 100)]), _persons("adult"))


def test_changchun_adult_ceiling_is_not_stated():
    """C-07: the ceilings belong to the 240 and 190 standards; Changchun's adults have none."""
    s = hc.load_scheme(SID, "changchun")
    claims = pd.DataFrame([_claim(1, "2008-06-01", "inpatient", "city", 10000)])
    with pytest.raises(hc.HealthcoverError, match=r"annual_limit .*not stated in the document.*C-07"):
        s.adjudicate(claims, _persons("adult"))
    # Students have their stated 60,000; an explicit assumption makes adults computable.
    assert s.adjudicate(claims, _persons("student"))["fund_paid"].item() == (10000 - 300) * 0.75
    s2 = hc.load_scheme(SID, "changchun", overrides={"benefits.inpatient.annual_limit.adult": 50000,
                                                     "benefits.special_outpatient.annual_limit.adult": 50000})
    assert s2.adjudicate(claims, _persons("adult"))["fund_paid"].item() == (10000 - 600) * 0.55


def test_student_accident_outpatient_needs_assumptions():
    s = hc.load_scheme(SID)
    claims = pd.DataFrame([_claim(1, "2008-06-01", "accident_outpatient", "community", 800)])
    with pytest.raises(hc.HealthcoverError, match=r"accident_outpatient\.deductible .*not stated"):
        s.adjudicate(claims, _persons("student"))
    s2 = hc.load_scheme(SID, overrides={"benefits.accident_outpatient.deductible": 0,
                                        "benefits.accident_outpatient.annual_limit": 60000})
    out = s2.adjudicate(claims, _persons("student"))
    assert out["fund_paid"].item() == 800 * s2.value("benefits.accident_outpatient.rate", category="student")
    with pytest.raises(hc.HealthcoverError, match=r"range \[0\.5, 0\.9\]"):
        hc.load_scheme(SID, overrides={"benefits.accident_outpatient.rate.student": 0.95})


def test_benefit_year_may_span_two_calendar_years():
    """(五)2 L82: one deductible a year for outpatient major disease, counted in the benefit year."""
    s = hc.load_scheme(SID, "county")
    dates = pd.date_range("2008-10-05", periods=6, freq="MS") + pd.Timedelta(days=4)
    claims = pd.DataFrame([_claim(1, d, "special_outpatient", "county", 500) for d in dates])
    calendar = s.adjudicate(claims, _persons("adult"))
    benefit = s.adjudicate(claims.assign(benefit_year=2008), _persons("adult"))
    d = s.value("benefits.special_outpatient.deductible", category="adult", facility="county")
    assert benefit["deductible"].sum() == d
    assert calendar["deductible"].sum() == 2 * d


# --- the cost-capped ceiling: invariants -----------------------------------------------------

_claims_strategy = st.lists(
    st.tuples(
        st.sampled_from(["inpatient", "special_outpatient"]),
        st.sampled_from(["community", "county", "city", "province"]),
        st.integers(min_value=0, max_value=4_000_000).map(lambda f: f / 100),
        st.integers(min_value=0, max_value=364),
    ),
    min_size=1, max_size=12,
)


def _reference(claims: pd.DataFrame, s, cat: str) -> np.ndarray:
    """Fund payments by a plain loop over the text of (五)2-3: in date order, each claim's eligible
    cost occupies [before, before + cost] of the year's cumulative cost; its first D yuan are the
    deductible (per admission for inpatient care; for outpatient major disease once a year: the
    claim's level D less the year's earlier outpatient major-disease cost, reading
    special_outpatient_deductible_level); the fund pays the rate on the part above the
    deductible and below the ceiling L."""
    limit = s.value("benefits.inpatient.annual_limit", category=cat)
    order = sorted(range(len(claims)), key=lambda i: (claims["date"].iloc[i], i))
    before, special_before, paid = 0.0, 0.0, np.zeros(len(claims))
    for i in order:
        care, fac, e = claims["care"].iloc[i], claims["facility"].iloc[i], claims["cost"].iloc[i]
        D = s.value(f"benefits.{care}.deductible", category=cat, facility=fac)
        if care == "special_outpatient":
            d = min(e, max(D - special_before, 0.0))
            special_before += e
        else:
            d = min(e, D)
        x = max(0.0, min(before + e, limit) - min(before + d, limit))
        paid[i] = np.floor(round(x * 100) * s.value(f"benefits.{care}.rate", category=cat, facility=fac) + 0.5 + 1e-9) / 100
        before += e
    return paid


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=_claims_strategy, cat=st.sampled_from(CATEGORIES), variant=st.sampled_from(["city", "county"]))
def test_ceiling_caps_the_cost_counted_in_one_pool(rows, cat, variant):
    s = hc.load_scheme(SID, variant)
    start = pd.Timestamp("2008-01-01")
    claims = pd.DataFrame([_claim(1, start + pd.Timedelta(days=d), c, f, x) for c, f, x, d in rows])
    out = s.adjudicate(claims, _persons(cat))
    assert np.allclose(out["fund_paid"] + out["oop"], claims["cost"], atol=1e-9)
    assert (out["fund_paid"] >= 0).all() and (out["oop"] >= 0).all()
    np.testing.assert_allclose(out["fund_paid"], _reference(claims, s, cat), atol=0.011)
    # The cost counted above the deductibles, shared by both care types, stays under the ceiling.
    counted = (out["fund_paid"] / out["rate"].where(out["rate"] > 0)).fillna(0)
    assert counted.sum() <= s.value("benefits.inpatient.annual_limit", category=cat) + 0.01 * len(out)


@settings(max_examples=40, deadline=None)
@given(a=st.integers(0, 8_000_000), b=st.integers(0, 8_000_000), cat=st.sampled_from(CATEGORIES),
       fac=st.sampled_from(["community", "county", "city", "province"]))
def test_payment_is_monotone_in_cost(a, b, cat, fac):
    s = hc.load_scheme(SID)
    lo, hi = sorted((a / 100, b / 100))
    claims = pd.DataFrame([_claim(1, "2008-06-01", "inpatient", fac, lo), _claim(2, "2008-06-01", "inpatient", fac, hi)])
    persons = pd.DataFrame({"person_id": [1, 2], "category": [cat, cat]})
    paid = s.adjudicate(claims, persons)["fund_paid"].to_numpy()
    assert paid[0] <= paid[1]


# --- issue 12: the document's bounds on local choices ------------------------------------------


@pytest.mark.parametrize("care, cls, bands, bad", [
    ("inpatient", "adult", [[10000, 0.2], [None, 0.6]], "0.2"),
    ("inpatient", "adult", [[10000, 0.5], [None, 0.75]], "0.75"),
    ("special_outpatient", "adult", [[10000, 0.45], [None, 0.6]], "0.45"),
    ("inpatient", "student", [[10000, 0.45], [None, 0.9]], "0.45"),
    ("special_outpatient", "student", [[10000, 0.6], [None, 0.95]], "0.95"),
])
def test_band_rates_lie_in_the_rate_range(care, cls, bands, bad):
    """(五)3 L86: 「統籌基金支付比例為30%—70%」 (students 50%-90%; outpatient major disease at least
    50%) binds the rates of a city's cost bands as it binds a single rate."""
    key = f"benefits.{care}.bands.{cls}.county"
    with pytest.raises(hc.HealthcoverError, match=rf"{re.escape(key[len('benefits.'):])} = {re.escape(bad)} \(a band rate\) "
                                                   r"is outside the document's range .* \(doc 001, \(五\)3 \(L86\)"):
        hc.load_scheme(SID, overrides={key: bands})
    # Explored as a reform, it loads and pays at the band rates.
    s = hc.load_scheme(SID, overrides={key: bands}, allow_out_of_range=True)
    assert s.value(f"benefits.{care}.bands", category=cls, facility="county")[0][1] == bands[0][1]


def test_band_rates_inside_the_range_load():
    ok = [[10000, 0.4], [30000, 0.6], [None, 0.7]]  # DIGEST D-03
    s = hc.load_scheme(SID, overrides={"benefits.inpatient.bands.adult.county": ok,
                                       "benefits.special_outpatient.bands.adult.county": [[5000, 0.5], [None, 0.7]]})
    claims = pd.DataFrame([_claim(1, "2008-06-01", "inpatient", "county", 40300)])
    # (40,300 - 300) = 40,000 above the deductible: 10,000 x 40% + 20,000 x 60% + 10,000 x 70%
    assert s.adjudicate(claims, _persons("adult"))["fund_paid"].item() == 4000 + 12000 + 7000


def test_dibao_subsidy_is_a_floor_and_the_individual_share_a_ceiling():
    """(四)2(2)-(3) L60-L62 「按不低於繳費標準的80%給予補助」: the individual pays at most 20% of the
    standard (a bound, 0.2 used); an area may add to the subsidy (a smaller individual share) but
    not go below 80%, however the parts are overridden."""
    s = hc.load_scheme(SID)
    leaf = s.leaf("contributions.individual", category="dibao")
    assert leaf.kind == "share_of_total" and leaf.hi == 0.2 and leaf.value == 0.2
    assert leaf.permitted() == "share of the standard, at most 0.2"
    with pytest.raises(hc.HealthcoverError, match=r"individual\.city\.dibao = 0\.3 is outside the document's share of "
                                                    r"the standard, at most 0\.2 \(doc 001, \(四\)2\(2\), \(四\)2\(3\) \(L60-L62\)"):
        hc.load_scheme(SID, overrides={"contributions.individual.dibao": 0.3})
    richer = hc.load_scheme(SID, overrides={"contributions.individual.dibao": 0.1})
    out = richer.contributions(_persons("dibao"))
    assert (out.individual.item(), out.subsidy_local.item(), out.subsidy_total.item()) == (24, 110, 216)
    # Fixing the local part below the floor, with the individual as the residual: 70 + 36 + 50 < 192.
    with pytest.raises(hc.HealthcoverError, match=r"contributions\.subsidy_\* of category dibao add up to 156 = 65% of "
                                                    r"the standard 240, below the document's floor of 0\.8"):
        hc.load_scheme(SID, overrides={"contributions.subsidy_local.dibao": 50, "contributions.individual.dibao": "residual"})
    with pytest.raises(hc.HealthcoverError, match=r"subsidy_ratio_floor\.dibao = 0\.7 is outside the document's at least 0\.8"):
        hc.load_scheme(SID, overrides={"contributions.subsidy_ratio_floor.dibao": 0.7})
    reform = hc.load_scheme(SID, overrides={"contributions.subsidy_local.dibao": 50, "contributions.individual.dibao": "residual"},
                            allow_out_of_range=True)
    assert reform.contributions(_persons("dibao")).individual.item() == 84


def test_accident_outpatient_cover_is_for_school_students_only():
    """(五)1 L72 「參保中小學生還可享受意外傷害門診治療待遇」: school students, not children not yet at
    school (who share the students' contributions and rates); the other reading is selectable."""
    s = hc.load_scheme(SID, overrides={"benefits.accident_outpatient.deductible": 0,
                                       "benefits.accident_outpatient.annual_limit": 60000})
    claims = pd.DataFrame([_claim(p, "2008-06-01", "accident_outpatient", "community", 800) for p in (1, 2, 3, 4)])
    persons = pd.DataFrame({"person_id": [1, 2, 3, 4], "category": ["student", "child", "dibao_child", "adult"]})
    r = s.adjudicate(claims, persons)
    assert r.fund_paid.tolist() == [560, 0, 0, 0]  # 800 x 70% (the default rate)
    assert r.limit_reason.astype(str).tolist() == ["none", "not_covered", "not_covered", "not_covered"]
    wider = s.with_overrides({"readings.accident_outpatient_scope": "students_and_children"})
    assert wider.adjudicate(claims, persons).fund_paid.tolist() == [560, 560, 560, 0]
    # Children pay and are subsidised as students (學生兒童).
    c = hc.load_scheme(SID, "county").contributions(pd.DataFrame({"person_id": [1, 2], "category": ["child", "dibao_child"]}))
    assert c.individual.tolist() == [20, 10] and c.total.tolist() == [90, 90]


def test_average_rate_floor_is_checked_on_a_reference_population():
    """(五)3 L86 「平均支付比例不低于50%」 (students 70%), measured as the cost-weighted ratio of the
    fund's payment to the eligible cost between deductible and ceiling (reading realised_ratio).
    DIGEST D-03: bands 40/60/70% pass the simple mean (56.7%) but a population of small admissions
    gets about 40%. By hand, two county admissions of 5,300 and 25,300 (deductible 300): the fund
    pays 5,000 x 40% = 2,000 and 10,000 x 40% + 15,000 x 60% = 13,000: 15,000 / 30,000 = 50%."""
    from healthcover.constraints import average_rate, check_design

    bands = [[10000, 0.4], [30000, 0.6], [None, 0.7]]
    city = hc.load_scheme(SID, overrides={"benefits.inpatient.bands.adult.county": bands})
    small = pd.DataFrame([_claim(1, "2008-06-01", "inpatient", "county", 5300)])
    t = average_rate(city, small, _persons("adult")).set_index("group")
    assert t.loc["benefit_class=adult", "average"] == pytest.approx(0.40)
    assert not t.loc["benefit_class=adult", "passes"]
    assert t.loc["benefit_class=adult", "floor"] == 0.5 and "L86" in t.loc["benefit_class=adult", "citation"]
    two = pd.DataFrame([_claim(1, "2008-06-01", "inpatient", "county", 5300),
                        _claim(2, "2008-07-01", "inpatient", "county", 25300)])
    t = average_rate(city, two, _persons("adult", "adult")).set_index("group")
    assert t.loc["benefit_class=adult", "average"] == pytest.approx(0.50) and t.loc["benefit_class=adult", "passes"]
    mean = average_rate(city, method="simple_mean").set_index("group").loc["benefit_class=adult"]
    assert mean.passes  # every rate set is at least 40%, most higher
    # The file's own defaults (single rates >= the floor) pass on any claims.
    assert average_rate(hc.load_scheme(SID), small, _persons("adult")).passes.all()
    # check_design reads the floor from the guideline (Jilin's own file) and reports it.
    d = check_design(city, against=SID, episodes=small, persons=_persons("adult"))
    row = d[d.rule == "average_rate_floor"].set_index("guideline_category").loc["benefit_class=adult"]
    assert row.required == 0.5 and row.actual == pytest.approx(0.4) and not row.passes
    with pytest.raises(hc.HealthcoverError, match="measures the rate on claims"):
        average_rate(city)
