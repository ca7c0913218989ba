r"""Scenarios: a population through a baseline scheme and a reform, side by side.

:func:`compare` runs one population through two schemes (a document's rules and a reform of
them) and tabulates what changes for the fund and for households, overall and by income
quintile:

* fund spending (weighted to the population, per person, per household);
* out-of-pocket spending per household, mean and 90th percentile;
* catastrophic spending: OOP above 10% and 25% of total consumption (SDG 3.8.2) and above 40%
  of capacity to pay (Xu et al. 2003), through :func:`healthcover.protection.catastrophic`;
* impoverishment: persons pushed below the poverty line by OOP,
  :func:`healthcover.protection.impoverishment`.

Household totals come from :func:`healthcover.data.household_oop`'s rules (claims of care a
scheme does not have, or of persons it does not insure, are paid by the patient). The same
claims are used in both scenarios: no behavioural response to cover.

:class:`ScenarioModel` keeps everything a reform does not change: the population, its mapping,
its claims split by annual-limit pool, and the baseline. A reform re-adjudicates only the pools
whose compiled rules differ (a pool's result is cached by the rules it reads), which is what
makes a dashboard slider quick; :func:`compare` is the one-call form.
"""
from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from healthcover import data as _data
from healthcover import protection as _protection
from healthcover.errors import HealthcoverError, allowed
from healthcover.sources import read_cited, read_data

__all__ = [
    "CATASTROPHIC", "MEASURES", "POVERTY_LINE", "OOP_BINS", "Comparison", "Outcome", "ScenarioModel",
    "compare",
]

#: The limits that bind only for some claims (the engine's limit_reason codes): a model counts
#: the households each one stops.
LIMIT_RULES = ("annual_limit", "per_claim_limit")
#: Cited assumptions of the measures (``data/statistics/measures.yaml``).
MEASURE_ASSUMPTIONS = read_cited(read_data("statistics", "measures.yaml")["assumptions"],
                                 "data/statistics/measures.yaml: assumptions")
#: Poverty line for impoverishment, CNY per person-year in 1999 yuan (the synthetic population's
#: money): an assumption with its source in ``data/statistics/measures.yaml``.
POVERTY_LINE = float(MEASURE_ASSUMPTIONS["poverty_line"].value)
#: (threshold, method) of each catastrophic measure.
CATASTROPHIC = {
    "che10": (0.10, "total"),
    "che25": (0.25, "total"),
    "che40_ctp": (0.40, "capacity_to_pay"),
}
#: Measures of the summary table, in order.
MEASURES = ("fund_total", "fund_per_person", "oop_per_household", "oop_p90", "che10", "che25",
            "che40_ctp", "impoverished")
#: Upper edges of the out-of-pocket bins, CNY per household-year (the last bin is open).
OOP_BINS = (0.0, 100.0, 200.0, 500.0, 1_000.0, 2_000.0, 5_000.0, 10_000.0)
_HH_COLUMNS = ["household_id", "consumption", "food", "size", "weight", "income_quintile"]


@dataclass
class Outcome:
    """One scenario: household totals and the measures computed from them."""

    fund: np.ndarray  # fund payment per household (sample)
    oop: np.ndarray  # out-of-pocket per household
    summary: dict  # measure -> value
    by_quintile: pd.DataFrame  # quintile, measure, value


