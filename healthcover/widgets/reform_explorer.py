"""Reform explorer: a scheme's benefit parameters as sliders, a synthetic population run through
the document's rules (baseline) and the visitor's (reform), side by side.

The rules are the library's: ``hc.load_scheme(..., overrides, allow_out_of_range)`` and
``Scheme.adjudicate`` pay the claims, ``healthcover.protection`` classifies households
(catastrophic spending at 10% and 25% of total consumption and at 40% of capacity to pay;
impoverishment at a poverty line), ``healthcover.data`` draws the population. This module
caches and tabulates.

What a slider move recomputes (everything else is cached on :class:`ReformModel`):

* the population, its mapping to the scheme's codes, the claims split by annual-limit pool, each
  claim's household, the households' consumption, quintiles and weights: once per scheme;
* the baseline (the document's values) and its measures: once per scheme and poverty line;
* per move: the reform scheme (overrides applied by the loader), ``adjudicate`` on the claims of
  the pools whose parameters differ from the last run only (a pool's result is cached by its
  overrides), household totals, the protection measures, the tables and the charts.

Pure pieces, testable without widgets or a browser: :func:`reform_controls`,
:class:`ReformModel` (``run(overrides) -> ReformResult`` of DataFrames), :func:`quintile_chart`,
:func:`money_chart`, :func:`oop_chart`, :func:`summary_html`. The dashboard:
:func:`reform_explorer` returns a :class:`~healthcover.widgets.page.Page`.
"""
from __future__ import annotations

import functools
import html
import math
import os
import time
from collections.abc import Mapping
from typing import Any

import altair as alt
import ipywidgets as widgets
import numpy as np
import pandas as pd

import healthcover as hc
from healthcover import data as _data
from healthcover import scenarios as _scenarios
from healthcover.schemes.model import BENEFIT_RULES, MONEY, SHARE
from healthcover.widgets.charts import chart_widget
from healthcover.widgets.i18n import fmt_money, fmt_number, fmt_pct, register, text
from healthcover.widgets.page import Page

__all__ = [
    "DEFAULT_HOUSEHOLDS",
    "HOUSEHOLDS_ENV",
    "ReformExplorer",
    "ReformModel",
    "ReformResult",
    "money_chart",
    "oop_chart",
    "quintile_chart",
    "reform_controls",
    "reform_explorer",
    "reform_schemes",
    "summary_html",
]

#: Households in the dashboard's synthetic population.
DEFAULT_HOUSEHOLDS = 100_000
#: Environment variable that sets the population size when the notebook passes none (the
#: browser tests use a small population; the server's environment reaches its kernels).
HOUSEHOLDS_ENV = "HEALTHCOVER_DASHBOARD_HOUSEHOLDS"
DEFAULT_SEED = 2024
DEFAULT_SCHEME = "dazu-resident"
#: Poverty line for impoverishment (an assumption; see :data:`healthcover.scenarios.POVERTY_LINE`).
POVERTY_LINE = _scenarios.POVERTY_LINE
#: The benefit rules offered as sliders: the engine's numeric rules (money and shares), in its order.
RULES = tuple(r for r, spec in BENEFIT_RULES.items() if spec.domain in (MONEY, SHARE) and not spec.setting)
SHARE_RULES = frozenset(r for r in RULES if BENEFIT_RULES[r].domain == SHARE)
#: Share measures (of households, or of persons for impoverishment), in display order.
SHARE_MEASURES = ("che10", "che25", "che40_ctp", "impoverished")
MONEY_MEASURES = ("fund_per_household", "oop_per_household")
SCENARIOS = ("baseline", "reform")
_COLOURS = {"baseline": "#9e9e9e", "reform": "#1565c0"}

