"""Zhejiang urban resident pilot guidance (seed 003 §4): the file and its quotes.

The constraint checker that reads it is tested in ``tests/test_constraints.py``.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

import healthcover as hc

ROOT = Path(__file__).resolve().parents[1]
FILE = ROOT / "data" / "schemes" / "zhejiang-resident-pilot.yaml"
SID = "zhejiang-resident-pilot"


def _quotes(node, path=""):
    if isinstance(node, dict):
        if node.get("doc") and node.get("quote"):
            yield path, node
        for k, v in node.items():
            yield from _quotes(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _quotes(v, f"{path}[{i}]")


def test_every_citation_is_inside_section_4():
    """Quotes are checked verbatim on their lines for every scheme in tests/test_schemes.py; here,
    that this file cites only its own sub-document, seed 003 §4 (L201-L233)."""
    found = list(_quotes(yaml.safe_load(FILE.read_text(encoding="utf-8"))))
    assert len(found) >= 15
    for path, src in found:
        assert src["doc"] == "003", path
        cited = [int(x) for x in re.findall(r"L(\d+)", src.get("lines") or "")]
        assert cited, f"{path}: no line numbers"
        assert 201 <= min(cited) and max(cited) <= 233, f"{path}: cites {src['lines']}, outside §4"


def test_minimum_standards_as_the_document_states_them():
    s = hc.load_scheme(SID)
    assert s.meta.kind == "guideline"
    minor = s.leaf("parameters.financing_floor", category="minor")
    assert (minor.kind, minor.value) == ("at_least", 80)       # 不低于每人每年80元 (L227)
    share = s.leaf("parameters.subsidy_share_floor")
    assert share.kind == "at_least" and share.value == pytest.approx(1 / 3)  # 三分之一 (L229)
    assert s.leaf("parameters.personal_account").kind == "at_most"
    assert s.value("parameters.personal_account") == 0        # 不建个人账户 (L217)
    assert s.value("parameters.individual_paid_by_government", category="dibao") is True
    assert s.value("parameters.individual_paid_by_government", category="disabled") is True
    assert s.value("parameters.individual_paid_by_government", category="minor") is False
    assert s.value("parameters.benefit_floor") == "ncms"      # 不低于新型农村合作医疗 (L219)
    assert s.value("parameters.benefit_ceiling") == "uebmi"   # 不高于城镇职工基本医疗保险 (L227)


@pytest.mark.parametrize("cat", ["elderly", "disabled", "dibao", "other"])
def test_other_residents_financing_is_not_stated(cat):
    s = hc.load_scheme(SID)
    with pytest.raises(hc.HealthcoverError, match=r"parameters.financing_floor \(category=" + cat + r"\) is not stated.*L227"):
        s.value("parameters.financing_floor", category=cat)


def test_readings_default_and_selectable():
    s = hc.load_scheme(SID)
    assert s.reading("subsidy_floor_basis") == "per_person"            # D-26 (a)
    assert s.value("parameters.subsidy_floor_basis") == "per_person"
    a = hc.load_scheme(SID, overrides={"readings.subsidy_floor_basis": "aggregate"})
    assert a.value("parameters.subsidy_floor_basis") == "aggregate"
    e = hc.load_scheme(SID, overrides={"readings.benefit_floor_basis": "per_episode"})
    assert e.value("parameters.benefit_floor_basis") == "per_episode"


def test_a_floor_below_the_document_is_rejected():
    with pytest.raises(hc.HealthcoverError, match=r"financing_floor.minor = 60 is outside the document's at least 80 .*L227"):
        hc.load_scheme(SID, overrides={"parameters.financing_floor.minor": 60})
    stricter = hc.load_scheme(SID, overrides={"parameters.financing_floor.minor": 100})
    assert stricter.value("parameters.financing_floor", category="minor") == 100
