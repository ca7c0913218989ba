"""One band schedule serves the claims engine and the actuarial helpers: on a single claim (the
first of its person's year) the engine and ``actuarial.Benefit.from_scheme`` pay the same, for
every covered cell of every scheme the population runs through, with bands or one rate."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import healthcover as hc
from healthcover.actuarial import Benefit
from healthcover.schemes.bands import BandSchedule, band_pay


def _schemes():
    out = []
    for r in hc.population_schemes().itertuples():
        if r.runnable:
            out.append(hc.data.scheme_for_population(r.scheme_id, variant=r.variant, assumptions=True)[0])
    out.append(hc.load_scheme("jilin-resident-2008", variant="city", overrides={  # DIGEST D-03's bands
        "benefits.inpatient.bands.adult": [[10_000, 0.4], [30_000, 0.6], [None, 0.7]]}))
    out.append(hc.load_scheme("general-diagnosis-fee"))
    return out


def _cells(s):
    """(care, category, facility, Benefit) of each covered cell a Benefit can describe."""
    t = s.compiled.benefits
    out = []
    for care in s.care_types:
        c = t.care_types.index(care)
        for k, cat in enumerate(s.categories):
            for f, fac in enumerate(s.facilities or [None]):
                cell = t.cell(np.array([c]), np.array([k]), np.array([f]))[0]
                if not t.covered[cell] or t.fixed[cell] < hc.money.NO_LIMIT or t.bonus[cell]:
                    continue
                if any(st_[cell] for st_ in t.status.values()):
                    continue
                dims = {"category": cat} | ({"facility": fac} if fac else {})
                try:
                    b = Benefit.from_scheme(s, care, **dims)
                except hc.HealthcoverError:
                    continue
                out.append((care, cat, fac, b))
    return out


CASES = [(s, care, cat, fac, b) for s in _schemes() for care, cat, fac, b in _cells(s)]


def test_there_are_many_cells_and_some_have_bands():
    assert len(CASES) > 50
    assert any(len(b.bands) == 3 for *_, b in CASES)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(CASES), st.lists(st.floats(0, 500_000, allow_nan=False), min_size=1, max_size=20))
def test_engine_and_benefit_pay_the_same_on_single_claims(case, costs):
    s, care, cat, fac, b = case
    costs = np.round(np.asarray(costs), 2)
    claims = pd.DataFrame({"person_id": np.arange(len(costs)), "date": "2024-06-01", "care": care,
                           "facility": fac or "-", "cost": costs, "category": cat, "stay_days": 1})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", hc.HealthcoverWarning)
        r = s.adjudicate(claims)
    expected = np.floor(b.pay(costs) * 100 + 0.5 + 1e-6) / 100
    np.testing.assert_allclose(r.fund_paid.to_numpy(), expected, atol=0.0100001)
    assert np.abs(r.fund_paid.to_numpy() - expected).mean() < 0.005  # to the fen but for ties


@given(st.lists(st.tuples(st.floats(1, 1e5), st.floats(0, 1)), min_size=1, max_size=3),
       st.lists(st.floats(0, 3e5), min_size=1, max_size=30))
def test_the_table_form_and_the_pieces_agree(raw, amounts):
    uppers = np.cumsum([u for u, _ in raw])
    bands = [[float(u), r] for u, (_, r) in zip(uppers[:-1], raw[:-1])] + [[None, raw[-1][1]]]
    s = BandSchedule.of(bands=bands)
    rates, ups = s.table()
    x = np.asarray(amounts)
    np.testing.assert_allclose(band_pay(x, rates, ups), s.pay(x), rtol=1e-12, atol=1e-9)
    # non-decreasing, and never more than the amount
    order = np.sort(x)
    assert (np.diff(s.pay(order)) >= -1e-9).all() and (s.pay(x) <= x + 1e-9).all()


def test_a_finite_last_upper_pays_nothing_beyond():
    s = BandSchedule.of(bands=[[1000, 0.5], [3000, 0.8]])
    assert s.pay([500, 1000, 2000, 3000, 9000]).tolist() == [250, 500, 1300, 2100, 2100]
    with pytest.raises(ValueError):
        s.table()
    assert s.pieces()[-1] == (3000.0, math.inf, 0.0)
