"""Liaoning 1999 employee scheme (seed 000, Spanish translation): targets for cities.

The document's rates and DIGEST D-01 are in ``tests/cases/liaoning-employee-1999.yaml``; this module
checks the approximate targets, the blanks a user must fill, the readings and the citations.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import healthcover as hc
from healthcover import employee

ROOT = Path(__file__).resolve().parents[1]
FILE = ROOT / "data" / "schemes" / "liaoning-employee-1999.yaml"
SID = "liaoning-employee-1999"






def _persons(**cols):
    return pd.DataFrame({"person_id": range(1, len(cols["category"]) + 1), **cols})


def test_codes_and_targets():
    s = hc.load_scheme(SID)
    assert set(s.categories) >= {"employee", "retiree", "laid_off"}
    table = s.parameter_table().set_index(["parameter", "cell"])
    assert table.loc[("contributions.rate_employer", "category=employee"), "permitted"] == "around 0.06"
    assert table.loc[("contributions.rate_individual", "category=employee"), "permitted"] == "around 0.02"
    assert table.loc[("contributions.personal_account_share_employer", "category=employee"), "kind"] == "approx"
    assert s.value("benefits.inpatient.deductible_share_of_average_wage") == 0.10
    assert s.value("benefits.inpatient.annual_limit_multiple_of_average_wage") == 4
    assert s.value("contributions.base_share_of_average_wage", category="laid_off") == 0.6


def test_personal_account_is_the_whole_employee_part_plus_about_30_percent():
    s = hc.load_scheme(SID)
    out = s.contributions(_persons(category=["employee", "employee"], wage=[8000, 30000], average_wage=[10000, 10000]))
    assert (out["personal_account"] == out["individual"] + 0.3 * out["employer"]).all()
    assert (out["pooled_fund"] == 0.7 * out["employer"]).all()
    # A city fixing its own rates (e.g. 5.5% where its calculation needs less than 6%).
    s2 = hc.load_scheme(SID, overrides={"contributions.rate_employer.employee": 0.055})
    assert s2.contributions(_persons(category=["employee"], wage=[10000], average_wage=[10000]))["employer"].item() == 550


def test_retirees_pay_nothing_and_their_account_credit_is_not_stated():
    """II(6) L40: retirees pay nothing; the employer share credited to their accounts is only
    'higher than for active employees' and the text gives no base or employer rate for them:
    not stated, so it raises or is NaN, never 0 (issue 12 item 5)."""
    s = hc.load_scheme(SID)
    retiree = _persons(category=["retiree"], wage=[0], average_wage=[10000])
    with pytest.raises(hc.NotStatedError, match=r"contributions\.rate_employer \(category=retiree\) is not stated"):
        s.contributions(retiree)
    with pytest.warns(hc.HealthcoverWarning, match="rate_employer"):
        out = s.contributions(retiree, missing="nan")
    assert out["individual"].item() == 0
    assert out[["employer", "personal_account", "total", "pooled_fund"]].isna().all(axis=None)
    leaf = s.leaf("contributions.personal_account_share_employer", category="retiree")
    assert leaf.kind == "not_stated" and leaf.above == "employee" and "higher" in leaf.note
    assert s.leaf("contributions.rate_employer", category="retiree").kind == "not_stated"


def test_retirees_account_share_must_be_above_the_employees():
    """II(6) L40 「debería ser mayor que la proporción transferida a las cuentas personales de los
    empleados activos」: a city's retiree share at or below the active employees' is refused,
    quoting the rule, unless the user explores it as a reform."""
    ok = hc.load_scheme(SID, overrides={"contributions.personal_account_share_employer.retiree": 0.4})
    assert ok.value("contributions.personal_account_share_employer", category="retiree") == 0.4
    for value in (0.3, 0.2):
        with pytest.raises(hc.HealthcoverError, match=r"retiree = 0\.[23] is outside the document's rule: above the "
                                                        r"employee cell \(0\.3\) \(doc 000, II\(6\) \(L40\)"):
            hc.load_scheme(SID, overrides={"contributions.personal_account_share_employer.retiree": value})
    # Raising the employees' share past the retirees' is caught too.
    with pytest.raises(hc.HealthcoverError, match="above the employee cell"):
        hc.load_scheme(SID, overrides={"contributions.personal_account_share_employer.retiree": 0.35,
                                       "contributions.personal_account_share_employer.employee": 0.4})
    reform = hc.load_scheme(SID, overrides={"contributions.personal_account_share_employer.retiree": 0.2},
                            allow_out_of_range=True)
    assert reform.value("contributions.personal_account_share_employer", category="retiree") == 0.2


def test_wage_linked_deductible_and_ceiling_from_each_persons_average_wage():
    """II(4) L28: deductible about 10% and ceiling about 4 times the local average wage, read
    against each person's average_wage, so one population can mix cities. By hand (90% assumed,
    ceiling on the cost counted): city A (wage 10,000): deductible 1,000, ceiling 40,000; a cost of
    60,000 pays (40,000 - 1,000) x 90% = 35,100. City B (wage 20,000): deductible 2,000, ceiling
    80,000; the same cost pays (60,000 - 2,000) x 90% = 52,200."""
    s = hc.load_scheme(SID, overrides={"benefits.inpatient.rate": 0.9})
    claims = pd.DataFrame({"person_id": [1, 2], "date": "1999-11-01", "care": "inpatient", "facility": "-",
                           "cost": 60000.0})
    persons = _persons(category=["employee", "employee"], average_wage=[10000.0, 20000.0])
    r = s.adjudicate(claims, persons)
    assert r.deductible.tolist() == [1000, 2000]
    assert r.fund_paid.tolist() == [35100, 52200]
    with pytest.raises(hc.HealthcoverError, match=r"persons is missing column\(s\) average_wage.*average annual wage"):
        s.adjudicate(claims, persons.drop(columns="average_wage"))
    # A city's own amounts (overrides) take precedence over the shares.
    fixed = s.with_overrides(employee.wage_linked_overrides(10000))
    assert fixed.adjudicate(claims, persons.drop(columns="average_wage")).fund_paid.tolist() == [35100, 35100]


def test_repeat_admission_deductibles():
    """II(4) L28 「los estándares pueden reducirse sucesivamente」: no schedule, so no reduction by
    default; a city's factors [1, 0.5, 0.25] give deductibles 1,000, 500, 250, 250 on a year's four
    admissions (and start again the next year). 90% assumed; average wage 10,000."""
    s = hc.load_scheme(SID, overrides={"benefits.inpatient.rate": 0.9})
    assert s.value("benefits.inpatient.deductible_repeat_factors") == [1.0]
    claims = pd.DataFrame({"person_id": 1, "care": "inpatient", "facility": "-", "cost": 5000.0,
                           "date": ["1999-03-01", "1999-05-01", "1999-07-01", "1999-09-01", "2000-01-10"]})
    persons = _persons(category=["employee"], average_wage=[10000.0])
    assert s.adjudicate(claims, persons).deductible.tolist() == [1000] * 5
    city = s.with_overrides({"benefits.inpatient.deductible_repeat_factors": [1, 0.5, 0.25]})
    r = city.adjudicate(claims.sample(frac=1, random_state=3), persons).sort_index()
    assert r.deductible.tolist() == [1000, 500, 250, 250, 1000]
    assert r.fund_paid.tolist() == [3600, 4050, 4275, 4275, 3600]
    with pytest.raises(hc.HealthcoverError, match=r"deductible_repeat_factors' = \[1, 1\.5\]: allowed: a list of 1 to 12 factors"):
        s.with_overrides({"benefits.inpatient.deductible_repeat_factors": [1, 1.5]})


def test_supplementary_insurance_cap():
    with pytest.raises(hc.HealthcoverError, match=r"at most 0\.04 \(doc 000, II\(6\) \(L43\)"):
        hc.load_scheme(SID, overrides={"parameters.supplementary_insurance_deductible_cap": 0.05})


def test_cost_sharing_is_not_stated_and_needs_an_assumption():
    s = hc.load_scheme(SID, overrides=employee.wage_linked_overrides(10000))
    claims = pd.DataFrame([{"person_id": 1, "date": "1999-11-01", "care": "inpatient", "facility": "-", "cost": 5000}])
    persons = _persons(category=["employee"])
    with pytest.raises(hc.HealthcoverError, match=r"benefits\.inpatient\.rate .*not stated in the document.*una cierta proporción"):
        s.adjudicate(claims, persons)
    # The deductible is about 10% of each person's average wage: the wage is needed, not an amount.
    with pytest.raises(hc.HealthcoverError, match=r"persons is missing column\(s\) average_wage"):
        hc.load_scheme(SID, overrides={"benefits.inpatient.rate": 0.9}).adjudicate(claims, persons)


def test_d01_through_the_wage_linked_amounts():
    """DIGEST D-01: average wage 10,000 gives a deductible of about 1,000 and a ceiling of about 40,000."""
    overrides = employee.wage_linked_overrides(10000)
    assert overrides == {"benefits.inpatient.deductible": 1000, "benefits.inpatient.annual_limit": 40000}
    claims = pd.DataFrame([{"person_id": 1, "date": "1999-11-01", "care": "inpatient", "facility": "-", "cost": 60000}])
    persons = _persons(category=["employee"])
    cost = hc.load_scheme(SID, overrides={**overrides, "benefits.inpatient.rate": 0.9})
    fund = hc.load_scheme(SID, overrides={**overrides, "benefits.inpatient.rate": 0.9, "readings.annual_limit_basis": "fund"})
    assert cost.adjudicate(claims, persons)["fund_paid"].item() == 35100
    assert fund.adjudicate(claims, persons)["fund_paid"].item() == 40000


def test_pooling_split_reading_sets_the_deductible_frequency():
    """II(4): per admission (inpatient/outpatient split) or on the year's cumulative costs (split by amount)."""
    base = {**employee.wage_linked_overrides(10000), "benefits.inpatient.rate": 0.9}
    claims = pd.DataFrame([
        {"person_id": 1, "date": "1999-11-01", "care": "inpatient", "facility": "-", "cost": 5000},
        {"person_id": 1, "date": "1999-12-01", "care": "inpatient", "facility": "-", "cost": 5000},
    ])
    persons = _persons(category=["employee"])
    per_admission = hc.load_scheme(SID, overrides=base).adjudicate(claims, persons)
    per_year = hc.load_scheme(SID, overrides={**base, "readings.pooling_split": "by_amount"}).adjudicate(claims, persons)
    assert list(per_admission["deductible"]) == [1000, 1000]
    assert list(per_year["deductible"]) == [1000, 0]
    assert per_year["fund_paid"].sum() - per_admission["fund_paid"].sum() == pytest.approx(0.9 * 1000)


def test_readings_record_the_garbled_interest_rule():
    s = hc.load_scheme(SID)
    r = s.meta.readings["carried_over_interest"]
    assert set(r.options) == {"three_month", "three_year"} and r.used == "three_month"
    assert s.value("fund.interest_current_year") == "demand_deposit"
    assert s.value("fund.interest_special_account") == "three_year_lump_sum_savings"
    assert s.value("fund.admin_costs_from_fund") == 0
