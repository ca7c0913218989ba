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
    assert s.value("parameters.deductible_share_of_average_wage") == 0.10
    assert s.value("parameters.annual_limit_multiple_of_average_wage") == 4
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
    s = hc.load_scheme(SID)
    out = s.contributions(_persons(category=["retiree"], wage=[0], average_wage=[10000]))
    assert out[["individual", "employer", "total"]].sum().sum() == 0
    leaf = s.leaf("contributions.retiree_personal_account")
    assert leaf.kind == "not_stated" and "higher" in leaf.note


def test_supplementary_insurance_cap():
    with pytest.raises(hc.HealthcoverError, match=r"at most 0\.04 \(doc 000, II\(6\) \(L43\)"):
        hc.load_scheme(SID, overrides={"parameters.supplementary_insurance_deductible_cap": 0.05})


def test_cost_sharing_is_not_stated_and_needs_an_assumption():
    s = hc.load_scheme(SID, overrides=employee.wage_linked_overrides(10000))
    claims = pd.DataFrame([{"person_id": 1, "date": "1999-11-01", "care": "inpatient", "facility": "-", "cost": 5000}])
    persons = _persons(category=["employee"])
    with pytest.raises(hc.HealthcoverError, match=r"benefits\.inpatient\.rate .*not stated in the document.*una cierta proporción"):
        s.adjudicate(claims, persons)
    with pytest.raises(hc.HealthcoverError, match=r"benefits\.inpatient\.deductible .*not stated.*10%"):
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
