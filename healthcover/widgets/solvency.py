"""Fund solvency: a pooled fund's income against the exact distribution of its payments, the
probability of a deficit, the contribution that meets a target, and a ten-year projection under
the document's reserve rules.

Every calculation is ``healthcover.actuarial``'s: the per-admission benefit from the scheme file
(``Benefit.from_scheme``), the exact distribution of the year's payments (``aggregate_loss``),
the contribution for a deficit target (``required_contribution``), the reserve, surplus and
overspend rules (``FundRules.from_scheme``) and the projection (``project_fund``). The income
available for claims is the projection's first year: income less the reserve set-asides the
rules take at the start of the year. The claim counts and costs are assumptions (sliders),
with the defaults of notebooks/fund-solvency.py.

Pure pieces, testable without widgets: :func:`solvency` -> :class:`SolvencyResult`,
:func:`distribution_chart`, :func:`deficit_chart`, :func:`projection_chart`. The dashboard:
:func:`fund_solvency` returns a :class:`~healthcover.widgets.page.Page`.
"""
from __future__ import annotations

import functools
import html
from dataclasses import dataclass, field

import altair as alt
import ipywidgets as widgets
import numpy as np
import pandas as pd

import healthcover as hc
from healthcover.sources import Source, read_data
from healthcover import actuarial as act
from healthcover.widgets.charts import chart_widget
from healthcover.widgets.i18n import fmt_money, fmt_pct, register, text
from healthcover.widgets.page import Page

__all__ = [
    "FUNDS",
    "TARGETS",
    "Fund",
    "SolvencyResult",
    "deficit_chart",
    "distribution_chart",
    "fund_solvency",
    "projection_chart",
    "solvency",
]


@dataclass(frozen=True)
class Fund:
    """A fund to study: the scheme, the category insured, and the assumed claims by facility.

    ``lines``: (facility, share of admissions, mean eligible cost per admission in CNY, CV).
    """

    scheme_id: str
    variant: str
    title: dict
    members: float
    admission_rate: float
    lines: tuple
    category: str = "adult"
    note: dict = field(default_factory=dict)
    assumption: str = ""  # why these numbers (they are assumptions, not the document's)

    @property
    def mean_cost(self) -> float:
        return float(sum(share * mean for _, share, mean, _ in self.lines))


def _funds() -> dict[str, Fund]:
    """The funds offered: ``data/dashboards/funds.yaml`` (cited assumptions, not the documents')."""
    raw = read_data("dashboards", "funds.yaml")
    out = {}
    for sid, f in raw.items():
        Source.model_validate(f["source"])  # every fund cites its assumptions
        lines = tuple((x["facility"], float(x["share"]), float(x["mean_cost"]), float(x["cv"])) for x in f["lines"])
        out[sid] = Fund(sid, f["variant"], dict(f["title"]), int(f["members"]), float(f["admission_rate"]),
                        lines, f.get("category", "adult"), dict(f.get("note") or {}), f["source"]["note"])
    return out


#: The funds offered, with their cited assumptions (``data/dashboards/funds.yaml``).
FUNDS = _funds()
TARGETS = (0.01, 0.025, 0.05, 0.10)
YEARS = 10
N_PATHS = 1_000
SEED = 2026
#: Interest (seed 000's rule; the resident documents state no rate): assumptions.
DEMAND_RATE = 0.0035
CARRIED_RATE = 0.0275
MEMBER_GROWTH = 0.01
AGEING = 0.01

