"""The documents' worked examples (tests/cases/<scheme-id>.yaml), run through the public API.

A case gives persons, claims (``repeat: n`` repeats a claim on n consecutive months) and the
expected columns (``<column>_sum`` compares a column's total; ``.nan`` is a value the document
leaves blank). ``missing: nan`` computes contributions with ``missing="nan"``; ``raises: <regex>``
expects a :class:`healthcover.HealthcoverError` instead of a result.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import healthcover as hc

CASES = Path(__file__).parent / "cases"


def _load():
    for f in sorted(CASES.glob("*.yaml")):
        doc = yaml.safe_load(f.read_text(encoding="utf-8"))
        for kind in ("claims", "contributions"):
            for case in doc.get(kind, []):
                yield pytest.param(doc["scheme"], kind, case, id=f"{f.stem}::{kind}::{case['name']}")


def _claims(rows):
    out = []
    for r in rows:
        r = dict(r)
        n = r.pop("repeat", 1)
        start = pd.Timestamp(r["date"])
        for k in range(n):
            out.append({**r, "date": start + pd.DateOffset(months=k)})
    return pd.DataFrame(out)


def _run(scheme_id, kind, case):
    scheme = hc.load_scheme(scheme_id, variant=case.get("variant"), overrides=case.get("overrides"),
                            allow_out_of_range=case.get("allow_out_of_range", False))
    persons = pd.DataFrame(case["persons"]) if "persons" in case else None
    if kind == "claims":
        return scheme.adjudicate(_claims(case["claims"]), persons)
    if "missing" in case:
        with pytest.warns(hc.HealthcoverWarning, match="not stated in the document"):
            return scheme.contributions(persons, missing=case["missing"])
    return scheme.contributions(persons)


@pytest.mark.parametrize("scheme_id, kind, case", list(_load()))
def test_worked_example(scheme_id, kind, case):
    if "raises" in case:
        with pytest.raises(hc.HealthcoverError, match=case["raises"]):
            _run(scheme_id, kind, case)
        return
    result = _run(scheme_id, kind, case)
    for key, expected in case["expect"].items():
        if key.endswith("_sum"):
            assert result[key[:-4]].sum() == pytest.approx(expected, abs=0.005), key
        elif key == "limit_reason":
            assert list(result[key].astype(str)) == expected
        else:
            np.testing.assert_allclose(result[key].to_numpy(dtype=float), expected, atol=0.005, err_msg=key)
