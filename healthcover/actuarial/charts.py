"""Altair charts of the actuarial results; each chart is built from a DataFrame function beside it.

``payment_frame`` / ``payment_chart``: the fund's payment per claim (CDF, atoms visible).
``aggregate_chart``: density of the annual payments with VaR, TVaR and income marked.
``deficit_frame`` / ``deficit_chart``: P(S > income) against income.
``fan_chart``: a projection's quantiles by year (data from ``Projection.fan``).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from healthcover import checks as chk
from healthcover.actuarial.aggregate import LEVELS, AggregateLoss
from healthcover.actuarial.benefit import Payment
from healthcover.errors import HealthcoverError

_MAX_POINTS = 1_000_000


def _points(func: str, n) -> int:
    n = chk.positive_int(func, "n", n)
    if n > _MAX_POINTS:
        raise HealthcoverError(f"{func}: n = {n:,} is not allowed; n must be at most {_MAX_POINTS:,}")
    return n


def _agg(func: str, agg) -> AggregateLoss:
    if not isinstance(agg, AggregateLoss):
        raise HealthcoverError(f"{func}: agg must be the result of aggregate_loss(model); got {type(agg).__name__}")
    return agg

__all__ = ["payment_frame", "payment_chart", "aggregate_chart", "deficit_frame", "deficit_chart",
           "fan_chart"]


def payment_frame(payment: Payment, n: int = 400, upper_quantile: float = 0.999) -> pd.DataFrame:
    """P(Y <= y) on ``n`` payments from 0 to the cap (or the ``upper_quantile`` payment)."""
    if not isinstance(payment, Payment):
        raise HealthcoverError(f"payment_frame: payment must be a Payment; got {type(payment).__name__}")
    n = _points("payment_frame", n)
    upper_quantile = chk.probability("payment_frame", "upper_quantile", upper_quantile)
    top = payment.benefit.max_payment
    if not np.isfinite(top):
        top = float(payment.benefit.pay(payment.severity.ppf(upper_quantile)))
    y = np.linspace(0.0, top, n)
    # just below each atom too, so the steps show
    atoms = payment.benefit._y[payment.benefit._s == 0.0]
    y = np.unique(np.concatenate([y, atoms, np.maximum(atoms - top * 1e-9, 0.0)]))
    return pd.DataFrame({"payment": y, "cdf": payment.cdf(y), "sf": payment.sf(y)})


def payment_chart(payment: Payment, title: str = "Fund payment per claim"):
    import altair as alt

    df = payment_frame(payment)
    return alt.Chart(df, title=title).mark_line(interpolate="step-after").encode(
        x=alt.X("payment:Q", title="fund payment per claim (CNY)"),
        y=alt.Y("cdf:Q", title="P(payment <= x)", scale=alt.Scale(domain=[0, 1])),
        tooltip=["payment", "cdf"],
    )


def aggregate_chart(agg: AggregateLoss, income: float | None = None, levels: Sequence[float] = LEVELS,
                    title: str = "Annual fund payments S"):
    import altair as alt

    df = _agg("aggregate_chart", agg).frame()
    if income is not None:
        income = chk.number("aggregate_chart", "income", income)
    marks = [{"what": f"VaR {q:.1%}", "x": float(agg.ppf(q))} for q in levels]
    marks += [{"what": f"TVaR {q:.1%}", "x": float(agg.tvar(q))} for q in levels[-1:]]
    if income is not None:
        marks.append({"what": "income", "x": float(income)})
    dens = alt.Chart(df, title=title).mark_area(opacity=0.5).encode(
        x=alt.X("x:Q", title="annual fund payments (CNY)"), y=alt.Y("pdf:Q", title="density"))
    rules = alt.Chart(pd.DataFrame(marks)).mark_rule(strokeDash=[4, 3]).encode(
        x="x:Q", color=alt.Color("what:N", title=None), tooltip=["what", alt.Tooltip("x:Q", format=",.0f")])
    return dens + rules


def deficit_frame(agg: AggregateLoss, incomes: Sequence[float] | None = None, n: int = 200) -> pd.DataFrame:
    """P(S > income) for a range of incomes (default: from the mean to the 99.99% quantile).

    ``income / E[S]`` is infinite for a fund that pays nothing (E[S] = 0)."""
    _agg("deficit_frame", agg)
    n = _points("deficit_frame", n)
    if incomes is None:
        incomes = np.linspace(agg.mean, float(agg.ppf(0.9999)), n)
    incomes = np.atleast_1d(chk.points("deficit_frame", "incomes", incomes)).ravel()
    ratio = np.divide(incomes, agg.mean, out=np.full_like(incomes, np.inf), where=agg.mean > 0)
    return pd.DataFrame({"income": incomes, "P(deficit)": np.atleast_1d(agg.sf(incomes)),
                         "income / E[S]": ratio})


def deficit_chart(agg: AggregateLoss, target: float | None = 0.05, title: str = "Probability of a deficit"):
    import altair as alt

    if target is not None:
        target = chk.probability("deficit_chart", "target", target)
    df = deficit_frame(agg)
    line = alt.Chart(df, title=title).mark_line().encode(
        x=alt.X("income:Q", title="income (CNY)"),
        y=alt.Y("P(deficit):Q", title="P(payments > income)", scale=alt.Scale(type="log")),
        tooltip=[alt.Tooltip("income:Q", format=",.0f"), alt.Tooltip("P(deficit):Q", format=".3g")])
    if target is None:
        return line
    rule = alt.Chart(pd.DataFrame({"target": [target]})).mark_rule(strokeDash=[4, 3]).encode(y="target:Q")
    return line + rule


def fan_chart(fan: pd.DataFrame, quantity: str = "balance", title: str | None = None):
    """Bands 5-95% and 25-75% with the median, from ``Projection.fan``."""
    import altair as alt

    base = alt.Chart(fan, title=title or f"Projected {quantity}").encode(
        x=alt.X("year:O", title="year"))
    outer = base.mark_area(opacity=0.25).encode(y=alt.Y("q05:Q", title=f"{quantity} (CNY)"), y2="q95:Q")
    inner = base.mark_area(opacity=0.45).encode(y="q25:Q", y2="q75:Q")
    mid = base.mark_line().encode(y="q50:Q")
    return outer + inner + mid
