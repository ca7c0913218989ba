"""healthcover.funds: one fund per scheme the synthetic population runs through, every assumption
cited in both languages, and the dashboard's numbers reachable from a notebook."""
from __future__ import annotations

import math

import pytest

import healthcover as hc
from healthcover import funds


def test_every_runnable_scheme_has_a_fund_and_the_others_say_why():
    table = hc.population_schemes()
    runnable = set(table.loc[table["runnable"], "scheme_id"])
    assert set(funds.funds()) == runnable
    blocked = funds.unavailable_funds()
    assert set(blocked["scheme_id"]) == set(table["scheme_id"]) - runnable
    assert (blocked["reason_zh"].str.len() > 5).all() and (blocked["reason_en"].str.len() > 20).all()
    for text in list(blocked["reason_en"]) + list(blocked["reason_zh"]):
        assert "hc." not in text and "DIGEST" not in text  # a visitor reads these


def test_population_claims_follow_the_calibration():
    f = funds.funds()["xiangzhou-resident"]
    a, c = hc.data.ASSUMPTIONS, hc.data.CALIBRATION
    assert f.claims_from == "population"
    assert f.admission_rate == pytest.approx(a["admission_need_rate"].value * (1 - c["forgone_admission"].value))
    assert f.mean_cost == pytest.approx(c["inpatient_cost"].value)
    assert {x.facility for x in f.lines} == {"pilot_community", "other"}
    sigma = a["inpatient_sigma"].value
    assert all(x.cv == pytest.approx(math.sqrt(math.exp(sigma**2) - 1)) for x in f.lines)


@pytest.mark.parametrize("scheme_id", sorted(funds.funds()))
def test_each_fund_computes_for_each_variant(scheme_id):
    s = hc.load_scheme(scheme_id)
    for v in s.variants or [None]:
        r = funds.solvency(scheme_id, v, n_paths=50, years=3)
        assert 0 <= r.value("p_deficit") <= 1 and r.value("expected_payments") > 0
        assert list(r.fan["year"]) == [1, 2, 3]


def test_errors_name_the_argument():
    with pytest.raises(hc.HealthcoverError, match="no fund set up for scheme 'veterans-medical-subsidy'.*second payer"):
        funds.solvency("veterans-medical-subsidy")
    with pytest.raises(hc.HealthcoverError, match="solvency: admission_rate must lie in"):
        funds.solvency("dazu-resident", admission_rate=-1, n_paths=10)
    with pytest.raises(hc.HealthcoverError, match="solvency: members must be a positive number"):
        funds.solvency("dazu-resident", members=float("nan"), n_paths=10)
