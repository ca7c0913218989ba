"""Actuarial helpers: claim models, the fund's exact loss distribution, fund projection.

>>> import healthcover.actuarial as act
>>> model = act.ClaimModel.single(act.Poisson(8000), act.Lognormal.from_mean_cv(3000, 1.5),
...                               act.Benefit(deductible=200, rate=0.5, limit=60_000))
>>> S = act.aggregate_loss(model)
>>> round(float(S.tvar(0.995)) / 1e6, 3)
11.896
"""
from healthcover.actuarial.aggregate import (
    LEVELS,
    AggregateLoss,
    DiscreteLoss,
    FourierLoss,
    LatticeLoss,
    MonteCarloLoss,
    RichardsonLoss,
    aggregate_loss,
    monte_carlo,
    panjer,
)
from healthcover.actuarial.benefit import Benefit, Payment
from healthcover.actuarial.charts import (
    aggregate_chart,
    deficit_chart,
    deficit_frame,
    fan_chart,
    payment_chart,
    payment_frame,
    risk_marks,
)
from healthcover.actuarial.fitting import (
    FrequencyFit,
    SeverityFit,
    fit_claim_model,
    fit_frequency,
    fit_severity,
)
from healthcover.actuarial.frequency import Frequency, NegativeBinomial, Poisson
from healthcover.actuarial.model import ClaimLine, ClaimModel
from healthcover.actuarial.premium import (
    BenefitDesign,
    design_benefit,
    loaded_premium,
    permitted_range,
    pure_premium,
    required_contribution,
    sweep,
)
from healthcover.actuarial.projection import FundRules, Projection, project_fund, share_overspend
from healthcover.actuarial.reference import GilPelaez
from healthcover.actuarial.severity import (
    Gamma,
    Lognormal,
    Mixture,
    Pareto,
    ParetoTailed,
    Severity,
    Truncated,
)

__all__ = [
    # claim models
    "Frequency", "Poisson", "NegativeBinomial",
    "Severity", "Lognormal", "Gamma", "Pareto", "Mixture", "Truncated", "ParetoTailed",
    "Benefit", "Payment", "ClaimLine", "ClaimModel",
    "fit_severity", "fit_frequency", "fit_claim_model", "SeverityFit", "FrequencyFit",
    # aggregate loss
    "aggregate_loss", "panjer", "monte_carlo", "AggregateLoss", "FourierLoss", "LatticeLoss",
    "RichardsonLoss", "DiscreteLoss", "MonteCarloLoss", "GilPelaez", "LEVELS",
    # contributions and design
    "pure_premium", "loaded_premium", "required_contribution", "design_benefit", "BenefitDesign",
    "permitted_range", "sweep",
    # projection
    "FundRules", "project_fund", "Projection", "share_overspend",
    # charts
    "payment_frame", "payment_chart", "risk_marks", "aggregate_chart", "deficit_frame", "deficit_chart",
    "fan_chart",
]