@dataclass
class Comparison:
    """What :func:`compare` and :meth:`ScenarioModel.run` return: tidy tables.

    ``summary``: measure, baseline, reform, change. ``by_quintile``: quintile, measure,
    scenario, value. ``oop_distribution``: bin, lower, upper, scenario, share of households.
    ``overrides``: the reform's cells that differ from the baseline (key, value, baseline value,
    kind, permitted, outside_document, citation). ``assumptions``: the cited assumptions both
    scenarios use where the document is blank. ``reach``: for each rule of each care type, how
    many households have a claim the rule bound on, in each scenario (``binding_households``),
    so a page can say when a limit binds for nobody. ``timings``: seconds by stage.
    """

    baseline: Outcome
    reform: Outcome
    summary: pd.DataFrame
    by_quintile: pd.DataFrame
    oop_distribution: pd.DataFrame
    overrides: pd.DataFrame
    assumptions: pd.DataFrame
    reach: pd.DataFrame = field(default_factory=pd.DataFrame)
    timings: dict = field(default_factory=dict)

    def value(self, measure: str, scenario: str = "reform") -> float:
        """One number of the summary (``scenario``: baseline, reform or change)."""
        s = self.summary.set_index("measure")
        if measure not in s.index or scenario not in s.columns:
            raise HealthcoverError(f"Comparison.value: measure {measure!r}, scenario {scenario!r}; allowed: "
                                   f"{allowed(s.index)} and baseline, reform, change")
        return float(s.loc[measure, scenario])

    def tidy(self) -> pd.DataFrame:
        """Every number in one long table: group (``all`` or quintile 1-5), measure, scenario, value."""
        overall = self.summary.melt(id_vars="measure", value_vars=["baseline", "reform"],
                                    var_name="scenario", value_name="value").assign(group="all")
        groups = self.by_quintile.assign(group=self.by_quintile["quintile"].astype(str)).drop(columns="quintile")
        return pd.concat([overall, groups], ignore_index=True)[["group", "measure", "scenario", "value"]]


@dataclass
class _Pool:
    """The claims of one annual-limit pool (care types that share a limit) and their households."""

    cares: tuple[str, ...]
    claims: pd.DataFrame
    persons: pd.DataFrame
    household: np.ndarray  # household position of each claim


