"""Secondary payers composed with a basic scheme: worked numbers, eligibility, errors, invariants.

Numbers come from the documents: Dazu (seed 004 §4) as the basic scheme (E01: fund 4,900 of
10,000 at a county hospital, tier 2) and the veterans' subsidy (seed 003 §3 Art. 8: martyrs'
survivors at least 80%, ...). The NCMS, employee and medical-assistance schemes written below
are test fixtures, not documents.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import healthcover as hc
from healthcover.secondary import REASONS, compose

VET = "veterans-medical-subsidy"

BASIC = """
id: {id}
kind: {kind}
title: {{zh: 测试, en: Test basic scheme (fixture)}}
jurisdiction: {{zh: 测试, en: Test}}
source: {{doc: "test", article: "fixture"}}
categories:
  member: {{zh: 参保人, en: Member}}
facilities:
  county: {{zh: 县级医院, en: County hospital}}
care:
  inpatient: {{zh: 住院, en: Inpatient}}
  outpatient: {{zh: 门诊, en: Outpatient}}
benefits:
  inpatient:
    rate: {{description: r, unit: share, source: {{doc: "test", article: "fixture"}}, value: 0.5}}
  outpatient:
    rate: {{description: r, unit: share, source: {{doc: "test", article: "fixture"}}, value: 0.0}}
"""

ASSISTANCE = """
id: {id}
kind: secondary
title: {{zh: 医疗救助(测试), en: Medical assistance (fixture)}}
jurisdiction: {{zh: 测试, en: Test}}
source: {{doc: "test", article: "fixture"}}
categories:
  dibao: {{zh: 低保, en: Dibao}}
care:
  inpatient: {{zh: 住院, en: Inpatient}}
parameters:
  base: {{description: b, unit: code, source: {{doc: "test", article: "fixture"}}, value: covered_remainder}}
benefits:
  inpatient:
    deductible: {{description: d, unit: CNY, source: {{doc: "test", article: "fixture"}}, value: 500}}
    deductible_frequency: {{description: f, unit: code, source: {{doc: "test", article: "fixture"}}, value: per_year}}
    rate: {{description: r, unit: share, source: {{doc: "test", article: "fixture"}}, value: 0.6}}
    annual_limit: {{description: l, unit: CNY, source: {{doc: "test", article: "fixture"}}, value: 10000}}
