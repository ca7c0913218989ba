r"""Multi-year fund projection under the documents' reserve, interest, surplus and overspend rules.

Each year :math:`t`, per simulated path (vectorised over paths):

1. Income :math:`I_t` = members x pooled contribution per member, by paying level.
2. Interest (Liaoning, seed 000 II(5)6, DIGEST 000-27..29): the year's income at the
   demand-deposit rate, balances carried over from earlier years (pool and reserves) at the
   3-year deposit rate: :math:`i_d\,s\,I_t + i_3 (P_{t-1} + R_{t-1})` (:math:`s` =
   ``income_interest_share``, 1 by the letter of the rule).
3. Set-asides at the start of the year (Dazu, seed 004 Art. 26(二), DIGEST 004.4-45, D-17):
   5% of income to the major-disease (catastrophe) reserve, uncapped, and 5% to the risk
   reserve unless its balance already *exceeds* 15% of the year's income (reading (a);
   ``cap_rule="reaches"`` stops at equality).
4. Claims :math:`C_t` (expected, or a draw from the exact distribution of S).
5. The year's result :math:`I_t + \text{interest} - \text{set-asides} - C_t`:

   * surplus: Jilin (seed 001 (七)2, DIGEST 001-35/36) draws
     :math:`\min(d\,I_t,\ \max(0.15 I_t - R_{t-1}, 0),\ \text{surplus})` into the risk reserve
     (2% <= d <= 5%; the last draw tops the reserve up to exactly 15%); Dazu moves
     ``surplus_to_risk_fund`` (50%) to the risk reserve (DIGEST 004.4-50); the rest stays in
     the pool for next year;
   * deficit: paid from the carried pool first; what remains is an overspend.
     Dazu county pool (DIGEST 004.4-48, D-18): the centre bears 40%, paid from the risk fund
     (risk reserve, then major-disease reserve), facilities 60%; beyond the risk fund,
     reading (a) puts the centre's unpaid part on facilities, reading (b) puts the whole
     overspend on facilities once the centre's 40% exceeds the risk fund. Dazu township
     (004.4-47): township government 40%, facilities 60%. Otherwise (Jilin) the reserves
     cover it, and any rest is an unfunded deficit (a fiscal top-up).
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from healthcover import checks as chk
from healthcover.actuarial.model import ClaimModel
from healthcover.errors import HealthcoverError
from healthcover.money import MAX_YUAN

__all__ = ["FundRules", "share_overspend", "project_fund", "Projection"]

_MAX_YEARS = 1000
_MAX_PATHS = 1_000_000
_MAX_MEMBERS = 1e10
_RESERVES = ("none", "jilin", "dazu")
_OVERSPEND = ("none", "county", "township")


@dataclass(frozen=True)
class FundRules:
    """The fund's accounting rules, as plain numbers (see the module docstring).

    Use :meth:`jilin`, :meth:`dazu` or :meth:`from_scheme`; every field can be overridden.
    """

    # interest (Liaoning: 000-27 current-year income, 000-28/29 balances carried over)
    demand_rate: float = 0.0
    carried_rate: float = 0.0
    income_interest_share: float = 1.0
    # reserve regime
    reserve: str = "none"
    # Jilin risk reserve (001-35, 001-36)
    reserve_draw: float = 0.05
    reserve_target: float = 0.15
    # Dazu risk fund (004.4-45, D-17)
    catastrophe_reserve_share: float = 0.05
    risk_reserve_share: float = 0.05
    risk_reserve_cap: float = 0.15
    cap_rule: str = "exceeds"
    # surplus (004.4-50)
    surplus_to_risk_fund: float = 0.0
    # overspend (004.4-47, 004.4-48, D-18)
    overspend: str = "none"
    overspend_township_government: float = 0.4
    overspend_centre: float = 0.4
    overspend_facilities: float = 0.6
    overspend_reading: str = "a"
    reserve_covers_deficit: bool = True
    allow_out_of_range: bool = False
    source: str = field(default="", compare=False)

    def __post_init__(self):
        f = "FundRules"
        for name in ("demand_rate", "carried_rate"):
            chk.in_range(f, name, getattr(self, name), 0.0, 1.0)
        for name in ("income_interest_share", "catastrophe_reserve_share", "risk_reserve_share",
                     "risk_reserve_cap", "reserve_target", "surplus_to_risk_fund",
                     "overspend_township_government", "overspend_centre", "overspend_facilities"):
            chk.in_range(f, name, getattr(self, name), 0.0, 1.0)
        chk.choice(f, "reserve", self.reserve, _RESERVES)
        chk.choice(f, "overspend", self.overspend, _OVERSPEND)
        chk.choice(f, "cap_rule", self.cap_rule, ("exceeds", "reaches"))
        chk.choice(f, "overspend_reading", self.overspend_reading, ("a", "b"))
        for name in ("reserve_covers_deficit", "allow_out_of_range"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise HealthcoverError(f"{f}: {name} = {getattr(self, name)!r} is not allowed; give True or False")
        if self.reserve == "jilin" and not self.allow_out_of_range:
            chk.in_range(f, "reserve_draw", self.reserve_draw, 0.02, 0.05,
                         why="seed 001 (七)2: 統籌基金收入2%—5%; pass allow_out_of_range=True to explore")
        else:
            chk.in_range(f, "reserve_draw", self.reserve_draw, 0.0, 1.0)
        if abs(self.overspend_centre + self.overspend_facilities - 1.0) > 1e-9:
            raise HealthcoverError(
                f"FundRules: overspend_centre = {self.overspend_centre:g} and overspend_facilities = "
                f"{self.overspend_facilities:g} must add up to 1"
            )

    @classmethod
    def _known(cls, func: str, kw: Mapping[str, Any]) -> None:
        names = [f.name for f in fields(cls)]
        unknown = [k for k in kw if k not in names]
        if unknown:
            raise HealthcoverError(
                f"{func}: {', '.join(map(str, unknown))} is not a fund rule; rules: {', '.join(names)}"
            )

    @classmethod
    def jilin(cls, draw: float = 0.05, **kw) -> "FundRules":
        """Jilin: 2-5% of pooled income a year into a risk reserve kept at 15% (001-35/36)."""
        kw = dict(kw)
        target = kw.pop("target", 0.15)
        cls._known("FundRules.jilin", kw)
        fixed = [k for k in ("reserve", "reserve_draw", "reserve_target", "source") if k in kw]
        if fixed:
            raise HealthcoverError(
                f"FundRules.jilin: {', '.join(fixed)} is set by the Jilin rules; give draw= and target=, "
                "or build FundRules(...) directly"
            )
        return cls(reserve="jilin", reserve_draw=draw, reserve_target=target, source="seed 001 (七)2", **kw)

    @classmethod
    def dazu(cls, cap_rule: str = "exceeds", overspend_reading: str = "a", overspend: str = "county",
             **kw) -> "FundRules":
        """Dazu: 5% + 5% reserves, risk reserve cap 15%, surplus half to the risk fund,
        overspend 40/60 (004.4-45..50; readings D-17 (a), D-18 (a) by default)."""
        cls._known("FundRules.dazu", kw)
        base = dict(reserve="dazu", catastrophe_reserve_share=0.05, risk_reserve_share=0.05,
                    risk_reserve_cap=0.15, cap_rule=cap_rule, surplus_to_risk_fund=0.5,
                    overspend=overspend, overspend_township_government=0.4, overspend_centre=0.4,
                    overspend_facilities=0.6, overspend_reading=overspend_reading,
                    source="seed 004 Art. 26")
        base.update(kw)
        return cls(**base)

    @classmethod
    def from_scheme(cls, scheme: Any, **overrides) -> "FundRules":
        """Rules from a scheme's ``fund.*`` parameters and readings.

        Jilin-style files give ``fund.risk_reserve_draw`` and ``fund.risk_reserve_target``;
        Dazu-style files give ``fund.risk_fund_share``, ``fund.catastrophe_reserve_share``,
        ``fund.risk_reserve_share``, ``fund.risk_reserve_cap``, ``fund.surplus_to_risk_fund``,
        ``fund.overspend_*`` and the readings ``risk_fund_base`` (D-17) and
        ``overspend_beyond_risk_fund`` (D-18). Interest rates are not in the resident
        schemes' documents: pass ``demand_rate=...``, ``carried_rate=...``.
        """
        func = "FundRules.from_scheme"
        if not all(hasattr(scheme, a) for a in ("has", "value", "id")):
            raise HealthcoverError(
                f"{func}: scheme must be a scheme from healthcover.load_scheme; got {type(scheme).__name__}"
            )
        cls._known(func, overrides)

        def get(path, default=None):
            return scheme.value(path) if scheme.has(path) else default

        kw: dict[str, Any] = {}
        if scheme.has("fund.risk_reserve_draw"):
            kw.update(reserve="jilin", reserve_draw=float(get("fund.risk_reserve_draw")),
                      reserve_target=float(get("fund.risk_reserve_target", 0.15)))
        elif scheme.has("fund.risk_fund_share"):
            cat = float(get("fund.catastrophe_reserve_share", 0.05))
            risk = float(get("fund.risk_reserve_share", 0.05))
            total = float(get("fund.risk_fund_share", cat + risk))
            if abs(cat + risk - total) > 1e-9:
                raise HealthcoverError(
                    f"{scheme.id}: fund.catastrophe_reserve_share {cat:g} + fund.risk_reserve_share {risk:g} "
                    f"!= fund.risk_fund_share {total:g}"
                )
            cap_rule = "exceeds"
            if "risk_fund_base" in getattr(scheme, "readings", {}):
                cap_rule = "reaches" if scheme.reading("risk_fund_base").endswith("reaches") else "exceeds"
            reading = "a"
            if "overspend_beyond_risk_fund" in getattr(scheme, "readings", {}):
                reading = "b" if scheme.reading("overspend_beyond_risk_fund") == "all_to_facilities" else "a"
            kw.update(reserve="dazu", catastrophe_reserve_share=cat, risk_reserve_share=risk,
                      risk_reserve_cap=float(get("fund.risk_reserve_cap", 0.15)), cap_rule=cap_rule,
                      surplus_to_risk_fund=float(get("fund.surplus_to_risk_fund", 0.0)),
                      overspend="county",
                      overspend_township_government=float(get("fund.overspend_township_government", 0.4)),
                      overspend_centre=float(get("fund.overspend_county_centre",
                                                 get("fund.overspend_centre", 0.4))),
                      overspend_facilities=float(get("fund.overspend_county_facilities",
                                                     get("fund.overspend_facilities", 0.6))),
                      overspend_reading=reading)
        kw["source"] = f"{scheme.id}: fund.*"
        kw.update(overrides)
        return cls(**kw)

    def replace(self, **changes) -> "FundRules":
        return replace(self, **changes)


def share_overspend(overspend, *, level: str = "county", risk_fund=0.0,
                    rules: FundRules | None = None) -> dict[str, np.ndarray | float]:
    """Who bears an overspend (Dazu, seed 004 Art. 26(三)).

    ``level="township"``: township government 40%, designated facilities 60% (004.4-47).
    ``level="county"``: the county centre 40% from the risk fund, facilities 60%; beyond the
    risk fund, reading (a) puts the centre's unpaid part on facilities, reading (b) the whole
    overspend (D-18).

    Examples
    --------
    >>> share_overspend(100_000, level="township")["government"]
    40000.0
    >>> d = share_overspend(1_000_000, level="county", risk_fund=300_000)
    >>> d["centre"], d["facilities"]
    (300000.0, 700000.0)
    """
    func = "share_overspend"
    if rules is None:
        rules = FundRules.dazu()
    elif not isinstance(rules, FundRules):
        raise HealthcoverError(f"{func}: rules must be a FundRules; got {type(rules).__name__}")
    chk.choice(func, "level", level, ("county", "township"))
    x = np.maximum(_finite(func, "overspend", overspend), 0.0)
    rf = np.maximum(_finite(func, "risk_fund", risk_fund), 0.0)
    if level == "township":
        gov = rules.overspend_township_government * x
        out = {"government": gov, "centre": np.zeros_like(x), "facilities": x - gov}
    else:
        want = rules.overspend_centre * x
        if rules.overspend_reading == "a":
            centre = np.minimum(want, rf)
        else:
            centre = np.where(want <= rf, want, 0.0)
        out = {"government": np.zeros_like(x), "centre": centre, "facilities": x - centre}
    if np.ndim(overspend) == 0 and np.ndim(risk_fund) == 0:
        return {k: float(v) for k, v in out.items()}
    return out


def _finite(func: str, name: str, values) -> np.ndarray:
    """Amounts (a number or an array) that are finite: no NaN, no inf."""
    x = chk.points(func, name, values)
    if not np.isfinite(x).all():
        raise HealthcoverError(f"{func}: {name} = {values!r} is not allowed; amounts must be finite numbers")
    return x


def _balance(func: str, name: str, value) -> float:
    """An opening balance: a finite amount from 0 to MAX_YUAN."""
    x = chk.non_negative(func, name, value)
    if x > MAX_YUAN:
        raise HealthcoverError(f"{func}: {name} = {x:g} is not allowed; {name} must be at most {MAX_YUAN:.0e} yuan")
    return x


def _path(name: str, start: float, growth, years: int) -> np.ndarray:
    """Values for years 1..years: a constant growth rate or an explicit sequence."""
    if growth is None:
        growth = 0.0
    if np.ndim(growth) == 0:
        g = chk.in_range("project_fund", f"{name} growth", growth, -0.5, 1.0)
        return start * (1.0 + g) ** np.arange(years)
    seq = _finite("project_fund", f"the path for {name}", growth).ravel()
    if (seq < 0).any() or (seq > MAX_YUAN).any():
        raise HealthcoverError(
            f"project_fund: the path for {name} has a value outside [0, {MAX_YUAN:.0e}]; give one amount >= 0 per year"
        )
    if seq.size != years:
        raise HealthcoverError(
            f"project_fund: the path for {name} has {seq.size} value(s); give one per year ({years})"
        )
    return seq


class Projection:
    """Result of :func:`project_fund`: arrays (paths x years) per quantity."""

    QUANTITIES = (
        "members", "income", "interest", "claims", "catastrophe_draw", "risk_draw", "surplus",
        "to_risk_fund", "deficit", "from_pool", "from_reserves", "government", "facilities",
        "unfunded", "pool", "risk_reserve", "catastrophe_reserve", "balance",
    )

    def __init__(self, data: dict[str, np.ndarray], years: np.ndarray, income_by_level: pd.DataFrame,
                 rules: FundRules, stochastic: bool, seed):
        self.data = data
        self.years = years
        self.income_by_level = income_by_level
        self.rules = rules
        self.stochastic = stochastic
        self.seed = seed

    @property
    def n_paths(self) -> int:
        return next(iter(self.data.values())).shape[0]

    def table(self) -> pd.DataFrame:
        """One row per year: the deterministic path, or the mean over paths."""
        df = pd.DataFrame({k: v.mean(axis=0) for k, v in self.data.items()}, index=self.years)
        df.index.name = "year"
        return df

    def paths(self, quantity: str = "balance") -> pd.DataFrame:
        """Long table (path, year, value) of one quantity."""
        a = self._get(quantity)
        return pd.DataFrame({
            "path": np.repeat(np.arange(a.shape[0]), a.shape[1]),
            "year": np.tile(self.years, a.shape[0]),
            quantity: a.ravel(),
        })

    def _get(self, quantity):
        if not isinstance(quantity, str) or quantity not in self.data:
            raise HealthcoverError(f"Projection: no quantity {quantity!r}; available: {', '.join(self.data)}")
        return self.data[quantity]

    def fan(self, quantity: str = "balance", quantiles: Sequence[float] = (0.05, 0.25, 0.5, 0.75, 0.95)
            ) -> pd.DataFrame:
        """Quantiles of a quantity by year (the data of a fan chart)."""
        a = self._get(quantity)
        try:
            quantiles = [chk.in_range("Projection.fan", "quantiles", q, 0.0, 1.0) for q in quantiles]
        except TypeError:
            raise HealthcoverError(f"Projection.fan: quantiles = {quantiles!r} must be a list of levels in [0, 1]") from None
        names = [f"q{round(q * 100):02d}" for q in quantiles]
        if not quantiles or len(set(names)) != len(names):
            raise HealthcoverError(
                f"Projection.fan: quantiles = {quantiles!r} must be one or more levels in whole per cent, each once "
                "(the columns are named q05, q50, ...)"
            )
        qs = np.quantile(a, quantiles, axis=0)
        df = pd.DataFrame({name: v for name, v in zip(names, qs)}, index=self.years)
        df.insert(0, "mean", a.mean(axis=0))
        df.index.name = "year"
        return df.reset_index()

    def risk(self) -> pd.DataFrame:
        """By year: probability of a deficit, of an unfunded deficit, of a facility burden."""
        d = self.data
        return pd.DataFrame({
            "year": self.years,
            "P(deficit)": (d["deficit"] > 0).mean(axis=0),
            "P(overspend borne by facilities)": (d["facilities"] > 0).mean(axis=0),
            "P(unfunded)": (d["unfunded"] > 0).mean(axis=0),
            "expected unfunded": d["unfunded"].mean(axis=0),
        })

    def chart(self, quantity: str = "balance", title: str | None = None):
        from healthcover.plotting import fan_chart

        return fan_chart(self.fan(quantity), quantity, title=title)


def project_fund(model: ClaimModel, rules: FundRules, *, years: int = 10, members: float,
                 contributions: Mapping[str, float], contribution_growth: Mapping[str, Any] | None = None,
                 member_growth: float = 0.0, ageing: float = 0.0, claims_inflation: float = 0.0,
                 opening_pool: float = 0.0, opening_risk_reserve: float = 0.0,
                 opening_catastrophe_reserve: float = 0.0, stochastic: bool = False,
                 n_paths: int = 2000, seed: int | None = 0, claims: Sequence[float] | None = None,
                 progress: bool | None = None) -> Projection:
    r"""Project the pooled fund over ``years`` years under ``rules``.

    Parameters
    ----------
    model : claims of the first year, for ``members`` insured.
    members : insured in year 1; ``member_growth`` a year after.
    contributions : pooled-fund income per member in year 1 by paying level, e.g.
        ``{"individual": 120, "central": 40, "provincial": 30, "local": 10}``.
    contribution_growth : per level, an annual growth rate or a sequence of ``years`` amounts.
    ageing : yearly growth of claims per member from an ageing membership.
    claims_inflation : yearly growth of the cost per claim (deductibles and caps stay fixed,
        so payments grow faster).
    stochastic : draw each year's claims from the exact distribution of S (``n_paths`` paths,
        seeded); otherwise use the expected claims.
    claims : explicit claims per year (deterministic, overrides the model; for worked examples).

    Returns
    -------
    :class:`Projection` (``table()``, ``fan(q)``, ``risk()``, ``chart(q)``).
    """
    func = "project_fund"
    if not isinstance(rules, FundRules):
        raise HealthcoverError(f"{func}: rules must be a FundRules; got {type(rules).__name__}")
    years = chk.positive_int(func, "years", years)
    if years > _MAX_YEARS:
        raise HealthcoverError(f"{func}: years = {years} is not allowed; years must be at most {_MAX_YEARS}")
    members = chk.positive_at_most(func, "members", members, _MAX_MEMBERS)
    if not isinstance(contributions, Mapping) or not contributions:
        raise HealthcoverError(
            f"{func}: contributions must map paying levels to amounts per member, e.g. {{'individual': 120}}; "
            f"got {contributions!r}"
        )
    if contribution_growth is not None and not isinstance(contribution_growth, Mapping):
        raise HealthcoverError(
            f"{func}: contribution_growth must map paying levels to a growth rate or a path; got {contribution_growth!r}"
        )
    growth = dict(contribution_growth or {})
    opening_pool = _balance(func, "opening_pool", opening_pool)
    opening_risk_reserve = _balance(func, "opening_risk_reserve", opening_risk_reserve)
    opening_catastrophe_reserve = _balance(func, "opening_catastrophe_reserve", opening_catastrophe_reserve)
    for name, flag in (("stochastic", stochastic), ("progress", progress)):
        if not (isinstance(flag, (bool, np.bool_)) or (name == "progress" and flag is None)):
            raise HealthcoverError(f"{func}: {name} = {flag!r} is not allowed; give True or False")
    unknown = set(growth) - set(contributions)
    if unknown:
        raise HealthcoverError(
            f"{func}: contribution_growth names level(s) {', '.join(sorted(unknown))} that contributions lacks; "
            f"levels: {', '.join(contributions)}"
        )
    for level, amount in contributions.items():
        chk.non_negative(func, f"contributions[{level!r}]", amount)
        if amount > MAX_YUAN:
            raise HealthcoverError(
                f"{func}: contributions[{level!r}] = {amount:g} is not allowed; at most {MAX_YUAN:.0e} yuan per member"
            )
    chk.in_range(func, "ageing", ageing, -0.5, 1.0)
    chk.in_range(func, "claims_inflation", claims_inflation, -0.5, 1.0)
    year_idx = np.arange(1, years + 1)
    mem = _path("members", members, member_growth, years)
    by_level = {lv: _path(lv, float(a), growth.get(lv), years) for lv, a in contributions.items()}
    per_member = sum(by_level.values())
    income = mem * per_member
    income_by_level = pd.DataFrame({lv: mem * v for lv, v in by_level.items()}, index=year_idx)
    income_by_level.index.name = "year"

    # claims per year
    if claims is not None:
        c = _finite(func, "claims", claims)
        if (c < 0).any():
            raise HealthcoverError(f"{func}: claims has a negative amount; claims per year must be >= 0")
        if c.shape != (years,):
            raise HealthcoverError(f"{func}: claims has {c.size} value(s); give one per year ({years})")
        claim_draws = c[None, :]
        stochastic = False
    else:
        if not isinstance(model, ClaimModel):
            raise HealthcoverError(f"{func}: model must be a ClaimModel; got {type(model).__name__}")
        freq_f = mem / members * (1.0 + ageing) ** np.arange(years)
        sev_f = (1.0 + claims_inflation) ** np.arange(years)
        n = chk.positive_int(func, "n_paths", n_paths) if stochastic else 1
        if n > _MAX_PATHS:
            raise HealthcoverError(f"{func}: n_paths = {n:,} is not allowed; n_paths must be at most {_MAX_PATHS:,}")
        claim_draws = np.empty((n, years))
        rng = chk.rng_from_seed(func, "seed", seed)
        it = range(years)
        if stochastic:
            from tqdm.auto import tqdm

            show = progress if progress is not None else years * n_paths >= 200_000
            it = tqdm(it, desc="projection years", disable=not show, leave=False)
        for t in it:
            m_t = model.scaled(frequency=float(freq_f[t]), severity=float(sev_f[t]))
            if stochastic:
                from healthcover.actuarial.aggregate import aggregate_loss

                claim_draws[:, t] = aggregate_loss(m_t).sample(n, rng)
            else:
                claim_draws[:, t] = m_t.mean

    data = _run(rules, income, claim_draws, opening_pool, opening_risk_reserve, opening_catastrophe_reserve)
    data["members"] = np.broadcast_to(mem, claim_draws.shape).copy()
    return Projection(data, year_idx, income_by_level, rules, stochastic, seed)


def _run(rules: FundRules, income: np.ndarray, claims: np.ndarray, pool0: float, risk0: float,
         cat0: float) -> dict[str, np.ndarray]:
    """The year-by-year accounting, vectorised over paths (rows of ``claims``)."""
    n, years = claims.shape
    keys = [k for k in Projection.QUANTITIES if k != "members"]
    out = {k: np.zeros((n, years)) for k in keys}
    P = np.full(n, float(pool0))
    R = np.full(n, float(risk0))
    K = np.full(n, float(cat0))
    r = rules
    for t in range(years):
        I = float(income[t])
        C = claims[:, t]
        pool_int = r.demand_rate * r.income_interest_share * I + r.carried_rate * P
        int_r, int_k = r.carried_rate * R, r.carried_rate * K  # reserves are carried balances too
        R = R + int_r
        K = K + int_k
        interest = pool_int + int_r + int_k
        cat_draw = np.zeros(n)
        risk_draw = np.zeros(n)
        if r.reserve == "dazu":
            cat_draw = np.full(n, r.catastrophe_reserve_share * I)
            cap = r.risk_reserve_cap * I
            stopped = (R > cap) if r.cap_rule == "exceeds" else (R >= cap)
            risk_draw = np.where(stopped, 0.0, r.risk_reserve_share * I)
            K = K + cat_draw
            R = R + risk_draw
        result = I + pool_int - cat_draw - risk_draw - C
        surplus = np.maximum(result, 0.0)
        deficit = np.maximum(-result, 0.0)
        to_risk = np.zeros(n)
        if r.reserve == "jilin":
            draw = np.minimum(np.minimum(r.reserve_draw * I, np.maximum(r.reserve_target * I - R, 0.0)), surplus)
            risk_draw = draw
            R = R + draw
            surplus_left = surplus - draw
        else:
            surplus_left = surplus
        if r.surplus_to_risk_fund > 0:
            to_risk = r.surplus_to_risk_fund * surplus_left
            R = R + to_risk
            surplus_left = surplus_left - to_risk
        P = P + surplus_left
        # deficit: carried pool first, then the overspend rules
        from_pool = np.minimum(P, deficit)
        P = P - from_pool
        rest = deficit - from_pool
        gov = np.zeros(n)
        fac = np.zeros(n)
        from_res = np.zeros(n)
        unfunded = np.zeros(n)
        if r.overspend == "township":
            gov = r.overspend_township_government * rest
            fac = rest - gov
        elif r.overspend == "county":
            shares = share_overspend(rest, level="county", risk_fund=R + K, rules=r)
            from_res = shares["centre"]
            fac = shares["facilities"]
        elif r.reserve_covers_deficit:
            from_res = np.minimum(R + K, rest)
            unfunded = rest - from_res
        else:
            unfunded = rest
        # reserves pay: risk reserve first, then the major-disease reserve
        take_r = np.minimum(R, from_res)
        R = R - take_r
        K = K - (from_res - take_r)
        vals = dict(income=np.full(n, I), interest=interest, claims=C, catastrophe_draw=cat_draw,
                    risk_draw=risk_draw, surplus=surplus, to_risk_fund=to_risk, deficit=deficit,
                    from_pool=from_pool, from_reserves=from_res, government=gov, facilities=fac,
                    unfunded=unfunded, pool=P, risk_reserve=R, catastrophe_reserve=K, balance=P + R + K)
        for k, v in vals.items():
            out[k][:, t] = v
    return out
