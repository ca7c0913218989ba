"""Fund solvency: a pooled fund's income against the exact distribution of its payments, the
probability of a deficit, the contribution that meets a target, and a ten-year projection under
the document's reserve rules, for every scheme the synthetic population runs through.

Every number is :mod:`healthcover.funds`' (:func:`~healthcover.funds.solvency`, built on
:mod:`healthcover.actuarial`); the charts are :mod:`healthcover.plotting`'s. This module wires
the controls, names the library's codes in the page's language and keeps the scenario in the
address bar.

Pure pieces: :func:`distribution_chart`, :func:`deficit_chart`, :func:`projection_chart`,
:func:`summary_html`. The dashboard: :func:`fund_solvency` returns a
:class:`~healthcover.widgets.page.Page`.
"""
from __future__ import annotations

import functools
import html
from collections.abc import Mapping
from typing import Any

import ipywidgets as widgets
import pandas as pd

from healthcover import funds as _funds
from healthcover.funds import Fund, SolvencyResult, TARGETS, YEARS, N_PATHS, SEED  # noqa: F401 (old names)
from healthcover.widgets.i18n import fmt_count, fmt_money, fmt_pct, register, text
from healthcover.widgets.page import ChartPanel, Page, TablePanel, link_number, query_string  # noqa: F401
from healthcover.widgets.reader import cite, document_heading, scheme_name, term

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
    "summary_html",
]

#: The library's computation (the dashboard shows exactly this).
solvency = _funds.solvency


