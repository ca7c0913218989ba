"""The data of the actuarial charts, and the charts of actuarial results by their old names.

``payment_frame`` / ``payment_chart``: the fund's payment per claim (CDF, atoms visible).
``risk_marks`` / ``aggregate_chart``: density of the annual payments with VaR, TVaR and income.
``deficit_frame`` / ``deficit_chart``: P(S > income) against income.
``fan_chart``: a projection's quantiles by year (data from ``Projection.fan``).

The Altair code lives in :mod:`healthcover.plotting` (builders over DataFrames); the functions
here check their arguments, turn a result into its DataFrame and call the builder.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from healthcover import checks as chk
from healthcover import plotting
from healthcover.actuarial.aggregate import LEVELS, AggregateLoss
from healthcover.actuarial.benefit import Payment
from healthcover.errors import HealthcoverError
from healthcover.plotting import fan_chart

__all__ = ["payment_frame", "payment_chart", "risk_marks", "aggregate_chart", "deficit_frame",
           "deficit_chart", "fan_chart"]

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
    """The distribution of the fund's payment per claim (:func:`healthcover.plotting.payment_cdf_chart`)."""
    return plotting.payment_cdf_chart(payment_frame(payment), title=title)


def risk_marks(agg: AggregateLoss, income: float | None = None,
               levels: Sequence[float] = LEVELS) -> dict[str, float]:
    """VaR at each level, TVaR at the highest, and the income if given: name -> amount."""
    _agg("risk_marks", agg)
    marks = {f"VaR {q:.1%}": float(agg.ppf(q)) for q in levels}
    marks.update({f"TVaR {q:.1%}": float(agg.tvar(q)) for q in list(levels)[-1:]})
    if income is not None:
        marks["income"] = chk.number("risk_marks", "income", income)
    return marks


def aggregate_chart(agg: AggregateLoss, income: float | None = None, levels: Sequence[float] = LEVELS,
                    title: str = "Annual fund payments S"):
    """Density of the annual payments with VaR, TVaR and income marked
    (:func:`healthcover.plotting.aggregate_loss_chart`)."""
    marks = risk_marks(_agg("aggregate_chart", agg), income, levels)
    return plotting.aggregate_loss_chart(agg.frame(), marks, title=title)


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
    """P(S > income) against income (:func:`healthcover.plotting.deficit_probability_chart`)."""
    if target is not None:
        target = chk.probability("deficit_chart", "target", target)
    return plotting.deficit_probability_chart(deficit_frame(agg), target=target, title=title)
