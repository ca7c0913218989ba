"""General diagnosis fee (seed 004 §2): the file, its quotes, and the fee split through the engine.

The document's worked example E18 is in ``tests/cases/general-diagnosis-fee.yaml`` (run by
``tests/test_cases.py``); this module checks what those cases cannot: that the split comes from
the file's own parameters, a course of treatment is one visit (D-24), the not-stated waivers,
errors, and the split over any mix of visits.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import healthcover as hc

ROOT = Path(__file__).resolve().parents[1]
FILE = ROOT / "data" / "schemes" / "general-diagnosis-fee.yaml"
SID = "general-diagnosis-fee"


def _quotes(node, path=""):
    if isinstance(node, dict):
        if node.get("doc") and node.get("quote"):
            yield path, node
        for k, v in node.items():
            yield from _quotes(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _quotes(v, f"{path}[{i}]")


def test_every_citation_is_inside_section_2():
    """Quotes are checked verbatim on their lines for every scheme in tests/test_schemes.py; here,
    that this file cites only its own sub-document, seed 004 §2 (L39-L65)."""
    found = list(_quotes(yaml.safe_load(FILE.read_text(encoding="utf-8"))))
    assert len(found) >= 15
    for path, src in found:
        assert src["doc"] == "004", path
        cited = [int(x) for x in re.findall(r"L(\d+)", src.get("lines") or "")]
        assert cited, f"{path}: no line numbers"
        assert 39 <= min(cited) and max(cited) <= 65, f"{path}: cites {src['lines']}, outside §2"


def test_codes_the_brief_names():
    s = hc.load_scheme(SID)
    assert s.meta.kind == "fee"
    assert s.categories == ["insured", "uninsured"]
    assert s.care_types == ["general_diagnosis"]


def _visits(categories, facility="township"):
    s = hc.load_scheme(SID)
    fee = s.value("parameters.fee_per_visit")
    n = len(categories)
    claims = pd.DataFrame({
        "person_id": np.arange(n), "date": "2013-05-01", "care": "general_diagnosis",
        "facility": facility, "cost": fee, "category": categories,
    })
    return s, s.adjudicate(claims)


@pytest.mark.parametrize("facility", ["township", "community_centre", "community_station"])
def test_split_is_the_files_own_parameters(facility):
    s, r = _visits(["insured", "uninsured"], facility)
    fee = s.value("parameters.fee_per_visit")
    patient = s.value("parameters.patient_share_insured")
    fund = s.value("parameters.fund_share_insured")
    assert (fee, patient, fund) == (10, 3, 7)
    assert patient + fund == fee
    assert r.fund_paid.tolist() == [fund, 0]
    assert r.oop.tolist() == [patient, fee]
    assert r.limit_reason.astype(str).tolist() == ["none", "not_covered"]  # a fixed amount, not a limit that bit


def test_a_course_of_treatment_is_one_visit():
    """D-24: a 5-day infusion course is one visit of 10 (patient 3, fund 7), not 5 x 10."""
    s = hc.load_scheme(SID)
    days = pd.DataFrame({"person_id": 1, "course_id": 1,
                         "date": pd.date_range("2013-05-01", periods=5), "category": "insured"})
    assert s.reading("course_of_treatment") == "one_visit"
    visits = days.groupby(["person_id", "course_id"], as_index=False).agg(date=("date", "min"), category=("category", "first"))
    visits = visits.assign(care="general_diagnosis", facility="township", cost=s.value("parameters.fee_per_visit"))
    r = s.adjudicate(visits)
    assert len(r) == 1
    assert (r.fund_paid.sum(), r.oop.sum()) == (7, 3)
    # Charging each day (forbidden: 「不允许重复或变相收费」) would cost the patient five times as much.
    per_day = days.assign(care="general_diagnosis", facility="township", cost=10.0)
    assert s.adjudicate(per_day).oop.sum() == 15


def test_waivers_are_not_stated_and_need_an_assumption():
    s = hc.load_scheme(SID)
    with pytest.raises(hc.HealthcoverError, match=r"parameters.local_waivers .*not stated.*L53.*overrides="):
        s.value("parameters.local_waivers")
    assert s.reading("waiver_order") == "patient_first"


def test_unknown_category_is_named():
    s = hc.load_scheme(SID)
    claims = pd.DataFrame({"person_id": [1], "date": ["2013-05-01"], "care": ["general_diagnosis"],
                           "facility": ["township"], "cost": [10.0], "category": ["ncms"]})
    with pytest.raises(hc.HealthcoverError, match=r"claims row 0: category 'ncms' is not a category of general-diagnosis-fee; allowed: insured, uninsured"):
        s.adjudicate(claims)


def test_unknown_facility_is_named():
    s = hc.load_scheme(SID)
    claims = pd.DataFrame({"person_id": [1], "date": ["2013-05-01"], "care": ["general_diagnosis"],
                           "facility": ["county"], "cost": [10.0], "category": ["insured"]})
    with pytest.raises(hc.HealthcoverError, match=r"facility 'county' is not a facility of general-diagnosis-fee; allowed: township, community_centre, community_station"):
        s.adjudicate(claims)


@settings(max_examples=60, deadline=None)
@given(insured=st.integers(0, 300), uninsured=st.integers(0, 300))
def test_split_over_any_mix_of_visits(insured, uninsured):
    """E18 scaled: the fund pays 7 per insured visit; patients pay 3 insured, 10 uninsured."""
    if insured + uninsured == 0:
        return
    _, r = _visits(["insured"] * insured + ["uninsured"] * uninsured)
    assert r.fund_paid.sum() == pytest.approx(7 * insured)
    assert r.oop.sum() == pytest.approx(3 * insured + 10 * uninsured)
    assert (r.fund_paid + r.oop == 10).all()