"""


def write(tmp_path, template, name, **kw):
    f = tmp_path / f"{name}.yaml"
    f.write_text(template.format(id=name, **kw), encoding="utf-8")
    return hc.load_scheme(f)


def dazu(tier="tier2"):
    return hc.load_scheme("dazu-resident", variant=tier)


def persons_of(*secondary, basic="adult", **extra):
    n = len(secondary)
    return pd.DataFrame({"person_id": np.arange(1, n + 1), "category": basic,
                         "secondary_category": list(secondary), **extra})


def claim(pid=1, cost=10000.0, care="inpatient", facility="county", date="2024-03-01", **extra):
    return {"person_id": pid, "date": date, "care": care, "facility": facility, "cost": cost, **extra}


# --- worked numbers ------------------------------------------------------------------------


def test_dazu_e01_then_martyrs_survivor():
    """E01 (fund 4,900, patient 5,100), then at least 80% of the 5,100 left (Art. 8): 4,080."""
    r = compose(dazu(), VET).adjudicate(pd.DataFrame([claim()]), persons_of("martyr_survivor")).iloc[0]
    assert (r.fund_paid, r.basic_oop, r.secondary_paid, r.oop) == (4900, 5100, 4080, 1020)
    assert r.secondary_category == "martyr_survivor" and r.secondary_reason == "none"


@pytest.mark.parametrize("cat, rate", [
    ("war_disabled_7_10", 0.70), ("duty_disabled_7_10", 0.60), ("martyr_survivor", 0.80),
    ("duty_death_survivor", 0.70), ("illness_death_survivor", 0.60), ("liberation_war_demobilised", 0.60),
    ("post1949_demobilised", 0.50), ("sent_home_ill", 0.50), ("war_veteran", 0.50), ("nuclear_test_veteran", 0.50),
])
def test_every_article_8_rate_on_dazu(cat, rate):
    r = compose(dazu("tier1"), VET).adjudicate(pd.DataFrame([claim(cost=8000.0)]), persons_of(cat)).iloc[0]
    left = 8000 - (8000 - 200) * 0.40   # Dazu tier 1, county: deductible 200, 40%
    assert r.basic_oop == pytest.approx(left)
    assert r.secondary_paid == pytest.approx(round(rate * left, 2))


@pytest.mark.parametrize("reading, paid", [("remainder", 7700), ("covered_remainder", 6300)])
def test_d11_both_readings(tmp_path, reading, paid):
    """D-11: grade-8 war-disabled veteran in NCMS, 20,000 of which 2,000 outside the catalogue,
    NCMS pays 9,000: (a) 70% x 11,000 = 7,700; (b) 70% x 9,000 = 6,300."""
    ncms = write(tmp_path, BASIC, "ncms-fixture", kind="resident")
    vet = hc.load_scheme(VET, overrides={"readings.inpatient_base": reading})
    claims = pd.DataFrame([claim(cost=20000.0, covered_cost=18000.0)])
    r = compose(ncms, vet).adjudicate(claims, persons_of("war_disabled_7_10", basic="member")).iloc[0]
    assert r.fund_paid == 9000
    assert r.secondary_paid == paid
    assert r.oop == 11000 - paid
    assert r.secondary_base == (11000 if reading == "remainder" else 9000)


def test_default_reading_is_a():
    assert hc.load_scheme(VET).reading("inpatient_base") == "remainder"


def test_highest_of_several_identities():
    """Art. 21: a war-disabled veteran (70%) who is also a martyr's survivor (80%) gets 80%."""
    p = persons_of("war_disabled_7_10", "martyr_survivor", "war_veteran",
                   secondary_identities=["martyr_survivor", None, "post1949_demobilised"])
    claims = pd.DataFrame([claim(1), claim(2), claim(3)])
    r = compose(dazu(), VET).adjudicate(claims, p)
    assert r.secondary_category.tolist() == ["martyr_survivor", "martyr_survivor", "war_veteran"]
    assert r.secondary_paid.tolist() == [4080, 4080, 2550]


def test_identities_as_lists_and_separators():
    p = pd.DataFrame({"person_id": [1, 2], "category": "adult", "secondary_category": ["war_veteran", "war_veteran"],
                      "secondary_identities": [["martyr_survivor"], "duty_death_survivor; illness_death_survivor"]})
    r = compose(dazu(), VET).adjudicate(pd.DataFrame([claim(1), claim(2)]), p)
    assert r.secondary_category.tolist() == ["martyr_survivor", "duty_death_survivor"]


def test_generic_assistance_uses_the_engine_rules(tmp_path):
    """A medical-assistance fixture: yearly deductible 500, 60%, annual limit 10,000, on the
    in-catalogue remainder, in date order."""
    ncms = write(tmp_path, BASIC, "ncms-fixture", kind="resident")
    aid = write(tmp_path, ASSISTANCE, "aid-fixture")
    claims = pd.DataFrame([claim(cost=20000.0, covered_cost=20000.0, date="2024-05-01"),
                           claim(cost=20000.0, covered_cost=20000.0, date="2024-02-01"),
                           claim(cost=20000.0, covered_cost=10000.0, date="2024-09-01")])
    r = compose(ncms, aid).adjudicate(claims, persons_of("dibao", basic="member"))
    # Feb: base 10,000, (10,000-500) x 60% = 5,700; May: 6,000 but only 4,300 left of the limit;
    # Sep: the limit is used up.
    assert r.secondary_paid.tolist() == [4300, 5700, 0]
    assert r.secondary_reason.astype(str).tolist() == ["annual_limit", "none", "annual_limit"]
    assert r.secondary_base.tolist() == [10000, 10000, 5000]


