"""Reform explorer: a scheme's benefit rules as sliders; the synthetic population run through the
document's rules (baseline) and the visitor's (reform), side by side.

Every number is the library's: :class:`healthcover.reforms.ReformModel` (a
:class:`~healthcover.scenarios.ScenarioModel` on the dashboards' population, with the controls
of :func:`healthcover.reforms.reform_controls`) computes the comparison; the charts are
:mod:`healthcover.plotting`'s. This module wires controls to the model, puts names on the
library's codes in the page's language and keeps the scenario in the address bar.

Pure pieces, testable without a browser: :func:`quintile_chart`, :func:`money_chart`,
:func:`oop_chart`, :func:`summary_html`, :func:`summary_frame`, :func:`outside_html`. The dashboard:
:func:`reform_explorer` returns a :class:`~healthcover.widgets.page.Page`.
"""
from __future__ import annotations

import functools
import html
import time
from collections.abc import Mapping
from typing import Any

import ipywidgets as widgets
import numpy as np
import pandas as pd

from healthcover import reforms as _reforms
from healthcover import scenarios as _scenarios
from healthcover.errors import HealthcoverError
from healthcover.schemes.model import BENEFIT_RULES
from healthcover.widgets.i18n import fmt_count, fmt_money, fmt_number, fmt_pct, fmt_points, register, text
from healthcover.widgets.page import ChartPanel, Page, TablePanel, link_number
from healthcover.widgets.reader import cite, document_heading, scheme_name, term

__all__ = [
    "DEFAULT_HOUSEHOLDS",
    "HOUSEHOLDS_ENV",
    "ReformExplorer",
    "ReformModel",
    "ReformResult",
    "default_households",
    "money_chart",
    "oop_chart",
    "outside_html",
    "quintile_chart",
    "reform_controls",
    "reform_explorer",
    "reform_schemes",
    "summary_frame",
    "summary_html",
]

# The library's names, kept here for code written against the former widget module.
DEFAULT_HOUSEHOLDS = _reforms.DEFAULT_HOUSEHOLDS
HOUSEHOLDS_ENV = _reforms.HOUSEHOLDS_ENV
DEFAULT_SEED = _reforms.DEFAULT_SEED
POVERTY_LINE = _reforms.POVERTY_LINE
RULES = _reforms.RULES
SHARE_RULES = _reforms.SHARE_RULES
ReformModel = _reforms.ReformModel
reform_schemes = _reforms.reform_schemes
ReformResult = _scenarios.Comparison
CATASTROPHIC = _scenarios.CATASTROPHIC
OOP_BINS = _scenarios.OOP_BINS
Outcome = _scenarios.Outcome
reform_controls = _reforms.reform_controls
default_households = _reforms.default_households
DEFAULT_SCHEME = "dazu-resident"
#: Share measures (of households, or of persons for impoverishment), in display order.
SHARE_MEASURES = ("che10", "che25", "che40_ctp", "impoverished")
MONEY_MEASURES = ("fund_per_household", "oop_per_household")
SCENARIOS = ("baseline", "reform")
_COLOURS = {"baseline": "#9e9e9e", "reform": "#1565c0"}
#: Glossary term behind each measure and rule (hover explanations).
_TERMS = {"fund_total": "pooled_fund", "fund_per_person": "pooled_fund", "oop_per_household": "oop",
          "oop_p90": "percentile90", "che10": "catastrophic", "che25": "catastrophic", "che40_ctp": "capacity_to_pay",
          "impoverished": "impoverished", "deductible": "deductible", "rate": "rate", "annual_limit": "annual_limit",
          "per_claim_limit": "per_claim_limit", "fund_amount": "fund_amount"}