class ScenarioModel:
    """A population and a baseline scheme, with everything a reform does not change cached.

    Parameters
    ----------
    population : a generic :class:`~healthcover.data.Population` (e.g.
        :func:`~healthcover.data.synthetic_population`), mapped to the scheme by its mapping file.
    baseline : a scheme id or a loaded :class:`~healthcover.Scheme` (its variant and overrides
        are the baseline).
    variant : the variant, when ``baseline`` is an id.
    assumptions : fill the blanks the population needs with the cited assumptions of
        ``data/populations/<scheme-id>.yaml`` (shown in :attr:`Comparison.assumptions`); without
        them a blank raises :class:`~healthcover.NotStatedError`.
    poverty_line : CNY per person-year, for impoverishment (an assumption; default 625).

    Examples
    --------
    >>> import healthcover as hc
    >>> m = ScenarioModel(hc.synthetic_population(2_000), "dazu-resident", variant="tier2", assumptions=True)
    >>> r = m.run({"benefits.inpatient.rate.adult.county": 0.7})
    >>> r.value("fund_total") > r.value("fund_total", "baseline")
    True
    """

    def __init__(self, population: "_data.Population", baseline: Any, *, variant: str | None = None,
                 assumptions: bool = False, poverty_line: float = POVERTY_LINE):
        if not isinstance(population, _data.Population):
            raise HealthcoverError(f"ScenarioModel: population must be a healthcover.data.Population; received "
                                   f"{type(population).__name__}")
        self.document, self.assumption_table = _data.scheme_for_population(baseline, variant=variant,
                                                                           assumptions=assumptions)
        #: the cited assumptions applied where the document is blank: override key -> value
        self.assumptions = dict(zip(self.assumption_table["key"], self.assumption_table["value"]))
        self.scheme_id = self.document.id
        self.variant = self.document.variant
        pop = population if population.scheme_id == self.scheme_id else _data.for_scheme(population, self.scheme_id)
        self.population = pop
        scheme = self.document
        hh, persons, claims = pop.households, pop.persons, pop.claims
        n = len(hh)
        missing = [c for c in _HH_COLUMNS if c not in hh.columns]
        if missing:
            raise HealthcoverError(f"ScenarioModel: the households table lacks {allowed(missing)}")
        person_row = pd.Index(persons["person_id"]).get_indexer(claims["person_id"])
        if (person_row < 0).any():
            raise HealthcoverError("ScenarioModel: some claims have a person_id not in persons")
        hh_pos_of_person = pd.Index(hh["household_id"]).get_indexer(persons["household_id"])
        claim_hh = hh_pos_of_person[person_row]
        insured = persons["insured"].to_numpy(dtype=bool) if "insured" in persons.columns else np.ones(len(persons), bool)
        covered = claims["care"].isin(scheme.care_types).to_numpy() & insured[person_row]
        cost = claims["cost"].to_numpy(dtype=float)
        # Care the scheme does not have, and uninsured persons, are paid by the patient.
        self._uncovered_oop = np.bincount(claim_hh[~covered], weights=cost[~covered], minlength=n).astype(float)
        self.uncovered_claims = int((~covered).sum())

        t = scheme.compiled.benefits
        cares_here = [c for c in scheme.care_types if c in set(claims.loc[covered, "care"].unique())]
        pools: dict[str, list[str]] = {}
        # A personal account that pays claims (Dazu tier 1) draws across care types: its holders'
        # claims cannot be split by limit pool, so then every care type is one pool.
        holders = t.account is not None and bool(np.isin(
            persons["category"].astype(str).to_numpy(), [c for c, a in zip(t.categories, t.account) if a > 0]).any())
        for care in cares_here:
            name = "all" if holders else t.pool_names[t.pool[t.care_types.index(care)]]
            pools.setdefault(name, []).append(care)
        care_col = claims["care"].to_numpy()
        self._pools: dict[str, _Pool] = {}
        for name, cares in pools.items():
            rows = np.flatnonzero(np.isin(care_col, cares) & covered)
            sub = claims.iloc[rows].reset_index(drop=True)
            for col in ("care", "facility"):  # codes the engine reads once per distinct value
                sub[col] = sub[col].astype("category")
            persons = persons.assign(category=persons["category"].astype("category"))
            # Every insured member of the households with claims here: a household-pooled limit
            # is the sum of its members' limits (Dazu's outpatient account).
            touched = np.zeros(n, dtype=bool)
            touched[claim_hh[rows]] = True
            keep = touched[hh_pos_of_person] & insured
            who = persons.iloc[np.flatnonzero(keep)].reset_index(drop=True)
            self._pools[name] = _Pool(tuple(cares), sub, who, claim_hh[rows])
        self._pool_cache: dict[str, OrderedDict] = {name: OrderedDict() for name in self._pools}

        self._hh = hh[_HH_COLUMNS].copy()
        # Budgets, ranks and quintile orders are the households': prepared once for every scenario.
        self._measures = _protection.HouseholdMeasures(self._hh, consumption="consumption", food="food",
                                                       size="size", weight="weight", by="income_quintile")
        self._households_with_claims = {name: int(np.unique(p.household).size) for name, p in self._pools.items()}
        self._w = hh["weight"].to_numpy(dtype=float)
        self._persons_w = self._w * hh["size"].to_numpy(dtype=float)
        self._q = hh["income_quintile"].to_numpy(dtype=np.int64) - 1
        self._q_w = np.bincount(self._q, weights=self._w, minlength=5)
        self.n_households = n
        self.n_persons = len(persons)
        self.n_claims = len(claims)
        self.poverty_line = float(POVERTY_LINE)
        self.set_poverty_line(poverty_line)
        self._baseline: Outcome | None = None
        self._baseline_reach: dict | None = None

    @property
    def cares(self) -> list[str]:
        """The care types of the scheme that the population has claims of."""
        return [c for p in self._pools.values() for c in p.cares]

    # -- computation ------------------------------------------------------------------------
    def reform_scheme(self, reform: Any = None, *, allow_out_of_range: bool = False):
        """The reform as a scheme: a mapping of overrides applied to the baseline, or a scheme
        of the same id (the baseline's assumptions fill what it leaves blank)."""
        from healthcover.scheme import Scheme

        if reform is None:
            return self.document
        if isinstance(reform, Scheme):
            if reform.id != self.scheme_id:
                raise HealthcoverError(f"compare: the reform is scheme {reform.id!r} but the baseline is "
                                       f"{self.scheme_id!r}; compare a scheme with a reform of it")
            fill = {k: v for k, v in self.assumptions.items() if k not in reform.overrides}
            return reform.with_overrides(fill) if fill else reform
        if isinstance(reform, Mapping):
            return self.document.with_overrides(dict(reform), allow_out_of_range=allow_out_of_range)
        raise HealthcoverError(f"compare: reform must be a mapping of overrides or a Scheme; received "
                               f"{type(reform).__name__}")

    def _pool_key(self, scheme, pool: _Pool) -> str:
        """A fingerprint of everything the engine reads for the pool's care types."""
        t = scheme.compiled.benefits
        _, ncat, nfac = t.shape
        h = hashlib.blake2b(digest_size=16)
        for care in pool.cares:
            c = t.care_types.index(care)
            cells = slice(c * ncat * nfac, (c + 1) * ncat * nfac)
            for a in (t.covered, t.fixed, t.deductible, t.rates, t.uppers, t.bonus, t.per_claim, t.annual,
                      t.wage_deductible, t.wage_limit, t.deductible_factors, t.stay_limit, t.out_of_county):
                if a is not None:
                    h.update(np.ascontiguousarray(a[cells]).tobytes())
            for a in (t.per_year, t.cost_basis, t.household, t.pool, t.carry):
                if a is not None:
                    h.update(np.ascontiguousarray(a[c:c + 1]).tobytes())
        h.update(repr((t.bonus_schedule, t.selfpay_share, t.account_pays, t.account_carry)).encode())
        if t.account is not None:
            h.update(np.ascontiguousarray(t.account).tobytes())
        return h.hexdigest()

    def _pool_totals(self, name: str, scheme) -> tuple[np.ndarray, np.ndarray, dict, bool]:
        pool = self._pools[name]
        key = self._pool_key(scheme, pool)
        cache = self._pool_cache[name]
        if key in cache:
            cache.move_to_end(key)
            return (*cache[key], False)
        out = scheme.adjudicate(pool.claims, pool.persons)
        n = self.n_households
        fund = np.bincount(pool.household, weights=out["fund_paid"].to_numpy(dtype=float), minlength=n)
        oop = np.bincount(pool.household, weights=out["oop"].to_numpy(dtype=float), minlength=n)
        reach = self._pool_reach(name, pool, out["limit_reason"].to_numpy())
        cache[key] = (fund, oop, reach)
        while len(cache) > 4:  # the baseline and the last few reforms
            cache.popitem(last=False)
        self._pool_computed(name, key, scheme, fund, oop, reach)
        return fund, oop, reach, True

    def _pool_reach(self, name: str, pool, reasons: np.ndarray) -> dict:
        """How many households of a pool a limit stopped (keyed by the limit's reason)."""
        return {reason: int(np.unique(pool.household[reasons == reason]).size)
                for reason in LIMIT_RULES}

    def _pool_computed(self, name: str, key: str, scheme, fund, oop, reach) -> None:
        """Called after a pool was adjudicated (a subclass may keep the baseline's totals)."""

    def _totals(self, scheme, timings: dict):
        t0 = time.perf_counter()
        n = self.n_households
        fund = np.zeros(n)
        oop = self._uncovered_oop.copy()
        computed, reach = [], {}
        for name, pool in self._pools.items():
            f, o, r, did = self._pool_totals(name, scheme)
            fund += f
            oop += o
            reach[name] = r
            if did:
                computed.append(name)
        timings["adjudicate"] = time.perf_counter() - t0
        timings["pools_adjudicated"] = computed
        return fund, oop, reach

    def _outcome(self, fund: np.ndarray, oop: np.ndarray) -> Outcome:
        """Measures of one scenario from household totals (library measures throughout)."""
        m = self._measures
        w = self._w
        summary: dict[str, float] = {}
        measures, values = [], []
        for key, (threshold, method) in CATASTROPHIC.items():
            summary[key], by = m.headcount(oop, threshold=threshold, method=method)
            measures.append(key)
            values.append(by)
        imp = m.impoverishment(oop, poverty_line=self.poverty_line)
        summary["impoverished"] = imp["headcount_post"] - imp["headcount_pre"]
        summary["poverty_post"] = imp["headcount_post"]
        by = m.impoverishment(oop, poverty_line=self.poverty_line, by=True)
        measures.append("impoverished")
        values.append((by["headcount_post"] - by["headcount_pre"]).to_numpy())
        wsum = w.sum()
        summary["fund_total"] = float(np.dot(w, fund))
        summary["fund_per_person"] = float(np.dot(w, fund) / self._persons_w.sum())
        summary["fund_per_household"] = float(np.dot(w, fund) / wsum)
        summary["oop_per_household"] = float(np.dot(w, oop) / wsum)
        summary["oop_p90"] = float(_protection.weighted_percentile(oop, w, 0.9))
        for key, v in (("fund_per_household", fund), ("oop_per_household", oop)):
            measures.append(key)
            values.append(np.bincount(self._q, weights=w * v, minlength=5) / self._q_w)
        quintiles = m.groups.to_numpy().astype(int)
        by_quintile = pd.DataFrame({
            "quintile": np.tile(quintiles, len(measures)),
            "measure": np.repeat(measures, len(quintiles)),
            "value": np.concatenate(values),
        })
        return Outcome(fund=fund, oop=oop, summary=summary, by_quintile=by_quintile)

    @property
    def baseline(self) -> Outcome:
        """The baseline's measures (computed once per poverty line)."""
        if self._baseline is None:
            fund, oop, reach = self._totals(self.document, {})
            self._baseline = self._outcome(fund, oop)
            self._baseline_reach = reach
        return self._baseline

    def set_poverty_line(self, poverty_line: float) -> None:
        """Change the poverty line; the baseline's measures are recomputed on next use."""
        try:
            z = float(poverty_line)
        except (TypeError, ValueError):
            z = float("nan")
        if not (z > 0 and np.isfinite(z)) or isinstance(poverty_line, bool):
            raise HealthcoverError(f"poverty line must be a positive amount in CNY per person-year; "
                                   f"received {poverty_line!r}")
        if z != self.poverty_line:
            self.poverty_line = z
            self._baseline = None

    def run(self, reform: Any = None, *, allow_out_of_range: bool = False) -> Comparison:
        """Baseline and reform side by side.

        ``reform``: overrides by key (``{"benefits.inpatient.rate.adult.county": 0.7}``) applied
        to the baseline, or a scheme of the same id; None compares the baseline with itself.
        ``allow_out_of_range`` lets override values outside the document's range through.
        """
        timings: dict[str, Any] = {}
        t0 = time.perf_counter()
        scheme = self.reform_scheme(reform, allow_out_of_range=allow_out_of_range)
        t1 = time.perf_counter()
        base = self.baseline
        fund, oop, reach = self._totals(scheme, timings)
        t2 = time.perf_counter()
        outcome = self._outcome(fund, oop)
        t3 = time.perf_counter()
        result = Comparison(
            baseline=base,
            reform=outcome,
            summary=_summary(base, outcome),
            by_quintile=pd.concat([base.by_quintile.assign(scenario="baseline"),
                                   outcome.by_quintile.assign(scenario="reform")], ignore_index=True),
            oop_distribution=self._distribution(base.oop, outcome.oop),
            overrides=_override_table(self.document, scheme),
            assumptions=self.assumption_table,
            reach=self._reach_table(reach),
            timings=timings,
        )
        timings.update({"load_scheme": t1 - t0, "measures": t3 - t2, "tables": time.perf_counter() - t3,
                        "model": time.perf_counter() - t0})
        return result

    def _reach_table(self, reach: dict) -> pd.DataFrame:
        rows = []
        for name, pool in self._pools.items():
            for reason in ("annual_limit", "per_claim_limit"):
                rows.append({"pool": name, "cares": ", ".join(pool.cares), "rule": reason,
                             "binding_households_baseline": self._baseline_reach[name][reason],
                             "binding_households_reform": reach[name][reason],
                             "households_with_claims": self._households_with_claims[name]})
        return pd.DataFrame(rows)

    def _distribution(self, base_oop: np.ndarray, reform_oop: np.ndarray) -> pd.DataFrame:
        edges = np.asarray(OOP_BINS, dtype=float)
        w = self._w
        rows = []
        for scenario, oop in (("baseline", base_oop), ("reform", reform_oop)):
            # bin 0: no out-of-pocket; bin k: (edges[k-1], edges[k]]; last: above the last edge
            idx = np.searchsorted(edges, oop, side="left")
            share = np.bincount(idx, weights=w, minlength=len(edges) + 1) / w.sum()
            for k in range(len(edges) + 1):
                lower = 0.0 if k == 0 else edges[k - 1]
                upper = edges[k] if k < len(edges) else np.inf
                rows.append((k, lower, upper, scenario, float(share[k])))
        return pd.DataFrame(rows, columns=["bin", "lower", "upper", "scenario", "share"])