def __getattr__(name: str):
    if name == "FUNDS":  # the funds offered, read from data/dashboards/funds.yaml on first use
        return _funds.funds()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
        "admissions_per_100": {"zh": "每百人每年住院次数（假设）", "en": "Admissions per 100 members a year (assumed)"},
        "mean_cost": {"zh": "次均住院费用（元，假设）", "en": "Mean cost per admission (CNY, assumed)"},
        "target": {"zh": "可接受的赤字概率", "en": "Accepted probability of a deficit"},
        "claims_inflation": {"zh": "次均费用年增长（假设）", "en": "Yearly growth of the cost per admission (assumed)"},
        "subsidy_growth_subsidy": {"zh": "政府补助年增长（假设）", "en": "Yearly growth of government subsidies (assumed)"},
        "subsidy_growth_employer": {"zh": "单位缴费年增长（假设）", "en": "Yearly growth of employers' contributions (assumed)"},
        "individual_growth": {"zh": "个人缴费年增长（假设）", "en": "Yearly growth of individual contributions (assumed)"},
        "income_for_claims": {"zh": "可用于住院支付的基金收入（每年）", "en": "Fund income available for admissions (a year)"},
        "expected_payments": {"zh": "住院支出的平均值（每年）", "en": "Average payments for admissions (a year)"},
        "sd_payments": {"zh": "住院支出的标准差", "en": "Standard deviation of the payments"},
        "p_deficit": {"zh": "当年出现赤字的概率", "en": "Probability of a deficit this year"},
        "var_target": {"zh": "目标分位支出（每年）", "en": "Payments at the target (a year)"},
        "per_member_now": {"zh": "现在人均可用于住院的筹资（每人每年）", "en": "Available for admissions per member now (a year)"},
        "per_member_needed": {"zh": "达到目标所需（每人每年）", "en": "Needed to meet the target (per member a year)"},
        "standard_now": {"zh": "现筹资标准（每人每年）", "en": "Contribution now (per member a year)"},
        "standard_needed": {"zh": "达到目标所需的筹资标准（每人每年）", "en": "Contribution needed to meet the target (per member a year)"},
        "subsidy_now_subsidy": {"zh": "现政府补助（每人每年）", "en": "Government subsidy now (per member a year)"},
        "subsidy_needed_subsidy": {"zh": "个人缴费不变时所需政府补助（每人每年）",
                                   "en": "Subsidy needed with the individual part unchanged (per member a year)"},
        "subsidy_now_employer": {"zh": "现单位缴费（每人每年）", "en": "Employer's contribution now (per member a year)"},
        "subsidy_needed_employer": {"zh": "个人缴费不变时所需单位缴费（每人每年）",
                                    "en": "Employer's contribution needed with the individual part unchanged (per member a year)"},
        "p_deficit_year10": {"zh": "第10年出现赤字的概率", "en": "Probability of a deficit in year 10"},
        "p_facilities_any": {"zh": "十年内医院分担超支的概率（至少一年）", "en": "Probability that hospitals bear an overspend in some year"},
        "p_unfunded_any": {"zh": "十年内出现无资金弥补赤字的概率（至少一年）", "en": "Probability of an unfunded deficit in some year"},
        "balance_year10": {"zh": "第10年基金累计结余（中位数）", "en": "Fund balance in year 10 (median)"},
        "value": {"zh": "数值", "en": "Value"},
        "payments_axis": {"zh": "一年的住院支出（万元）", "en": "A year's payments for admissions (CNY million)"},
        "density_axis": {"zh": "相对可能性", "en": "Relative likelihood"},
        "density_title": {"zh": "一年住院支出的概率分布", "en": "Probability distribution of a year's payments"},
        "contribution_axis": {"zh": "人均可用于住院的筹资（元/人·年）", "en": "Available for admissions per member (CNY a year)"},
        "p_axis": {"zh": "出现赤字的概率（%）", "en": "Probability of a deficit (%)"},
        "deficit_title": {"zh": "筹资越高，赤字概率越低", "en": "The higher the contribution, the lower the chance of a deficit"},
        "year_axis": {"zh": "年份", "en": "Year"},
        "balance_axis": {"zh": "基金累计结余（万元）", "en": "Fund balance: pool and reserves (CNY million)"},
        "projection_title": {"zh": "十年预测：统筹基金与风险金", "en": "Ten years: pool and reserves"},
        "band": {"zh": "可能范围", "en": "Range"},
        "band_90": {"zh": "90%的可能", "en": "90% of outcomes"},
        "band_50": {"zh": "50%的可能", "en": "50% of outcomes"},
        "median": {"zh": "中位数", "en": "Median"},
        "marker": {"zh": "标记", "en": "Marker"},
        "mark_income": {"zh": "可用收入", "en": "Income available"},
        "mark_var": {"zh": "目标分位支出", "en": "Payments at the target"},
        "mark_now": {"zh": "现筹资", "en": "Now"},
        "mark_needed": {"zh": "所需筹资", "en": "Needed"},
        "caption_density": {"zh": "曲线越高，一年的支出越可能落在那里；绿线为可用收入，红线为目标分位支出。",
                            "en": "The higher the curve, the likelier a year's payments fall there; green: income, red: payments at the target."},
        "caption_deficit": {"zh": "横轴为每人每年可用于住院的筹资，纵轴为当年出现赤字的概率；红色虚线为可接受的赤字概率。",
                            "en": "Across: what each member puts towards admissions a year; up: the chance of a deficit; red dashes: the accepted probability."},
        "caption_projection": {"zh": "按文件的结余和风险金规则逐年推算；深色带为50%、浅色带为90%的可能范围，线为中位数。",
                               "en": "Year by year under the document's surplus and reserve rules; dark band 50%, light band 90% of outcomes, the line the median."},
        "assumptions_note": {
            "zh": "住院次数服从泊松分布，住院费用服从对数正态分布；参保人数、住院次数、费用和增长率均为假设，不是文件所载。",
            "en": "Admissions follow a Poisson distribution and their costs a lognormal one; members, admissions, "
                  "costs and growth rates are assumptions, not from the documents.",
        },
        "income_note": {
            "zh": "可用收入 = 第一年统筹基金收入减去年初按规则提取的风险金；个人账户和家庭门诊账户不用于住院。",
            "en": "Income available = the first year's pooled income less the reserves the rules set aside at the "
                  "start of the year; personal and household outpatient accounts do not pay admissions.",
        },
        "src_method": {
            "zh": "计算方法：按文件的报销规定计算每次住院基金支付的精确分布，用傅里叶反演得到一年支出的精确分布；按文件的结余、风险金和超支分担规则逐年推算1,000条路径。",
            "en": "Method: the fund's payment per admission under the document's rules, the exact distribution of a "
                  "year's payments by Fourier inversion, and 1,000 simulated paths of ten years under the document's "
                  "surplus, reserve and overspend rules.",
        },
        "fund_assumptions_title": {"zh": "本基金使用的假设：", "en": "Assumptions of this fund:"},
        "unavailable_funds": {"zh": "未列入的制度及原因", "en": "Schemes without a fund here, and why"},
    }
)