register(
    {
        "fund_solvency": {"zh": "医保基金收支与风险", "en": "Fund solvency"},
        "fund_solvency_sub": {
            "zh": "一年的基金收入与住院支出的精确分布：出现赤字的概率、达到目标所需的筹资，以及按文件的风险金规则预测十年。",
            "en": "A year's fund income against the exact distribution of its inpatient payments: "
                  "the chance of a deficit, the contribution that meets a target, and ten years "
                  "under the document's reserve rules.",
        },
        "fund": {"zh": "基金", "en": "Fund"},
        "measure": {"zh": "指标", "en": "Measure"},
        "members": {"zh": "参保人数（人）", "en": "Insured members"},
        "admissions_per_100": {"zh": "每百人年住院人次（假设）", "en": "Admissions per 100 members a year (assumption)"},
        "mean_cost": {"zh": "次均住院费用（元，假设）", "en": "Mean cost per admission (CNY, assumption)"},
        "target": {"zh": "可接受的赤字概率", "en": "Accepted probability of a deficit"},
        "claims_inflation": {"zh": "次均费用年增长（假设）", "en": "Growth of cost per admission a year (assumption)"},
        "subsidy_growth": {"zh": "政府补助年增长（假设）", "en": "Growth of government subsidies a year (assumption)"},
        "individual_growth": {"zh": "个人缴费年增长（假设）", "en": "Growth of individual contributions a year (assumption)"},
        "income_for_claims": {"zh": "可用于住院支付的基金收入（元/年）", "en": "Fund income available for inpatient claims (CNY a year)"},
        "expected_payments": {"zh": "住院支出期望值（元/年）", "en": "Expected inpatient payments (CNY a year)"},
        "sd_payments": {"zh": "住院支出标准差（元）", "en": "Standard deviation of payments (CNY)"},
        "p_deficit": {"zh": "当年出现赤字的概率", "en": "Probability of a deficit this year"},
        "var_target": {"zh": "目标分位数下的支出（元/年）", "en": "Payments at the target quantile (CNY a year)"},
        "per_member_now": {"zh": "现人均可用于住院的筹资（元/人·年）", "en": "Available for claims per member now (CNY a year)"},
        "per_member_needed": {"zh": "达到目标所需（元/人·年）", "en": "Needed to meet the target (CNY per member a year)"},
        "standard_now": {"zh": "现筹资标准（元/人·年）", "en": "Contribution standard now (CNY per member a year)"},
        "standard_needed": {"zh": "达到目标所需的筹资标准（元/人·年）", "en": "Standard needed to meet the target (CNY per member a year)"},
        "subsidy_needed": {"zh": "个人缴费不变时所需政府补助（元/人·年）",
                           "en": "Subsidy needed with the individual part unchanged (CNY per member a year)"},
        "subsidy_now": {"zh": "现政府补助（元/人·年）", "en": "Subsidy now (CNY per member a year)"},
        "p_deficit_year10": {"zh": "第10年出现赤字的概率", "en": "Probability of a deficit in year 10"},
        "p_facilities_any": {"zh": "十年内医院分担超支的概率（至少一年）", "en": "Probability that hospitals bear an overspend in some year"},
        "p_unfunded_any": {"zh": "十年内出现财政兜底赤字的概率（至少一年）", "en": "Probability of an unfunded deficit in some year"},
        "balance_year10": {"zh": "第10年基金累计结余中位数（元）", "en": "Median fund balance in year 10 (CNY)"},
        "value": {"zh": "数值", "en": "Value"},
        "payments_axis_zh": {"zh": "年度住院支出（万元）", "en": "Annual payments (万元)"},
        "payments_axis_en": {"zh": "年度住院支出（百万元）", "en": "Annual inpatient payments (CNY million)"},
        "density_axis": {"zh": "概率密度（每万元）", "en": "Probability density (per CNY million)"},
        "density_title": {"zh": "一年住院支出的精确分布", "en": "Exact distribution of a year's inpatient payments"},
        "contribution_axis": {"zh": "人均可用于住院的筹资（元/人·年）", "en": "Available for claims per member (CNY a year)"},
        "p_axis": {"zh": "出现赤字的概率（%）", "en": "Probability of a deficit (%)"},
        "deficit_title": {"zh": "筹资越高，赤字概率越低", "en": "The higher the contribution, the lower the chance of a deficit"},
        "year_axis": {"zh": "年份", "en": "Year"},
        "balance_axis_zh": {"zh": "基金累计结余（万元）", "en": "Balance (万元)"},
        "balance_axis_en": {"zh": "基金累计结余（百万元）", "en": "Fund balance: pool and reserves (CNY million)"},
        "projection_title": {"zh": "十年预测：统筹基金与风险金（中位数，25–75%与5–95%区间）",
                             "en": "Ten years: pool and reserves (median, 25-75% and 5-95% bands)"},
        "band": {"zh": "区间", "en": "Band"},
        "band_90": {"zh": "5–95%", "en": "5-95%"},
        "band_50": {"zh": "25–75%", "en": "25-75%"},
        "median": {"zh": "中位数", "en": "Median"},
        "marker": {"zh": "标记", "en": "Marker"},
        "mark_income": {"zh": "可用收入", "en": "Income available"},
        "mark_var": {"zh": "目标分位数", "en": "Target quantile"},
        "mark_now": {"zh": "现筹资", "en": "Now"},
        "mark_needed": {"zh": "所需筹资", "en": "Needed"},
        "mark_target": {"zh": "目标概率", "en": "Target"},
        "assumptions_note": {
            "zh": "住院人次服从泊松分布，费用服从对数正态分布；人数、人次、费用和增长率均为假设（默认值取自 notebooks/fund-solvency.py），不是文件所载。"
                  "年利率：当年收入按活期0.35%、历年结余按三年定期2.75%计（文件000的规则，利率为假设）；参保人数年增1%，老龄化使人均住院年增1%。",
            "en": "Admissions are Poisson, costs lognormal; members, admissions, costs and growth rates "
                  "are assumptions (defaults from notebooks/fund-solvency.py), not from the documents. "
                  "Interest: the year's income at a 0.35% demand rate, balances carried over at a 2.75% "
                  "3-year rate (document 000's rule, assumed rates); members grow 1% a year and ageing "
                  "adds 1% a year to admissions per member.",
        },
        "income_note": {
            "zh": "可用收入 = 第一年统筹基金收入减去年初提取的风险金（按文件规则）；大足另扣除家庭门诊账户。",
            "en": "Income available = the first year's pooled income less the reserves the rules set "
                  "aside at the start of the year; for Dazu, the household outpatient account is "
                  "excluded too.",
        },
        "src_actuarial": {
            "zh": "计算：healthcover.actuarial（Benefit.from_scheme、aggregate_loss 傅里叶反演精确分布、required_contribution、FundRules.from_scheme、project_fund）。",
            "en": "Computed with healthcover.actuarial (Benefit.from_scheme, aggregate_loss by exact "
                  "Fourier inversion, required_contribution, FundRules.from_scheme, project_fund).",
        },
    }
)