# --- eligibility -----------------------------------------------------------------------------


def test_people_without_a_secondary_category_get_nothing():
    r = compose(dazu(), VET).adjudicate(pd.DataFrame([claim(1), claim(2)]), persons_of("martyr_survivor", None))
    assert r.secondary_paid.tolist() == [4080, 0]
    assert r.secondary_reason.astype(str).tolist() == ["none", "not_eligible"]
    assert r.oop.tolist() == [1020, 5100]


def test_grades_1_to_6_are_in_the_employee_scheme_not_dazu():
    """Art. 5: grades 1-6 join UEBMI; under a resident scheme the subsidy does not apply."""
    r = compose(dazu(), VET).adjudicate(pd.DataFrame([claim()]), persons_of("disabled_1_6")).iloc[0]
    assert (r.secondary_paid, r.secondary_reason) == (0, "not_eligible")


def test_grades_1_to_6_rate_is_not_stated(tmp_path):
    uebmi = write(tmp_path, BASIC, "uebmi-fixture", kind="employee")
    claims = pd.DataFrame([claim(cost=20000.0, covered_cost=18000.0)])
    p = persons_of("disabled_1_6", basic="member")
    with pytest.raises(hc.HealthcoverError, match=r"claims row 0 need it \(secondary payer\).*benefits.inpatient.rate \(category=disabled_1_6\) is not stated.*L111.*overrides="):
        compose(uebmi, VET).adjudicate(claims, p)
    vet = hc.load_scheme(VET, overrides={"benefits.inpatient.rate.disabled_1_6": 0.9})
    r = compose(uebmi, vet).adjudicate(claims, p).iloc[0]
    # Art. 5 scope: in-catalogue remainder 18,000 - 9,000, whatever reading D-11 takes.
    assert (r.secondary_base, r.secondary_paid, r.oop) == (9000, 8100, 2900)


def test_gap_in_basic_cover_and_exclusions():
    p = persons_of("martyr_survivor", "martyr_survivor")
    p["insured"] = [False, True]
    claims = pd.DataFrame([claim(1), claim(2, secondary_excluded=True)])
    claims.loc[0, "secondary_excluded"] = False
    r = compose(dazu(), VET).adjudicate(claims, p)
    assert r.secondary_paid.tolist() == [0, 0]
    assert r.secondary_reason.astype(str).tolist() == ["not_eligible", "excluded"]
    assert r.oop.tolist() == [10000, 5100]


def test_care_map():
    both = compose(dazu(), VET)
    assert both.care_map["special_outpatient"] == "outpatient"
    assert both.care_map["inpatient"] == "inpatient"
    claims = pd.DataFrame([claim(cost=2500.0, care="maternity_delivery")])
    with pytest.raises(hc.HealthcoverError, match=r"claims row 0: care 'maternity_delivery' of dazu-resident has no counterpart in veterans-medical-subsidy \(care types: inpatient, outpatient\); pass care_map="):
        both.adjudicate(claims, persons_of("martyr_survivor"))
    r = compose(dazu(), VET, care_map={"maternity_delivery": "inpatient"}).adjudicate(claims, persons_of("martyr_survivor"))
    assert (r.fund_paid.iloc[0], r.secondary_paid.iloc[0]) == (400, 1680)
    r = compose(dazu(), VET, care_map={"maternity_delivery": None}).adjudicate(claims, persons_of("martyr_survivor"))
    assert r.secondary_paid.iloc[0] == 0


# --- errors ----------------------------------------------------------------------------------


