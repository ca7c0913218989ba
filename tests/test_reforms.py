"""healthcover.reforms: the reform explorer's model in the library. The measures updated for the
households a reform changes equal the whole computation (ScenarioModel, itself checked against
household_oop and the protection measures in tests/test_scenarios.py), for every scheme the
population runs through; the files every process maps are built once and reused; every
control says how many households it reaches."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import healthcover as hc
from healthcover import reforms, scenarios

N = 1_500
SEED = reforms.DEFAULT_SEED
RUNNABLE = [(r.scheme_id, r.variant) for r in reforms.reform_schemes().query("runnable").itertuples()]


@pytest.fixture(autouse=True)
def _cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("HEALTHCOVER_CACHE", str(tmp_path_factory.getbasetemp() / "hc-cache"))


def _whole(scheme_id, variant, reform, allow=False):
    pop = hc.synthetic_population(N, seed=SEED)
    return scenarios.ScenarioModel(pop, scheme_id, variant=variant, assumptions=True).run(
        reform, allow_out_of_range=allow)


def _same(a, b):
    sa, sb = a.summary.set_index("measure"), b.summary.set_index("measure")
    for col in ("baseline", "reform", "change"):
        np.testing.assert_allclose(sa[col].to_numpy(), sb[col].to_numpy(), rtol=1e-9, atol=1e-9)
    qa = a.by_quintile.sort_values(["scenario", "measure", "quintile"]).reset_index(drop=True)
    qb = b.by_quintile.sort_values(["scenario", "measure", "quintile"]).reset_index(drop=True)
    assert qa[["scenario", "measure", "quintile"]].equals(qb[["scenario", "measure", "quintile"]])
    np.testing.assert_allclose(qa["value"].to_numpy(), qb["value"].to_numpy(), rtol=1e-9, atol=1e-9)
    pd.testing.assert_frame_equal(a.oop_distribution, b.oop_distribution)


def test_every_runnable_scheme_is_a_reform_model():
    assert {s for s, _ in RUNNABLE} == {"dazu-resident", "jilin-resident-2008", "liaoning-employee-1999",
                                        "xiangzhou-resident"}


@pytest.mark.parametrize("scheme_id, variant", RUNNABLE)
def test_updated_measures_equal_the_whole_computation(scheme_id, variant):
    m = reforms.ReformModel(scheme_id, variant, n_households=N, seed=SEED)
    assert not m.controls.empty
    # every control at the far end of its reform range: pools re-adjudicated, measures updated
    reform = {r.key: r.wide_max if r.value < r.wide_max else r.wide_min for r in m.controls.itertuples()}
    _same(m.run(reform, allow_out_of_range=True), _whole(scheme_id, variant, {**m.assumptions, **reform}, True))
    _same(m.run({}), _whole(scheme_id, variant, m.assumptions))
    m.set_poverty_line(900)
    r = m.run(reform, allow_out_of_range=True)
    pop = hc.synthetic_population(N, seed=SEED)
    whole = scenarios.ScenarioModel(pop, scheme_id, variant=variant, assumptions=True, poverty_line=900).run(
        {**m.assumptions, **reform}, allow_out_of_range=True)
    _same(r, whole)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_reform_of_jilin_matches_the_whole_computation(data):
    m = _jilin()
    rows = data.draw(st.lists(st.sampled_from(list(m.controls.itertuples())), min_size=1, max_size=4, unique_by=lambda r: r.key))
    reform = {r.key: data.draw(st.floats(r.wide_min, r.wide_max, allow_nan=False)) for r in rows}
    _same(m.run(reform, allow_out_of_range=True), _whole("jilin-resident-2008", "city", reform, True))


_MODELS: dict = {}


def _jilin():
    if "jilin" not in _MODELS:
        _MODELS["jilin"] = reforms.ReformModel("jilin-resident-2008", "city", n_households=N, seed=SEED)
    return _MODELS["jilin"]


def test_the_population_and_baselines_are_files_read_by_every_process(tmp_path, monkeypatch):
    monkeypatch.setenv("HEALTHCOVER_CACHE", str(tmp_path))
    reforms.dashboard_population.cache_clear()
    pop = reforms.dashboard_population(N, SEED)
    drawn = hc.synthetic_population(N, seed=SEED)
    for table in ("households", "persons", "claims"):
        a, b = getattr(pop, table), getattr(drawn, table)
        assert list(a.columns) == list(b.columns)
        for col in a.columns:
            assert (np.asarray(a[col]).astype(str) == np.asarray(b[col]).astype(str)).all(), (table, col)
    assert isinstance(np.asarray(pop.households["consumption"]).base, np.memmap) or \
        isinstance(pop.households["consumption"].to_numpy(), np.ndarray)
    first = reforms.ReformModel("dazu-resident", "tier2", n_households=N, seed=SEED)
    base = first.run({})
    files = sorted(tmp_path.rglob("baselines/*.npz"))
    assert len(files) == len(first._pools)  # one per annual-limit pool
    # A second model (another kernel) reads them: no pool is adjudicated for the baseline.
    second = reforms.ReformModel("dazu-resident", "tier2", n_households=N, seed=SEED)
    timings = {}
    second._totals(second.document, timings)
    assert timings["pools_adjudicated"] == []
    _same(second.run({}), base)


def test_every_control_says_whom_it_reaches():
    m = reforms.ReformModel("dazu-resident", "tier2", n_households=N, seed=SEED)
    r = m.run({"benefits.inpatient.annual_limit.adult": 500.0}, allow_out_of_range=True)
    reach = r.control_reach.set_index("key")
    assert set(reach.index) == set(m.controls["key"])
    assert (reach["households_with_claims"] > 0).all()
    limit = reach.loc["benefits.inpatient.annual_limit.adult"]
    assert limit["binding_reform"] > limit["binding_baseline"]  # a low limit binds for more households
    assert pd.isna(reach.loc["benefits.inpatient.rate.adult.county", "binding_baseline"])


def test_an_exact_value_is_fixed_and_a_range_is_the_documents():
    d = reforms.ReformModel("dazu-resident", "tier2", n_households=N, seed=SEED).controls.set_index("key")
    assert (d.loc["benefits.inpatient.rate.adult.county", ["doc_min", "doc_max"]] == 0.5).all()
    j = _jilin().controls.set_index("key")
    assert tuple(j.loc["benefits.inpatient.deductible.adult.county", ["doc_min", "doc_max"]]) == (300.0, 900.0)


def test_households_from_the_environment(monkeypatch):
    monkeypatch.setenv(reforms.HOUSEHOLDS_ENV, "1234")
    assert reforms.default_households() == 1234
    monkeypatch.setenv(reforms.HOUSEHOLDS_ENV, "many")
    with pytest.raises(hc.HealthcoverError, match="HEALTHCOVER_DASHBOARD_HOUSEHOLDS must be a positive whole number"):
        reforms.default_households()