@dataclass
class SolvencyResult:
    """What :func:`solvency` returns; every table is a DataFrame tests can read.

    ``summary``: measure, value (money in CNY, probabilities as shares). ``distribution``:
    payments (CNY) and density (per CNY). ``deficit``: per_member (CNY available for claims per
    member) and p_deficit. ``fan``: year, mean, q05..q95 of the fund balance (pool and
    reserves, CNY). ``risk``: by year, the library's ``Projection.risk()``. ``marks``: income,
    VaR at the target, contribution per member now and needed.
    """

    fund: Fund
    scheme: object
    model: object
    rules: object
    summary: pd.DataFrame
    distribution: pd.DataFrame
    deficit: pd.DataFrame
    fan: pd.DataFrame
    risk: pd.DataFrame
    marks: dict

    def value(self, measure: str) -> float:
        return float(self.summary.set_index("measure").loc[measure, "value"])


@functools.lru_cache(maxsize=8)
def _scheme(scheme_id: str, variant: str | None):
    return hc.load_scheme(scheme_id, variant=variant)


def solvency(scheme_id: str = "dazu-resident", variant: str | None = None, *, members: float | None = None,
             admission_rate: float | None = None, mean_cost: float | None = None, target: float = 0.05,
             claims_inflation: float = 0.04, subsidy_growth: float = 0.10, individual_growth: float = 0.05,
             years: int = YEARS, n_paths: int = N_PATHS, seed: int = SEED) -> SolvencyResult:
    """One fund's year and ten years, from the actuarial library.

    Parameters
    ----------
    scheme_id, variant : a fund of :data:`FUNDS` (variant default: the fund's).
    members : insured members; admission_rate : admissions per member a year; mean_cost :
        mean eligible cost per admission (CNY), the facility mix's costs scaled to it.
    target : the accepted probability of a deficit in one year.
    claims_inflation, subsidy_growth, individual_growth : yearly growth rates of the projection.
    """
    if scheme_id not in FUNDS:
        raise hc.HealthcoverError(f"fund solvency: no fund set up for scheme {scheme_id!r}; "
                                  f"allowed: {', '.join(FUNDS)}")
    fund = FUNDS[scheme_id]
    scheme = _scheme(scheme_id, variant or fund.variant)
    members = float(members or fund.members)
    rate = float(admission_rate if admission_rate is not None else fund.admission_rate)
    scale = float(mean_cost or fund.mean_cost) / fund.mean_cost
    lines = [
        act.ClaimLine(act.Poisson(members * rate * share), act.Lognormal.from_mean_cv(mean * scale, cv),
                      act.Benefit.from_scheme(scheme, "inpatient", facility=fac, category=fund.category),
                      care="inpatient", facility=fac, category=fund.category)
        for fac, share, mean, cv in fund.lines
    ]
    model = act.ClaimModel(lines)

    # Income per member by paying level, from the scheme's contributions; the household
    # outpatient account (Dazu) does not pay admissions.
    pp = scheme.contributions(pd.DataFrame({"person_id": [1], "category": [fund.category]})).iloc[0]
    pooled = float(pp["pooled_fund"])
    outpatient = float(pp.get("outpatient_account", 0.0) or 0.0)
    inpatient_share = (pooled - outpatient) / pooled
    levels = {"individual": float(pp["individual"]) * inpatient_share,
              "central": float(pp["subsidy_central"]) * inpatient_share,
              "provincial": float(pp["subsidy_provincial"]) * inpatient_share,
              "local": float(pp["subsidy_local"]) * inpatient_share}
    rules = act.FundRules.from_scheme(scheme, demand_rate=DEMAND_RATE, carried_rate=CARRIED_RATE)
    growth = {"individual": individual_growth, "central": subsidy_growth, "provincial": subsidy_growth,
              "local": subsidy_growth}
    kw = {"members": members, "contributions": levels, "contribution_growth": growth,
          "member_growth": MEMBER_GROWTH, "ageing": AGEING, "claims_inflation": claims_inflation}

    # The year: income available for claims is the first year's income less what the rules set
    # aside before claims are paid. Dazu sets its reserves aside at the start of the year (Art. 26,
    # step 3 of project_fund); Jilin draws its reserve from a surplus after claims ((七)2, step 5),
    # so nothing is set aside before claims.
    first = act.project_fund(model, rules, years=1, **kw).table().iloc[0]
    set_aside = float(first["catastrophe_draw"] + first["risk_draw"]) if rules.reserve == "dazu" else 0.0
    income = float(first["income"]) - set_aside
    S = act.aggregate_loss(model)
    need = act.required_contribution(model, members, target, agg=S)
    # From "available for claims per member" to the contribution standard: the same ratio as now.
    gross = pooled * members / income
    standard_needed = float(need["contribution"]) * gross
    subsidy_now = float(pp["subsidy_central"] + pp["subsidy_provincial"] + pp["subsidy_local"])
    var = float(S.ppf(1.0 - target))

    proj = act.project_fund(model, rules, years=years, stochastic=True, n_paths=n_paths, seed=seed, **kw)
    fan = proj.fan("balance")
    risk = proj.risk()
    d = proj.data
    summary = pd.DataFrame([
        ("income_for_claims", income),
        ("expected_payments", S.mean),
        ("sd_payments", S.sd),
        ("p_deficit", float(S.sf(income))),
        ("var_target", var),
        ("per_member_now", income / members),
        ("per_member_needed", float(need["contribution"])),
        ("standard_now", pooled),
        ("standard_needed", standard_needed),
        ("subsidy_now", subsidy_now),
        ("subsidy_needed", max(standard_needed - float(pp["individual"]), 0.0)),
        ("p_deficit_year10", float(risk["P(deficit)"].iloc[-1])),
        ("p_facilities_any", float((d["facilities"] > 0).any(axis=1).mean())),
        ("p_unfunded_any", float((d["unfunded"] > 0).any(axis=1).mean())),
        ("balance_year10", float(fan["q50"].iloc[-1])),
    ], columns=["measure", "value"])

    frame = S.frame(200)
    distribution = pd.DataFrame({"payments": frame["x"], "density": frame["pdf"]})
    per_member = np.linspace(S.mean / members * 0.97, float(S.ppf(0.9999)) / members, 120)
    deficit = pd.DataFrame({"per_member": per_member, "p_deficit": S.sf(per_member * members)})
    marks = {"income": income, "var": var, "now": income / members, "needed": float(need["contribution"]),
             "target": float(target)}
    return SolvencyResult(fund, scheme, model, rules, summary, distribution, deficit, fan, risk, marks)


