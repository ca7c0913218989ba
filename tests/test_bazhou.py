"""Bazhou employee scheme (seed 002 §3): bases, the blanks, and the arrears rules with claims.

DIGEST E16 is in ``tests/cases/bazhou-employee.yaml``; the late fee, buy-out and arrears functions
are in ``tests/test_employee.py``. Here: what the blanks block, that the document's own figures do
not depend on the assumptions that fill them, and the arrears rules feeding adjudicate.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import healthcover as hc
from healthcover import employee

ROOT = Path(__file__).resolve().parents[1]
FILE = ROOT / "data" / "schemes" / "bazhou-employee.yaml"
SID = "bazhou-employee"
E16 = pd.DataFrame({"person_id": [1, 2, 3], "category": "employee", "wage": [75000, 9000, 30000], "average_wage": 20000})






def test_codes_the_issue_names():
    s = hc.load_scheme(SID)
    assert set(s.categories) >= {"employee", "retiree", "laid_off", "flexible"}


def test_employer_rate_is_not_stated_and_the_error_says_how_to_assume_it():
    s = hc.load_scheme(SID)
    with pytest.raises(hc.HealthcoverError, match=r"contributions\.rate_employer \(category=employee\) is not stated .*G-01.*"
                       r"overrides=\{'contributions\.rate_employer\.employee': \.\.\.\}"):
        s.contributions(E16)


@pytest.mark.parametrize("employer_rate, account_share", [(0.06, 0.3), (0.08, 0.5)])
def test_e16_employee_part_does_not_depend_on_the_assumptions(employer_rate, account_share):
    s = hc.load_scheme(SID, overrides={"contributions.rate_employer.employee": employer_rate,
                                       "contributions.personal_account_share_employer.employee": account_share})
    out = s.contributions(E16)
    assert list(out["individual"]) == [1200, 240, 600]  # DIGEST E16
    assert list(out["base"]) == [60000, 12000, 30000]
    np.testing.assert_allclose(out["employer"], employer_rate * out["base"])
    np.testing.assert_allclose(out["personal_account"], out["individual"] + account_share * out["employer"])


def test_personal_account_shares_by_age_are_blank():
    s = hc.load_scheme(SID)
    for band in ("age_30_and_under", "age_31_to_45", "age_46_and_over"):
        leaf = s.leaf(f"parameters.personal_account_employer_share_{band}")
        assert leaf.kind == "not_stated"
    assert "No line for ages 31-45" in s.leaf("parameters.personal_account_employer_share_age_31_to_45").note
    assert s.leaf("contributions.retiree_personal_account_share_of_pension").kind == "not_stated"
    assert s.value("contributions.retiree_personal_account_base_floor") == 1.0


def test_benefit_rules_are_missing():
    s = hc.load_scheme(SID)
    claims = pd.DataFrame([{"person_id": 1, "date": "2024-06-01", "care": "inpatient", "facility": "-", "cost": 5000}])
    with pytest.raises(hc.HealthcoverError, match=r"benefits\.inpatient\.rate .*not stated .*Art\. 23.*G-03"):
        s.adjudicate(claims, pd.DataFrame({"person_id": [1], "category": ["employee"]}))


def _assumed():
    """Benefit rules the text lacks (G-03), assumed only to show the arrears rules at work."""
    return hc.load_scheme(SID, overrides={"benefits.inpatient.deductible": 0, "benefits.inpatient.rate": 1.0,
                                          "benefits.inpatient.annual_limit": 1e9})


def test_d07_after_back_payment_only_3000_of_an_episode_enters_the_claim():
    claims = pd.DataFrame([{"person_id": 1, "date": "2024-09-01", "care": "inpatient", "facility": "-", "cost": 5000}])
    claims["covered_cost"] = employee.arrears_admitted_cost(claims["cost"])
    out = _assumed().adjudicate(claims, pd.DataFrame({"person_id": [1], "category": ["employee"]}))
    assert out["eligible_cost"].item() == 3000 and out["oop"].item() == 2000


def test_art17_suspension_from_the_next_month_until_back_payment():
    dates = pd.to_datetime(["2024-03-25", "2024-04-02", "2024-05-20", "2024-07-01"])
    claims = pd.DataFrame({"person_id": 1, "date": dates, "care": "inpatient", "facility": "-", "cost": 1000.0})
    suspended = employee.arrears_suspended(claims["date"], "2024-03-10", back_paid_date="2024-06-15")
    assert list(suspended) == [False, True, True, False]
    claims["covered_cost"] = np.where(suspended, 0.0, claims["cost"])
    out = _assumed().adjudicate(claims, pd.DataFrame({"person_id": [1], "category": ["employee"]}))
    assert list(out["fund_paid"]) == [1000, 0, 0, 1000]  # the employer bears the suspended costs
