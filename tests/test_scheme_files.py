"""A scheme file is checked whole at load: every defect is named (file, field path, value) in
one message, one line per problem; the format is published as JSON Schema; overrides derive new,
checked schemes; Hypothesis mutates files and asserts an error or a scheme that computes."""
from __future__ import annotations

import json
import math
import pickle
from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import healthcover as hc
from healthcover.schemes import json_schema
from healthcover.schemes.load import list_scheme_files

ROOT = Path(__file__).resolve().parents[1]

GOOD = """\
id: {id}
kind: resident
title: {{zh: 测试, en: Test}}
jurisdiction: {{zh: 测试, en: Test}}
source: {{doc: "004", article: "Art. 1"}}
categories:
  adult: {{zh: 成年人, en: Adult}}
  minor: {{zh: 未成年人, en: Minor}}
facilities:
  township: {{zh: 乡镇卫生院, en: Township}}
  county: {{zh: 县级医院, en: County hospital}}
care:
  inpatient: {{zh: 住院, en: Inpatient}}
benefits:
  inpatient:
    deductible:
      description: Deductible
      unit: CNY per admission
      source: {{doc: "004", article: "Art. 23", quote: 起付线}}
      by: [facility]
      values: {{township: 50, county: {{range: [100, 300], default: 200}}}}
    rate:
      description: Rate
      unit: share
      source: {{doc: "004", article: "Art. 23"}}
      by: [category, facility]
      values:
        adult: {{township: 0.7, county: 0.5}}
        minor: {{township: 0.8, county: 0.6}}
    annual_limit:
      description: Annual limit on the fund's payment
      unit: CNY per person-year
      source: {{doc: "004", article: "Art. 23"}}
      by: [category]
      values: {{adult: 60000, minor: 72000}}
"""


def write(tmp_path, text, name="test-scheme"):
    f = tmp_path / f"{name}.yaml"
    f.write_text(text.format(id=name) if "{id}" in text else text, encoding="utf-8")
    return f


def load_error(tmp_path, text) -> str:
    f = write(tmp_path, text)
    with pytest.raises(hc.HealthcoverError) as info:
        hc.load_scheme(f)
    message = str(info.value)
    assert str(f.name) in message, "every problem names the file"
    return message


def test_good_file_loads_and_computes(tmp_path):
    s = hc.load_scheme(write(tmp_path, GOOD))
    claims = pd.DataFrame({"person_id": [1], "date": ["2024-03-01"], "care": ["inpatient"],
                           "facility": ["county"], "cost": [10_000.0], "category": ["adult"]})
    assert s.adjudicate(claims).fund_paid.tolist() == [4900.0]


@pytest.mark.parametrize("old, new, message", [
    # a missing cell is an error, not "no limit"
    ("values: {{adult: 60000, minor: 72000}}", "values: {{adult: 60000}}",
     r"benefits.inpatient.annual_limit has no cell for category=minor, facility=township; give a value, "
     r"\{not_stated: true\}"),
    ("minor: {{township: 0.8, county: 0.6}}", "minor: {{township: 0.8}}",
     r"benefits.inpatient.rate has no cell for category=minor, facility=county"),
    ("adult: {{township: 0.7, county: 0.5}}", "adult: {{township: 0.7, county: .nan}}",
     r"benefits.inpatient.rate.values.adult.county = nan: allowed: a share between 0 and 1"),
    ("adult: {{township: 0.7, county: 0.5}}", "adult: {{township: 7.0, county: 0.5}}",
     r"benefits.inpatient.rate.values.adult.township = 7.0: allowed: a share between 0 and 1"),
    ("values: {{township: 50,", "values: {{township: -50,",
     r"benefits.inpatient.deductible.values.township = -50: allowed: an amount in yuan >= 0, finite"),
    ("values: {{township: 50,", "values: {{township: .inf,",
     r"benefits.inpatient.deductible.values.township = inf: allowed: an amount in yuan >= 0, finite"),
    ("values: {{adult: 60000, minor: 72000}}", "values: {{adult: .inf, minor: 72000}}", None),  # no limit: allowed
    ("    annual_limit:\n", "    anual_limit:\n",
     r"benefits.inpatient.anual_limit: unknown benefit rule; the engine reads covered, fund_amount, deductible"),
    ("range: [100, 300], default: 200", "range: [100, 300], default: 400",
     r"benefits.inpatient.deductible.values.county.default = 400: outside the range \[100, 300\]"),
    ("range: [100, 300], default: 200", "range: [300, 100], default: 200",
     r"range = \[300, 100\]: expected \[low, high\] numbers with low <= high"),
    ("care:\n", "parameters:\n  copay:\n    description: A copayment\n    unit: percent\n    source: {{doc: \"004\"}}\n"
     "    value: 5\ncare:\n",
     r"parameters.copay.unit = 'percent': unknown unit; a unit starts with one of share, CNY"),
    ("      unit: share\n", "      unit: CNY per admission\n",
     r"benefits.inpatient.rate.unit = 'CNY per admission': this rule is a share, the unit says money"),
    ("source: {{doc: \"004\", article: \"Art. 1\"}}", "source: {{doc: \"004\", article: \"Art. 1\"}}\ndates: {{issued: 2024-02-30}}",
     r"'2024-02-30' is not a valid date"),
])
def test_defects_are_named(tmp_path, old, new, message):
    text = GOOD.replace(old, new)
    assert text != GOOD
    if message is None:
        hc.load_scheme(write(tmp_path, text))
        return
    assert pytest.importorskip("re").search(message, load_error(tmp_path, text))