register(
    {
        "reform_explorer": {"zh": "医保改革模拟器", "en": "Reform explorer"},
        "reform_explorer_sub": {
            "zh": "移动滑块调整报销规定，比较文件规定（基准）与改革方案下的基金支出、个人自付和家庭经济负担。",
            "en": "Move a slider to change a benefit rule; compare the document's rules (baseline) "
            "with your reform: fund spending, out-of-pocket payments and financial hardship.",
        },
        "rule_deductible": {"zh": "起付线", "en": "Deductible"},
        "rule_rate": {"zh": "报销比例", "en": "Reimbursement rate"},
        "rule_fund_amount": {"zh": "定额支付", "en": "Fixed fund amount"},
        "rule_per_claim_limit": {"zh": "单次最高支付限额", "en": "Per-claim limit"},
        "rule_annual_limit": {"zh": "年度最高支付限额", "en": "Annual limit"},
        "all_cells": {"zh": "全部", "en": "All"},
        "beyond": {"zh": "允许超出文件规定范围（改革探索）",
                   "en": "Allow values outside the document's range (exploring a reform)"},
        "reset": {"zh": "恢复文件规定值", "en": "Reset to the document's values"},
        "poverty_line": {"zh": "贫困线（元/人·年，假设）", "en": "Poverty line (CNY per person-year, assumption)"},
        "baseline": {"zh": "基准（文件规定）", "en": "Baseline (document)"},
        "reform": {"zh": "改革方案", "en": "Reform"},
        "change": {"zh": "变化", "en": "Change"},
        "measure": {"zh": "指标", "en": "Measure"},
        "scenario": {"zh": "方案", "en": "Scenario"},
        "fund_total": {"zh": "基金支出（按农村户数加权，元/年）",
                       "en": "Fund spending, weighted to all rural households (CNY a year)"},
        "fund_per_person": {"zh": "人均基金支出（元/人·年）", "en": "Fund spending per person (CNY a year)"},
        "fund_per_household": {"zh": "户均基金支出", "en": "Fund spending per household"},
        "oop_per_household": {"zh": "户均自付医疗费用", "en": "Out-of-pocket per household"},
        "oop_p90": {"zh": "自付费用第90百分位（元/户·年）", "en": "90th percentile of out-of-pocket (CNY per household-year)"},
        "che10": {"zh": "灾难性支出：自付超过总消费10%的住户", "en": "Catastrophic: out-of-pocket > 10% of consumption"},
        "che25": {"zh": "灾难性支出：自付超过总消费25%的住户", "en": "Catastrophic: out-of-pocket > 25% of consumption"},
        "che40_ctp": {"zh": "灾难性支出：自付超过支付能力40%的住户",
                      "en": "Catastrophic: out-of-pocket > 40% of capacity to pay"},
        "impoverished": {"zh": "因自付医疗费用陷入贫困的人口", "en": "People pushed into poverty by out-of-pocket"},
        "che10_short": {"zh": "自付 > 总消费10%", "en": "OOP > 10% of consumption"},
        "che25_short": {"zh": "自付 > 总消费25%", "en": "OOP > 25% of consumption"},
        "che40_ctp_short": {"zh": "自付 > 支付能力40%", "en": "OOP > 40% of capacity to pay"},
        "impoverished_short": {"zh": "因病致贫（人口）", "en": "Impoverished (persons)"},
        "quintile_axis": {"zh": "收入五等分组（1 = 最低）", "en": "Income quintile (1 = poorest)"},
        "share_axis": {"zh": "占比（%）", "en": "Share (%)"},
        "households_axis": {"zh": "住户占比（%）", "en": "Households (%)"},
        "money_axis": {"zh": "金额（元/户·年）", "en": "Amount (CNY per household-year)"},
        "oop_axis": {"zh": "年自付医疗费用（元/户）", "en": "Out-of-pocket a year (CNY per household)"},
        "by_quintile_title": {"zh": "按收入五等分组：家庭经济负担", "en": "Financial hardship by income quintile"},
        "money_title": {"zh": "按收入五等分组：基金支出与个人自付", "en": "Fund spending and out-of-pocket by income quintile"},
        "oop_title": {"zh": "住户年自付医疗费用的分布", "en": "Distribution of out-of-pocket spending per household"},
        "outside_title": {"zh": "以下取值超出文件规定范围（仅作改革探索）：",
                          "en": "These values are outside the document's range (a reform being explored):"},
        "document_value": {"zh": "文件", "en": "document"},
        "document_range": {"zh": "文件规定范围", "en": "document's range"},
        "assumed": {"zh": "文件未规定，假设", "en": "not stated in the document; assumed"},
        "outside": {"zh": "超出文件规定范围", "en": "outside the document's range"},
        "changed": {"zh": "已调整", "en": "changed"},
        "exactly": {"zh": "文件规定", "en": "document sets"},
        "at_least": {"zh": "不低于", "en": "at least"},
        "at_most": {"zh": "不高于", "en": "at most"},
        "around": {"zh": "约", "en": "around"},
        "population_note": {
            "zh": "合成农村人口：{households}户、{persons}人、{claims}笔就诊（随机种子 {seed}，1999年价格），"
                  "按文件003第1节的统计校准；加权代表全国 24149万 农户。",
            "en": "Synthetic rural population: {households} households, {persons} persons, {claims} claims "
                  "(seed {seed}, 1999 yuan), calibrated to document 003 §1; weighted to the 241.49 million "
                  "rural households.",
        },
        "pp": {"zh": "个百分点", "en": " pp"},
        "src_population": {
            "zh": "合成人口：healthcover.data.synthetic_population，按文件003第1节校准（户数、户均人口、收入、门诊和住院费用、两周患病率、未就诊和未住院比例）；其余为注明的建模假设。",
            "en": "Synthetic population: healthcover.data.synthetic_population, calibrated to document 003 §1 "
                  "(households, household size, income, outpatient and inpatient costs, two-week illness, "
                  "forgone visits and admissions); the rest are stated modelling assumptions.",
        },
        "src_measures": {
            "zh": "灾难性卫生支出：WHO与世界银行可持续发展目标指标3.8.2（总消费的10%和25%）；支付能力的40%：Xu等（2003）《柳叶刀》362:111-117；因病致贫：O'Donnell等（2008）第18-19章。",
            "en": "Catastrophic spending: WHO & World Bank, SDG indicator 3.8.2 (10% and 25% of total "
                  "consumption); 40% of capacity to pay: Xu et al. (2003), The Lancet 362:111-117; "
                  "impoverishment: O'Donnell et al. (2008), ch. 18-19.",
        },
        "src_poverty_line": {
            "zh": "贫困线625元/人·年为假设（约为1999-2000年国家农村贫困标准），非种子文件所载。",
            "en": "The poverty line of 625 CNY per person-year is an assumption (about China's official "
                  "rural poverty line in 1999-2000), not from the seed documents.",
        },
        "src_no_behaviour": {
            "zh": "改革前后使用同一批就诊记录（不模拟就医行为的变化）；保费不计入自付。",
            "en": "The same claims are used before and after the reform (no behavioural response); "
                  "premiums are not counted as out-of-pocket.",
        },
        "no_sliders": {"zh": "该制度没有可在此调整的数值型报销规定。",
                       "en": "This scheme has no numeric benefit rule to adjust here."},
    }
)


# --------------------------------------------------------------------------- schemes and controls