register(
    {
        "reform_explorer": {"zh": "医保改革模拟器", "en": "Reform explorer"},
        "reform_explorer_sub": {
            "zh": "移动滑块调整报销规定，比较文件规定（基准）与改革方案下的基金支出、个人自付和家庭经济负担。",
            "en": "Move a slider to change a benefit rule; compare the document's rules (baseline) "
            "with your reform: fund spending, out-of-pocket payments and financial hardship.",
        },
        "beyond": {"zh": "模拟改革：允许偏离文件规定", "en": "Explore a reform: allow values outside the document"},
        "reset": {"zh": "恢复文件规定值", "en": "Reset to the document's values"},
        "poverty_line": {"zh": "贫困线（元/人·年，假设）", "en": "Poverty line (CNY a person a year, assumed)"},
        "baseline": {"zh": "基准（文件规定）", "en": "Baseline (document)"},
        "reform": {"zh": "改革方案", "en": "Reform"},
        "change": {"zh": "变化", "en": "Change"},
        "measure": {"zh": "指标", "en": "Measure"},
        "scenario": {"zh": "方案", "en": "Scenario"},
        "fund_total": {"zh": "基金支出（按全国农户加权，每年）", "en": "Fund spending, all rural households (a year)"},
        "fund_per_person": {"zh": "人均基金支出（每年）", "en": "Fund spending per person (a year)"},
        "fund_per_household": {"zh": "户均基金支出", "en": "Fund spending per household"},
        "oop_per_household": {"zh": "户均个人自付（每年）", "en": "Out-of-pocket per household (a year)"},
        "oop_p90": {"zh": "个人自付的第90百分位（每户每年）", "en": "90th percentile of out-of-pocket (per household a year)"},
        "che10": {"zh": "灾难性卫生支出：自付超过总消费10%的住户", "en": "Catastrophic spending: out-of-pocket above 10% of consumption"},
        "che25": {"zh": "灾难性卫生支出：自付超过总消费25%的住户", "en": "Catastrophic spending: out-of-pocket above 25% of consumption"},
        "che40_ctp": {"zh": "灾难性卫生支出：自付超过支付能力40%的住户",
                      "en": "Catastrophic spending: out-of-pocket above 40% of capacity to pay"},
        "impoverished": {"zh": "因病致贫的人口", "en": "People pushed into poverty"},
        "che10_short": {"zh": "自付 > 总消费10%", "en": "Out-of-pocket > 10% of consumption"},
        "che25_short": {"zh": "自付 > 总消费25%", "en": "Out-of-pocket > 25% of consumption"},
        "che40_ctp_short": {"zh": "自付 > 支付能力40%", "en": "Out-of-pocket > 40% of capacity to pay"},
        "impoverished_short": {"zh": "因病致贫（人口）", "en": "Pushed into poverty (persons)"},
        "quintile_axis": {"zh": "收入五等分组（1 = 最低）", "en": "Income quintile (1 = poorest)"},
        "share_axis": {"zh": "占比（%）", "en": "Share (%)"},
        "households_axis": {"zh": "住户占比（%）", "en": "Households (%)"},
        "money_axis": {"zh": "金额（元/户·年）", "en": "Amount (CNY per household a year)"},
        "oop_axis": {"zh": "年个人自付（元/户）", "en": "Out-of-pocket a year (CNY per household)"},
        "by_quintile_title": {"zh": "按收入五等分组：家庭经济负担", "en": "Financial hardship by income quintile"},
        "money_title": {"zh": "按收入五等分组：基金支出与个人自付", "en": "Fund spending and out-of-pocket by income quintile"},
        "oop_title": {"zh": "住户年个人自付的分布", "en": "Distribution of out-of-pocket spending per household"},
        "outside_title": {"zh": "以下取值偏离文件规定（改革探索）：", "en": "These values depart from the document (a reform being explored):"},
        "document_value": {"zh": "文件", "en": "document"},
        "document_range": {"zh": "文件规定范围", "en": "document's range"},
        "assumed": {"zh": "文件未规定，假设", "en": "not stated in the document; assumed"},
        "assumed_from_wage": {"zh": "按文件规定的工资比例和假设的平均工资计为", "en": "from the document's share of the assumed average wage:"},
        "outside": {"zh": "偏离文件规定", "en": "outside the document"},
        "changed": {"zh": "已调整", "en": "changed"},
        "exactly": {"zh": "文件规定", "en": "document sets"},
        "fixed_hint": {"zh": "灰色滑块是文件明确规定的数值；勾选上方“模拟改革”后可调整。",
                       "en": "Grey sliders are values the document fixes; tick “Explore a reform” above to change them."},
        "at_least": {"zh": "不低于", "en": "at least"},
        "at_most": {"zh": "不高于", "en": "at most"},
        "around": {"zh": "约", "en": "around"},
        "all_cells": {"zh": "全部参保人", "en": "Everyone"},
        "reach_limit": {"zh": "本人口中有{n}户达到此限额", "en": "{n} households of the population reach this limit"},
        "reach_limit_reform": {"zh": "改革后{n}户", "en": "{n} under the reform"},
        "reach_none": {"zh": "本人口中没有住户达到此限额，调整它不会改变结果",
                       "en": "No household of this population reaches this limit: changing it changes nothing"},
        "reach_claims": {"zh": "适用于{n}户的就诊", "en": "applies to claims of {n} households"},
        "reach_no_claims": {"zh": "本人口中没有适用此规定的就诊，调整它不会改变结果",
                            "en": "No claim of this population falls under this rule: changing it changes nothing"},
        "population_note": {
            "zh": "{pop}：{households}户、{persons}人、{claims}次就诊（1999年价格），按文件003第1篇的统计校准，加权代表全国2.41亿农户。",
            "en": "{pop}: {households} households, {persons} persons, {claims} claims (1999 prices), calibrated to "
                  "the statistics of document 003 and weighted to China's 241 million rural households.",
        },
        "assumptions_title": {"zh": "本方案使用的假设（文件未规定的部分）：", "en": "Assumptions used where the document is silent:"},
        "unavailable_title": {"zh": "未列入的制度及原因", "en": "Schemes not offered here, and why"},
        "households_unit": {"zh": "户", "en": "households"},
        "persons_unit": {"zh": "人", "en": "persons"},
        "claims_unit": {"zh": "次就诊", "en": "claims"},
        "src_population": {
            "zh": "合成人口：按文件003第1篇所载1999年前后的统计数据校准（户数、户均人口、收入、门诊和住院费用、两周患病率、未就诊和未住院比例）；住院费用的高额尾部按Fan等（2022）的住院费用集中度校准（住院费用最高的10%患者占全年住院费用的49%）；其余为注明的建模假设。",
            "en": "Synthetic population: calibrated to the statistics of document 003 (households, household size, "
                  "income, outpatient and inpatient costs, two-week illness, forgone visits and admissions); the tail "
                  "of costly admissions to Fan et al. (2022), where the costliest 10% of inpatients carry 49% of a "
                  "year's inpatient spending; the rest are stated modelling assumptions.",
        },
        "src_measures": {
            "zh": "灾难性卫生支出：世界卫生组织与世界银行可持续发展目标指标3.8.2（总消费的10%和25%）；支付能力的40%：Xu等（2003），《柳叶刀》362:111-117；因病致贫：O'Donnell等（2008）第18-19章。",
            "en": "Catastrophic spending: WHO & World Bank, SDG indicator 3.8.2 (10% and 25% of total "
                  "consumption); 40% of capacity to pay: Xu et al. (2003), The Lancet 362:111-117; "
                  "impoverishment: O'Donnell et al. (2008), ch. 18-19.",
        },
        "src_poverty_line": {
            "zh": "贫困线{line}/人·年为假设（约为1999-2000年国家农村贫困标准），非种子文件所载。",
            "en": "The poverty line of {line} per person a year is an assumption (about China's official "
                  "rural poverty line in 1999-2000), not from the seed documents.",
        },
        "src_no_behaviour": {
            "zh": "改革前后使用同一批就诊记录（不模拟就医行为的变化）；保费不计入个人自付。",
            "en": "The same claims are used before and after the reform (no behavioural response); "
                  "premiums are not counted as out-of-pocket.",
        },
        "no_sliders": {"zh": "该制度没有可在此调整的数值型报销规定。",
                       "en": "This scheme has no numeric benefit rule to adjust here."},
    }
)