_TERMS = {"income_for_claims": "pooled_fund", "sd_payments": "sd", "p_deficit": "deficit_probability",
          "var_target": "target_quantile", "p_deficit_year10": "deficit_probability", "balance_year10": "projection"}
_PROBS = {"p_deficit", "p_deficit_year10", "p_facilities_any", "p_unfunded_any"}
_PER_MEMBER = {"per_member_now", "per_member_needed", "standard_now", "standard_needed", "subsidy_now",
               "subsidy_needed"}


def _label(measure: str, result: SolvencyResult) -> str:
    return f"{measure}_{result.other_payer}" if measure.startswith(("subsidy_now", "subsidy_needed")) else measure


# --------------------------------------------------------------------------- charts


def _money_scale(lang: str) -> tuple[float, str]:
    """Divisor and format for large amounts on axes: 万元 in Chinese, CNY million in English."""
    return (1e4, ",.0f") if lang == "zh" else (1e6, ",.1f")


def distribution_chart(result: SolvencyResult, lang: str):
    """The probability distribution of the year's payments, with the income available and the
    payments at the target (:func:`healthcover.plotting.density_marks_chart`)."""
    from healthcover.plotting import density_marks_chart

    div, fmt = _money_scale(lang)
    density = pd.DataFrame({"x": result.distribution["payments"] / div,
                            "density": result.distribution["density"] * div})
    names = [text("mark_income", lang), f"{text('mark_var', lang)} ({fmt_pct(1 - result.marks['target'], lang, 1)})"]
    marks = pd.DataFrame({"x": [result.marks["income"] / div, result.marks["var"] / div], "mark": names})
    return density_marks_chart(density, marks, x_title=text("payments_axis", lang), y_title=text("density_axis", lang),
                               marker_title=text("marker", lang), colours=["#2e7d32", "#c62828"], x_format=fmt,
                               title=text("density_title", lang))


def deficit_chart(result: SolvencyResult, lang: str):
    """P(deficit) against the contribution per member available for admissions, the target as a
    horizontal rule, the contribution now and the one needed as vertical rules."""
    from healthcover.plotting import deficit_curve_chart

    df = pd.DataFrame({"per_member": result.deficit["per_member"], "p": 100.0 * result.deficit["p_deficit"]})
    m = result.marks
    marks = pd.DataFrame({"x": [m["now"], m["needed"]], "mark": [text("mark_now", lang), text("mark_needed", lang)]})
    return deficit_curve_chart(df, marks, 100.0 * m["target"], x_title=text("contribution_axis", lang),
                               y_title=text("p_axis", lang), marker_title=text("marker", lang),
                               colours=["#1565c0", "#2e7d32"], title=text("deficit_title", lang))


def projection_chart(result: SolvencyResult, lang: str):
    """The fund balance (pool and reserves) by year: 5-95% and 25-75% bands and the median."""
    from healthcover.plotting import fan_bands_chart

    div, fmt = _money_scale(lang)
    f = result.fan
    fan = pd.DataFrame({"year": f["year"], **{c: f[c] / div for c in ("q05", "q25", "q50", "q75", "q95")}})
    return fan_bands_chart(fan, x_title=text("year_axis", lang), y_title=text("balance_axis", lang),
                           band_title=text("band", lang), bands=(text("band_90", lang), text("band_50", lang)),
                           median_title=text("median", lang), y_format=fmt, title=text("projection_title", lang))