def reform_schemes() -> dict[str, Any]:
    """Schemes the synthetic population runs through (``data/populations``): id -> bilingual
    title. :func:`healthcover.data.population_schemes` lists the others and why they cannot."""
    table = _data.population_schemes()
    out = {}
    for r in table[table["runnable"]].drop_duplicates("scheme_id").itertuples():
        out[r.scheme_id] = hc.load_scheme(r.scheme_id).meta.title
    return out


def _code(scheme, dim: str, code: str) -> dict[str, str]:
    """Bilingual name of a code; a category attribute (``benefit_class``) takes the name of the
    category with that code, else the code itself."""
    meta = scheme.meta
    table = {"variant": meta.variants, "category": meta.categories, "facility": meta.facilities,
             "care": meta.care}.get(dim)
    c = table.get(code) if table is not None else meta.categories.get(code)
    if c is None:
        return {"zh": code, "en": code}
    return {"zh": c.zh, "en": c.en}


def _nice_max(x: float) -> float:
    """A round number at or above ``x`` (1, 2, 2.5, 5 x 10^k)."""
    if x <= 0:
        return 1.0
    k = 10 ** math.floor(math.log10(x))
    for m in (1, 2, 2.5, 5, 10):
        if m * k >= x - 1e-9:
            return float(m * k)
    return float(10 * k)


def _money_step(hi: float) -> float:
    return float(max(1.0, 10 ** (math.floor(math.log10(max(hi, 1.0))) - 2)))


def _slider_bounds(rule: str, leaf, value: float) -> tuple[float, float, float, float, float]:
    """``(doc_min, doc_max, wide_min, wide_max, step)`` of a slider.

    The document's range or bound where it gives one; an exact (or assumed) value gets a reform
    range around it: shares 0-100%, money 0 to about twice the value. ``wide_*`` is the range
    offered when values outside the document's range are allowed.
    """
    share = rule in SHARE_RULES
    lo, hi = leaf.lo, leaf.hi
    if share:
        wide = (0.0, 1.0)
        step = 0.01
    else:
        top = max(v for v in (value, lo or 0.0, hi or 0.0) if v is not None)
        wide = (0.0, _nice_max(2.0 * top) if top > 0 else 1_000.0)
        step = _money_step(wide[1])
    if leaf.kind == "range":
        doc = (float(lo), float(hi))
    elif leaf.kind == "at_least":
        doc = (float(lo), wide[1])
    elif leaf.kind == "at_most":
        doc = (wide[0], float(hi))
    else:  # exact, approx, not stated: the document fixes no range; a reform range around it
        doc = wide
    return doc[0], doc[1], min(wide[0], doc[0]), max(wide[1], doc[1]), step


def reform_controls(scheme, care_types=None, categories=None, facilities=None) -> pd.DataFrame:
    """The sliders of a scheme: numeric ``benefits.<care>.<rule>`` cells that matter for the
    given care types, categories and facilities (default: all of the scheme's).

    One row per cell: ``key`` (the override key, e.g. ``benefits.inpatient.rate.adult.county``),
    ``path``, ``care``, ``rule``, ``cell`` (codes without the variant), ``label_zh``/``label_en``
    (the cell's names), ``kind`` (exact, range, at_least, at_most, approx, not_stated),
    ``value`` (the document's value, or the assumption where it is blank), ``assumed``,
    ``lo``/``hi`` (the document's bounds), ``doc_min``/``doc_max`` (slider bounds within the
    document), ``wide_min``/``wide_max`` (bounds when exploring beyond it), ``step``,
    ``share`` (a rate rather than money), ``unit`` and ``citation``.
    """
    cares = [c for c in (care_types or scheme.care_types) if c in scheme.care_types]
    cats = list(categories or scheme.categories)
    facs = list(facilities or scheme.facilities) or [None]
    rows = []
    for care in cares:
        for rule in RULES:
            path = f"benefits.{care}.{rule}"
            if not scheme.has(path):
                continue
            p = scheme.param(path)
            seen = []
            for cat in cats:
                for fac in facs:
                    dims = {"category": cat} | ({"facility": fac} if fac else {})
                    try:
                        key = scheme.cell_key(p, dims)
                    except hc.HealthcoverError:
                        continue
                    if key not in seen:
                        seen.append(key)
            for key in seen:
                leaf = p.cells.get(key)
                if leaf is None:
                    continue
                assumed = leaf.kind == "not_stated"
                if not leaf.usable or isinstance(leaf.value, bool) or not isinstance(leaf.value, (int, float)):
                    continue  # a blank with no stated assumption cannot be a slider
                value = float(leaf.value)  # the document's value, or the cited assumption for a blank
                parts = [(d, k) for d, k in zip(p.by, key) if d != "variant"]
                cell = tuple(k for _, k in parts)
                names = [_code(scheme, d, k) for d, k in parts]
                doc_min, doc_max, wide_min, wide_max, step = _slider_bounds(rule, leaf, value)
                rows.append({
                    "key": ".".join((path, *cell)),
                    "path": path,
                    "care": care,
                    "rule": rule,
                    "cell": cell,
                    "label_zh": " · ".join(n["zh"] for n in names) or text("all_cells", "zh"),
                    "label_en": " · ".join(n["en"] for n in names) or text("all_cells", "en"),
                    "kind": leaf.kind,
                    "value": value,
                    "assumed": assumed,
                    "lo": leaf.lo,
                    "hi": leaf.hi,
                    "doc_min": doc_min,
                    "doc_max": doc_max,
                    "wide_min": wide_min,
                    "wide_max": wide_max,
                    "step": step,
                    "share": rule in SHARE_RULES,
                    "unit": p.unit,
                    "citation": p.citation(key),
                })
    cols = ["key", "path", "care", "rule", "cell", "label_zh", "label_en", "kind", "value", "assumed",
            "lo", "hi", "doc_min", "doc_max", "wide_min", "wide_max", "step", "share", "unit", "citation"]
    return pd.DataFrame(rows, columns=cols)


