"""healthcover.employee: late fee, closure buy-out, arrears, first payment, wage-linked amounts.

Expected values are the documents' (DIGEST E17, D-07, D-08, D-09, D-01, 002 §1 L15).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import healthcover as hc
from healthcover import employee


def test_e17_late_fee():
    assert employee.late_fee(10000, 30) == 600
    assert employee.late_fee(10000, 30) + 10000 == 10600


def test_late_fee_is_vectorised_and_simple():
    fees = employee.late_fee(np.array([10000, 5000, 0]), np.array([30, 10, 99]))
    assert list(fees) == [600, 100, 0]
    assert employee.late_fee(pd.Series([10000.0]), 1).tolist() == [20]  # not compounded


def test_d09_readings_and_day_count():
    """Due 10 March, ordered to pay by 30 April; paid 25 April or 20 May."""
    paid = ["2024-04-25", "2024-05-20"]
    a = employee.late_fee_between(10000, "2024-03-10", paid, "2024-04-30")
    assert list(a["fee"]) == [0, 1420] and list(a["days"]) == [0, 71]
    b = employee.late_fee_between(10000, "2024-03-10", paid, "2024-04-30", reading="always")
    assert list(b["fee"]) == [920, 1420] and list(b["days"]) == [46, 71]
    c = employee.late_fee_between(10000, "2024-03-10", paid, "2024-04-30", day_count="inclusive")
    assert list(c["days"]) == [0, 72]
    assert list(a["total_due"]) == [10000, 11420]


def test_late_fee_readings_come_from_the_scheme():
    s = hc.load_scheme("bazhou-employee", overrides={"readings.late_fee_accrual": "always"})
    got = employee.late_fee_between(10000, "2024-03-10", "2024-04-25", "2024-04-30", scheme=s)
    assert got["fee"].item() == 920
    with pytest.raises(hc.HealthcoverError, match="late_fee_accrual = 'never' .*allowed: after_deadline, always"):
        employee.late_fee_between(10000, "2024-03-10", "2024-04-25", reading="never")


def test_d08_retirees_to_age_70():
    a = employee.closure_buyout_retirees([63, 70, 75], 2500)
    assert list(a["years"]) == [7, 0, 0] and list(a["amount"]) == [17500, 0, 0]
    b = employee.closure_buyout_retirees([63], 2500, reading="including_year_70")
    assert b["amount"].item() == 20000


def test_closure_buyout_needs_the_unstated_rates_and_costs():
    with pytest.raises(hc.HealthcoverError, match=r"rate_employer \(category=employee\) is not stated"):
        employee.closure_buyout_staff(20000, n_staff=10)
    with pytest.raises(hc.HealthcoverError, match=r"buyout_retiree_annual_cost .*not stated.*G-04"):
        employee.closure_buyout_retirees([63])
    s = hc.load_scheme("bazhou-employee", overrides={"contributions.rate_employer.employee": 0.06})
    # One year at the average wage x (employer + employee rate), for each employee on the books.
    assert employee.closure_buyout_staff(20000, n_staff=10, scheme=s) == 10 * 20000 * 0.08
    total = employee.closure_buyout(n_staff=10, average_wage=20000, retiree_ages=[63, 68], retiree_annual_cost=2500, scheme=s)
    assert (total["staff"], total["retirees"], total["total"]) == (16000, 22500, 38500)
    assert employee.closure_buyout_staff(20000, n_staff=10, rate_total=0.1) == 20000


def test_d07_three_readings():
    assert employee.arrears_admitted_cost(5000) == 3000  # (a) the part above 3,000 excluded
    assert employee.arrears_admitted_cost(5000, reading="whole_episode") == 0  # (b)
    assert list(employee.arrears_admitted_cost([2000, 2000])) == [2000, 2000]  # (a) admits 4,000
    got = employee.arrears_admitted_cost([2000, 2000], person_id=[1, 1], date=["2024-08-01", "2024-07-01"], reading="cumulative")
    assert list(got) == [1000, 2000] and got.sum() == 3000  # (c) in date order
    with pytest.raises(hc.HealthcoverError, match="needs person_id and date"):
        employee.arrears_admitted_cost([2000], reading="cumulative")


def test_arrears_suspension_starts_next_month():
    got = employee.arrears_suspended(["2024-03-31", "2024-04-01"], "2024-03-10")
    assert list(got) == [False, True]


def test_first_payment_is_three_months():
    assert employee.first_payment_due(150) == 450
    assert list(employee.first_payment_due([100, 200])) == [300, 600]


def test_wage_linked_liaoning_amounts():
    assert employee.wage_linked_overrides(10000) == {
        "benefits.inpatient.deductible": 1000, "benefits.inpatient.annual_limit": 40000}


def test_bad_inputs_name_the_argument():
    with pytest.raises(hc.HealthcoverError, match=r"amount row 1: \[-5\.0\] is not allowed; allowed: an amount in yuan >= 0"):
        employee.late_fee([10, -5], 3)
    with pytest.raises(hc.HealthcoverError, match=r"days row 0: \[1\.5\] is not allowed; allowed: a whole number >= 0"):
        employee.late_fee(10, 1.5)
    with pytest.raises(hc.HealthcoverError, match="paid_date row 0: not a date"):
        employee.late_fee_between(10, "2024-01-10", "soon")


@settings(max_examples=50, deadline=None)
@given(amount=st.integers(0, 10_000_000), days=st.integers(0, 2000), extra=st.integers(0, 100))
def test_late_fee_grows_with_days(amount, days, extra):
    a = amount / 100
    assert employee.late_fee(a, days) <= employee.late_fee(a, days + extra)
    assert employee.late_fee(a, days) == pytest.approx(a * 0.002 * days, abs=0.0051)


@settings(max_examples=50, deadline=None)
@given(costs=st.lists(st.integers(0, 1_000_000), min_size=1, max_size=8))
def test_admitted_cost_never_exceeds_cost_or_threshold(costs):
    c = np.array(costs) / 100
    dates = pd.date_range("2024-01-01", periods=len(c), freq="D")
    for reading in ("part_above", "whole_episode", "cumulative"):
        got = np.atleast_1d(employee.arrears_admitted_cost(c, person_id=np.ones(len(c)), date=dates, reading=reading))
        assert (got <= c + 1e-9).all() and (got >= 0).all()
        assert (got <= 3000).all()
    cum = employee.arrears_admitted_cost(c, person_id=np.ones(len(c)), date=dates, reading="cumulative")
    assert np.sum(cum) <= 3000 + 1e-9
