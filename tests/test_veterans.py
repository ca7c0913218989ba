"""Veterans' medical subsidy (seed 003 §3): the file, its quotes, bounds, readings and E19.

Direct worked examples (D-11, the Art. 8 floors, Art. 9) are in
``tests/cases/veterans-medical-subsidy.yaml``; the composition with a basic scheme in
``tests/test_secondary.py``.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import healthcover as hc
from healthcover.secondary import compose, outpatient_allowance, red_army_funding

ROOT = Path(__file__).resolve().parents[1]
FILE = ROOT / "data" / "schemes" / "veterans-medical-subsidy.yaml"
SID = "veterans-medical-subsidy"

# Art. 8 (L125), as printed.
FLOORS = {
    "war_disabled_7_10": 0.70, "duty_disabled_7_10": 0.60, "martyr_survivor": 0.80,
    "duty_death_survivor": 0.70, "illness_death_survivor": 0.60, "liberation_war_demobilised": 0.60,
    "post1949_demobilised": 0.50, "sent_home_ill": 0.50, "war_veteran": 0.50, "nuclear_test_veteran": 0.50,
}


def _quotes(node, path=""):
    if isinstance(node, dict):
        if node.get("doc") and node.get("quote"):
            yield path, node
        for k, v in node.items():
            yield from _quotes(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _quotes(v, f"{path}[{i}]")


def test_every_citation_is_inside_section_3():
    """Quotes are checked verbatim on their lines for every scheme in tests/test_schemes.py; here,
    that this file cites only its own sub-document, seed 003 §3 (L89-L197)."""
    found = list(_quotes(yaml.safe_load(FILE.read_text(encoding="utf-8"))))
    assert len(found) >= 30
    for path, src in found:
        assert src["doc"] == "003", path
        cited = [int(x) for x in re.findall(r"L(\d+)", src.get("lines") or "")]
        assert cited, f"{path}: no line numbers"
        assert 89 <= min(cited) and max(cited) <= 197, f"{path}: cites {src['lines']}, outside §3"


def test_kind_categories_and_articles():
    s = hc.load_scheme(SID)
    assert s.meta.kind == "secondary"
    articles = {c: code.attributes["article"] for c, code in s.meta.categories.items()}
    assert articles["disabled_1_6"] == "art5"
    assert {c for c, a in articles.items() if a == "art8"} == set(FLOORS)
    assert {c for c, a in articles.items() if a == "art9"} == {"red_army_dispersed", "anti_japanese_war_demobilised"}


@pytest.mark.parametrize("cat, floor", list(FLOORS.items()))
def test_article_8_floors_are_bounds(cat, floor):
    s = hc.load_scheme(SID)
    leaf = s.leaf("benefits.inpatient.rate", category=cat)
    assert (leaf.kind, leaf.value) == ("at_least", floor)
    assert "L125" in s.citation("benefits.inpatient.rate", category=cat)
    below = round(floor - 0.05, 2)
    with pytest.raises(hc.HealthcoverError, match=rf"benefits.inpatient.rate.{cat} = {below} is outside the document's at least {floor:g}"):
        hc.load_scheme(SID, overrides={f"benefits.inpatient.rate.{cat}": below})


def test_blanks_are_not_stated():
    s = hc.load_scheme(SID)
    for path in ("benefits.inpatient.rate", "benefits.outpatient.rate"):
        assert s.leaf(path, category="disabled_1_6").kind == "not_stated"
    with pytest.raises(hc.HealthcoverError, match=r"parameters.catastrophic_assistance .*not stated.*L131"):
        s.value("parameters.catastrophic_assistance")
    with pytest.raises(hc.HealthcoverError, match=r"parameters.fee_waivers .*not stated.*L133"):
        s.value("parameters.fee_waivers")


def test_readings():
    s = hc.load_scheme(SID)
    assert s.reading("inpatient_base") == "remainder"         # D-11 (a)
    assert s.value("parameters.base", category="martyr_survivor") == "remainder"
    assert s.value("parameters.base", category="disabled_1_6") == "covered_remainder"  # Art. 5 scope
    b = hc.load_scheme(SID, overrides={"readings.inpatient_base": "covered_remainder"})
    assert b.value("parameters.base", category="martyr_survivor") == "covered_remainder"
    assert s.reading("outpatient_allowance_standard") == "annual"  # D-12
    assert s.reading("highest_entitlement") == "largest_payment"


# --- E19 -------------------------------------------------------------------------------------


def test_e19_red_army_funding():
    """8% of the previous year's provincial average wage (30,000 assumed): 2,400 a head; a county
    with 15 such people receives 36,000 (Art. 9, L129)."""
    persons = pd.DataFrame({"person_id": range(15), "category": "red_army_dispersed", "average_wage": 30000.0})
    f = red_army_funding(persons)
    assert (f == 2400).all() and f.sum() == 36000
    mixed = pd.DataFrame({"person_id": [1, 2], "category": ["anti_japanese_war_demobilised", "martyr_survivor"],
                          "average_wage": [30000.0, 30000.0]})
    assert red_army_funding(mixed).tolist() == [2400, 0]
    with pytest.raises(hc.HealthcoverError, match=r"persons is missing column\(s\) average_wage"):
        red_army_funding(persons.drop(columns="average_wage"))


def test_e19_outpatient_lump_sum_is_annual():
    """A martyr's survivor with an annual pension of 6,000: at least 600 a year (Art. 8, L127);
    D-12: a monthly pension of 500 is 6,000 a year, so 600, not 50."""
    persons = pd.DataFrame({"person_id": [1, 2], "category": ["martyr_survivor", "red_army_dispersed"],
                            "pension_annual": [6000.0, 9000.0]})
    assert outpatient_allowance(persons).tolist() == [600, 0]
    monthly = 500
    assert outpatient_allowance(persons.assign(pension_annual=[12 * monthly, 0])).iloc[0] == 600
    higher = hc.load_scheme(SID, overrides={"parameters.outpatient_allowance_share": 0.15})
    assert outpatient_allowance(persons, higher).iloc[0] == 900
    with pytest.raises(hc.HealthcoverError, match=r"outside the document's at least 0.1"):
        hc.load_scheme(SID, overrides={"parameters.outpatient_allowance_share": 0.05})


@pytest.fixture(scope="module")
def dazu():
    return hc.load_scheme("dazu-resident", variant="tier2")


def test_e19_lump_sum_no_top_up_and_carried_forward(dazu):
    """600 a year: 2024 visits of 400 and 500 get 400 and 200 (超支不补); nothing in 2025 is spent
    before a 2026 visit of 2,000, which gets 2025's and 2026's 600 each (结余转下年度使用), 1,200.
    Dazu pays nothing on general outpatient care outside the household account, so the care type
    here is chronic outpatient care at a county-level facility above its 700 limit."""
    persons = pd.DataFrame({"person_id": [1], "category": ["adult"], "secondary_category": ["martyr_survivor"],
                            "pension_annual": [6000.0]})
    claims = pd.DataFrame({"person_id": 1, "care": "chronic_outpatient", "facility": "county",
                           "date": ["2024-02-01", "2024-03-01", "2024-06-01", "2026-05-01"],
                           "cost": [1400.0, 400.0, 500.0, 2000.0]})
    r = compose(dazu, SID).adjudicate(claims, persons)
    # Dazu: 50% up to 700 a year: 700, 0, 0, 700 (the first claim uses the year's limit).
    assert r.fund_paid.tolist() == [700, 0, 0, 700]
    assert r.secondary_paid.tolist() == [600, 0, 0, 1200]
    assert r.secondary_reason.astype(str).tolist() == ["allowance_limit"] * 4
    assert r.oop.tolist() == [100, 400, 500, 100]


def test_lump_sum_needs_the_annual_pension(dazu):
    persons = pd.DataFrame({"person_id": [1], "category": ["adult"], "secondary_category": ["martyr_survivor"]})
    claims = pd.DataFrame({"person_id": [1], "care": ["special_outpatient"], "facility": ["county"],
                           "date": ["2024-02-01"], "cost": [600.0]})
    with pytest.raises(hc.HealthcoverError, match=r"persons is missing column\(s\) pension_annual.*D-12"):
        compose(dazu, SID).adjudicate(claims, persons)


def test_red_army_outpatient_through_the_composition(dazu):
    persons = pd.DataFrame({"person_id": [1], "category": ["adult"], "secondary_category": ["red_army_dispersed"]})
    claims = pd.DataFrame({"person_id": 1, "care": ["special_outpatient", "inpatient"], "facility": "county",
                           "date": ["2024-02-01", "2024-03-01"], "cost": [600.0, 10000.0]})
    r = compose(dazu, SID).adjudicate(claims, persons)
    assert r.fund_paid.tolist() == [200, 4900]
    assert r.secondary_paid.tolist() == [400, 0]
    r = compose(dazu, hc.load_scheme(SID, overrides={"readings.red_army_outpatient": "basic_only"})).adjudicate(claims, persons)
    assert r.secondary_paid.tolist() == [0, 0]


def test_highest_entitlement_is_one_benefit_for_the_whole_period(dazu):
    """A Red Army veteran (outpatient in full, nothing on inpatient) who is also a martyr's survivor
    (80% inpatient, 10% lump sum): whichever pays more over all the claims, applied to all."""
    persons = pd.DataFrame({"person_id": [1, 2], "category": "adult", "secondary_category": "red_army_dispersed",
                            "secondary_identities": "martyr_survivor", "pension_annual": 1000.0})
    claims = pd.DataFrame({"person_id": [1, 1, 2], "care": ["special_outpatient", "special_outpatient", "inpatient"],
                           "facility": "county", "date": ["2024-02-01", "2024-03-01", "2024-03-01"],
                           "cost": [2200.0, 2200.0, 10000.0]})
    r = compose(dazu, SID).adjudicate(claims, persons)
    assert r.secondary_category.tolist() == ["red_army_dispersed", "red_army_dispersed", "martyr_survivor"]
    # Dazu pays (2,200 - 200) x 50% then 2,200 x 50% (the special outpatient deductible is once a
    # year); the Red Army identity pays the outpatient remainder in full.
    assert r.secondary_paid.tolist() == [1200, 1100, 4080]
    assert np.all(r.oop >= 0)


def test_lump_sum_is_credited_from_the_persons_own_entitlement(dazu):
    """Issue 12 item 1: one person's lump sum never depends on another person's claims. Person 1
    claims only in 2026; person 2 has claims from 2024. Alone or together, person 1 gets one
    year's credit (600), not three."""
    persons = pd.DataFrame({"person_id": [1, 2], "category": "adult", "secondary_category": "martyr_survivor",
                            "pension_annual": 6000.0})
    claims = pd.DataFrame({"person_id": [1, 2, 2], "care": "chronic_outpatient", "facility": "county",
                           "date": ["2026-05-01", "2024-02-01", "2026-03-01"], "cost": [4000.0, 100.0, 100.0]})
    both = compose(dazu, SID)
    together = both.adjudicate(claims, persons)
    alone = both.adjudicate(claims.iloc[[0]], persons.iloc[[0]])
    # Dazu pays 700 of 4,000 (chronic limit); of the 3,300 left the lump sum pays one year's 600.
    assert together.secondary_paid.iloc[0] == alone.secondary_paid.iloc[0] == 600
    pd.testing.assert_frame_equal(together.iloc[[0]], alone)