# --------------------------------------------------------------------------- charts


def _money_scale(lang: str) -> tuple[float, str]:
    """Divisor and format for large amounts on axes: 万元 in Chinese, CNY million in English."""
    return (1e4, ",.0f") if lang == "zh" else (1e6, ",.1f")


def distribution_chart(result: SolvencyResult, lang: str) -> alt.LayerChart:
    """Density of the year's payments, with the income available and the target quantile."""
    div, fmt = _money_scale(lang)
    df = pd.DataFrame({"payments": result.distribution["payments"] / div,
                       "density": result.distribution["density"] * div})
    x_title = text(f"payments_axis_{lang}", lang)
    area = alt.Chart(df).mark_area(opacity=0.5, color="#5c6bc0").encode(
        x=alt.X("payments:Q", title=x_title, scale=alt.Scale(zero=False),
                axis=alt.Axis(format=fmt, tickCount=6, labelOverlap=True)),
        y=alt.Y("density:Q", title=text("density_axis", lang)),
    )
    names = [text("mark_income", lang), f"{text('mark_var', lang)} ({fmt_pct(1 - result.marks['target'], lang, 1)})"]
    marks = pd.DataFrame({"x": [result.marks["income"] / div, result.marks["var"] / div], "mark": names})
    rules = alt.Chart(marks).mark_rule(strokeWidth=2, strokeDash=[5, 3]).encode(
        x="x:Q",
        color=alt.Color("mark:N", title=text("marker", lang), legend=alt.Legend(orient="bottom"),
                        scale=alt.Scale(domain=names, range=["#2e7d32", "#c62828"])),
        tooltip=[alt.Tooltip("mark:N", title=text("marker", lang)), alt.Tooltip("x:Q", title=x_title, format=fmt)],
    )
    return (area + rules).properties(width=460, height=200, title=text("density_title", lang))


