"""healthcover: China's basic medical insurance schemes as data, a vectorised claims engine,
financial-protection measures and actuarial helpers.

Public names are re-exported here once; modules behind them are free to move. Heavier modules
(protection, poverty, data, actuarial, widgets, report) load on first use, so ``import
healthcover`` stays quick for scripts that only adjudicate claims.

In a Jupyter kernel, importing healthcover makes Altair charts render with no network (see
:func:`healthcover.plotting.setup_notebook`; ``HEALTHCOVER_OFFLINE_CHARTS=0`` turns it off).
Nothing else happens at import: a script or a Dask worker loads neither altair nor IPython.
"""
from __future__ import annotations

import importlib

from healthcover.errors import HealthcoverError, HealthcoverWarning, NotStatedError
from healthcover.scheme import Scheme, list_schemes, load_scheme
from healthcover.plotting import setup_notebook as _setup_notebook

__version__ = "0.1.0"

# name -> module that defines it (loaded on first access)
_LAZY = {
    "catastrophic": "healthcover.protection",
    "impoverishment": "healthcover.protection",
    "unified": "healthcover.protection",
    "illness_induced_poor": "healthcover.poverty",
    "synthetic_population": "healthcover.data",
    "household_oop": "healthcover.data",
    "load_survey": "healthcover.data",
    "load_rand_hie": "healthcover.data",
    "rand_hie_households": "healthcover.data",
    "for_scheme": "healthcover.data",
    "threshold_curve": "healthcover.protection",
    "bootstrap": "healthcover.protection",
    "catastrophic_households": "healthcover.protection",
    "concentration_curve": "healthcover.protection",
    "pens_parade": "healthcover.protection",
    "aggregate_loss": "healthcover.actuarial",
    "ClaimModel": "healthcover.actuarial",
    "ClaimLine": "healthcover.actuarial",
    "Benefit": "healthcover.actuarial",
    "Poisson": "healthcover.actuarial",
    "NegativeBinomial": "healthcover.actuarial",
    "Lognormal": "healthcover.actuarial",
    "Gamma": "healthcover.actuarial",
    "ParetoTailed": "healthcover.actuarial",
    "FundRules": "healthcover.actuarial",
    "project_fund": "healthcover.actuarial",
    "required_contribution": "healthcover.actuarial",
    "design_benefit": "healthcover.actuarial",
    "sweep": "healthcover.actuarial",
    "fit_claim_model": "healthcover.actuarial",
    "compose": "healthcover.secondary",
    "Composed": "healthcover.secondary",
    "check_design": "healthcover.constraints",
    "average_rate": "healthcover.constraints",
    "tier_choices": "healthcover.enrolment",
    "compare": "healthcover.scenarios",
    "ScenarioModel": "healthcover.scenarios",
    "Comparison": "healthcover.scenarios",
    "population_schemes": "healthcover.data",
    "population_assumptions": "healthcover.data",
    "SurveyDesign": "healthcover.survey",
    "standard_errors": "healthcover.survey",
    "concentration_indices": "healthcover.protection",
    "decompose_concentration": "healthcover.protection",
    "kakwani": "healthcover.protection",
    "survey_presets": "healthcover.data",
    "export": "healthcover.tables",
    "reader_table": "healthcover.tables",
    "parameter_sources": "healthcover.tables",
    "display_quote": "healthcover.text",
}
_SUBMODULES = {
    "protection", "poverty", "data", "actuarial", "widgets", "report", "claims", "contributions",
    "employee", "enrolment", "constraints", "secondary", "schemes", "scheme", "checks", "money", "scenarios",
    "sources", "survey", "tables", "text", "plotting", "display", "reforms", "funds", "calculator",
}

__all__ = ["HealthcoverError", "HealthcoverWarning", "NotStatedError", "Scheme", "list_schemes", "load_scheme", "__version__", *_LAZY]


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f"healthcover.{name}")
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'healthcover' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY) | _SUBMODULES)


_setup_notebook()
