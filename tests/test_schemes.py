"""Scheme files: every bundled file loads, cites its sources, and malformed files are named."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml

import healthcover as hc
from healthcover.schemes.load import list_scheme_files, parse_leaf

GOOD = """
id: {id}
kind: resident
title: {{zh: 测试, en: Test}}
jurisdiction: {{zh: 测试, en: Test}}
source: {{doc: "004", article: "Art. 1"}}
categories:
  adult: {{zh: 成年人, en: Adult}}
facilities:
  county: {{zh: 县级医院, en: County hospital}}
care:
  inpatient: {{zh: 住院, en: Inpatient}}
benefits:
  inpatient:
    deductible:
      description: Deductible
      unit: CNY
      source: {{doc: "004", article: "Art. 23", quote: 起付线}}
      by: [facility]
      values: {{county: {{range: [100, 300], default: 200}}}}
    rate:
      description: Rate
      unit: share
      source: {{doc: "004", article: "Art. 23"}}
      value: 0.5
"""


def write(tmp_path, text, name="test-scheme"):
    f = tmp_path / f"{name}.yaml"
    f.write_text(text.format(id=name), encoding="utf-8")
    return f


@pytest.mark.parametrize("scheme_id", hc.list_schemes())
def test_every_bundled_scheme_loads_and_cites(scheme_id):
    meta_file = list_scheme_files()[scheme_id]
    raw = yaml.safe_load(meta_file.read_text(encoding="utf-8"))
    variants = list(raw.get("variants", {})) or [None]
    for variant in variants:
        s = hc.load_scheme(scheme_id, variant=variant)
        table = s.parameter_table()
        assert len(table) > 0
        assert table.doc.notna().all(), "every parameter cites its document"
        assert table.article.notna().all(), "every parameter cites its article or section"


def test_own_file_path_loads(tmp_path):
    s = hc.load_scheme(write(tmp_path, GOOD))
    assert s.value("benefits.inpatient.deductible", facility="county") == 200


def test_range_override_checked(tmp_path):
    f = write(tmp_path, GOOD)
    assert hc.load_scheme(f, overrides={"benefits.inpatient.deductible.county": 300}).value(
        "benefits.inpatient.deductible", facility="county") == 300
    with pytest.raises(hc.HealthcoverError, match=r"benefits.inpatient.deductible.county = 301 is outside the document's range \[100, 300\] \(doc 004, Art. 23: 「起付线」\)"):
        hc.load_scheme(f, overrides={"benefits.inpatient.deductible.county": 301})
    with pytest.raises(hc.HealthcoverError, match=r"override 'benefits.inpatient.deductible.clinic': 'clinic' is not a facility of this scheme; allowed: county"):
        hc.load_scheme(f, overrides={"benefits.inpatient.deductible.clinic": 200})
    with pytest.raises(hc.HealthcoverError, match=r"override 'benefits.nothing': no such parameter"):
        hc.load_scheme(f, overrides={"benefits.nothing": 1})


@pytest.mark.parametrize(
    "old, new, message",
    [
        ("default: 200", "default: 400", r"benefits.inpatient.deductible.values.county.default = 400: outside the range \[100, 300\]"),
        ("by: [facility]", "by: [hospital]", r"benefits.inpatient.deductible.by = 'hospital': unknown dimension; allowed: variant, category, facility, care"),
        ("values: {{county:", "values: {{clinic:", r"benefits.inpatient.deductible.values.clinic: 'clinic' is not a facility of this scheme; allowed: county"),
        ("kind: resident", "kind: private", r"kind = 'private': String should match pattern"),
        ("      value: 0.5", "      value: null", r"benefits.inpatient.rate.values = None: write \{not_stated: true\} for a blank in the document"),
        ("      source: {{doc: \"004\", article: \"Art. 23\"}}\n      value: 0.5", "      value: 0.5", r"benefits.inpatient.rate.source: missing; every parameter cites its document"),
        ("range: [100, 300], default: 200", "range: [300, 100], default: 200", r"range = \[300, 100\]: expected \[low, high\] numbers with low <= high"),
    ],
)
def test_malformed_file_names_file_field_and_value(tmp_path, old, new, message):
    text = GOOD.replace(old, new)
    assert text != GOOD
    f = write(tmp_path, text)
    with pytest.raises(hc.HealthcoverError, match=message) as info:
        hc.load_scheme(f)
    assert str(f) in str(info.value)


def test_all_problems_reported_at_once(tmp_path):
    text = GOOD.replace("default: 200", "default: 400").replace("value: 0.5", "value: null")
    with pytest.raises(hc.HealthcoverError) as info:
        hc.load_scheme(write(tmp_path, text))
    assert len(str(info.value).splitlines()) == 2


def test_id_must_match_file_name(tmp_path):
    f = tmp_path / "other.yaml"
    f.write_text(GOOD.format(id="test-scheme"), encoding="utf-8")
    with pytest.raises(hc.HealthcoverError, match=r"id = 'test-scheme': must equal the file name \('other'\)"):
        hc.load_scheme(f)


def test_leaf_kinds():
    problems = []
    assert parse_leaf({"at_least": 80}, "x", "f", problems).value == 80
    assert parse_leaf({"approx": 0.06}, "x", "f", problems).kind == "approx"
    assert parse_leaf({"not_stated": True}, "x", "f", problems).usable is False
    assert parse_leaf({"at_least": 80, "default": 70}, "x", "f", problems) is None
    assert "violates at_least 80" in problems[0]


def test_not_stated_use_names_parameter_and_source():
    s = hc.load_scheme("dazu-resident")
    with pytest.raises(hc.HealthcoverError, match=r"contributions.subsidy_special_level .*not stated in the document \[doc 004, Art. 14\(二\)"):
        s.value("contributions.subsidy_special_level")
    s2 = hc.load_scheme("dazu-resident", overrides={"contributions.subsidy_special_level": "central"})
    assert s2.value("contributions.subsidy_special_level") == "central"


def test_unknown_reading_option():
    with pytest.raises(hc.HealthcoverError, match=r"override 'readings.enrolment_bonus' = 'R9': allowed: R1, R2, R3"):
        hc.load_scheme("dazu-resident", overrides={"readings.enrolment_bonus": "R9"})


# --- every quote is the document's own words, on the lines cited ---------------------------

def _seeds() -> Path:
    """The seed documents: $HEALTHCOVER_SEEDS, else a ``shared/seeds`` folder beside the repository
    or beside any folder above it (a git worktree sits deeper than the main checkout)."""
    env = os.environ.get("HEALTHCOVER_SEEDS")
    if env:
        return Path(env)
    for parent in Path(__file__).resolve().parents[1:]:
        if (parent / "shared" / "seeds").is_dir():
            return parent / "shared" / "seeds"
    return Path(__file__).resolve().parents[2] / "shared" / "seeds"


SEEDS = _seeds()


def _quotes(node, path=""):
    """(field path, source) for every source mapping with a quote, anywhere in a file."""
    if isinstance(node, dict):
        if node.get("quote") and "doc" in node:
            yield path, node
        for k, v in node.items():
            yield from _quotes(v, f"{path}.{k}" if path else str(k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _quotes(v, f"{path}[{i}]")


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the seed documents (../shared/seeds) are not beside the repository")
@pytest.mark.parametrize("scheme_id", hc.list_schemes())
def test_every_quote_is_verbatim_on_its_lines(scheme_id):
    raw = yaml.safe_load(list_scheme_files()[scheme_id].read_text(encoding="utf-8"))
    found = list(_quotes(raw))
    assert found, "a scheme file quotes its document"
    problems = []
    for path, src in found:
        seed = next(SEEDS.glob(f"{src['doc']}_*.txt"), None)
        if seed is None:
            problems.append(f"{path}: no seed document {src['doc']!r}")
            continue
        lines = seed.read_text(encoding="utf-8").split("\n")
        at = [i + 1 for i, line in enumerate(lines) if src["quote"] in line]
        if not at:
            problems.append(f"{path}: quote not on any line of seed {src['doc']}: {src['quote']}")
            continue
        cited = [int(x) for x in re.findall(r"L(\d+)", src.get("lines") or "")]
        if cited and not any(min(cited) <= a <= max(cited) for a in at):
            problems.append(f"{path}: quote is on line(s) {at}, cited {src['lines']}")
    assert not problems, "\n".join(problems)