def test_every_problem_at_once_one_line_each(tmp_path):
    text = (GOOD.replace("values: {{adult: 60000, minor: 72000}}", "values: {{adult: 60000}}")
            .replace("adult: {{township: 0.7, county: 0.5}}", "adult: {{township: 7.0, county: 0.5}}")
            .replace("    annual_limit:\n", "    annual_limit:\n").replace("values: {{township: 50,", "values: {{township: -50,"))
    lines = load_error(tmp_path, text).splitlines()
    assert len(lines) == 2, lines  # the rate and the deductible (the missing cell is found once they are fixed)
    text = GOOD.replace("values: {{adult: 60000, minor: 72000}}", "values: {{adult: 60000}}").replace(
        "minor: {{township: 0.8, county: 0.6}}", "minor: {{township: 0.8}}")
    lines = load_error(tmp_path, text).splitlines()
    assert len(lines) == 3, lines  # two missing limit cells and one missing rate cell


def test_duplicate_keys_are_errors(tmp_path):
    text = GOOD.replace("      by: [facility]\n", "      by: [facility]\n      unit: CNY\n")
    message = load_error(tmp_path, text)
    assert "key 'unit' is given twice in one mapping" in message and "line" in message


def test_alias_bomb_is_refused_quickly(tmp_path):
    bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        prev = chr(ord("a") + i - 1)
        bomb.append(f"{chr(ord('a') + i)}: &{chr(ord('a') + i)} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, "
                    f"*{prev}, *{prev}, *{prev}, *{prev}, *{prev}]")
    text = GOOD + "\n".join(bomb) + "\n"
    message = load_error(tmp_path, text)
    assert "YAML aliases expand this document beyond 200,000 nodes" in message


def test_shared_aliases_and_merge_keys_are_fine(tmp_path):
    text = GOOD.replace("values: {{adult: 60000, minor: 72000}}", "values: &lim {{adult: 60000, minor: 72000}}")
    hc.load_scheme(write(tmp_path, text))


def test_non_utf8_bytes_name_the_file_and_line(tmp_path):
    f = tmp_path / "test-scheme.yaml"
    f.write_bytes(GOOD.format(id="test-scheme").replace("测试", "X", 1).encode("utf-8").replace(
        b"Deductible", "Déductible".encode("latin-1")))
    with pytest.raises(hc.HealthcoverError, match=r"test-scheme.yaml: line \d+: the bytes .* are not UTF-8"):
        hc.load_scheme(f)


def test_python_tags_are_refused(tmp_path):
    text = GOOD + "extra: !!python/object/apply:os.system ['true']\n"
    assert "not valid YAML" in load_error(tmp_path, text)


def test_readings_options_are_checked_at_load(tmp_path):
    text = GOOD + """readings:
  r:
    question: Which?
    options: {{a: one, b: two}}
    used: a
    sets:
      b: {{benefits.inpatient.rate: 7}}
"""
    assert "readings.r.sets.b: override 'benefits.inpatient.rate' = 7: allowed: a share between 0 and 1" in load_error(tmp_path, text)


