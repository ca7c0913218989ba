"""Scenarios: every scheme the population can run through reaches hc.compare; the others say
why; the cached model equals the library computed from scratch; grouped measures equal the
measures of each group."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import healthcover as hc
from healthcover import protection

N = 800


@pytest.fixture(scope="module")
def pop():
    return hc.synthetic_population(N, seed=11)


RUNNABLE = [(r.scheme_id, r.variant) for r in hc.population_schemes().itertuples() if r.runnable]


def test_every_scheme_is_runnable_or_says_why():
    t = hc.population_schemes()
    assert set(t["scheme_id"]) == set(hc.list_schemes())
    blocked = t[~t["runnable"]]
    assert (blocked["reason_en"].str.len() > 20).all() and (blocked["reason_zh"].str.len() > 5).all()
    # the schemes whose rules can pay the population's claims all reach the population tools
    assert {"dazu-resident", "jilin-resident-2008", "liaoning-employee-1999", "xiangzhou-resident"} <= set(
        t.loc[t["runnable"], "scheme_id"])
    with pytest.raises(hc.HealthcoverError, match="does not run through bazhou-employee: The document's text stops"):
        hc.for_scheme(hc.synthetic_population(5), "bazhou-employee")


@pytest.mark.parametrize("scheme_id, variant", RUNNABLE)
def test_compare_runs_for_every_runnable_scheme(pop, scheme_id, variant):
    base = hc.load_scheme(scheme_id, variant=variant)
    cells = base.parameter_table("benefits.inpatient.rate")
    cells = cells[cells["kind"] != "not_stated"]
    reform = {}
    if len(cells):
        first = cells.iloc[0]
        key = "benefits.inpatient.rate" + ("." + ".".join(v.split("=")[1] for v in first["cell"].split(", ")) if first["cell"] else "")
        reform = {key: min(float(first["value"]) + 0.1, 1.0)}
    c = hc.compare(pop, base, reform, assumptions=True, allow_out_of_range=True)
    assert c.summary["measure"].tolist() == list(hc.scenarios.MEASURES)
    assert c.by_quintile["quintile"].between(1, 5).all()
    hh = hc.household_oop(pop, base, assumptions=True)
    np.testing.assert_allclose(c.baseline.fund, hh["fund_paid"], atol=0.005)
    np.testing.assert_allclose(c.baseline.fund + c.baseline.oop, hh["cost"], atol=0.01)
    if reform:
        assert c.value("fund_total", "change") >= 0
        assert len(c.overrides) >= 1
    tidy = c.tidy()
    assert set(tidy.columns) == {"group", "measure", "scenario", "value"}
    assert (c.assumptions["citation"].str.startswith("assumption") | c.assumptions["derived_from"].ne("")).all()


def test_blanks_need_assumptions_by_name(pop):
    with pytest.raises(hc.NotStatedError, match="general_outpatient.rate"):
        hc.compare(pop, "dazu-resident", {})
    c = hc.compare(pop, "dazu-resident", {}, assumptions=True)
    assert c.assumptions["key"].tolist() == ["benefits.general_outpatient.rate"]
    assert c.value("fund_total", "change") == 0


def test_reform_as_a_scheme_and_the_wrong_scheme(pop):
    m = hc.ScenarioModel(pop, "jilin-resident-2008", variant="city")
    reform = hc.load_scheme("jilin-resident-2008", variant="city", overrides={"benefits.inpatient.deductible.adult.county": 500})
    a = m.run(reform)
    b = m.run({"benefits.inpatient.deductible.adult.county": 500})
    pd.testing.assert_frame_equal(a.summary, b.summary)
    with pytest.raises(hc.HealthcoverError, match="compare a scheme with a reform of it"):
        m.run(hc.load_scheme("dazu-resident"))
    with pytest.raises(hc.HealthcoverError, match="reform must be a mapping of overrides or a Scheme"):
        m.run(42)
    with pytest.raises(hc.HealthcoverError, match="poverty line must be a positive amount"):
        m.set_poverty_line(-5)


def test_a_cached_pool_is_reused_only_when_its_rules_are_the_same(pop):
    m = hc.ScenarioModel(pop, "dazu-resident", variant="tier2", assumptions=True)
    m.run({})
    r = m.run({"benefits.general_outpatient.rate": 0.4})
    outpatient_pool = [name for name, p in m._pools.items() if "general_outpatient" in p.cares]
    assert r.timings["pools_adjudicated"] == outpatient_pool  # the inpatient pool's rules are unchanged
    again = m.run({"benefits.general_outpatient.rate": 0.4})
    assert again.timings["pools_adjudicated"] == []
    pd.testing.assert_frame_equal(again.summary, r.summary)


def test_reach_says_how_many_households_a_limit_binds_for(pop):
    c = hc.compare(pop, "dazu-resident", {"benefits.inpatient.annual_limit": 2000}, assumptions=True,
                   allow_out_of_range=True)
    reach = c.reach.set_index(["pool", "rule"])
    limit = reach.xs("annual_limit", level="rule")
    assert (limit["binding_households_reform"] >= limit["binding_households_baseline"]).all()
    assert limit["binding_households_reform"].max() > 0


# --- grouped measures equal the measures of each group ------------------------------------------

households = st.integers(5, 60).flatmap(lambda n: st.fixed_dictionaries({
    "oop": st.lists(st.sampled_from([0.0, 10.0, 50.0, 120.0, 900.0]), min_size=n, max_size=n),
    "cons": st.lists(st.sampled_from([500.0, 1000.0, 2000.0]), min_size=n, max_size=n),  # many ties
    "w": st.lists(st.sampled_from([0.0, 0.5, 1.0, 2.0]), min_size=n, max_size=n),
    "g": st.lists(st.sampled_from(["a", "b", "c"]), min_size=n, max_size=n),
}))


@settings(max_examples=120, deadline=None)
@given(households, st.sampled_from([0.05, 0.1, 0.25]))
def test_catastrophic_by_group_equals_each_group(d, threshold):
    df = pd.DataFrame(d)
    df.loc[0, "w"] = 1.0
    by = protection.catastrophic(df, oop="oop", consumption="cons", threshold=threshold, method="total",
                                 weight="w", by="g")
    for g, sub in df.groupby("g"):
        if not sub["w"].sum() > 0:
            assert by.loc[g].isna().all() or (by.loc[g, "headcount"] != by.loc[g, "headcount"])
            continue
        one = protection.catastrophic(sub, oop="oop", consumption="cons", threshold=threshold, method="total",
                                      weight="w")
        np.testing.assert_allclose(by.loc[g].to_numpy(dtype=float), [one[k] for k in by.columns],
                                   rtol=1e-9, atol=1e-12, equal_nan=True)
    shuffled = df.sample(frac=1, random_state=1)
    again = protection.catastrophic(shuffled, oop="oop", consumption="cons", threshold=threshold, method="total",
                                    weight="w", by="g")
    pd.testing.assert_frame_equal(by, again)


def test_grouped_impoverishment_and_errors():
    df = pd.DataFrame({"oop": [0, 100, 400], "cons": [1000, 1000, 900], "size": [1, 2, 1], "q": [1, 1, 2]})
    by = protection.impoverishment(df, oop="oop", consumption="cons", poverty_line=600, size="size", by="q")
    one = protection.impoverishment(df[df.q == 1], oop="oop", consumption="cons", poverty_line=600, size="size")
    assert by.loc[1].to_dict() == pytest.approx(one)
    with pytest.raises(hc.HealthcoverError, match="by = 'nope' is not a column"):
        protection.impoverishment(df, oop="oop", consumption="cons", poverty_line=600, by="nope")
    with pytest.raises(hc.HealthcoverError, match=r"column 'q' \(by\) has missing values"):
        protection.catastrophic(df.assign(q=[1, None, 2]), oop="oop", consumption="cons", threshold=0.1,
                                method="total", by="q")


def test_account_holders_claims_stay_one_pool():
    """Dazu tier 1's special-subsidy account draws across care types (Art. 14(四)1), so a
    population with account holders is adjudicated in one pool: the model's totals equal the
    engine's on the same claims."""
    from healthcover.scenarios import ScenarioModel

    pop = hc.for_scheme(hc.synthetic_population(n_households=400, seed=7), "dazu-resident")
    persons = pop.persons.copy()
    adults = np.flatnonzero(persons["category"].astype(str).to_numpy() == "adult")
    persons.loc[persons.index[adults[::3]], "category"] = "urban_special"
    pop.persons = persons
    m = ScenarioModel(pop, "dazu-resident", variant="tier1", assumptions=True)
    assert list(m._pools) == ["all"]
    scheme = m.document
    insured = persons["insured"].to_numpy(dtype=bool) if "insured" in persons else np.ones(len(persons), bool)
    keep = pop.claims["care"].isin(scheme.care_types).to_numpy() & insured[
        pd.Index(persons["person_id"]).get_indexer(pop.claims["person_id"])]
    direct = scheme.adjudicate(pop.claims[keep], persons)
    base = m.baseline
    assert base.fund.sum() == pytest.approx(direct["fund_paid"].sum())
    assert direct["account_paid"].sum() > 0
    assert base.oop.sum() == pytest.approx(pop.claims["cost"].sum() - direct["fund_paid"].sum() - direct["account_paid"].sum())