# --------------------------------------------------------------------------- tables


def _fmt(measure: str, value: float, lang: str) -> str:
    """Probabilities in percent; amounts at policy precision with their unit."""
    if measure in _PROBS:
        return fmt_pct(value, lang, digits=2)
    return fmt_money(value, lang)


def summary_html(result: SolvencyResult, lang: str) -> str:
    rows = []
    for r in result.summary.itertuples():
        key = _label(r.measure, result)
        name = term(_TERMS[r.measure], lang, text(key, lang)) if r.measure in _TERMS else html.escape(text(key, lang))
        rows.append(f'<tr class="hc-m-{r.measure}"><td>{name}</td>'
                    f'<td class="num">{html.escape(_fmt(r.measure, r.value, lang))}</td></tr>')
    return (f'<table class="hc-solvency-table"><thead><tr><th>{html.escape(text("measure", lang))}</th>'
            f'<th class="num">{html.escape(text("value", lang))}</th></tr></thead><tbody>{"".join(rows)}</tbody></table>')


def summary_frame(result: SolvencyResult, lang: str) -> pd.DataFrame:
    """The summary for download: measure (named in ``lang``) and value (CNY; shares as fractions)."""
    return pd.DataFrame({text("measure", lang): [text(_label(m, result), lang) for m in result.summary["measure"]],
                         text("value", lang): result.summary["value"].to_numpy()})


# --------------------------------------------------------------------------- the dashboard

_CSS = """
<style>
.hc-solvency-table td.num { white-space: nowrap; }
.hc-note { font-size: 12px; color: #555; height: auto !important; }
.hc-caption { font-size: 12px; color: #555; max-width: 520px; height: auto !important; }
.hc-fund-assumptions { border-left: 4px solid #1565c0; background: #e3f2fd; padding: 4px 10px; margin: 4px 0;
  font-size: 13px; }
.hc-fund-assumptions ul { margin: 0.2em 0; padding-left: 1.2em; }
.hc-unavailable summary { cursor: pointer; color: #1565c0; }
</style>
"""


@functools.lru_cache(maxsize=16)
def _result(scheme_id, variant, members, admissions, mean_cost, target, inflation, subsidy_growth, individual_growth):
    return solvency(scheme_id, variant, members=members, admission_rate=admissions, mean_cost=mean_cost,
                    target=target, claims_inflation=inflation, subsidy_growth=subsidy_growth,
                    individual_growth=individual_growth)