# --- JSON Schema -----------------------------------------------------------------------------


def test_json_schema_is_published_and_current():
    committed = json.loads((ROOT / "docs" / "scheme.schema.json").read_text(encoding="utf-8"))
    assert committed == json_schema(), "regenerate: python -m healthcover.schemes.model > docs/scheme.schema.json"
    assert hc.schemes.SchemeFile.model_json_schema()["title"] == "healthcover scheme file"


@pytest.mark.parametrize("scheme_id", hc.list_schemes())
def test_bundled_files_validate_against_the_json_schema(scheme_id):
    raw = yaml.safe_load(list_scheme_files()[scheme_id].read_text(encoding="utf-8"))
    jsonschema.validate(json.loads(json.dumps(raw, default=str)), json_schema())


def test_json_schema_rejects_what_the_loader_rejects():
    raw = yaml.safe_load(GOOD.format(id="x"))
    jsonschema.validate(raw, json_schema())
    for bad in ({"kind": "private"}, {"benefits": {"inpatient": {"rate": {"description": "r", "unit": "share",
                                                                          "value": 0.5}}}}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate({**raw, **bad}, json_schema())


# --- overrides make new schemes --------------------------------------------------------------


def test_with_overrides_returns_a_new_scheme():
    base = hc.load_scheme("dazu-resident", variant="tier2")
    reform = base.with_overrides({"benefits.inpatient.rate.adult.county": 0.6})
    assert base.value("benefits.inpatient.rate", category="adult", facility="county") == 0.5
    assert reform.value("benefits.inpatient.rate", category="adult", facility="county") == 0.6
    assert isinstance(reform, hc.Scheme) and reform.variant == "tier2"
    with pytest.raises(AttributeError, match="immutable"):
        base.variant = "tier1"
    with pytest.raises(ValueError, match="read-only"):
        base.compiled.benefits.rates[0, 0] = 1.0
    # the same as loading with the overrides
    direct = hc.load_scheme("dazu-resident", variant="tier2", overrides={"benefits.inpatient.rate.adult.county": 0.6})
    assert np.array_equal(direct.compiled.benefits.rates, reform.compiled.benefits.rates)
    assert dict(reform.overrides) == {"benefits.inpatient.rate.adult.county": 0.6}


@pytest.mark.parametrize("value", [np.float32(0.6), np.float64(0.6), "0.6", " 0.60 ", 0.6])
def test_override_values_are_normalised(value):
    s = hc.load_scheme("dazu-resident", variant="tier2").with_overrides({"benefits.inpatient.rate.adult.county": value})
    assert s.value("benefits.inpatient.rate", category="adult", facility="county") == pytest.approx(0.6, abs=1e-7)


@pytest.mark.parametrize("value, message", [
    (True, r"allowed: a number \(True/False is not an amount or a share\)"),
    (np.bool_(True), r"allowed: a number"),
    (float("nan"), r"allowed: a share between 0 and 1"),
    ("abc", r"allowed: a number"),
    (7.0, r"allowed: a share between 0 and 1"),
    (-0.1, r"allowed: a share between 0 and 1"),
    (None, r"allowed: a number"),
])
def test_bad_override_values_are_refused_even_outside_the_range(value, message):
    s = hc.load_scheme("dazu-resident", variant="tier2")
    with pytest.raises(hc.HealthcoverError, match=message):
        s.with_overrides({"benefits.inpatient.rate.adult.county": value}, allow_out_of_range=True)


@pytest.mark.parametrize("path, value, message", [
    ("benefits.inpatient.deductible", -100, r"allowed: an amount in yuan >= 0, finite"),
    ("benefits.inpatient.deductible", np.int64(-5), r"allowed: an amount in yuan >= 0, finite"),
    ("benefits.inpatient.deductible", float("inf"), r"allowed: an amount in yuan >= 0, finite"),
    ("parameters.enrolment_bonus.every", 0, r"parameters.enrolment_bonus.every = 0.0: allowed: a number of years >= 1"),
    ("benefits.inpatient.deductible_frequency", "weekly", r"allowed: per_claim, per_year"),
])
def test_overrides_cannot_reach_the_engine_as_nonsense(path, value, message):
    with pytest.raises(hc.HealthcoverError, match=message):
        hc.load_scheme("dazu-resident", variant="tier2", overrides={path: value}, allow_out_of_range=True)


def test_removing_a_limit_is_explicit():
    s = hc.load_scheme("dazu-resident", variant="tier2", overrides={"benefits.inpatient.annual_limit": math.inf},
                       allow_out_of_range=True)
    claims = pd.DataFrame({"person_id": [1], "date": ["2024-03-01"], "care": ["inpatient"],
                           "facility": ["county"], "cost": [1_000_000.0], "category": ["adult"]})
    assert s.adjudicate(claims).fund_paid.iloc[0] == (1_000_000 - 200) * 0.5


def test_scheme_pickles_small_and_computes_the_same():
    s = hc.load_scheme("dazu-resident", variant="tier2", overrides={"benefits.inpatient.rate.adult.county": 0.55})
    blob = pickle.dumps(s)
    assert len(blob) < 40_000, len(blob)
    back = pickle.loads(blob)
    claims = pd.DataFrame({"person_id": [1, 1], "date": ["2024-03-01", "2024-04-01"], "care": "inpatient",
                           "facility": ["county", "township"], "cost": [10_000.0, 500.0], "category": "adult"})
    pd.testing.assert_frame_equal(back.adjudicate(claims), s.adjudicate(claims))
    assert back.value("benefits.inpatient.rate", category="adult", facility="county") == 0.55


def test_own_file_pickles_with_its_text(tmp_path):
    f = write(tmp_path, GOOD)
    s = hc.load_scheme(f)
    blob = pickle.dumps(s)
    f.unlink()  # a worker without the file
    back = pickle.loads(blob)
    assert back.value("benefits.inpatient.rate", category="adult", facility="county") == 0.5


# --- Hypothesis: mutated files load or fail with a HealthcoverError -------------------------------

LEAVES = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8), st.lists(st.floats(allow_nan=True), max_size=3),
    st.fixed_dictionaries({"range": st.lists(st.floats(-5, 5), min_size=0, max_size=3),
                           "default": st.floats(allow_nan=True)}),
    st.fixed_dictionaries({"not_stated": st.one_of(st.booleans(), st.integers())}),
    st.fixed_dictionaries({"at_least": st.floats(allow_nan=True)}),
)