def _summary(base: Outcome, reform: Outcome) -> pd.DataFrame:
    rows = [(m, base.summary[m], reform.summary[m], reform.summary[m] - base.summary[m]) for m in MEASURES]
    return pd.DataFrame(rows, columns=["measure", "baseline", "reform", "change"])


def _override_table(baseline, reform) -> pd.DataFrame:
    """The cells where the reform differs from the baseline, with the document's bounds."""
    rows = []
    for path, p in reform.parameters.items():
        q = baseline.parameters.get(path)
        if q is None or q is p:
            continue
        for key, leaf in p.cells.items():
            before = q.cells.get(key)
            if before is None or before.value == leaf.value:
                continue
            cell = tuple(k for d, k in zip(p.by, key) if d != "variant")
            rows.append({
                "key": ".".join((path, *cell)), "path": path, "cell": cell, "value": leaf.value,
                "baseline": before.value, "kind": leaf.kind, "permitted": leaf.permitted(),
                "outside_document": bool(leaf.overridden and not leaf.within(leaf.value)),
                "citation": p.citation(key),
            })
    cols = ["key", "path", "cell", "value", "baseline", "kind", "permitted", "outside_document", "citation"]
    return pd.DataFrame(rows, columns=cols)


def compare(population: "_data.Population", baseline: Any, reform: Any = None, *, variant: str | None = None,
            assumptions: bool = False, poverty_line: float = POVERTY_LINE,
            allow_out_of_range: bool = False) -> Comparison:
    """A population through a baseline scheme and a reform of it, side by side.

    ``baseline``: a scheme id or :class:`~healthcover.Scheme`; ``reform``: overrides applied to
    it (``{"benefits.inpatient.annual_limit": 30000}``) or a scheme of the same id. See the
    module docstring for the measures and :class:`Comparison` for the tables.

    >>> import healthcover as hc
    >>> pop = hc.synthetic_population(2_000, seed=1)
    >>> c = hc.compare(pop, "jilin-resident-2008", {"benefits.inpatient.rate.adult.county": 0.7})
    >>> c.summary.columns.tolist()
    ['measure', 'baseline', 'reform', 'change']
    """
    model = ScenarioModel(population, baseline, variant=variant, assumptions=assumptions, poverty_line=poverty_line)
    return model.run(reform, allow_out_of_range=allow_out_of_range)