class FundSolvency:
    """Controls, results and charts of the fund-solvency dashboard, on a :class:`Page`."""

    def __init__(self, lang: str = "zh", scheme_id: str | None = None, interactive: bool = False,
                 state: Mapping[str, str] | None = None):
        self.page = page = Page("fund_solvency", subtitle="fund_solvency_sub", lang=lang)
        style = {"description_width": "360px"}

        def wide():
            return widgets.Layout(width="680px", max_width="100%")

        self.funds = _funds.funds()
        short = {"description_width": "160px"}
        self.fund = widgets.Dropdown(layout=wide(), style=short)
        self.variant = widgets.Dropdown(layout=wide(), style=short)
        self.members = widgets.FloatLogSlider(base=10, min=4, max=7, step=0.05, readout_format=",.0f",
                                              continuous_update=False, layout=wide(), style=style)
        self.admissions = widgets.FloatSlider(min=1, max=25, step=0.1, readout_format=".1f",
                                              continuous_update=False, layout=wide(), style=style)
        self.mean_cost = widgets.FloatSlider(min=1_000, max=20_000, step=100, readout_format=",.0f",
                                             continuous_update=False, layout=wide(), style=style)
        self.target = widgets.Dropdown(layout=wide(), style=style)
        self.inflation = widgets.FloatSlider(value=_funds.CLAIMS_INFLATION, min=0, max=0.10, step=0.005,
                                             readout_format=".1%", continuous_update=False, layout=wide(), style=style)
        self.subsidy_growth = widgets.FloatSlider(value=_funds.SUBSIDY_GROWTH, min=0, max=0.15, step=0.005,
                                                  readout_format=".1%", continuous_update=False, layout=wide(), style=style)
        self.individual_growth = widgets.FloatSlider(value=_funds.INDIVIDUAL_GROWTH, min=0, max=0.10, step=0.005,
                                                     readout_format=".1%", continuous_update=False, layout=wide(),
                                                     style=style)
        controls = [(self.fund, "fund", None), (self.variant, "variant", None), (self.members, "members", None),
                    (self.admissions, "admissions_per_100", None), (self.mean_cost, "mean_cost", None),
                    (self.target, "target", "deficit_probability"), (self.inflation, "claims_inflation", None),
                    (self.subsidy_growth, "subsidy_growth_subsidy", None), (self.individual_growth, "individual_growth", None)]
        self.controls = [w for w, _, _ in controls]
        for w, key, hint in controls:
            w.add_class("hc-" + key.replace("_", "-").replace("-subsidy", ""))
            page.bind(w, key, help=hint)
        page.bind_options(self.fund, [(f.title, sid) for sid, f in self.funds.items()])
        page.bind_options(self.target, [({"zh": fmt_pct(t, "zh", 1), "en": fmt_pct(t, "en", 1)}, t) for t in TARGETS])
        with page.batch():
            self.target.value = 0.05
            if scheme_id is not None:
                self.fund.value = scheme_id
        self.fund_note = widgets.HTML()
        self.fund_note.add_class("hc-note")
        self.assumptions_html = widgets.HTML()
        self.assumptions_html.add_class("hc-note")
        self.unavailable = widgets.HTML()
        self.unavailable.add_class("hc-note")
        self.summary = TablePanel(page, "fund-summary", "hc-summary")
        self.notes = widgets.HTML()
        self.notes.add_class("hc-note")
        self.result: SolvencyResult | None = None
        self.distribution = ChartPanel(page, "fund-payments-distribution", "hc-distribution-chart", lang=lang)
        self.deficit = ChartPanel(page, "fund-deficit-probability", "hc-deficit-chart", lang=lang)
        self.projection = ChartPanel(page, "fund-ten-years", "hc-projection-chart", lang=lang)
        self.captions = {k: widgets.HTML() for k in ("density", "deficit", "projection")}
        for c in self.captions.values():
            c.add_class("hc-caption")
        page.set_body(
            widgets.HTML(_CSS),
            widgets.VBox(self.controls[:2] + [self.fund_note, self.unavailable] + self.controls[2:]),
            self.assumptions_html,
            self.summary,
            charts := widgets.HBox([widgets.VBox([self.distribution, self.captions["density"]]),
                                    widgets.VBox([self.deficit, self.captions["deficit"]])],
                                   layout=widgets.Layout(flex_flow="row wrap")),
            proj := widgets.VBox([self.projection, self.captions["projection"]]),
            self.notes,
        )
        page.hide_on_error(charts, proj, self.notes)
        page.on_change([self.fund], self._fund_changed)
        page.on_change([self.variant, self.members, self.admissions, self.mean_cost, self.target,
                        self.inflation, self.subsidy_growth, self.individual_growth], self.update)
        page.on_lang(self.update)
        page.on_error(self._blank)
        page.safe(self._fund_changed)()
        if state:
            self.apply_state(state)

    # -- state ----------------------------------------------------------------------------
    _STATE = {"members": ("members", 1e4, 1e7), "admissions": ("admissions", 1.0, 25.0),
              "mean_cost": ("mean_cost", 1_000.0, 20_000.0), "inflation": ("inflation", 0.0, 0.10),
              "subsidy_growth": ("subsidy_growth", 0.0, 0.15), "individual_growth": ("individual_growth", 0.0, 0.10)}

    def state(self) -> dict[str, Any]:
        return {"fund": self.fund.value, "variant": self.variant.value, "target": self.target.value,
                **{k: getattr(self, attr).value for k, (attr, _, _) in self._STATE.items()}}

    def apply_state(self, state: Mapping[str, str]) -> None:
        """Open the scenario of a shared link (see :meth:`state`); invalid values are ignored."""
        with self.page.shared_link(state) as state:
            if state.get("fund") in self.funds and state["fund"] != self.fund.value:
                self.fund.value = state["fund"]
                self._fund_defaults()
            if state.get("variant") in [v for _, v in self.variant.options]:
                self.variant.value = state["variant"]
            try:
                t = float(state.get("target", "nan"))
                if t in TARGETS:
                    self.target.value = t
            except ValueError:
                pass
            for key, (attr, lo, hi) in self._STATE.items():
                if key in state:
                    w = getattr(self, attr)
                    setattr(w, "value", link_number(state[key], w.value, lo, hi))
        self.page.safe(self.update)()

    # -- building -------------------------------------------------------------------------
    def _fund_defaults(self) -> None:
        fund = self.funds[self.fund.value]
        from healthcover.scheme import load_scheme

        s = load_scheme(fund.scheme_id)
        opts = [({"zh": s.label("variant", v, "zh"), "en": s.label("variant", v, "en")}, v) for v in s.variants]
        self.page.bind_options(self.variant, opts or [("—", None)])
        self.variant.value = fund.variant
        self.variant.layout.display = None if opts else "none"
        self.members.value = fund.members
        self.admissions.value = round(100 * fund.admission_rate, 1)
        self.mean_cost.value = round(fund.mean_cost, -2)

    def _fund_changed(self) -> None:
        with self.page.batch():
            self._fund_defaults()
        self.update()

    def _sources(self, result: SolvencyResult) -> list:
        s = result.scheme
        meta = s.meta
        own = meta.source.doc

        items: list[Any] = [functools.partial(document_heading, s)]
        fund = result.fund
        seen = set()
        for x in fund.lines:
            for rule in ("deductible", "rate", "annual_limit"):
                path = f"benefits.inpatient.{rule}"
                if not s.has(path):
                    continue
                p = s.param(path)
                dims = {"category": fund.category} | ({"facility": x.facility} if x.facility else {})
                try:
                    leaf = p.cells.get(s.cell_key(p, dims))
                except Exception:  # noqa: BLE001 - a cell the lookup cannot name: cite the rule
                    leaf = None
                src = leaf.source if leaf is not None and leaf.source is not None else p.source
                if (rule, src) in seen:
                    continue
                seen.add((rule, src))

                def item(lang: str, rule=rule, src=src) -> str:
                    from healthcover.schemes.model import BENEFIT_RULES

                    name = BENEFIT_RULES[rule].name(lang)
                    name = name[:1].upper() + name[1:]
                    return html.escape(f"{name}{'：' if lang == 'zh' else ': '}{cite(src, lang, own_doc=own)}")
                items.append(item)
        for path in s.parameters:
            if path.startswith("fund.") and s.param(path).source is not None:
                src = s.param(path).source
                items.append(lambda lang, src=src, path=path: html.escape(
                    f"{s.param(path).description}: {cite(src, lang, own_doc=own)}" if lang == "en" else
                    f"基金规则：{cite(src, lang, own_doc=own)}"))
        items.append(lambda lang: html.escape(cite(fund.source, lang)))
        for a in result.assumptions.itertuples():
            if a.source is not None:
                items.append(lambda lang, a=a: html.escape(
                    f"{a.description}: {cite(a.source, lang)}" if lang == "en" else cite(a.source, lang)))
        for c in _funds.settings().values():
            items.append(lambda lang, c=c: html.escape(cite(c.source, lang)))
        return items + ["income_note", "assumptions_note", "src_method"]

    def update(self) -> None:
        lang = self.page.lang
        fund = self.funds[self.fund.value]
        # The fund's description holds whether or not the computation below succeeds.
        self.fund_note.value = html.escape(text(fund.note, lang))
        # A slider left where the fund put it means the fund's own number (the slider shows it
        # rounded to its step), so the page shows exactly what funds.solvency(scheme) gives.
        members = None if abs(self.members.value - fund.members) < 0.5 else float(self.members.value)
        admissions = (None if abs(self.admissions.value - round(100 * fund.admission_rate, 1)) < 1e-9
                      else self.admissions.value / 100.0)
        cost = None if abs(self.mean_cost.value - round(fund.mean_cost, -2)) < 1e-9 else float(self.mean_cost.value)
        r = _result(self.fund.value, self.variant.value, members, admissions, cost, float(self.target.value),
                    float(self.inflation.value), float(self.subsidy_growth.value), float(self.individual_growth.value))
        self.result = r
        # The numbers first; the charts follow.
        self.summary.update(summary_html(r, lang), summary_frame(r, lang))
        self.page.bind(self.subsidy_growth, f"subsidy_growth_{r.other_payer}")
        self._render_notes(r, lang)
        self.distribution.update(distribution_chart(r, lang).to_dict(), lang=lang)
        self.deficit.update(deficit_chart(r, lang).to_dict(), lang=lang)
        self.projection.update(projection_chart(r, lang).to_dict(), lang=lang)
        self.page.set_sources(self._sources(r))
        self.page.set_query(self.state())

    def _render_notes(self, r: SolvencyResult, lang: str) -> None:
        self.notes.value = "".join(f"<p>{html.escape(text(k, lang))}</p>" for k in ("income_note", "assumptions_note"))
        for key in ("density", "deficit", "projection"):
            self.captions[key].value = html.escape(text(f"caption_{key}", lang))
        self.captions["density"].value = term("density", lang) + "：" + self.captions["density"].value \
            if lang == "zh" else term("density", lang) + ": " + self.captions["density"].value
        self.captions["projection"].value = term("projection", lang) + ("：" if lang == "zh" else ": ") + \
            self.captions["projection"].value
        lis = []
        for a in r.assumptions.itertuples():
            value = fmt_pct(a.value, lang, 0) if isinstance(a.value, float) and a.value <= 1 else (
                fmt_money(a.value, lang) if isinstance(a.value, (int, float)) else "")
            if not value:
                continue
            what = a.description
            if lang == "zh":
                from healthcover.schemes.model import BENEFIT_RULES

                rule = str(a.key).split(".")[2] if str(a.key).count(".") >= 2 else ""
                what = BENEFIT_RULES[rule].name("zh") if rule in BENEFIT_RULES else (
                    "个人缴费" if "individual" in str(a.key) else "参数")
            lis.append(f"<li>{html.escape(what)}{'：' if lang == 'zh' else ': '}{html.escape(value)}</li>")
        members = fmt_count(self.members.value, lang, {"zh": "人", "en": "members"})
        lis.insert(0, f"<li>{html.escape(text('members', lang))}{'：' if lang == 'zh' else ': '}{html.escape(members)}</li>")
        self.assumptions_html.value = (f'<div class="hc-fund-assumptions"><b>{html.escape(text("fund_assumptions_title", lang))}'
                                       f"</b><ul>{''.join(lis)}</ul></div>")
        blocked = _funds.unavailable_funds()
        items = "".join(f"<li><b>{html.escape(scheme_name(b.scheme_id, lang))}</b>{'：' if lang == 'zh' else ': '}"
                        f"{html.escape(getattr(b, 'reason_' + lang))}</li>" for b in blocked.itertuples())
        self.unavailable.value = (f'<details class="hc-unavailable"><summary>{html.escape(text("unavailable_funds", lang))}'
                                  f"</summary><ul>{items}</ul></details>") if items else ""

    def _blank(self) -> None:
        self.result = None
        self.summary.clear()


def fund_solvency(lang: str = "zh", scheme_id: str | None = None, interactive: bool = False,
                  state: Mapping[str, str] | None = None) -> Page:
    """The fund-solvency dashboard; the dashboard object is ``page.dashboard``. ``state``: a
    shared link's scenario (e.g. ``query_string()``)."""
    d = FundSolvency(lang=lang, scheme_id=scheme_id, state=state)
    d.page.dashboard = d
    return d.page