def test_lump_sum_from_entitled_from(dazu):
    """Hand example (Art. 8, L127): 600 a year from the year of ``entitled_from`` (2025-03-01);
    nothing in 2024, before the entitlement; 2025: a 400 visit is paid (200 carried); 2026: a visit
    of 1,000 gets 600 + 200 = 800. Chronic outpatient at a township centre, where Dazu pays 50%
    of the cost (the visits below are what Dazu leaves: cost 800 -> 400 left, etc.)."""
    persons = pd.DataFrame({"person_id": [1], "category": ["adult"], "secondary_category": ["martyr_survivor"],
                            "pension_annual": [6000.0], "entitled_from": ["2025-03-01"]})
    claims = pd.DataFrame({"person_id": 1, "care": "chronic_outpatient", "facility": "township",
                           "date": ["2024-06-01", "2025-06-01", "2026-06-01"], "cost": [600.0, 800.0, 2000.0]})
    r = compose(hc.load_scheme("dazu-resident", variant="tier2", overrides={"benefits.chronic_outpatient.annual_limit": 5000}),
                SID).adjudicate(claims, persons)
    assert r.fund_paid.tolist() == [300, 400, 1000]
    assert r.secondary_paid.tolist() == [0, 400, 800]
    assert r.secondary_reason.astype(str).tolist() == ["allowance_limit", "none", "allowance_limit"]
    # Without entitled_from the person's own first claim year (2024) starts the credits.
    r = compose(hc.load_scheme("dazu-resident", variant="tier2", overrides={"benefits.chronic_outpatient.annual_limit": 5000}),
                SID).adjudicate(claims, persons.drop(columns="entitled_from"))
    assert r.secondary_paid.tolist() == [300, 400, 1000]


def test_entitled_from_must_be_a_date(dazu):
    persons = pd.DataFrame({"person_id": [1], "category": ["adult"], "secondary_category": ["martyr_survivor"],
                            "pension_annual": [6000.0], "entitled_from": ["soon"]})
    claims = pd.DataFrame({"person_id": [1], "care": ["chronic_outpatient"], "facility": ["county"],
                           "date": ["2024-02-01"], "cost": [600.0]})
    with pytest.raises(hc.HealthcoverError, match=r"persons row 0: entitled_from 'soon' is missing or not a date"):
        compose(dazu, SID).adjudicate(claims, persons)