def deficit_chart(result: SolvencyResult, lang: str) -> alt.LayerChart:
    """P(deficit) against the contribution per member available for claims, the target as a
    horizontal rule, the contribution now and the one needed as vertical rules."""
    df = result.deficit.assign(p=lambda d: 100.0 * d["p_deficit"])
    x_title = text("contribution_axis", lang)
    line = alt.Chart(df).mark_line(color="#37474f").encode(
        x=alt.X("per_member:Q", title=x_title, scale=alt.Scale(zero=False), axis=alt.Axis(format=",.0f")),
        y=alt.Y("p:Q", title=text("p_axis", lang), scale=alt.Scale(domain=[0, 100])),
    )
    m = result.marks
    names = [text("mark_now", lang), text("mark_needed", lang)]
    vmarks = pd.DataFrame({"x": [m["now"], m["needed"]], "mark": names})
    vrules = alt.Chart(vmarks).mark_rule(strokeWidth=2).encode(
        x="x:Q",
        color=alt.Color("mark:N", title=text("marker", lang), legend=alt.Legend(orient="bottom"),
                        scale=alt.Scale(domain=names, range=["#1565c0", "#2e7d32"])),
        tooltip=[alt.Tooltip("mark:N", title=text("marker", lang)), alt.Tooltip("x:Q", title=x_title, format=",.2f")],
    )
    hrule = alt.Chart(pd.DataFrame({"y": [100.0 * m["target"]]})).mark_rule(color="#c62828", strokeDash=[5, 3]).encode(
        y="y:Q")
    return (line + vrules + hrule).properties(width=460, height=200, title=text("deficit_title", lang))


def projection_chart(result: SolvencyResult, lang: str) -> alt.LayerChart:
    """The fund balance (pool and reserves) by year: 5-95% and 25-75% bands and the median."""
    div, fmt = _money_scale(lang)
    f = result.fan
    df = pd.DataFrame({"year": f["year"], **{c: f[c] / div for c in ("q05", "q25", "q50", "q75", "q95")}})
    y_title = text(f"balance_axis_{lang}", lang)
    bands = pd.concat([
        df.assign(lo=df["q05"], hi=df["q95"], band=text("band_90", lang)),
        df.assign(lo=df["q25"], hi=df["q75"], band=text("band_50", lang)),
    ])
    base = alt.Chart(bands).encode(x=alt.X("year:O", title=text("year_axis", lang), axis=alt.Axis(labelAngle=0)))
    area = base.mark_area(opacity=0.35).encode(
        y=alt.Y("lo:Q", title=y_title, axis=alt.Axis(format=fmt)), y2="hi:Q",
        color=alt.Color("band:N", title=text("band", lang), legend=alt.Legend(orient="bottom"),
                        scale=alt.Scale(domain=[text("band_90", lang), text("band_50", lang)],
                                        range=["#90caf9", "#1e88e5"])),
    )
    mid = alt.Chart(df).mark_line(color="#0d47a1", point=True).encode(
        x="year:O", y="q50:Q",
        tooltip=[alt.Tooltip("year:O", title=text("year_axis", lang)),
                 alt.Tooltip("q50:Q", title=text("median", lang), format=fmt)],
    )
    return (area + mid).properties(width=460, height=220, title=text("projection_title", lang))


