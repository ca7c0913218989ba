"""The data of the actuarial charts, and the charts of actuarial results by their old names.

``payment_frame`` / ``payment_chart``: the fund's payment per claim (CDF, atoms visible).
``risk_marks`` / ``aggregate_chart``: density of the annual payments with VaR, TVaR and income.
``deficit_frame`` / ``deficit_chart``: P(S > income) against income.
``fan_chart``: a projection's quantiles by year (data from ``Projection.fan``).

The Altair code lives in :mod:`healthcover.plotting` (builders over DataFrames); the functions
here turn a result into its DataFrame and call the builder.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from healthcover import plotting
from healthcover.actuarial.aggregate import LEVELS, AggregateLoss
from healthcover.actuarial.benefit import Payment
from healthcover.plotting import fan_chart

__all__ = ["payment_frame", "payment_chart", "risk_marks", "aggregate_chart", "deficit_frame",
           "deficit_chart", "fan_chart"]


def payment_frame(payment: Payment, n: int = 400, upper_quantile: float = 0.999) -> pd.DataFrame:
    """P(Y <= y) on ``n`` payments from 0 to the cap (or the ``upper_quantile`` payment)."""
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
    marks = {f"VaR {q:.1%}": float(agg.ppf(q)) for q in levels}
    marks.update({f"TVaR {q:.1%}": float(agg.tvar(q)) for q in list(levels)[-1:]})
    if income is not None:
        marks["income"] = float(income)
    return marks


def aggregate_chart(agg: AggregateLoss, income: float | None = None, levels: Sequence[float] = LEVELS,
                    title: str = "Annual fund payments S"):
    """Density of the annual payments with VaR, TVaR and income marked
    (:func:`healthcover.plotting.aggregate_loss_chart`)."""
    return plotting.aggregate_loss_chart(agg.frame(), risk_marks(agg, income, levels), title=title)


def deficit_frame(agg: AggregateLoss, incomes: Sequence[float] | None = None, n: int = 200) -> pd.DataFrame:
    """P(S > income) for a range of incomes (default: from the mean to the 99.99% quantile)."""
    if incomes is None:
        incomes = np.linspace(agg.mean, float(agg.ppf(0.9999)), n)
    incomes = np.asarray(incomes, dtype=float)
    return pd.DataFrame({"income": incomes, "P(deficit)": agg.sf(incomes),
                         "income / E[S]": incomes / agg.mean})


def deficit_chart(agg: AggregateLoss, target: float | None = 0.05, title: str = "Probability of a deficit"):
    """P(S > income) against income (:func:`healthcover.plotting.deficit_probability_chart`)."""
    return plotting.deficit_probability_chart(deficit_frame(agg), target=target, title=title)