def test_errors_name_table_column_rows_value_and_allowed():
    both = compose(dazu(), VET)
    with pytest.raises(hc.HealthcoverError, match=r"persons row 1: secondary_category 'veteran' is not a category of veterans-medical-subsidy; allowed: disabled_1_6, "):
        both.adjudicate(pd.DataFrame([claim(1), claim(2)]), persons_of("martyr_survivor", "veteran"))
    with pytest.raises(hc.HealthcoverError, match=r"persons is missing column\(s\) secondary_category"):
        both.adjudicate(pd.DataFrame([claim()]), pd.DataFrame({"person_id": [1], "category": ["adult"]}))
    with pytest.raises(hc.HealthcoverError, match=r"secondary scheme dazu-resident has kind 'resident'; allowed: secondary"):
        compose(dazu(), "dazu-resident")
    with pytest.raises(hc.HealthcoverError, match=r"care_map key 'dental' is not a care type of dazu-resident"):
        compose(dazu(), VET, care_map={"dental": "outpatient"})


def test_without_persons_the_claims_carry_the_categories():
    claims = pd.DataFrame([claim(category="adult", secondary_category="martyr_survivor")])
    r = compose(dazu(), VET).adjudicate(claims)
    assert r.secondary_paid.iloc[0] == 4080


# --- invariants ------------------------------------------------------------------------------

CARE = ["inpatient", "special_outpatient", "chronic_outpatient", "tb_outpatient"]
FAC = ["township", "central_township", "county", "above_county"]
CATS = ["martyr_survivor", "war_disabled_7_10", "post1949_demobilised", "red_army_dispersed", "disabled_1_6", None]

claim_rows = st.lists(
    st.tuples(st.integers(1, 4), st.integers(0, 900), st.sampled_from(CARE), st.sampled_from(FAC),
              st.integers(0, 20_000_000), st.integers(0, 100), st.booleans()),
    min_size=1, max_size=40,
)
people = st.lists(st.tuples(st.sampled_from(CATS), st.sampled_from(CATS), st.integers(0, 3_000_000),
                            st.booleans()), min_size=4, max_size=4)


def _frames(rows, ppl):
    claims = pd.DataFrame({
        "person_id": [r[0] for r in rows],
        "date": pd.Timestamp("2023-01-01") + pd.to_timedelta([r[1] for r in rows], unit="D"),
        "care": [r[2] for r in rows], "facility": [r[3] for r in rows],
        "cost": [r[4] / 100 for r in rows],
    })
    claims["covered_cost"] = (claims.cost * [r[5] / 100 for r in rows]).round(2)
    claims["secondary_excluded"] = [r[6] and r[5] < 5 for r in rows]
    persons = pd.DataFrame({
        "person_id": [1, 2, 3, 4], "category": ["adult", "minor", "adult", "urban_special"],
        "secondary_category": [p[0] for p in ppl],
        "secondary_identities": [p[1] for p in ppl],
        "pension_annual": [p[2] / 100 for p in ppl],
        "insured": [p[3] or i == 0 for i, p in enumerate(ppl)],
    })
    return claims, persons


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=claim_rows, ppl=people, tier=st.sampled_from(["tier1", "tier2"]),
       reading=st.sampled_from(["remainder", "covered_remainder"]))
