r"""Rules of the employee and laid-off schemes that are neither per-person contributions nor
per-claim payments: late fees, the closure buy-out, arrears, first payments, wage-linked benefit
amounts and the category and start rules of the county laid-off plan.

Every function reads its numbers and its reading from a scheme file (``scheme=``, an id or a
:class:`~healthcover.Scheme`); pass a reading to choose another one, or explicit values to
explore. All functions are vectorised over NumPy arrays or pandas Series.

Sources (seed 002, §3 = Bazhou; §1 = the county laid-off plan; seed 000 = Liaoning):

* late fee, Bazhou Art. 16: 「從欠繳之日起,按日加收2‰滯納金」 (DIGEST D-09, E17)
* closure buy-out, Bazhou Art. 11: 「繳足一年和退休人員繳足以後所需(計算至70周歲)」 (D-08)
* arrears, Bazhou Art. 17: suspension 「從次月起」, then 「3000元以上的部分不予支付」 (D-07)
* first payment, Bazhou Art. 15: 「首次繳費時需一次繳清3個月」
* deductible and ceiling, Liaoning II(4): about 10% and 4 times the local average wage
* categories and start, 002 §1 三(二), L15 (D-10)
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from healthcover.errors import HealthcoverError, allowed, rows_preview
from healthcover.money import round_fen as _fen

__all__ = [
    "late_fee", "late_fee_between", "closure_buyout_staff", "closure_buyout_retirees", "closure_buyout",
    "arrears_suspended", "arrears_admitted_cost", "first_payment_due", "wage_linked_overrides",
    "laidoff_resident_category", "resident_benefit_start",
]

BAZHOU = "bazhou-employee"
LIAONING = "liaoning-employee-1999"
COUNTY_LAIDOFF = "county-laidoff-resident"


# --- helpers -----------------------------------------------------------------------------------


def _scheme(scheme: Any):
    from healthcover.scheme import Scheme, load_scheme

    return scheme if isinstance(scheme, Scheme) else load_scheme(scheme)


def _reading(scheme, name: str, reading: str | None) -> str:
    s = _scheme(scheme)
    if reading is None:
        return s.reading(name)
    options = s.meta.readings[name].options
    if reading not in options:
        raise HealthcoverError(f"reading {name} = {reading!r} is not an option of {s.id}; allowed: {allowed(options)}")
    return reading


def _money(x: Any, name: str) -> np.ndarray:
    a = np.asarray(pd.to_numeric(pd.Series(np.atleast_1d(x)), errors="coerce"), dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(a) | (a < 0))
    if bad.size:
        raise HealthcoverError(
            f"{name} {rows_preview(bad)}: {a[bad[:5]].tolist()} is not allowed; allowed: an amount in yuan >= 0"
        )
    return a


def _count(x: Any, name: str) -> np.ndarray:
    a = np.asarray(pd.to_numeric(pd.Series(np.atleast_1d(x)), errors="coerce"), dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(a) | (a < 0) | (a != np.floor(a)))
    if bad.size:
        raise HealthcoverError(f"{name} {rows_preview(bad)}: {a[bad[:5]].tolist()} is not allowed; allowed: a whole number >= 0")
    return a.astype(np.int64)


def _dates(x: Any, name: str) -> np.ndarray:
    d = pd.to_datetime(pd.Series(np.atleast_1d(x)), errors="coerce")
    bad = np.flatnonzero(d.isna().to_numpy())
    if bad.size:
        raise HealthcoverError(f"{name} {rows_preview(bad)}: not a date; allowed: YYYY-MM-DD or datetime64")
    return d.to_numpy().astype("datetime64[D]")


def _shape(result: np.ndarray, like: Any):
    return result if np.ndim(like) else result[0]


# --- late fee (Bazhou Art. 16) -----------------------------------------------------------------


def late_fee(amount: Any, days: Any, *, rate_per_day: float | None = None, scheme: Any = BAZHOU):
    r"""Late fee on arrears: simple interest per day, rounded to the fen.

    .. math:: \text{fee} = A \cdot r \cdot n

    with arrears :math:`A`, daily rate :math:`r` (Bazhou Art. 16: 2‰, 「按日加收2‰滯納金」) and
    days :math:`n`. The fee goes to the pooled fund (Art. 22).

    Examples
    --------
    >>> float(late_fee(10000, 30))   # DIGEST E17
    600.0
    """
    rate = float(_scheme(scheme).value("parameters.late_fee_rate_per_day")) if rate_per_day is None else float(rate_per_day)
    a, n = _money(amount, "amount"), _count(days, "days")
    return _shape(_fen(a * rate * n), amount if np.ndim(amount) else days)


def late_fee_between(amount: Any, due_date: Any, paid_date: Any, deadline: Any = None, *,
                     reading: str | None = None, day_count: str | None = None,
                     scheme: Any = BAZHOU) -> pd.DataFrame:
    """Late fee for arrears due on ``due_date`` and paid on ``paid_date`` (Bazhou Art. 16).

    The labour bureau orders payment by ``deadline``; under the reading ``after_deadline`` (the
    text's 「逾期不繳納」) no fee is due if payment comes by then, otherwise the fee runs 「從欠繳之日起」,
    from the due date. Reading ``always`` charges it for any late payment. Days are counted by
    the reading ``late_fee_day_count``: ``after_due`` = paid - due, ``inclusive`` = one more.
    Without a deadline, the deadline is taken as missed.

    Returns a DataFrame with ``days``, ``fee`` and ``total_due`` (arrears + fee).

    Examples
    --------
    >>> late_fee_between(10000, "2024-03-10", "2024-05-20", "2024-04-30")["fee"].item()   # D-09
    1420.0
    """
    s = _scheme(scheme)
    accrual = _reading(s, "late_fee_accrual", reading)
    count = _reading(s, "late_fee_day_count", day_count)
    a = _money(amount, "amount")
    due, paid = _dates(due_date, "due_date"), _dates(paid_date, "paid_date")
    a, due, paid = np.broadcast_arrays(a, due, paid)
    days = np.maximum((paid - due).astype(np.int64) + (1 if count == "inclusive" else 0), 0)
    days = np.where(paid > due, days, 0)
    if deadline is not None and accrual == "after_deadline":
        dl = np.broadcast_to(_dates(deadline, "deadline"), paid.shape)
        days = np.where(paid <= dl, 0, days)
    fee = late_fee(a, days, scheme=s)
    fee = np.atleast_1d(fee)
    return pd.DataFrame({"days": days, "fee": fee, "total_due": _fen(a + fee)})


# --- closure buy-out (Bazhou Art. 11) ----------------------------------------------------------


def closure_buyout_staff(average_wage: Any, n_staff: Any = 1, *, rate_total: float | None = None,
                         scheme: Any = BAZHOU):
    r"""Lump sum a closing employer pays for its active employees on the books (Bazhou Art. 11).

    .. math:: B_{staff} = n \cdot y \cdot \bar w \cdot (r_e + r_i)

    one year (:math:`y`, 「繳足一年」) on the previous-year city average wage :math:`\bar w` at the
    employer + employee rate. The employer rate is not stated in the text: without
    ``rate_total`` the scheme's rates are used, which raises unless an override supplies it.
    """
    s = _scheme(scheme)
    if rate_total is None:
        rate_total = float(s.value("contributions.rate_employer", category="employee")) + float(
            s.value("contributions.rate_individual", category="employee"))
    years = float(s.value("parameters.buyout_staff_years"))
    w, n = _money(average_wage, "average_wage"), _count(n_staff, "n_staff")
    return _shape(_fen(n * years * w * float(rate_total)), average_wage if np.ndim(average_wage) else n_staff)


def closure_buyout_retirees(ages: Any, annual_cost: Any = None, *, reading: str | None = None,
                            scheme: Any = BAZHOU) -> pd.DataFrame:
    r"""Contributions a closing employer pays for each retiree, up to age 70 (Bazhou Art. 11).

    .. math:: B_j = c \cdot \max(0, 70 - a_j) \quad\text{(whole years)}, \qquad
              c \cdot \max(0, 71 - a_j) \quad\text{(including the year of turning 70)}

    with :math:`c` the city's previous-year average medical cost of retirees of the same category
    (「以我市上年度同類人員平均醫療費為標準計繳」), an external datum, and the reading
    ``buyout_retiree_years`` (DIGEST D-08). Returns ``years`` and ``amount`` per retiree.

    Examples
    --------
    >>> closure_buyout_retirees([63], 2500)["amount"].item()   # D-08 (a)
    17500.0
    """
    s = _scheme(scheme)
    how = _reading(s, "buyout_retiree_years", reading)
    age_limit = int(s.value("parameters.buyout_retiree_age"))
    if annual_cost is None:
        annual_cost = s.value("parameters.buyout_retiree_annual_cost")
    a = _count(ages, "ages")
    c = np.broadcast_to(_money(annual_cost, "annual_cost"), a.shape)
    years = np.maximum(age_limit + (1 if how == "including_year_70" else 0) - a, 0)
    return pd.DataFrame({"years": years, "amount": _fen(years * c)})


def closure_buyout(*, n_staff: int = 0, average_wage: float | None = None, retiree_ages: Any = (),
                   retiree_annual_cost: Any = None, rate_total: float | None = None,
                   reading: str | None = None, scheme: Any = BAZHOU) -> pd.Series:
    """Total closure buy-out (Bazhou Art. 11): ``staff`` + ``retirees`` = ``total``."""
    staff = 0.0
    if n_staff:
        if average_wage is None:
            raise HealthcoverError("closure_buyout: n_staff > 0 needs average_wage (the previous-year city average wage)")
        staff = float(closure_buyout_staff(average_wage, n_staff, rate_total=rate_total, scheme=scheme))
    retirees = 0.0
    if len(np.atleast_1d(retiree_ages)):
        retirees = float(closure_buyout_retirees(retiree_ages, retiree_annual_cost, reading=reading, scheme=scheme)["amount"].sum())
    return pd.Series({"staff": staff, "retirees": retirees, "total": float(_fen(staff + retirees))})


# --- arrears (Bazhou Art. 17) ------------------------------------------------------------------


def arrears_suspended(claim_date: Any, arrears_date: Any, back_paid_date: Any = None):
    """Whether the pooled fund's benefits are suspended on ``claim_date`` (Bazhou Art. 17).

    Suspension starts on the first day of the month after the arrears (「從次月起暫停」) and ends on
    the back-payment date; the employer bears costs meanwhile (「暫停期間所發生的醫療費用,由用人單位負擔」).
    Use the result to set a claim's ``covered_cost`` to 0.
    """
    d = _dates(claim_date, "claim_date")
    arr = _dates(arrears_date, "arrears_date")
    start = (arr.astype("datetime64[M]") + 1).astype("datetime64[D]")
    out = d >= start
    if back_paid_date is not None:
        out &= d < _dates(back_paid_date, "back_paid_date")
    return _shape(out, claim_date)


def arrears_admitted_cost(cost: Any, *, person_id: Any = None, date: Any = None, reading: str | None = None,
                          threshold: float | None = None, scheme: Any = BAZHOU):
    r"""Cost the pooled fund may still consider after back-paid arrears (Bazhou Art. 17, D-07).

    Within the contribution year after a back-payment, 「再發生的一次性醫療費用在3000元以上的部分不予支付」:

    * ``part_above`` (literal): :math:`\min(c, T)` per episode;
    * ``whole_episode``: 0 for an episode of :math:`T` or more, else :math:`c`;
    * ``cumulative``: :math:`T` over the year's re-incurred costs per person, in date order
      (needs ``person_id`` and ``date``).

    Pass only the claims incurred after the back-payment in that year; the result is their
    ``covered_cost`` for :meth:`Scheme.adjudicate`. Who bears the excluded part is not stated.

    Examples
    --------
    >>> float(arrears_admitted_cost(5000))
    3000.0
    """
    s = _scheme(scheme)
    how = _reading(s, "arrears_threshold", reading)
    T = float(s.value("parameters.arrears_threshold")) if threshold is None else float(threshold)
    c = _money(cost, "cost")
    if how == "part_above":
        out = np.minimum(c, T)
    elif how == "whole_episode":
        out = np.where(c >= T, 0.0, c)
    else:
        if person_id is None or date is None:
            raise HealthcoverError("arrears_admitted_cost: reading 'cumulative' needs person_id and date for each claim")
        d = _dates(date, "date")
        frame = pd.DataFrame({"p": np.atleast_1d(person_id), "y": d.astype("datetime64[Y]"), "d": d, "c": c})
        order = frame.sort_values(["p", "y", "d"], kind="stable").index.to_numpy()
        f = frame.loc[order]
        before = f.groupby(["p", "y"], sort=False)["c"].cumsum().to_numpy() - f["c"].to_numpy()
        out = np.empty_like(c)
        out[order] = np.clip(T - before, 0, f["c"].to_numpy())
    return _shape(_fen(out), cost)


# --- first payment (Bazhou Art. 15) -------------------------------------------------------------


def first_payment_due(monthly_contribution: Any, *, scheme: Any = BAZHOU):
    """The first payment: 3 months' contributions at once (Bazhou Art. 15, 「首次繳費時需一次繳清3個月」)."""
    months = float(_scheme(scheme).value("parameters.first_payment_months"))
    return _shape(_fen(_money(monthly_contribution, "monthly_contribution") * months), monthly_contribution)


# --- wage-linked benefit amounts (Liaoning II(4)) -----------------------------------------------


def wage_linked_overrides(average_wage: float, *, scheme: Any = LIAONING) -> dict[str, float]:
    r"""Overrides that turn Liaoning's wage-linked deductible and ceiling into amounts.

    .. math:: D = d\,\bar w, \qquad L = m\,\bar w

    with :math:`d` about 10% and :math:`m` about 4 (II(4), 「aproximadamente el 10%」,
    「aproximadamente 4 veces」) of the local average annual wage :math:`\bar w`. Pass the result
    (plus an assumed rate) to ``load_scheme(..., overrides=...)`` for one city's wage. The engine
    also reads the shares itself against each person's ``average_wage`` (a population mixing
    cities): these amounts, given as overrides, take precedence over the shares.
    """
    s = _scheme(scheme)
    w = float(_money(average_wage, "average_wage")[0])
    return {
        "benefits.inpatient.deductible": float(_fen(w * float(s.value("benefits.inpatient.deductible_share_of_average_wage")))),
        "benefits.inpatient.annual_limit": float(_fen(w * float(s.value("benefits.inpatient.annual_limit_multiple_of_average_wage")))),
    }


# --- the county laid-off plan (seed 002 §1) ------------------------------------------------------


def laidoff_resident_category(*, child: Any, age: Any, dibao: Any, disabled: Any,
                              disability_grade: Any = None, unable_to_work: Any = None,
                              income_per_head: Any = None, minimum_wage: Any = None,
                              reading: str | None = None, scheme: Any = COUNTY_LAIDOFF) -> np.ndarray:
    """Category of each person under 002 §1 三(二)1-4 (codes ``child, adult, hardship, dibao_child``).

    * children and students (``child``) on dibao or disabled: ``dibao_child`` (三(二)4);
      other children and students: ``child`` (三(二)1);
    * others are ``hardship`` (三(二)3) if on dibao, or disabled of grade 2 or above (grades 1-2)
      and unable to work, or in the low-income / aged-60 group, read by ``hardship_elderly``
      (DIGEST D-10): ``one_group`` = household income per head below the local minimum wage AND
      aged 60+, ``two_groups`` = either; otherwise ``adult`` (三(二)2).
    """
    s = _scheme(scheme)
    how = _reading(s, "hardship_elderly", reading)
    child = np.asarray(np.atleast_1d(child), dtype=bool)
    n = len(child)

    def flag(x, default=False):
        return np.broadcast_to(np.asarray(np.atleast_1d(default if x is None else x), dtype=bool), (n,))

    age_a = np.broadcast_to(_count(age, "age"), (n,))
    dibao_a, disabled_a = flag(dibao), flag(disabled)
    grade = np.broadcast_to(np.atleast_1d(np.asarray(99 if disability_grade is None else disability_grade, dtype=float)), (n,))
    severe = disabled_a & (grade <= 2) & flag(unable_to_work)
    if income_per_head is None or minimum_wage is None:
        low_income = np.zeros(n, dtype=bool)
    else:
        low_income = np.broadcast_to(_money(income_per_head, "income_per_head"), (n,)) < np.broadcast_to(
            _money(minimum_wage, "minimum_wage"), (n,))
    aged = age_a >= 60
    elderly = (low_income & aged) if how == "one_group" else (low_income | aged)
    hardship = dibao_a | severe | elderly
    out = np.where(child, np.where(dibao_a | disabled_a, "dibao_child", "child"), np.where(hardship, "hardship", "adult"))
    return out.astype(object)


def resident_benefit_start(payment_date: Any, rejoining: Any = False, *, scheme: Any = COUNTY_LAIDOFF):
    """First day of benefits for a payment (002 §1, L15).

    A regular annual payment covers the next year (「逾期未繳納者,下一年度不享受」: the payment made in
    the year's window buys the next year's benefits); someone re-joining after a lapse starts in
    July of the year after the payment (「從繳費次年的七月份起開始享受」).
    """
    s = _scheme(scheme)
    month = int(s.value("parameters.rejoin_benefit_start_month"))
    d = _dates(payment_date, "payment_date")
    rj = np.broadcast_to(np.asarray(np.atleast_1d(rejoining), dtype=bool), d.shape)
    next_year = d.astype("datetime64[Y]") + 1
    start = np.where(rj, (next_year.astype("datetime64[M]") + (month - 1)).astype("datetime64[D]"),
                     next_year.astype("datetime64[D]"))
    return _shape(start, payment_date)