# --------------------------------------------------------------------------- tables

_PROBS = {"p_deficit", "p_deficit_year10", "p_facilities_any", "p_unfunded_any"}


_PER_MEMBER = {"per_member_now", "per_member_needed", "standard_now", "standard_needed", "subsidy_now",
               "subsidy_needed"}


def _fmt(measure: str, value: float, lang: str) -> str:
    """Probabilities in percent; per-member amounts to the fen; fund totals in 万/亿 (Chinese)
    or whole yuan with thousands separators (English)."""
    if measure in _PROBS:
        return "< 0.01%" if 0 < value < 5e-5 else fmt_pct(value, lang, digits=2)
    if measure in _PER_MEMBER:
        return fmt_money(value, lang, digits=2)
    return fmt_money(value, lang, digits=2 if lang == "zh" else 0)


def summary_html(result: SolvencyResult, lang: str) -> str:
    rows = "".join(
        f'<tr class="hc-m-{r.measure}"><td>{html.escape(text(r.measure, lang))}</td>'
        f'<td class="num">{html.escape(_fmt(r.measure, r.value, lang))}</td></tr>'
        for r in result.summary.itertuples()
    )
    return (f'<table class="hc-solvency-table"><thead><tr><th>{html.escape(text("measure", lang))}</th>'
            f'<th class="num">{html.escape(text("value", lang))}</th></tr></thead><tbody>{rows}</tbody></table>')


# --------------------------------------------------------------------------- the dashboard

_CSS = """
<style>
.hc-solvency-table td.num { white-space: nowrap; }
.hc-note { font-size: 12px; color: #555; }
</style>
"""