# --------------------------------------------------------------------------- the model


@functools.lru_cache(maxsize=2)
def _population(n_households: int, seed: int) -> _data.Population:
    return _data.synthetic_population(n_households, seed=seed)


#: What :meth:`ReformModel.run` returns (the library's comparison).
ReformResult = _scenarios.Comparison
CATASTROPHIC = _scenarios.CATASTROPHIC
OOP_BINS = _scenarios.OOP_BINS
Outcome = _scenarios.Outcome


class ReformModel(_scenarios.ScenarioModel):
    """The library's :class:`~healthcover.scenarios.ScenarioModel` on the dashboard's synthetic
    population, with the sliders of the scheme (:func:`reform_controls`). The model, its
    caching and every number are the library's; this class only adds what a page shows.

    Examples
    --------
    >>> m = ReformModel("dazu-resident", "tier2", n_households=2_000)
    >>> r = m.run({"benefits.inpatient.rate.adult.county": 0.7})
    >>> r.value("fund_total") > r.value("fund_total", "baseline")
    True
    """

    def __init__(self, scheme_id: str, variant: str | None = None, *, n_households: int = DEFAULT_HOUSEHOLDS,
                 seed: int = DEFAULT_SEED, poverty_line: float = POVERTY_LINE):
        self.seed = int(seed)
        super().__init__(_population(int(n_households), self.seed), scheme_id, variant=variant,
                         assumptions=True, poverty_line=poverty_line)
        persons, claims = self.population.persons, self.population.claims
        insured = persons["insured"].astype(bool) if "insured" in persons.columns else slice(None)
        cats = sorted(set(persons.loc[insured, "category"]))
        used = claims["care"].isin(self.cares)
        facs = (sorted(set(claims.loc[used, "facility"]), key=lambda f: self.document.facilities.index(f))
                if self.document.facilities else None)
        self.controls = reform_controls(self.document, self.cares, cats, facs)

    def run(self, overrides: Mapping[str, float] | None = None, allow_out_of_range: bool = False) -> ReformResult:
        """Baseline and reform side by side; ``overrides`` by slider key (see :func:`reform_controls`)."""
        result = super().run(dict(overrides or {}), allow_out_of_range=allow_out_of_range)
        result.overrides = self._labelled(result.overrides)
        return result

    def _labelled(self, overrides: pd.DataFrame) -> pd.DataFrame:
        """The changed cells with the sliders' labels, rules and the document's value."""
        c = self.controls.set_index("key")
        keep = overrides[overrides["key"].isin(c.index)].copy()
        for col in ("care", "rule", "label_zh", "label_en", "assumed", "lo", "hi"):
            keep[col] = [c.loc[k, col] for k in keep["key"]]
        keep["document"] = [c.loc[k, "value"] for k in keep["key"]]
        return keep.reset_index(drop=True)


# --------------------------------------------------------------------------- charts and tables


def _scenario_scale(lang: str) -> alt.Scale:
    return alt.Scale(domain=[text(s, lang) for s in SCENARIOS], range=[_COLOURS[s] for s in SCENARIOS])


def _long(result: ReformResult, measures, lang: str, pct: bool) -> pd.DataFrame:
    df = result.by_quintile[result.by_quintile["measure"].isin(measures)].copy()
    df["value"] = df["value"] * (100.0 if pct else 1.0)
    df["measure_label"] = [text(f"{m}_short" if pct else m, lang) for m in df["measure"]]
    df["scenario_label"] = [text(s, lang) for s in df["scenario"]]
    return df


