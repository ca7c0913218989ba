"""Xiangzhou (seed 003 §5): the file, its quotes and blanks, the assistance routing (D-13) and the
migrant workers' fund.

Financing with stated assumptions and the free minor-illness items are in
``tests/cases/xiangzhou-resident.yaml``.
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
from healthcover.secondary import assistance_route, migrant_assistance_fund

ROOT = Path(__file__).resolve().parents[1]
FILE = ROOT / "data" / "schemes" / "xiangzhou-resident.yaml"
SID = "xiangzhou-resident"


def _quotes(node, path=""):
    if isinstance(node, dict):
        if node.get("doc") and node.get("quote"):
            yield path, node
        for k, v in node.items():
            yield from _quotes(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _quotes(v, f"{path}[{i}]")


def test_every_citation_is_inside_section_5():
    """Quotes are checked verbatim on their lines for every scheme in tests/test_schemes.py; here,
    that this file cites only its own sub-document, seed 003 §5 (L237-L295)."""
    found = list(_quotes(yaml.safe_load(FILE.read_text(encoding="utf-8"))))
    assert len(found) >= 25
    for path, src in found:
        assert src["doc"] == "003", path
        cited = [int(x) for x in re.findall(r"L(\d+)", src.get("lines") or "")]
        assert cited, f"{path}: no line numbers"
        assert 237 <= min(cited) and max(cited) <= 295, f"{path}: cites {src['lines']}, outside §5"


def test_stated_values():
    s = hc.load_scheme(SID)
    assert s.value("contributions.standard", category="general") == 400
    assert s.value("contributions.standard", category="special") == 175
    target = s.leaf("parameters.coverage_target")
    assert (target.kind, target.value) == ("at_least", 0.90)
    assert s.value("parameters.eligibility_min_age") == 18
    assert s.value("parameters.assistance.district_threshold") == 15000
    assert s.value("parameters.assistance.city_threshold_lower") == 20000
    assert s.value("parameters.assistance.city_threshold_upper") == 30000
    assert s.value("parameters.assistance.migrant_fund_per_head") == 20
    assert s.value("parameters.minor_illness.pilot_communities") == 4


def test_the_split_of_financing_is_not_stated():
    s = hc.load_scheme(SID)
    persons = pd.DataFrame({"person_id": [1], "category": ["general"]})
    with pytest.raises(hc.HealthcoverError, match=r"contributions.individual \(category=general\) is not stated.*L269.*G-10.*overrides="):
        s.contributions(persons)


def test_benefit_rules_are_not_in_the_text():
    s = hc.load_scheme(SID)
    claims = pd.DataFrame({"person_id": [1], "date": ["2009-03-01"], "care": ["inpatient"], "facility": ["other"],
                           "cost": [10000.0], "category": ["general"]})
    with pytest.raises(hc.HealthcoverError, match=r"claims row 0 need it: .*benefits.inpatient.rate .*not stated.*city's"):
        s.adjudicate(claims)


# --- approval routing (D-13) -------------------------------------------------------------------


def test_d13_example_25000_depends_on_the_group():
    """Annual assistance of 25,000: the city decides if the group's threshold is 'above 20,000',
    the district if it is '30,000 and up'."""
    lower = assistance_route([25000], group_threshold="lower").iloc[0]
    upper = assistance_route([25000], group_threshold="upper").iloc[0]
    assert lower.route == "city" and "市城乡医疗救助领导小组" in lower.approver
    assert upper.route == "district" and "区城乡医疗救助领导小组" in upper.approver
    assert "区民政局" in upper.reviewer
    assert "L279" in lower.citation


@pytest.mark.parametrize("amount, lower, upper", [
    (0, "not_stated", "not_stated"),
    (14999.99, "not_stated", "not_stated"),
    (15000, "district", "district"),      # 达15000元以上(含15000元)
    (20000, "district", "district"),      # 超过20000元: 20,000 itself is not above
    (20000.01, "city", "district"),
    (29999.99, "city", "district"),
    (30000, "city", "city"),              # 30000元以上: inclusive
    (80000, "city", "city"),
])
def test_boundaries(amount, lower, upper):
    assert assistance_route([amount], group_threshold="lower").route.iloc[0] == lower
    assert assistance_route([amount], group_threshold="upper").route.iloc[0] == upper


def test_the_mapping_is_needed_only_where_the_thresholds_disagree():
    r = assistance_route([10000, 18000, 20000, 45000])   # no assumption needed
    assert r.route.tolist() == ["not_stated", "district", "district", "city"]
    with pytest.raises(hc.HealthcoverError, match=r"amounts row 1: between 20,000 and 30,000 the route depends on the target group.*city_threshold_group .*not stated.*L279.*group_threshold="):
        assistance_route([18000, 25000])


def test_the_mapping_by_reading_or_per_case():
    s = hc.load_scheme(SID, overrides={"readings.city_threshold_group": "upper"})
    assert assistance_route([25000], s).route.iloc[0] == "district"
    r = assistance_route(pd.Series([25000, 25000], index=[7, 9]), group_threshold=["lower", "upper"])
    assert r.route.tolist() == ["city", "district"] and r.index.tolist() == [7, 9]
    with pytest.raises(hc.HealthcoverError, match=r"group_threshold row 0 = 'middle'; allowed: lower, upper"):
        assistance_route([25000], group_threshold=["middle"])
    with pytest.raises(hc.HealthcoverError, match=r"amounts row 0 = \[-5\] not allowed"):
        assistance_route([-5], group_threshold="lower")


@settings(max_examples=100, deadline=None)
@given(amounts=st.lists(st.integers(0, 6_000_000), min_size=1, max_size=50))
def test_lower_never_routes_below_upper(amounts):
    x = np.array(amounts) / 100
    rank = {"not_stated": 0, "district": 1, "city": 2}
    lo = assistance_route(x, group_threshold="lower").route.map(rank)
    hi = assistance_route(x, group_threshold="upper").route.map(rank)
    assert (lo >= hi).all()
    assert ((lo != hi) == ((x > 20000) & (x < 30000))).all()


# --- migrant workers' fund ----------------------------------------------------------------------


def test_migrant_fund_is_20_a_head():
    assert migrant_assistance_fund(50_000) == 1_000_000
    assert migrant_assistance_fund([0, 1, 12345]).tolist() == [0, 20, 246900]
    with pytest.raises(hc.HealthcoverError, match=r"migrants = 2.5; allowed: a whole number of people >= 0"):
        migrant_assistance_fund(2.5)