class FundSolvency:
    """Controls, results and charts of the fund-solvency dashboard, on a :class:`Page`."""

    def __init__(self, lang: str = "zh", scheme_id: str | None = None, interactive: bool = False):
        self.page = page = Page("fund_solvency", subtitle="fund_solvency_sub", lang=lang)
        style = {"description_width": "400px"}
        wide = widgets.Layout(width="720px")
        self.fund = widgets.Dropdown(layout=wide, style=style)
        self.variant = widgets.Dropdown(layout=wide, style=style)
        self.members = widgets.FloatLogSlider(base=10, min=4, max=7, step=0.05, readout_format=",.0f",
                                              continuous_update=False, layout=wide, style=style)
        self.admissions = widgets.FloatSlider(min=2, max=25, step=0.5, readout_format=".1f",
                                              continuous_update=False, layout=wide, style=style)
        self.mean_cost = widgets.FloatSlider(min=1_000, max=20_000, step=100, readout_format=",.0f",
                                             continuous_update=False, layout=wide, style=style)
        self.target = widgets.Dropdown(layout=wide, style=style)
        self.inflation = widgets.FloatSlider(value=0.04, min=0, max=0.10, step=0.005, readout_format=".1%",
                                             continuous_update=False, layout=wide, style=style)
        self.subsidy_growth = widgets.FloatSlider(value=0.10, min=0, max=0.15, step=0.005, readout_format=".1%",
                                                  continuous_update=False, layout=wide, style=style)
        self.individual_growth = widgets.FloatSlider(value=0.05, min=0, max=0.10, step=0.005, readout_format=".1%",
                                                     continuous_update=False, layout=wide, style=style)
        controls = [(self.fund, "fund"), (self.variant, "variant"), (self.members, "members"),
                    (self.admissions, "admissions_per_100"), (self.mean_cost, "mean_cost"),
                    (self.target, "target"), (self.inflation, "claims_inflation"),
                    (self.subsidy_growth, "subsidy_growth"), (self.individual_growth, "individual_growth")]
        for w, key in controls:
            w.add_class("hc-" + key.replace("_", "-"))
            page.bind(w, key)
        page.bind_options(self.fund, [(f.title, sid) for sid, f in FUNDS.items()])
        page.bind_options(self.target, [({"zh": fmt_pct(t, "zh", 1), "en": fmt_pct(t, "en", 1)}, t) for t in TARGETS])
        self.target.value = 0.05
        if scheme_id is not None:
            self.fund.value = scheme_id
        self.fund_note = widgets.HTML()
        self.fund_note.add_class("hc-note")
        self.summary = widgets.HTML()
        self.summary.add_class("hc-summary")
        self.summary.add_class("hc-result")
        self.notes = widgets.HTML()
        self.notes.add_class("hc-note")
        self.result: SolvencyResult | None = None
        empty = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_point(opacity=0).encode(x=alt.X("x:Q", title=None))
        self.distribution = chart_widget(empty, interactive=interactive, lang=lang)
        self.distribution.add_class("hc-distribution-chart")
        self.deficit = chart_widget(empty, interactive=interactive, lang=lang)
        self.deficit.add_class("hc-deficit-chart")
        self.projection = chart_widget(empty, interactive=interactive, lang=lang)
        self.projection.add_class("hc-projection-chart")
        page.set_body(
            widgets.HTML(_CSS),
            widgets.VBox([w for w, _ in controls[:2]] + [self.fund_note] + [w for w, _ in controls[2:]]),
            self.summary,
            charts := widgets.HBox([self.distribution, self.deficit], layout=widgets.Layout(flex_flow="row wrap")),
            self.projection,
            self.notes,
        )
        page.hide_on_error(charts, self.projection, self.notes)
        page.on_change([self.fund], self._fund_changed)
        page.on_change([self.variant, self.members, self.admissions, self.mean_cost, self.target,
                        self.inflation, self.subsidy_growth, self.individual_growth], self.update)
        page.on_lang(self.update)
        page.on_error(self._blank)
        page.safe(self._fund_changed)()

    def _fund_changed(self) -> None:
        fund = FUNDS[self.fund.value]
        s = _scheme(fund.scheme_id, fund.variant)
        with self.page.batch():
            self.page.bind_options(self.variant, [({"zh": s.meta.variants[v].zh, "en": s.meta.variants[v].en}, v)
                                                  for v in s.variants])
            self.variant.value = fund.variant
            self.members.value = fund.members
            self.admissions.value = 100 * fund.admission_rate
            self.mean_cost.value = fund.mean_cost
        self.update()

    def _sources(self, result: SolvencyResult) -> list:
        m = result.scheme.meta
        items = [{"zh": f"{m.title.zh} {m.document_number or ''}".strip(),
                  "en": f"{m.title.en} {m.document_number or ''}".strip()}, m.source.cite()]
        s = result.scheme
        cites: list[str] = []
        for fac, *_ in result.fund.lines:
            for rule in ("deductible", "rate", "annual_limit"):
                path = f"benefits.inpatient.{rule}"
                if s.has(path):
                    cites.append(f"{path} ({fac}): {s.citation(path, facility=fac, category=result.fund.category)}")
        cites += [f"{path}: {s.citation(path)}" for path in s.parameters if path.startswith("fund.")]
        return items + list(dict.fromkeys(cites)) + ["income_note", "assumptions_note", "src_actuarial"]

    def update(self) -> None:
        lang = self.page.lang
        # The fund's description holds whether or not the computation below succeeds.
        self.fund_note.value = html.escape(text(FUNDS[self.fund.value].note, lang))
        r = solvency(self.fund.value, self.variant.value, members=self.members.value,
                     admission_rate=self.admissions.value / 100.0, mean_cost=self.mean_cost.value,
                     target=self.target.value, claims_inflation=self.inflation.value,
                     subsidy_growth=self.subsidy_growth.value, individual_growth=self.individual_growth.value)
        self.result = r
        self.summary.value = summary_html(r, lang)
        self.notes.value = "".join(f"<p>{html.escape(text(k, lang))}</p>" for k in ("income_note", "assumptions_note"))
        self.distribution.update(distribution_chart(r, lang), lang=lang)
        self.deficit.update(deficit_chart(r, lang), lang=lang)
        self.projection.update(projection_chart(r, lang), lang=lang)
        self.page.set_sources(self._sources(r))

    def _blank(self) -> None:
        self.result = None
        self.summary.value = ""


def fund_solvency(lang: str = "zh", scheme_id: str | None = None, interactive: bool = False) -> Page:
    """The fund-solvency dashboard; the dashboard object is ``page.dashboard``."""
    d = FundSolvency(lang=lang, scheme_id=scheme_id, interactive=interactive)
    d.page.dashboard = d
    return d.page