def quintile_chart(result: ReformResult, lang: str) -> alt.FacetChart:
    """Catastrophic spending (three measures) and impoverishment by income quintile, baseline
    beside reform; one panel per measure, y in percent."""
    df = _long(result, SHARE_MEASURES, lang, pct=True)
    order = [text(f"{m}_short", lang) for m in SHARE_MEASURES]
    return (
        alt.Chart(df)
        .mark_bar()
        .encode(
            x=alt.X("quintile:O", title=text("quintile_axis", lang), axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset("scenario_label:N", sort=[text(s, lang) for s in SCENARIOS],
                                title=text("scenario", lang)),
            y=alt.Y("value:Q", title=text("share_axis", lang)),
            color=alt.Color("scenario_label:N", scale=_scenario_scale(lang), title=text("scenario", lang),
                            legend=alt.Legend(orient="top")),
            tooltip=[alt.Tooltip("measure_label:N", title=text("measure", lang)),
                     alt.Tooltip("scenario_label:N", title=text("scenario", lang)),
                     alt.Tooltip("quintile:O", title=text("quintile_axis", lang)),
                     alt.Tooltip("value:Q", title=text("share_axis", lang), format=".1f")],
        )
        .properties(width=190, height=170)
        .facet(facet=alt.Facet("measure_label:N", sort=order, title=None), columns=4)
        .properties(title=text("by_quintile_title", lang))
    )


def money_chart(result: ReformResult, lang: str) -> alt.FacetChart:
    """Fund spending and out-of-pocket per household by income quintile, baseline beside reform."""
    df = _long(result, MONEY_MEASURES, lang, pct=False)
    order = [text(m, lang) for m in MONEY_MEASURES]
    return (
        alt.Chart(df)
        .mark_bar()
        .encode(
            x=alt.X("quintile:O", title=text("quintile_axis", lang), axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset("scenario_label:N", sort=[text(s, lang) for s in SCENARIOS],
                                title=text("scenario", lang)),
            y=alt.Y("value:Q", title=text("money_axis", lang), axis=alt.Axis(format=",.0f")),
            color=alt.Color("scenario_label:N", scale=_scenario_scale(lang), title=text("scenario", lang),
                            legend=alt.Legend(orient="top")),
            tooltip=[alt.Tooltip("measure_label:N", title=text("measure", lang)),
                     alt.Tooltip("scenario_label:N", title=text("scenario", lang)),
                     alt.Tooltip("value:Q", title=text("money_axis", lang), format=",.0f")],
        )
        .properties(width=250, height=170)
        .facet(facet=alt.Facet("measure_label:N", sort=order, title=None), columns=2)
        .resolve_scale(y="independent")
        .properties(title=text("money_title", lang))
    )


def _bin_label(lower: float, upper: float, lang: str) -> str:
    if upper == 0:
        return "0"
    if not np.isfinite(upper):
        return f"> {fmt_number(lower, 'en', 0)}"
    return f"{fmt_number(lower, 'en', 0)}–{fmt_number(upper, 'en', 0)}"


def oop_chart(result: ReformResult, lang: str) -> alt.Chart:
    """Share of households by annual out-of-pocket spending (CNY bins), baseline beside reform."""
    df = result.oop_distribution.copy()
    df["bin_label"] = [_bin_label(lo, up, lang) for lo, up in zip(df["lower"], df["upper"])]
    df["share"] = df["share"] * 100.0
    df["scenario_label"] = [text(s, lang) for s in df["scenario"]]
    order = list(dict.fromkeys(df.sort_values("bin")["bin_label"]))
    return (
        alt.Chart(df)
        .mark_bar()
        .encode(
            x=alt.X("bin_label:N", sort=order, title=text("oop_axis", lang), axis=alt.Axis(labelAngle=-30)),
            xOffset=alt.XOffset("scenario_label:N", sort=[text(s, lang) for s in SCENARIOS],
                                title=text("scenario", lang)),
            y=alt.Y("share:Q", title=text("households_axis", lang)),
            color=alt.Color("scenario_label:N", scale=_scenario_scale(lang), title=text("scenario", lang),
                            legend=alt.Legend(orient="top")),
            tooltip=[alt.Tooltip("bin_label:N", title=text("oop_axis", lang)),
                     alt.Tooltip("scenario_label:N", title=text("scenario", lang)),
                     alt.Tooltip("share:Q", title=text("households_axis", lang), format=".1f")],
        )
        .properties(width=520, height=200, title=text("oop_title", lang))
    )


def _fmt_measure(measure: str, value: float, lang: str, change: bool = False) -> str:
    if measure in SHARE_MEASURES:
        if change:
            pts = 100.0 * value
            sign = "+" if pts > 0 else ("−" if pts < 0 else "±")
            return f"{sign}{_trim(abs(pts), 2)}{text('pp', lang)}"
        return fmt_pct(value, lang, digits=2)
    digits = 0 if measure == "oop_p90" else 2
    s = fmt_money(abs(value) if change else value, lang, digits=digits)
    if change:
        s = ("+" if value > 0 else "−" if value < 0 else "±") + s
    return s


def _trim(x: float, digits: int) -> str:
    s = f"{x:.{digits}f}"
    return s.rstrip("0").rstrip(".") if "." in s else s


def summary_html(result: ReformResult, lang: str) -> str:
    """The summary table: measure, baseline, reform, change; numbers formatted for people."""
    head = "".join(f'<th class="{c}">{html.escape(text(k, lang))}</th>'
                   for k, c in (("measure", ""), ("baseline", "num"), ("reform", "num"), ("change", "num")))
    body = []
    for r in result.summary.itertuples():
        cells = [
            f'<td>{html.escape(text(r.measure, lang))}</td>',
            f'<td class="num hc-base">{_fmt_measure(r.measure, r.baseline, lang)}</td>',
            f'<td class="num hc-new">{_fmt_measure(r.measure, r.reform, lang)}</td>',
            f'<td class="num hc-delta">{_fmt_measure(r.measure, r.change, lang, change=True)}</td>',
        ]
        body.append(f'<tr class="hc-m-{r.measure}">' + "".join(cells) + "</tr>")
    return f'<table class="hc-summary-table"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def _fmt_value(row, value: float, lang: str) -> str:
    if row["share"]:
        return fmt_pct(value, lang, digits=0)
    return fmt_money(value, lang, digits=2)


def _document_note(row, lang: str) -> str:
    """What the document says about a cell, in words: ``文件规定范围 300–900元``."""
    def v(x):
        return _fmt_value(row, x, lang)

    kind = row["kind"]
    if row["assumed"]:
        return f"{text('assumed', lang)} {v(row['value'])}"
    if kind == "range":
        return f"{text('document_range', lang)} {v(row['lo'])}–{v(row['hi'])}"
    if kind == "at_least":
        return f"{text('document_value', lang)}: {text('at_least', lang)} {v(row['lo'])}"
    if kind == "at_most":
        return f"{text('document_value', lang)}: {text('at_most', lang)} {v(row['hi'])}"
    if kind == "approx":
        return f"{text('document_value', lang)}: {text('around', lang)} {v(row['value'])}"
    return f"{text('exactly', lang)} {v(row['value'])}"


def outside_html(result: ReformResult, lang: str) -> str:
    """The bilingual notice listing reform values outside the document's range (empty if none)."""
    out = result.overrides[result.overrides["outside_document"]]
    if out.empty:
        return ""
    items = []
    for r in out.to_dict("records"):
        rule = text(f"rule_{r['rule']}", lang)
        value = fmt_pct(r["value"], lang, 0) if r["rule"] in SHARE_RULES else fmt_money(r["value"], lang)
        note_row = {**r, "value": r["document"], "share": r["rule"] in SHARE_RULES}
        items.append(
            f"<li>{html.escape(rule)} · {html.escape(r['label_' + lang])}: <b>{html.escape(value)}</b> — "
            f"{html.escape(text('outside', lang))} ({html.escape(_document_note(note_row, lang))}; "
            f"{html.escape(r['citation'])})</li>"
        )
    return (f'<div class="hc-outside-box"><b>{html.escape(text("outside_title", lang))}</b>'
            f"<ul>{''.join(items)}</ul></div>")


# --------------------------------------------------------------------------- the dashboard

_CSS = """
<style>
.hc-outside-box { border-left: 4px solid #ef6c00; background: #fff3e0; padding: 4px 10px; margin: 4px 0; }
.hc-outside-box ul { margin: 0.2em 0; padding-left: 1.2em; }
.hc-rule-head { margin-top: 6px; font-weight: 600; }
.hc-rule-head .hc-cite { font-weight: normal; color: #666; font-size: 12px; }
.hc-slider-label .widget-html-content { line-height: 1.3; padding: 2px 0; }
.hc-slider-note { font-size: 12px; color: #555; }
.hc-summary-table td.num { white-space: nowrap; }
.hc-param-tabs .lm-TabBar-tab { flex: 0 0 auto !important; max-width: none !important; }
.hc-slider-note.hc-is-outside { color: #bf360c; font-weight: 600; }
.hc-summary-table td.hc-delta { font-weight: 600; }
.hc-population-note { color: #555; font-size: 12px; }
</style>
"""


def default_households() -> int:
    """``$HEALTHCOVER_DASHBOARD_HOUSEHOLDS`` if set (a positive whole number), else 100,000."""
    raw = os.environ.get(HOUSEHOLDS_ENV, "").strip()
    if not raw:
        return DEFAULT_HOUSEHOLDS
    try:
        n = int(raw)
    except ValueError:
        n = 0
    if n < 1:
        raise hc.HealthcoverError(f"{HOUSEHOLDS_ENV} must be a positive whole number; received {raw!r}")
    return n


@functools.lru_cache(maxsize=2)
def _model(scheme_id: str, variant: str | None, n_households: int, seed: int) -> ReformModel:
    return ReformModel(scheme_id, variant, n_households=n_households, seed=seed)


class _Slider:
    """One cell's slider and the note beside it."""

    def __init__(self, page: Page, row: Mapping[str, Any], beyond: bool):
        self.row = row
        fmt = ".0%" if row["share"] else ",.0f"
        lo, hi = (row["wide_min"], row["wide_max"]) if beyond else (row["doc_min"], row["doc_max"])
        self.widget = widgets.FloatSlider(
            value=row["value"], min=lo, max=hi, step=row["step"], readout_format=fmt,
            continuous_update=False, layout=widgets.Layout(width="270px"),
        )
        self.widget.add_class("hc-param")
        self.widget.add_class("hc-p-" + row["key"].replace(".", "-"))
        # The cell's name beside the slider, wrapping (a description would be cut short), and
        # under it what the document says (rendered with the results, in the page's language).
        self.label = widgets.HTML(layout=widgets.Layout(width="250px"))
        self.label.add_class("hc-slider-label")
        self.box = widgets.HBox([self.label, self.widget], layout=widgets.Layout(align_items="center"))

    def set_range(self, beyond: bool) -> None:
        r = self.row
        lo, hi = (r["wide_min"], r["wide_max"]) if beyond else (r["doc_min"], r["doc_max"])
        w = self.widget
        # widen before narrowing so min never exceeds max in between; the value is clamped
        w.min = min(w.min, lo)
        w.max = max(w.max, hi)
        w.max = hi
        w.min = lo

    def render_note(self, lang: str, outside: bool) -> None:
        r = self.row
        note = _document_note(r, lang)
        changed = abs(self.widget.value - r["value"]) > 1e-9
        tag = ""
        if outside:
            tag = f" · {text('outside', lang)}"
        elif changed:
            tag = f" · {text('changed', lang)}"
        cls = "hc-slider-note hc-is-outside" if outside else "hc-slider-note"
        self.label.value = (f'<div class="hc-slider-name">{html.escape(r["label_" + lang])}</div>'
                            f'<div class="{cls}">{html.escape(note + tag)}</div>')


class ReformExplorer:
    """Controls, tables and charts of the reform explorer, on a :class:`Page`."""

    def __init__(self, lang: str = "zh", scheme_id: str | None = None, n_households: int | None = None,
                 seed: int = DEFAULT_SEED, interactive: bool = True):
        self.page = page = Page("reform_explorer", subtitle="reform_explorer_sub", lang=lang)
        self.n_households = default_households() if n_households is None else int(n_households)
        self.seed = int(seed)
        self.interactive = interactive
        schemes = reform_schemes()
        if not schemes:
            raise hc.HealthcoverError("no scheme the synthetic population maps to loads; see hc.data.FACILITY_MAPS")
        self.scheme = widgets.Dropdown(layout=widgets.Layout(width="560px"), style={"description_width": "150px"})
        self.variant = widgets.Dropdown(layout=widgets.Layout(width="560px"), style={"description_width": "150px"})
        self.beyond = widgets.Checkbox(value=False, indent=False, layout=widgets.Layout(width="auto"))
        self.poverty_line = widgets.BoundedFloatText(value=POVERTY_LINE, min=1.0, max=100_000.0, step=25.0,
                                                     layout=widgets.Layout(width="470px"),
                                                     style={"description_width": "330px"})
        self.reset = widgets.Button(icon="undo", layout=widgets.Layout(width="auto"))
        for w, cls, key in ((self.scheme, "hc-scheme", "scheme"), (self.variant, "hc-variant", "variant"),
                            (self.beyond, "hc-beyond", "beyond"), (self.poverty_line, "hc-poverty-line", "poverty_line"),
                            (self.reset, "hc-reset", "reset")):
            w.add_class(cls)
            page.bind(w, key)
        page.bind_options(self.scheme, [({"zh": t.zh, "en": t.en}, s) for s, t in schemes.items()])
        start = scheme_id or (DEFAULT_SCHEME if DEFAULT_SCHEME in schemes else next(iter(schemes)))
        if start not in schemes:
            raise hc.HealthcoverError(f"reform explorer: scheme {start!r} cannot be explored here; allowed: "
                                      f"{', '.join(schemes)}")
        self.scheme.value = start

        self.tabs = widgets.Tab(layout=widgets.Layout(width="560px"))
        self.tabs.add_class("hc-param-tabs")
        self.outside = widgets.HTML()
        self.outside.add_class("hc-outside")
        self.population_note = widgets.HTML()
        self.population_note.add_class("hc-population-note")
        self.summary = widgets.HTML()
        self.summary.add_class("hc-summary")
        self.summary.add_class("hc-result")
        empty = _empty_chart()
        self.quintile_chart = chart_widget(empty, interactive=interactive, lang=lang)
        self.quintile_chart.add_class("hc-quintile-chart")
        self.money_chart = chart_widget(empty, interactive=interactive, lang=lang)
        self.money_chart.add_class("hc-money-chart")
        self.oop_chart = chart_widget(empty, interactive=interactive, lang=lang)
        self.oop_chart.add_class("hc-oop-chart")
        self.model: ReformModel | None = None
        self.result: ReformResult | None = None
        self.sliders: list[_Slider] = []
        self.timings: dict[str, Any] = {}
        self._headers: list[tuple[widgets.HTML, str, str]] = []

        page.set_body(
            widgets.HTML(_CSS),
            widgets.VBox([self.scheme, self.variant]),
            widgets.HBox([self.beyond, self.reset], layout=widgets.Layout(align_items="center")),
            # Controls and the summary side by side, so a move's effect shows without scrolling.
            widgets.HBox([
                self.tabs,
                widgets.VBox([self.poverty_line, self.population_note, self.outside, self.summary],
                             layout=widgets.Layout(width="500px", margin="0 0 0 12px")),
            ], layout=widgets.Layout(flex_flow="row wrap", align_items="flex-start")),
            self.quintile_chart,
            charts := widgets.HBox([self.money_chart, self.oop_chart], layout=widgets.Layout(flex_flow="row wrap")),
        )
        page.hide_on_error(self.quintile_chart, charts)
        page.on_change([self.scheme], self._scheme_changed)
        page.on_change([self.variant], self._build)
        page.on_change([self.beyond], self._beyond_changed)
        page.on_change([self.poverty_line], self._poverty_changed)
        self.reset.on_click(lambda _: page.safe(self._reset)())
        page.on_lang(self._relabel)
        page.on_error(self._blank)
        page.safe(self._scheme_changed)()

    # -- building -------------------------------------------------------------------------
    def _scheme_changed(self) -> None:
        s = hc.load_scheme(self.scheme.value)
        with self.page.batch():
            self.page.bind_options(self.variant, [(_code(s, "variant", v), v) for v in s.variants] or [("—", None)])
            self.variant.value = s.variant
            self.variant.layout.display = None if s.variants else "none"
        self._build()

    def _build(self) -> None:
        page = self.page
        # Forget the last scheme first: if this one cannot be built, no control may still act
        # on the old model, and the page shows the error, not the old scheme's sliders.
        self.model = None
        self.sliders, self._headers, self._tab_titles = [], [], []
        self.tabs.children = []
        self.model = model = _model(self.scheme.value, self.variant.value, self.n_households, self.seed)
        model.set_poverty_line(self.poverty_line.value)
        self.sliders = []
        self._headers = []
        tabs = []
        titles = []
        for care, group in model.controls.groupby("care", sort=False):
            children = []
            for rule, rows in group.groupby("rule", sort=False):
                first = rows.iloc[0]
                head = widgets.HTML()
                head.add_class("hc-rule-head")
                self._headers.append((head, f"rule_{rule}", first["citation"]))
                children.append(head)
                for row in rows.to_dict("records"):
                    s = _Slider(page, row, self.beyond.value)
                    self.sliders.append(s)
                    children.append(s.box)
            tabs.append(widgets.VBox(children, layout=widgets.Layout(max_height="560px", overflow="auto")))
            titles.append(_code(model.document, "care", care))
        self._tab_titles = titles
        self.tabs.children = tabs
        if not tabs:
            note = widgets.HTML()
            page.bind(note, "no_sliders", "value")
            self.tabs.children = [note]
            self._tab_titles = [{"zh": "—", "en": "—"}]
        for s in self.sliders:
            s.widget.observe(lambda change: page.safe(self.update)(), names="value")
        self._relabel_static()
        page.set_sources(self._sources())
        self.update()

    def _sources(self) -> list:
        m = self.model.document.meta
        items = [{"zh": f"{m.title.zh} {m.document_number or ''}".strip(),
                  "en": f"{m.title.en} {m.document_number or ''}".strip()}]
        if m.issuer is not None:
            items.append({"zh": m.issuer.zh, "en": m.issuer.en})
        items.append(m.source.cite())
        for head, rule, citation in self._headers:
            items.append({"zh": f"{text(rule, 'zh')}：{citation}", "en": f"{text(rule, 'en')}: {citation}"})
        items += ["src_population", "src_measures", "src_poverty_line", "src_no_behaviour",
                  {"zh": f"计算工具：healthcover {hc.__version__}（{self.model.document.file.name}）",
                   "en": f"Computed with healthcover {hc.__version__} ({self.model.document.file.name})"}]
        return items

    def _relabel_static(self) -> None:
        lang = self.page.lang
        for i, t in enumerate(self._tab_titles):
            self.tabs.set_title(i, text(t, lang))
        care_of = {}
        for head, rule, citation in self._headers:
            care_of[id(head)] = citation
            head.value = (f"{html.escape(text(rule, lang))} "
                          f'<span class="hc-cite">({html.escape(citation)})</span>')
        m = self.model
        if m is not None:
            self.population_note.value = html.escape(text("population_note", lang).format(
                households=fmt_number(m.n_households, lang, 2), persons=fmt_number(m.n_persons, lang, 2),
                claims=fmt_number(m.n_claims, lang, 2), seed=m.seed))

    def _beyond_changed(self) -> None:
        with self.page.batch():
            for s in self.sliders:
                s.set_range(self.beyond.value)
        self.update()

    def _poverty_changed(self) -> None:
        if self.model is None:  # the scheme could not be built: try again (and say why)
            return self._build()
        self.model.set_poverty_line(self.poverty_line.value)
        self.update()

    def _reset(self) -> None:
        with self.page.batch():
            for s in self.sliders:
                s.widget.value = s.row["value"]
        self.update()

    # -- results --------------------------------------------------------------------------
    def overrides(self) -> dict[str, float]:
        """The sliders' values that differ from the document's (or the assumed) values."""
        return {s.row["key"]: float(s.widget.value) for s in self.sliders
                if abs(float(s.widget.value) - s.row["value"]) > 1e-9}

    def update(self) -> None:
        if self.model is None:
            return self._build()
        t0 = time.perf_counter()
        result = self.model.run(self.overrides(), allow_out_of_range=self.beyond.value)
        self.result = result
        self.timings = dict(result.timings)
        self._render()
        self.timings["total"] = time.perf_counter() - t0

    def _render(self) -> None:
        lang = self.page.lang
        result = self.result
        if result is None:
            return
        t0 = time.perf_counter()
        outside_keys = set(result.overrides.loc[result.overrides["outside_document"], "key"])
        for s in self.sliders:
            s.render_note(lang, s.row["key"] in outside_keys)
        self.outside.value = outside_html(result, lang)
        self.summary.value = summary_html(result, lang)
        t1 = time.perf_counter()
        charts = [quintile_chart(result, lang), money_chart(result, lang), oop_chart(result, lang)]
        if not self.interactive:  # the SVG path takes the spec; build it here to time it apart
            charts = [c.to_dict() for c in charts]
        t2 = time.perf_counter()
        for w, chart in zip((self.quintile_chart, self.money_chart, self.oop_chart), charts):
            w.update(chart, lang=lang)
        t3 = time.perf_counter()
        self.timings.update({"html": t1 - t0, "chart_specs": t2 - t1, "chart_render": t3 - t2})

    def _relabel(self) -> None:
        if self.model is None:  # rebuilding re-raises the reason, now in the new language
            return self._build()
        self._relabel_static()
        if self.result is None:  # the last run failed: run again, so the error shows (relabelled)
            return self.update()
        self._render()

    def _blank(self) -> None:
        self.result = None
        self.summary.value = ""
        self.outside.value = ""
        for w in (self.quintile_chart, self.money_chart, self.oop_chart):
            if hasattr(w, "clear"):
                w.clear()


def _empty_chart() -> alt.Chart:
    return alt.Chart(pd.DataFrame({"x": [0.0]})).mark_point(opacity=0).encode(x=alt.X("x:Q", title=None))


def reform_explorer(lang: str = "zh", scheme_id: str | None = None, n_households: int | None = None,
                    seed: int = DEFAULT_SEED, interactive: bool = True) -> Page:
    """The reform-explorer dashboard; the explorer object is ``page.explorer``.

    ``n_households`` None: ``$HEALTHCOVER_DASHBOARD_HOUSEHOLDS`` or 100,000. ``interactive``
    (default) draws the charts in the browser (``altair.JupyterChart`` offline): rendering
    these three charts to SVG in the kernel takes about 250 ms, most of it vl-convert measuring
    Chinese text (about 3 ms a label), which would blow the 250 ms budget of a slider move and
    load the shared server's CPU with drawing; ``interactive=False`` keeps the SVG path.
    """
    explorer = ReformExplorer(lang=lang, scheme_id=scheme_id, n_households=n_households, seed=seed,
                              interactive=interactive)
    explorer.page.explorer = explorer
    return explorer.page