def _capital(s: str) -> str:
    """``reimbursement rate`` -> ``Reimbursement rate`` (the engine's rule names are lower case)."""
    return s[:1].upper() + s[1:]


# --------------------------------------------------------------------------- charts and tables


def _long(result: ReformResult, measures, lang: str, pct: bool) -> pd.DataFrame:
    df = result.by_quintile[result.by_quintile["measure"].isin(measures)].copy()
    df["value"] = df["value"] * (100.0 if pct else 1.0)
    df["measure_label"] = [text(f"{m}_short" if pct else m, lang) for m in df["measure"]]
    df["scenario_label"] = [text(s, lang) for s in df["scenario"]]
    return df


def quintile_chart(result: ReformResult, lang: str):
    """Catastrophic spending (three measures) and impoverishment by income quintile, baseline
    beside reform; one panel per measure, y in percent (:func:`healthcover.plotting.grouped_bars_chart`)."""
    from healthcover.plotting import grouped_bars_chart

    df = _long(result, SHARE_MEASURES, lang, pct=True)
    return grouped_bars_chart(
        df, x="quintile", y="value", group="scenario_label", facet="measure_label",
        facets=[text(f"{m}_short", lang) for m in SHARE_MEASURES], columns=4,
        x_title=text("quintile_axis", lang), y_title=text("share_axis", lang), group_title=text("scenario", lang),
        groups=[text(s, lang) for s in SCENARIOS], colours=[_COLOURS[s] for s in SCENARIOS], y_format=",.1f",
        tooltip=[("measure_label", text("measure", lang), ""), ("quintile", text("quintile_axis", lang), "d")],
        title=text("by_quintile_title", lang), width=190, height=170)


def money_chart(result: ReformResult, lang: str):
    """Fund spending and out-of-pocket per household by income quintile, baseline beside reform."""
    from healthcover.plotting import grouped_bars_chart

    df = _long(result, MONEY_MEASURES, lang, pct=False)
    return grouped_bars_chart(
        df, x="quintile", y="value", group="scenario_label", facet="measure_label",
        facets=[text(m, lang) for m in MONEY_MEASURES], columns=2, independent_y=True,
        x_title=text("quintile_axis", lang), y_title=text("money_axis", lang), group_title=text("scenario", lang),
        groups=[text(s, lang) for s in SCENARIOS], colours=[_COLOURS[s] for s in SCENARIOS], y_format=",.0f",
        tooltip=[("measure_label", text("measure", lang), "")],
        title=text("money_title", lang), width=250, height=170)


def _bin_label(lower: float, upper: float, lang: str) -> str:
    if upper == 0:
        return "0"
    if not np.isfinite(upper):
        return f"> {fmt_number(lower, 'en', 0)}"
    return f"{fmt_number(lower, 'en', 0)}–{fmt_number(upper, 'en', 0)}"


def oop_chart(result: ReformResult, lang: str):
    """Share of households by annual out-of-pocket spending (CNY bins), baseline beside reform."""
    from healthcover.plotting import grouped_bars_chart

    df = result.oop_distribution.copy()
    df["bin_label"] = [_bin_label(lo, up, lang) for lo, up in zip(df["lower"], df["upper"])]
    df["share"] = df["share"] * 100.0
    df["scenario_label"] = [text(s, lang) for s in df["scenario"]]
    order = list(dict.fromkeys(df.sort_values("bin")["bin_label"]))
    return grouped_bars_chart(
        df, x="bin_label", y="share", group="scenario_label", x_sort=order, x_label_angle=-30,
        x_title=text("oop_axis", lang), y_title=text("households_axis", lang), group_title=text("scenario", lang),
        groups=[text(s, lang) for s in SCENARIOS], colours=[_COLOURS[s] for s in SCENARIOS], y_format=",.1f",
        tooltip=[("bin_label", text("oop_axis", lang), "")],
        title=text("oop_title", lang), width=520, height=200)


def _fmt_measure(measure: str, value: float, lang: str, change: bool = False) -> str:
    if measure in SHARE_MEASURES:
        return fmt_points(value, lang) if change else fmt_pct(value, lang, digits=2)
    s = fmt_money(abs(value) if change else value, lang)
    if change:
        s = ("+" if value > 0 else "−" if value < 0 else "±") + s
    return s


