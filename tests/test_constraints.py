"""check_design: local designs against the Zhejiang pilot's minimum standards (seed 003 §4).

The designs and the reference NCMS scheme below are test fixtures written for the check (they
are not documents); every required value comes from the guideline file: minors at least 80 yuan
(L227), subsidy at least one third of financing (L229, D-26), no personal accounts (L217), the
government pays the individual part of the disabled and dibao (L229), benefits not below NCMS
(L219).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import healthcover as hc
from healthcover.constraints import check_design

DESIGN = """
id: {id}
kind: resident
title: {{zh: 某市城镇居民医疗保险试点方案(测试), en: A city's urban resident pilot design (test fixture)}}
jurisdiction: {{zh: 测试, en: Test}}
source: {{doc: "test", article: "fixture"}}
categories:
  minor: {{zh: 未成年人, en: Minor}}
  elderly: {{zh: 老年居民, en: Elderly}}
  dibao: {{zh: 低保对象, en: Dibao}}
facilities:
  county: {{zh: 县级医院, en: County hospital}}
care:
  inpatient: {{zh: 住院, en: Inpatient}}
contributions:
  basis: {{description: flat, unit: code, source: {{doc: "test", article: "fixture"}}, value: flat}}
  standard:
    description: Financing
    unit: CNY per person-year
    source: {{doc: "test", article: "fixture"}}
    by: [category]
    values: {{minor: {minor_std}, elderly: 300, dibao: 300}}
  individual:
    description: Individual
    unit: CNY per person-year
    source: {{doc: "test", article: "fixture"}}
    by: [category]
    values: {{minor: {minor_ind}, elderly: {elderly_ind}, dibao: {dibao_ind}}}
  subsidy_local:
    description: Subsidy
    unit: CNY per person-year
    source: {{doc: "test", article: "fixture"}}
    value: residual
  personal_account:
    description: Personal account
    unit: CNY per person-year
    source: {{doc: "test", article: "fixture"}}
    by: [category]
    values: {{minor: 0, elderly: {elderly_pa}, dibao: 0}}
benefits:
  inpatient:
    deductible: {{description: d, unit: CNY, source: {{doc: "test", article: "fixture"}}, value: 300}}
    rate: {{description: r, unit: share, source: {{doc: "test", article: "fixture"}}, value: {rate}}}
"""

NCMS = """
id: {id}
kind: resident
title: {{zh: 某县新型农村合作医疗(测试), en: A county NCMS (test fixture)}}
jurisdiction: {{zh: 测试, en: Test}}
source: {{doc: "test", article: "fixture"}}
categories:
  member: {{zh: 参合农民, en: Member}}
facilities:
  county: {{zh: 县级医院, en: County hospital}}
care:
  inpatient: {{zh: 住院, en: Inpatient}}
benefits:
  inpatient:
    deductible: {{description: d, unit: CNY, source: {{doc: "test", article: "fixture"}}, value: 300}}
    rate: {{description: r, unit: share, source: {{doc: "test", article: "fixture"}}, value: 0.5}}
"""

GOOD = {"minor_std": 100, "minor_ind": 60, "elderly_ind": 180, "dibao_ind": 0, "elderly_pa": 0, "rate": 0.6}
BAD = {"minor_std": 70, "minor_ind": 50, "elderly_ind": 250, "dibao_ind": 10, "elderly_pa": 20, "rate": 0.4}


def write(tmp_path, template, name, **values):
    f = tmp_path / f"{name}.yaml"
    f.write_text(template.format(id=name, **values), encoding="utf-8")
    return hc.load_scheme(f)


def episodes(category="minor", costs=(2000.0, 10000.0, 40000.0)):
    n = len(costs)
    return pd.DataFrame({"person_id": np.arange(n), "date": "2008-06-01", "care": "inpatient",
                         "facility": "county", "cost": list(costs), "category": category})


def _by(t, rule, category=None):
    rows = t[(t.rule == rule) & ((t.category == category) if category else True)]
    assert len(rows) == 1, (rule, category, t)
    return rows.iloc[0]


def test_a_compliant_design_passes_every_rule(tmp_path):
    design = write(tmp_path, DESIGN, "good-design", **GOOD)
    ncms = write(tmp_path, NCMS, "county-ncms")
    t = check_design(design, reference=ncms, episodes=episodes(),
                     reference_episodes=episodes("member"))
    assert list(t.columns) == ["rule", "category", "guideline_category", "comparison", "required",
                               "actual", "passes", "citation", "note"]
    checked = t[t.passes.notna()]
    assert checked.passes.all(), t
    r = _by(t, "financing_floor", "minor")
    assert (r.comparison, r.required, r.actual) == (">=", 80, 100)
    assert "L227" in r.citation and "不低于每人每年80元" in r.citation
    s = _by(t, "subsidy_share_floor", "minor")
    assert s.required == pytest.approx(1 / 3) and s.actual == pytest.approx(0.4)
    assert _by(t, "individual_paid_by_government", "dibao").actual == 0
    assert set(t[t.rule == "personal_account"].actual) == {0}
    b = _by(t, "benefit_floor")
    assert b.actual > b.required  # 0.6 of the cost above 300 vs 0.5
    # The ceiling (the employee scheme) is not given: listed, not faked.
    c = _by(t, "benefit_ceiling")
    assert pd.isna(c.passes) and "not checked" in c.note


def test_a_non_compliant_design_fails_each_rule_it_breaks(tmp_path):
    design = write(tmp_path, DESIGN, "bad-design", **BAD)
    ncms = write(tmp_path, NCMS, "county-ncms")
    t = check_design(design, reference=ncms, episodes=episodes(), reference_episodes=episodes("member"))
    failed = set(zip(t[t.passes == False].rule, t[t.passes == False].category))
    assert failed == {
        ("financing_floor", "minor"),          # 70 < 80
        ("subsidy_share_floor", "minor"),      # 20 / 70 < 1/3
        ("subsidy_share_floor", "elderly"),    # 50 / 300 < 1/3
        ("personal_account", "elderly"),       # 20 > 0
        ("individual_paid_by_government", "dibao"),  # pays 10
        ("benefit_floor", "(all)"),            # 40% < NCMS 50%
    }
    assert _by(t, "financing_floor", "minor").actual == 70
    assert _by(t, "subsidy_share_floor", "minor").actual == pytest.approx(20 / 70)
    assert _by(t, "individual_paid_by_government", "dibao").actual == 10


def test_subsidy_of_exactly_one_third_to_the_fen(tmp_path):
    """A minor at 80 needs at least 26.67 (D-26 (a)); 26.66 fails."""
    ok = write(tmp_path, DESIGN, "third-ok", **{**GOOD, "minor_std": 80, "minor_ind": 53.33})
    no = write(tmp_path, DESIGN, "third-no", **{**GOOD, "minor_std": 80, "minor_ind": 53.34})
    assert bool(_by(check_design(ok), "subsidy_share_floor", "minor").passes) is True
    assert bool(_by(check_design(no), "subsidy_share_floor", "minor").passes) is False


def test_aggregate_reading_is_selectable(tmp_path):
    """D-26 (b): the elderly's 50 / 300 fails per person but the insured as a whole pass."""
    design = write(tmp_path, DESIGN, "mixed-design", **{**GOOD, "elderly_ind": 250})
    per_person = check_design(design)
    assert bool(_by(per_person, "subsidy_share_floor", "elderly").passes) is False
    agg = check_design(design, overrides={"readings.subsidy_floor_basis": "aggregate"})
    r = _by(agg, "subsidy_share_floor", "(all)")
    assert r.actual == pytest.approx((40 + 50 + 300) / 700) and bool(r.passes) is True
    # ... but not if the population is mostly elderly.
    persons = pd.DataFrame({"person_id": range(10), "category": ["elderly"] * 9 + ["dibao"]})
    r = _by(check_design(design, persons=persons, overrides={"readings.subsidy_floor_basis": "aggregate"}),
            "subsidy_share_floor", "(all)")
    assert r.actual == pytest.approx((9 * 50 + 300) / 3000) and bool(r.passes) is False


def test_per_episode_benefit_reading(tmp_path):
    """A design with a higher deductible can beat NCMS on average but not on every episode."""
    design = write(tmp_path, DESIGN, "deductible-design", **{**GOOD, "rate": 0.8})
    ncms = write(tmp_path, NCMS, "county-ncms")
    eps, ref = episodes(costs=(350.0, 40000.0)), episodes("member", costs=(350.0, 40000.0))
    # Raise the design's deductible to 600: on 350 it pays 0, NCMS pays 25.
    design = hc.load_scheme(design.file, overrides={"benefits.inpatient.deductible": 600})
    agg = _by(check_design(design, reference=ncms, episodes=eps, reference_episodes=ref), "benefit_floor")
    assert bool(agg.passes) is True
    each = _by(check_design(design, reference=ncms, episodes=eps, reference_episodes=ref,
                            overrides={"readings.benefit_floor_basis": "per_episode"}), "benefit_floor")
    assert each.actual == pytest.approx(-25) and bool(each.passes) is False


def test_dazu_checked_against_zhejiang(tmp_path):
    """A bundled design: Dazu tier 1 (seed 004 §4) keeps the urban special subsidy's rest on an
    account (50, Art. 14(四)1) and has urban dibao adults pay 10 (Art. 14(三))."""
    dazu = hc.load_scheme("dazu-resident", variant="tier1", overrides={"contributions.subsidy_special_level": "local"})
    t = check_design(dazu, groups={"urban_special": "dibao", "rural_dibao": "dibao", "rural_wubao": "dibao"})
    assert _by(t, "financing_floor", "minor").actual == 100
    assert bool(_by(t, "financing_floor", "minor").passes) is True
    assert bool(_by(t, "personal_account", "urban_special").passes) is False
    assert _by(t, "personal_account", "urban_special").actual == 50
    assert _by(t, "individual_paid_by_government", "urban_special").actual == 10
    assert bool(_by(t, "individual_paid_by_government", "rural_wubao").passes) is True
    # non-local residents get no subsidy at all
    assert bool(_by(t, "subsidy_share_floor", "nonlocal").passes) is False


def test_errors_name_what_is_wrong(tmp_path):
    design = write(tmp_path, DESIGN, "good-design", **GOOD)
    with pytest.raises(hc.HealthcoverError, match=r"groups key 'student' is not a category of the design good-design; allowed: minor, elderly, dibao"):
        check_design(design, groups={"student": "minor"})
    with pytest.raises(hc.HealthcoverError, match=r"groups value 'child' is not a category of the guideline zhejiang-resident-pilot"):
        check_design(design, groups={"minor": "child"})
    ncms = write(tmp_path, NCMS, "county-ncms")
    with pytest.raises(hc.HealthcoverError, match=r"benefit_floor rule compares protection levels on episodes; pass episodes="):
        check_design(design, reference=ncms)
    with pytest.raises(hc.HealthcoverError, match=r"has none of the rules check_design reads"):
        check_design(design, against="general-diagnosis-fee")