def _paths(node, prefix=()):
    if isinstance(node, dict):
        for k, v in node.items():
            yield prefix + (k,)
            yield from _paths(v, prefix + (k,))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_files_load_or_fail_clearly(tmp_path, data):
    raw = yaml.safe_load(GOOD.format(id="fuzz-scheme"))
    paths = list(_paths(raw))
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(paths))
        node = raw
        for k in path[:-1]:
            node = node.get(k) if isinstance(node, dict) else None
            if node is None:
                break
        if not isinstance(node, dict) or path[-1] not in node:
            continue
        action = data.draw(st.sampled_from(["replace", "delete", "rename"]))
        if action == "replace":
            node[path[-1]] = data.draw(LEAVES)
        elif action == "delete":
            del node[path[-1]]
        else:
            node[data.draw(st.text(min_size=1, max_size=6))] = node.pop(path[-1])
    text = yaml.safe_dump(raw, allow_unicode=True)
    if data.draw(st.booleans()):
        text = text.encode("utf-8")
        text = text if data.draw(st.booleans()) else text.replace(b"Test", b"T\xe9st")
    f = tmp_path / "fuzz-scheme.yaml"
    f.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    try:
        s = hc.load_scheme(f)
    except hc.HealthcoverError as exc:
        assert "fuzz-scheme.yaml" in str(exc) or "fuzz-scheme" in str(exc)
        return
    if not s.care_types or not s.categories:
        return  # nothing to adjudicate (e.g. the care types and the benefits both removed)
    # a file that loads computes without surprises
    claims = pd.DataFrame({"person_id": [1, 1], "date": ["2024-03-01", "2024-03-05"],
                           "care": [s.care_types[0]] * 2, "facility": [(s.facilities or [""])[0]] * 2,
                           "cost": [1234.5, 99999.0], "category": [s.categories[0]] * 2})
    try:
        r = s.adjudicate(claims)
    except hc.HealthcoverError:
        return
    assert (r.fund_paid >= 0).all() and (r.oop >= 0).all()
    assert np.allclose(r.fund_paid + r.oop, claims.cost, atol=1e-9)