def summary_html(result: ReformResult, lang: str) -> str:
    """The summary table: measure (its term explained on hover), baseline, reform, change;
    numbers at policy precision, each with its unit."""
    head = "".join(f'<th class="{c}">{html.escape(text(k, lang))}</th>'
                   for k, c in (("measure", ""), ("baseline", "num"), ("reform", "num"), ("change", "num")))
    body = []
    for r in result.summary.itertuples():
        name = term(_TERMS[r.measure], lang, text(r.measure, lang)) if r.measure in _TERMS else html.escape(text(r.measure, lang))
        cells = [
            f"<td>{name}</td>",
            f'<td class="num hc-base">{html.escape(_fmt_measure(r.measure, r.baseline, lang))}</td>',
            f'<td class="num hc-new">{html.escape(_fmt_measure(r.measure, r.reform, lang))}</td>',
            f'<td class="num hc-delta">{html.escape(_fmt_measure(r.measure, r.change, lang, change=True))}</td>',
        ]
        body.append(f'<tr class="hc-m-{r.measure}">' + "".join(cells) + "</tr>")
    return f'<table class="hc-summary-table"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def summary_frame(result: ReformResult, lang: str) -> pd.DataFrame:
    """The summary and the by-quintile numbers in one table for download (unrounded; money in
    CNY, shares as fractions), named in the page's language."""
    overall = result.summary.assign(quintile="")
    rows = result.by_quintile.pivot_table(index=["measure", "quintile"], columns="scenario", values="value").reset_index()
    rows["change"] = rows["reform"] - rows["baseline"]
    rows["quintile"] = rows["quintile"].astype(int).astype(str)
    out = pd.concat([overall[["measure", "quintile", "baseline", "reform", "change"]],
                     rows[["measure", "quintile", "baseline", "reform", "change"]]], ignore_index=True)
    out["measure"] = [text(m, lang) for m in out["measure"]]
    return out.rename(columns={"measure": text("measure", lang), "quintile": text("quintile_axis", lang),
                               "baseline": text("baseline", lang), "reform": text("reform", lang),
                               "change": text("change", lang)})


def _fmt_value(row, value: float, lang: str) -> str:
    if row["share"]:
        return fmt_pct(value, lang, digits=0)
    return fmt_money(value, lang)


def _document_note(row, lang: str) -> str:
    """What the document says about a cell, in words: ``文件规定范围 300元–900元``."""
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


def _cell_label(row: Mapping, lang: str) -> str:
    return row[f"label_{lang}"] or text("all_cells", lang)


def outside_html(result: ReformResult, lang: str) -> str:
    """The notice listing reform values that depart from the document (empty if none)."""
    out = result.overrides[result.overrides["outside_document"]]
    if out.empty:
        return ""
    items = []
    for r in out.to_dict("records"):
        rule = _capital(BENEFIT_RULES[r["rule"]].name(lang))
        share = r["rule"] in SHARE_RULES
        value = fmt_pct(r["value"], lang, 0) if share else fmt_money(r["value"], lang)
        note_row = {**r, "value": r["document"], "share": share}
        items.append(
            f"<li>{html.escape(rule)} · {html.escape(_cell_label(r, lang))}: <b>{html.escape(value)}</b> — "
            f"{html.escape(text('outside', lang))} ({html.escape(_document_note(note_row, lang))})</li>"
        )
    return (f'<div class="hc-outside-box"><b>{html.escape(text("outside_title", lang))}</b>'
            f"<ul>{''.join(items)}</ul></div>")


# --------------------------------------------------------------------------- the dashboard

_CSS = """
<style>
.hc-outside-box { border-left: 4px solid #ef6c00; background: #fff3e0; padding: 4px 10px; margin: 4px 0; }
.hc-outside-box ul { margin: 0.2em 0; padding-left: 1.2em; }
.hc-assumptions { border-left: 4px solid #1565c0; background: #e3f2fd; padding: 4px 10px; margin: 4px 0; font-size: 13px; }
.hc-assumptions ul { margin: 0.2em 0; padding-left: 1.2em; }
.hc-rule-head { margin-top: 6px; font-weight: 600; }
.hc-slider-label .widget-html-content { line-height: 1.3; padding: 2px 0; }
.hc-slider-name { font-weight: 500; }
.hc-slider-note, .hc-slider-reach { font-size: 12px; color: #555; }
.hc-slider-reach.hc-reach-none { color: #8d6e63; }
.hc-summary-table td.num, .hc-summary-table th.num { white-space: nowrap; }
.hc-summary-table { width: 100%; }
.hc-slider-label, .hc-rule-head, .hc-population-note, .hc-assumptions-box, .hc-outside, .hc-unavailable-box {
  height: auto !important; }
.hc-slider-label .widget-html-content, .hc-rule-head .widget-html-content { height: auto; }
.hc-param.mod-disabled .noUi-target, .hc-param[disabled] .noUi-target { opacity: 0.45; }
.hc-param.mod-disabled .widget-readout { color: #888; }
.hc-care-panel { border: 1px solid #ddd; padding: 4px 10px 8px 10px; }
.hc-care-panel > * { flex-shrink: 0; }
.hc-care-select .widget-toggle-button { max-width: 100%; }
.hc-slider-note.hc-is-outside { color: #bf360c; font-weight: 600; }
.hc-summary-table td.hc-delta { font-weight: 600; }
.hc-population-note { color: #555; font-size: 12px; }
.hc-unavailable { font-size: 13px; }
.hc-unavailable summary { cursor: pointer; color: #1565c0; }
.hc-unavailable ul { margin: 0.2em 0; padding-left: 1.2em; }
</style>
"""


@functools.lru_cache(maxsize=3)
def _model(scheme_id: str, variant: str | None, n_households: int, seed: int) -> ReformModel:
    return ReformModel(scheme_id, variant, n_households=n_households, seed=seed)


def _runnable() -> pd.DataFrame:
    table = _reforms.reform_schemes()
    return table[table["runnable"]]


