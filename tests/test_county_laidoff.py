"""The county laid-off plan (seed 002 §1): categories, subsidies by level, totals and start rules.

Per-person figures are in ``tests/cases/county-laidoff-resident.yaml``; here the county totals of
DIGEST E12, the category reading D-10 and the payment rules.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import healthcover as hc
from healthcover import employee

ROOT = Path(__file__).resolve().parents[1]
FILE = ROOT / "data" / "schemes" / "county-laidoff-resident.yaml"
SID = "county-laidoff-resident"






def test_the_four_categories_and_their_stated_subsidies():
    s = hc.load_scheme(SID)
    assert s.categories == ["child", "adult", "hardship", "dibao_child"]
    out = s.contributions(pd.DataFrame({"person_id": [1, 2, 3, 4], "category": s.categories}))
    stated = [s.value("contributions.subsidy_stated_total", category=c) for c in s.categories]
    np.testing.assert_allclose(out["subsidy_total"], stated)  # the parts add up to the text's totals
    standard = [s.value("contributions.standard", category=c) for c in s.categories]
    np.testing.assert_allclose(out["total"], standard)  # and to the financing levels of 三(一)


def test_e12_county_totals_for_200_people_in_difficulty():
    """DIGEST E12: y = 12,000, f = 20,000 (h = 10,000, g = 4,000, j = 6,000), z = 32,000."""
    s = hc.load_scheme(SID)
    out = s.contributions(pd.DataFrame({"person_id": range(200), "category": "hardship"}))
    totals = out.sum()
    assert totals["individual"] == 12000
    assert totals["subsidy_total"] == 20000
    assert (totals["subsidy_central"], totals["subsidy_provincial"], totals["subsidy_local"]) == (10000, 4000, 6000)
    assert totals["total"] == 32000


def test_d10_a_65_year_old_with_adequate_income():
    """D-10: one group (used): category 2, pays 120 with a subsidy of 40; two groups: 60 and 100."""
    s = hc.load_scheme(SID)
    args = dict(child=[False], age=[65], dibao=False, disabled=False, income_per_head=[5000], minimum_wage=3000)
    for reading, cat, individual, subsidy in (("one_group", "adult", 120, 40), ("two_groups", "hardship", 60, 100)):
        got = employee.laidoff_resident_category(**args, reading=reading)
        assert list(got) == [cat]
        out = s.contributions(pd.DataFrame({"person_id": [1], "category": got}))
        assert (out["individual"].item(), out["subsidy_total"].item()) == (individual, subsidy)
    assert s.reading("hardship_elderly") == "one_group"


def test_category_rules():
    got = employee.laidoff_resident_category(
        child=[True, True, True, False, False, False, False],
        age=[8, 8, 8, 40, 40, 40, 62],
        dibao=[False, True, False, True, False, False, False],
        disabled=[False, False, True, False, True, True, False],
        disability_grade=[99, 99, 3, 99, 2, 3, 99],
        unable_to_work=[False, False, False, False, True, True, False],
        income_per_head=[0, 0, 0, 0, 0, 0, 100], minimum_wage=500,
    )
    assert list(got) == ["child", "dibao_child", "dibao_child", "hardship", "hardship", "adult", "hardship"]
    with pytest.raises(hc.HealthcoverError, match="hardship_elderly = 'both' .*allowed: one_group, two_groups"):
        employee.laidoff_resident_category(child=[False], age=[60], dibao=False, disabled=False, reading="both")


def test_payment_and_lapse_rules():
    s = hc.load_scheme(SID)
    assert s.value("parameters.payment_mode") == "annual_lump_sum"
    assert s.value("parameters.lapse_rule") == "no_benefits_next_year"
    with pytest.raises(hc.HealthcoverError, match=r"payment_window .*not stated"):
        s.value("parameters.payment_window")
    start = employee.resident_benefit_start(["2009-11-20", "2009-11-20"], [False, True])
    assert [str(d) for d in start] == ["2010-01-01", "2010-07-01"]  # re-joiners from July of the next year


def test_no_benefit_rules_are_encoded():
    s = hc.load_scheme(SID)
    assert not [p for p in s.parameters if p.startswith("benefits.")]
    assert any("No benefit rules" in g for g in s.meta.gaps)
