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
                                       "contributions.personal_account_share_employer_by_age.employee":
                                           [[30, account_share], [45, account_share], [None, account_share]]})
    out = s.contributions(E16.assign(age=[25, 40, 50]))
    assert list(out["individual"]) == [1200, 240, 600]  # DIGEST E16
    assert list(out["base"]) == [60000, 12000, 30000]
    np.testing.assert_allclose(out["employer"], employer_rate * out["base"])
    np.testing.assert_allclose(out["personal_account"], out["individual"] + account_share * out["employer"])


def test_personal_account_shares_by_age_are_blank():
    """Art. 21 L89-L92: by age (30 or under, 31-45, 46 and over), all three shares blank; retirees
    a blank share of their pension with the average wage as the floor of the base."""
    s = hc.load_scheme(SID)
    leaf = s.leaf("contributions.personal_account_share_employer_by_age", category="employee")
    assert leaf.kind == "not_stated" and "31-45" in leaf.note
    assert s.leaf("contributions.personal_account_share_of_pension", category="retiree").kind == "not_stated"
    assert s.value("contributions.personal_account_pension_floor", category="retiree") == 1.0
    with pytest.raises(hc.NotStatedError, match=r"personal_account_share_employer_by_age \(category=employee\) is not stated"):
        s.with_overrides({"contributions.rate_employer.employee": 0.06}).contributions(E16)


def test_personal_accounts_by_age_use_the_age_on_the_previous_31_december():
    """The band edges are inclusive at 30 and 45 (「30周歲(含30周歲)以下」, 「46周歲以上」)."""
    s = hc.load_scheme(SID, overrides={"contributions.rate_employer.employee": 0.05,
                                       "contributions.personal_account_share_employer_by_age.employee":
                                           [[30, 0.2], [45, 0.3], [None, 0.4]]})
    persons = pd.DataFrame({"person_id": range(5), "category": "employee", "wage": 20000.0,
                            "average_wage": 20000.0, "age": [18, 30, 31, 45, 46]})
    out = s.contributions(persons)
    # own 2% (400) + the share of the employer's 5% (1,000)
    assert out["personal_account"].tolist() == [600, 600, 700, 700, 800]
    with pytest.raises(hc.HealthcoverError, match=r"persons is missing column\(s\) age"):
        s.contributions(persons.drop(columns="age"))
    with pytest.raises(hc.HealthcoverError, match=r"allowed: 1 to 3 bands"):
        s.with_overrides({"contributions.personal_account_share_employer_by_age.employee": [[30, 1.2], [None, 0.4]]})