def test_invariants(rows, ppl, tier, reading):
    claims, persons = _frames(rows, ppl)
    vet = hc.load_scheme(VET, overrides={"readings.inpatient_base": reading})
    r = compose(dazu(tier), vet).adjudicate(claims, persons)
    fen = lambda s: np.round(s.to_numpy() * 100).astype(np.int64)
    # Dazu tier 1's special-subsidy account pays before the secondary payer (Art. 14(四)1).
    account = fen(r["account_paid"]) if "account_paid" in r else 0
    assert (fen(r.fund_paid) + account + fen(r.secondary_paid) + fen(r.oop) == fen(claims.cost)).all()
    for col in ("fund_paid", "secondary_paid", "oop", "basic_oop", "secondary_base"):
        assert (r[col] >= 0).all(), col
    assert (fen(r.secondary_paid) <= fen(r.basic_oop)).all()
    assert (fen(r.secondary_paid) <= fen(r.secondary_base)).all()
    assert (fen(r.oop) == fen(r.basic_oop) - fen(r.secondary_paid)).all()
    # the basic columns are the basic scheme's own
    alone = dazu(tier).adjudicate(claims, persons)
    np.testing.assert_array_equal(r.fund_paid, alone.fund_paid)
    np.testing.assert_array_equal(r.basic_oop, alone.oop)
    assert set(r.secondary_reason.astype(str)) <= set(REASONS)
    assert (r.secondary_paid[r.secondary_reason.isin(["not_eligible", "excluded"])] == 0).all()


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=claim_rows, ppl=people)
def test_the_highest_identity_pays_at_least_each_single_one(rows, ppl):
    claims, persons = _frames(rows, ppl)
    both = compose(dazu(), VET)
    total = both.adjudicate(claims, persons).groupby(claims.person_id).secondary_paid.sum()
    for col in ("secondary_category", "secondary_identities"):
        single = persons.assign(secondary_category=persons[col]).drop(columns="secondary_identities")
        alone = both.adjudicate(claims, single).groupby(claims.person_id).secondary_paid.sum()
        assert (total >= alone - 1e-9).all()


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=claim_rows, ppl=people, bump=st.sampled_from([0.85, 0.9, 1.0]))
def test_a_higher_rate_never_pays_less(rows, ppl, bump):
    claims, persons = _frames(rows, ppl)
    low = compose(dazu(), VET).adjudicate(claims, persons)
    high = compose(dazu(), hc.load_scheme(VET, overrides={"benefits.inpatient.rate.martyr_survivor": bump})).adjudicate(claims, persons)
    assert (high.groupby(claims.person_id).secondary_paid.sum() >= low.groupby(claims.person_id).secondary_paid.sum() - 1e-9).all()


def _sequential_allowance(demands, years, credit):
    """The Art. 8 lump sum claim by claim: credit each year, pay what the balance allows, carry."""
    out, balance = [], 0
    credited = min(years) - 1
    for d, y in zip(demands, years):
        while credited < y:
            balance += credit
            credited += 1
        pay = min(d, balance)
        balance -= pay
        out.append(pay)
    return out


@pytest.fixture(scope="module")
def zero_outpatient_basic(tmp_path_factory):
    """A fixture basic scheme that pays nothing on outpatient care, so the remainder is the cost."""
    return write(tmp_path_factory.mktemp("basic"), BASIC, "ncms-fixture", kind="resident")


@settings(max_examples=80, deadline=None)
@given(visits=st.lists(st.tuples(st.integers(0, 3 * 365 - 1), st.integers(0, 200_000)), min_size=1, max_size=30),
       pension=st.integers(0, 2_000_000))
def test_outpatient_lump_sum_matches_a_claim_by_claim_account(zero_outpatient_basic, visits, pension):
    """Art. 8: 10% of the annual pension a year, drawn in date order, no top-up, carried forward."""
    visits = sorted(visits, key=lambda t: t[0])
    dates = pd.Timestamp("2024-01-01") + pd.to_timedelta([d for d, _ in visits], unit="D")
    claims = pd.DataFrame({"person_id": 1, "date": dates, "care": "outpatient", "facility": "county",
                           "cost": [c / 100 for _, c in visits]})
    persons = pd.DataFrame({"person_id": [1], "category": ["member"], "secondary_category": ["martyr_survivor"],
                            "pension_annual": [pension / 100]})
    r = compose(zero_outpatient_basic, VET).adjudicate(claims, persons)
    credit = int(np.floor(0.10 * pension + 0.5))
    expected = _sequential_allowance([c for _, c in visits], list(dates.year), credit)
    assert np.round(r.secondary_paid.to_numpy() * 100).astype(np.int64).tolist() == expected