class _Slider:
    """One control's slider and the notes beside it (the cell's name, what the document says,
    how many households it reaches)."""

    def __init__(self, row: Mapping[str, Any], beyond: bool):
        self.row = row
        fmt = ".0%" if row["share"] else ",.0f"
        self.widget = widgets.FloatSlider(
            value=row["value"], min=row["wide_min"], max=row["wide_max"], step=row["step"], readout_format=fmt,
            continuous_update=False, layout=widgets.Layout(width="250px", min_width="200px"),
        )
        self.widget.add_class("hc-param")
        self.widget.add_class("hc-p-" + row["key"].replace(".", "-"))
        self.label = widgets.HTML(layout=widgets.Layout(width="260px", min_width="160px"))
        self.label.add_class("hc-slider-label")
        self.box = widgets.HBox([self.label, self.widget],
                                layout=widgets.Layout(align_items="center", flex_flow="row wrap"))
        self.set_range(beyond)

    @property
    def fixed(self) -> bool:
        return self.row["doc_min"] == self.row["doc_max"]

    def set_range(self, beyond: bool) -> None:
        r = self.row
        lo, hi = (r["wide_min"], r["wide_max"]) if beyond else (r["doc_min"], r["doc_max"])
        w = self.widget
        if hi <= lo:  # the document fixes the value: the slider waits for "explore a reform"
            w.min, w.max = r["wide_min"], r["wide_max"]
            w.value = r["value"]
            w.disabled = True
            return
        w.disabled = False
        # widen before narrowing so min never exceeds max in between; the value is clamped
        w.min = min(w.min, lo)
        w.max = max(w.max, hi)
        w.max = hi
        w.min = lo

    def render_note(self, lang: str, outside: bool, reach: Mapping | None, assumption: Mapping | None) -> None:
        r = self.row
        note = _document_note(r, lang)
        if assumption is not None and assumption.get("derived_from"):
            note = f"{text('assumed_from_wage', lang)} {_fmt_value(r, r['value'], lang)}"
        changed = abs(self.widget.value - r["value"]) > 1e-9
        tag = f" · {text('outside', lang)}" if outside else (f" · {text('changed', lang)}" if changed else "")
        cls = "hc-slider-note hc-is-outside" if outside else "hc-slider-note"
        parts = [f'<div class="hc-slider-name">{html.escape(_cell_label(r, lang))}</div>',
                 f'<div class="{cls}">{html.escape(note + tag)}</div>']
        if reach is not None:
            parts.append(_reach_html(r["rule"], reach, lang))
        self.label.value = "".join(parts)


def _reach_html(rule: str, reach: Mapping, lang: str) -> str:
    """How many households a control reaches: for a limit, how many reach it (baseline and
    reform); for other rules, how many have a claim it applies to."""
    n = reach.get("households_with_claims") or 0
    if rule in _reforms.LIMIT_RULES:
        b = int(reach.get("binding_baseline") or 0)
        f = int(reach.get("binding_reform") if reach.get("binding_reform") is not None else b)
        if b == 0 and f == 0:
            return f'<div class="hc-slider-reach hc-reach-none">{html.escape(text("reach_none", lang))}</div>'
        msg = text("reach_limit", lang).format(n=fmt_count(b, lang))
        if f != b:
            msg += ("；" if lang == "zh" else "; ") + text("reach_limit_reform", lang).format(n=fmt_count(f, lang))
        return f'<div class="hc-slider-reach">{html.escape(msg)}</div>'
    if n == 0:
        return f'<div class="hc-slider-reach hc-reach-none">{html.escape(text("reach_no_claims", lang))}</div>'
    return f'<div class="hc-slider-reach">{html.escape(text("reach_claims", lang).format(n=fmt_count(n, lang)))}</div>'


class ReformExplorer:
    """Controls, tables and charts of the reform explorer, on a :class:`Page`.

    ``state`` (e.g. the page's query string) opens a scenario: ``lang``, ``scheme``,
    ``variant``, ``beyond`` (1/0), ``poverty_line`` and any control key with its value; what is
    not valid is left at the document's value.
    """

    def __init__(self, lang: str = "zh", scheme_id: str | None = None, n_households: int | None = None,
                 seed: int = DEFAULT_SEED, interactive: bool = False, state: Mapping[str, str] | None = None):
        self.page = page = Page("reform_explorer", subtitle="reform_explorer_sub", lang=lang)
        self.n_households = default_households() if n_households is None else int(n_households)
        self.seed = int(seed)
        runnable = _runnable()
        if runnable.empty:
            raise HealthcoverError("reform explorer: no scheme runs through the synthetic population; see data/populations")
        self._schemes = list(dict.fromkeys(runnable["scheme_id"]))
        style = {"description_width": "140px"}
        # one Layout each: hiding the variant must not hide the scheme
        self.scheme = widgets.Dropdown(layout=widgets.Layout(width="600px", max_width="100%"), style=style)
        self.variant = widgets.Dropdown(layout=widgets.Layout(width="600px", max_width="100%"), style=style)
        self.beyond = widgets.Checkbox(value=False, indent=False, layout=widgets.Layout(width="auto"))
        self.poverty_line = widgets.BoundedFloatText(value=POVERTY_LINE, min=1.0, max=100_000.0, step=25.0,
                                                     layout=widgets.Layout(width="520px", max_width="100%"),
                                                     style={"description_width": "360px"})
        self.reset = widgets.Button(icon="undo", layout=widgets.Layout(width="auto"))
        for w, cls, key, hint in ((self.scheme, "hc-scheme", "scheme", None), (self.variant, "hc-variant", "variant", None),
                                  (self.beyond, "hc-beyond", "beyond", None),
                                  (self.poverty_line, "hc-poverty-line", "poverty_line", "poverty_line"),
                                  (self.reset, "hc-reset", "reset", None)):
            w.add_class(cls)
            page.bind(w, key, help=hint)
        page.bind_options(self.scheme, [({"zh": scheme_name(s, "zh"), "en": scheme_name(s, "en")}, s)
                                        for s in self._schemes])
        start = scheme_id or (DEFAULT_SCHEME if DEFAULT_SCHEME in self._schemes else self._schemes[0])
        if start not in self._schemes:
            raise HealthcoverError(f"reform explorer: scheme {start!r} cannot be explored here; allowed: "
                                   f"{', '.join(self._schemes)}")
        with page.batch():
            self.scheme.value = start

        # Care types as toggle buttons over plain boxes (not ipywidgets' Tab: its Lumino panel
        # measures its content once and clips what grows later, blank until a tab is clicked).
        self.care_select = widgets.ToggleButtons(style={"button_width": "auto"},
                                                 layout=widgets.Layout(width="auto", max_width="100%"))
        self.care_select.add_class("hc-care-select")
        self.care_panels = widgets.VBox(layout=widgets.Layout(width="100%"))
        self.fixed_hint = widgets.HTML()
        self.fixed_hint.add_class("hc-fixed-hint")
        self.tabs = widgets.VBox([self.care_select, self.fixed_hint, self.care_panels],
                                 layout=widgets.Layout(width="560px", max_width="100%"))
        self.tabs.add_class("hc-param-tabs")
        self.care_select.observe(lambda _: self._show_care(), "value")
        self.outside = widgets.HTML()
        self.outside.add_class("hc-outside")
        self.assumptions_html = widgets.HTML()
        self.assumptions_html.add_class("hc-assumptions-box")
        self.population_note = widgets.HTML()
        self.population_note.add_class("hc-population-note")
        self.unavailable = widgets.HTML()
        self.unavailable.add_class("hc-unavailable-box")
        self.summary = TablePanel(page, "reform-summary", "hc-summary")
        self.quintile_chart = ChartPanel(page, "reform-hardship-by-quintile", "hc-quintile-chart", lang=lang)
        self.money_chart = ChartPanel(page, "reform-money-by-quintile", "hc-money-chart", lang=lang)
        self.oop_chart = ChartPanel(page, "reform-oop-distribution", "hc-oop-chart", lang=lang)
        self.model: ReformModel | None = None
        self.result: ReformResult | None = None
        self.sliders: list[_Slider] = []
        self.timings: dict[str, Any] = {}
        self._headers: list[tuple[widgets.HTML, str]] = []
        self._tab_titles: list[dict] = []
        self._pending: dict[str, str] = {}
        self._variant_wanted: str | None = None

        page.set_body(
            widgets.HTML(_CSS),
            widgets.VBox([self.scheme, self.variant, self.unavailable]),
            widgets.HBox([self.beyond, self.reset], layout=widgets.Layout(align_items="center", flex_flow="row wrap")),
            # Controls and the summary side by side, so a move's effect shows without scrolling.
            widgets.HBox([
                self.tabs,
                widgets.VBox([self.poverty_line, self.population_note, self.assumptions_html, self.outside,
                              self.summary],
                             layout=widgets.Layout(width="540px", max_width="100%", margin="0 0 0 12px")),
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
        if state:
            self.apply_state(state)

    def apply_state(self, state: Mapping[str, str]) -> None:
        """Open the scenario ``state`` holds (a shared link's query string): language, scheme,
        variant, "explore a reform", poverty line and control values. What is not valid is
        left as it is; a value outside a control's range is brought to its nearest end."""
        page = self.page
        state = dict(state or {})
        lang = state.get("lang") if state.get("lang") in ("zh", "en") else page.lang
        scheme = state.get("scheme") if state.get("scheme") in self._schemes else self.scheme.value
        beyond = state.get("beyond") == "1" if "beyond" in state else self.beyond.value
        line = link_number(state.get("poverty_line"), self.poverty_line.value, 1.0, 100_000.0)
        pending = {k: v for k, v in state.items() if k.startswith("benefits.")}
        new_scheme = scheme != self.scheme.value
        new_variant = "variant" in state and state["variant"] != self.variant.value
        new_lang = lang != page.lang
        other = (beyond != self.beyond.value or line != self.poverty_line.value or pending)
        with page.batch():
            page.language.value = lang
            self.beyond.value = beyond
            self.poverty_line.value = line
            if new_scheme:
                self.scheme.value = scheme
        self._variant_wanted = state.get("variant")
        self._pending = pending

        def redraw():
            if new_scheme or new_variant:
                return self._scheme_changed()
            self._variant_wanted = None
            if other:
                return self._build()
            if new_lang:
                return self._relabel()
            return None

        page.safe(redraw)()

    # -- building -------------------------------------------------------------------------
    def _scheme_changed(self) -> None:
        sid = self.scheme.value
        variants = list(_runnable().query("scheme_id == @sid")["variant"])
        from healthcover.scheme import load_scheme

        s = load_scheme(sid)
        with self.page.batch():
            opts = [({"zh": s.label("variant", v, "zh"), "en": s.label("variant", v, "en")}, v)
                    for v in variants if v is not None]
            self.page.bind_options(self.variant, opts or [("—", None)])
            wanted, self._variant_wanted = self._variant_wanted, None
            self.variant.value = wanted if wanted in variants and wanted is not None else s.variant
            self.variant.layout.display = None if opts else "none"
        self._build()

    def _build(self) -> None:
        page = self.page
        # Forget the last scheme first: if this one cannot be built, no control may still act
        # on the old model, and the page shows the error, not the old scheme's sliders.
        self.model = None
        self.result = None
        self.sliders, self._headers, self._tab_titles = [], [], []
        self.care_panels.children = []
        self.model = model = _model(self.scheme.value, self.variant.value, self.n_households, self.seed)
        model.set_poverty_line(self.poverty_line.value)
        tabs, titles = [], []
        pending, self._pending = self._pending, {}
        with page.batch():
            for care, group in model.controls.groupby("care", sort=False):
                children = []
                for rule, rows in group.groupby("rule", sort=False):
                    head = widgets.HTML()
                    head.add_class("hc-rule-head")
                    self._headers.append((head, rule))
                    children.append(head)
                    for row in rows.to_dict("records"):
                        s = _Slider(row, self.beyond.value)
                        if row["key"] in pending:
                            v = link_number(pending[row["key"]], row["value"], row["wide_min"], row["wide_max"])
                            if not s.widget.disabled:
                                s.widget.value = v
                        self.sliders.append(s)
                        children.append(s.box)
                tabs.append(widgets.VBox(children, layout=widgets.Layout(max_height="600px", overflow="hidden auto")))
                titles.append({"zh": model.document.label("care", care, "zh"),
                               "en": model.document.label("care", care, "en")})
        self._tab_titles = titles
        if not tabs:
            note = widgets.HTML()
            page.bind(note, "no_sliders", "value")
            tabs = [note]
            self._tab_titles = [{"zh": "—", "en": "—"}]
        for t in tabs:
            t.add_class("hc-care-panel")
        self.care_panels.children = tabs
        self._set_care_options()
        for s in self.sliders:
            s.widget.observe(lambda change: page.safe(self.update)(), names="value")
        self._relabel_static()
        page.set_sources(self._sources())
        self.update()

    def _sources(self) -> list:
        m = self.model
        doc = m.document
        meta = doc.meta
        own = meta.source.doc

        items: list[Any] = [functools.partial(document_heading, doc)]
        for rule, rows in m.controls.groupby("rule", sort=False):
            for r in rows.drop_duplicates("citation").itertuples():
                def item(lang: str, r=r, rule=rule) -> str:
                    name = _capital(BENEFIT_RULES[rule].name(lang))
                    where = html.escape(doc.label("care", r.care, lang))
                    return (f"{html.escape(name)}（{where}）：{html.escape(cite(r.source, lang, own_doc=own))}"
                            if lang == "zh" else
                            f"{html.escape(name)} ({where}): {html.escape(cite(r.source, lang, own_doc=own))}")
                items.append(item)
        for a in m.assumption_table.itertuples():
            def assumed(lang: str, a=a) -> str:
                return html.escape(self._assumption_text(a, lang))
            items.append(assumed)
        def poverty_line(lang: str) -> str:  # the library's assumption (data/statistics/measures.yaml)
            return html.escape(text("src_poverty_line", lang).format(line=fmt_money(POVERTY_LINE, lang)))

        items += ["src_population", "src_measures", poverty_line, "src_no_behaviour"]
        return items

    def _assumption_text(self, a: Any, lang: str) -> str:
        """An assumption for a reader: what it sets, its value, and why (its source's note)."""
        from healthcover.data import population_mapping

        mapping = population_mapping(self.model.scheme_id)
        cited = {k: c for g in mapping.assumptions.values() for k, c in g.items()}
        row = self.model.controls.set_index("key")
        name = (_capital(BENEFIT_RULES[a.key.split(".")[2]].name(lang)) if a.key.split(".")[2] in BENEFIT_RULES
                else a.description)
        share = bool(row.at[a.key, "share"]) if a.key in row.index else isinstance(a.value, float) and a.value <= 1
        value = fmt_pct(a.value, lang, 0) if share else fmt_money(a.value, lang)
        if a.key in cited:
            why = cite(cited[a.key].source, lang)
        elif "average_wage" in mapping.wage:
            w = mapping.wage["average_wage"]
            why = cite(w.source, lang)
            why = (f"按文件规定的工资比例计算，平均工资为{fmt_money(w.value, lang)}。{why}" if lang == "zh" else
                   f"The document's share of the average wage, taken as {fmt_money(w.value, lang)}. {why}")
        else:
            why = a.assumption
        sep = "：" if lang == "zh" else ": "
        return f"{name} {value}{sep}{why}"

    def _relabel_static(self) -> None:
        lang = self.page.lang
        self._set_care_options()
        for head, rule in self._headers:
            name = _capital(BENEFIT_RULES[rule].name(lang))
            head.value = term(_TERMS[rule], lang, name) if rule in _TERMS else html.escape(name)
        m = self.model
        if m is None:
            return
        self.population_note.value = text("population_note", lang).format(
            pop=term("synthetic_population", lang), households=html.escape(fmt_count(m.n_households, lang)),
            persons=html.escape(fmt_count(m.n_persons, lang)), claims=html.escape(fmt_count(m.n_claims, lang)))
        table = m.assumption_table
        if len(table):
            lis = "".join(f"<li>{html.escape(self._assumption_line(a, lang))}</li>" for a in table.itertuples())
            self.assumptions_html.value = (f'<div class="hc-assumptions"><b>{html.escape(text("assumptions_title", lang))}'
                                           f"</b><ul>{lis}</ul></div>")
        else:
            self.assumptions_html.value = ""
        blocked = _reforms.reform_schemes()
        blocked = blocked[~blocked["runnable"]].drop_duplicates("scheme_id")
        lis = "".join(f"<li><b>{html.escape(scheme_name(r.scheme_id, lang))}</b>："
                      f"{html.escape(getattr(r, 'reason_' + lang))}</li>" if lang == "zh" else
                      f"<li><b>{html.escape(scheme_name(r.scheme_id, lang))}</b>: {html.escape(getattr(r, 'reason_' + lang))}</li>"
                      for r in blocked.itertuples())
        self.unavailable.value = (f'<details class="hc-unavailable"><summary>{html.escape(text("unavailable_title", lang))}'
                                  f"</summary><ul>{lis}</ul></details>") if lis else ""

    def _assumption_line(self, a: Any, lang: str) -> str:
        """The assumption in a line (the reason is in the source panel)."""
        row = self.model.controls.set_index("key")
        rule = a.key.split(".")[2]
        name = BENEFIT_RULES[rule].name(lang) if rule in BENEFIT_RULES else a.description
        if a.key in row.index:
            r = row.loc[a.key]
            where = r[f"label_{lang}"]
            care = self.model.document.label("care", r["care"], lang)
            value = fmt_pct(a.value, lang, 0) if r["share"] else fmt_money(a.value, lang)
            name = f"{care} · {name}" + (f" · {where}" if where else "")
        else:
            value = fmt_money(a.value, lang) if a.value > 1 else fmt_pct(a.value, lang, 0)
        return f"{name}: {value}" if lang == "en" else f"{name}：{value}"

    def _set_care_options(self) -> None:
        """The care-type buttons in the page's language, keeping the one shown."""
        lang = self.page.lang
        current = self.care_select.value if self.care_select.options else 0
        with self.page.batch():
            self.care_select.options = [(text(t, lang), i) for i, t in enumerate(self._tab_titles)]
            self.care_select.value = current if isinstance(current, int) and current < len(self._tab_titles) else 0
        self.care_select.layout.display = None if len(self._tab_titles) > 1 else "none"
        self._show_care()

    def _show_care(self) -> None:
        shown = self.care_select.value or 0
        for i, panel in enumerate(self.care_panels.children):
            panel.layout.display = None if i == shown else "none"

    def tab_title(self, i: int) -> str:
        """The name of the ``i``-th care type's panel in the page's language."""
        return text(self._tab_titles[i], self.page.lang)

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

    def state(self) -> dict[str, Any]:
        """The scenario as the address bar holds it."""
        return {"scheme": self.scheme.value, "variant": self.variant.value,
                "beyond": self.beyond.value or None,
                "poverty_line": self.poverty_line.value if self.poverty_line.value != POVERTY_LINE else None,
                **self.overrides()}

    def update(self) -> None:
        if self.model is None:
            return self._build()
        t0 = time.perf_counter()
        result = self.model.run(self.overrides(), allow_out_of_range=self.beyond.value)
        self.result = result
        self.timings = dict(result.timings)
        self._render()
        self.page.set_query(self.state())
        self.timings["total"] = time.perf_counter() - t0

    def _render(self) -> None:
        lang = self.page.lang
        result = self.result
        if result is None:
            return
        t0 = time.perf_counter()
        # The numbers first: they reach the browser while the charts are drawn.
        self.summary.update(summary_html(result, lang), summary_frame(result, lang))
        self.outside.value = outside_html(result, lang)
        outside_keys = set(result.overrides.loc[result.overrides["outside_document"], "key"])
        reach = result.control_reach.set_index("key").to_dict("index") if len(result.control_reach) else {}
        assumed = self.model.assumption_table.set_index("key").to_dict("index") if len(self.model.assumption_table) else {}
        for s in self.sliders:
            s.render_note(lang, s.row["key"] in outside_keys, reach.get(s.row["key"]), assumed.get(s.row["key"]))
        fixed = any(s.widget.disabled for s in self.sliders)
        self.fixed_hint.value = f'<div class="hc-slider-note">{html.escape(text("fixed_hint", lang))}</div>' if fixed else ""
        t1 = time.perf_counter()
        charts = [quintile_chart(result, lang).to_dict(), money_chart(result, lang).to_dict(),
                  oop_chart(result, lang).to_dict()]
        t2 = time.perf_counter()
        for w, chart in zip((self.quintile_chart, self.money_chart, self.oop_chart), charts):
            w.update(chart, lang=lang)
        t3 = time.perf_counter()
        self.timings.update({"html": t1 - t0, "chart_specs": t2 - t1, "chart_render": t3 - t2})

    def _relabel(self) -> None:
        if self.model is None:  # rebuilding re-raises the reason, now in the new language
            return self._build()
        self._relabel_static()
        self.page.set_sources(self._sources())
        if self.result is None:  # the last run failed: run again, so the error shows (relabelled)
            return self.update()
        self._render()
        self.page.set_query(self.state())

    def _blank(self) -> None:
        self.result = None
        self.summary.clear()
        self.outside.value = ""
        for w in (self.quintile_chart, self.money_chart, self.oop_chart):
            w.clear()


def reform_explorer(lang: str = "zh", scheme_id: str | None = None, n_households: int | None = None,
                    seed: int = DEFAULT_SEED, interactive: bool = False,
                    state: Mapping[str, str] | None = None) -> Page:
    """The reform-explorer dashboard; the explorer object is ``page.explorer``.

    ``n_households`` None: ``$HEALTHCOVER_DASHBOARD_HOUSEHOLDS`` or 100,000. ``state``: the
    scenario to open (see :class:`ReformExplorer`), e.g. ``query_string()`` in a Voila page.
    Charts are drawn to SVG in the kernel; ``interactive`` is accepted for old callers.
    """
    explorer = ReformExplorer(lang=lang, scheme_id=scheme_id, n_households=n_households, seed=seed, state=state)
    explorer.page.explorer = explorer
    return explorer.page


def open_page(lang: str = "zh", scheme_id: str | None = None, n_households: int | None = None,
              seed: int = DEFAULT_SEED) -> ReformExplorer:
    """Build the page before a visitor arrives (what a preheated Voila kernel runs first), then
    ``explorer.apply_state(query_string())`` opens the visitor's scenario on it."""
    explorer = ReformExplorer(lang=lang, scheme_id=scheme_id, n_households=n_households, seed=seed)
    explorer.page.explorer = explorer
    return explorer
