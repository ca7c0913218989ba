"""Illness and poverty: the 1,305万 estimate of seed document 003 §1 with its assumptions as
sliders, the tornado chart and the Monte Carlo uncertainty interval.

The arithmetic, the text's ranges and the distributions are the library's
(:mod:`healthcover.poverty`: ``illness_induced_poor``, ``estimate_steps``, ``tornado``,
``monte_carlo_draws``, ``INPUTS``, ``RANGES``, ``CAVEATS``); this module turns controls into
calls and draws bilingual charts.

Pure pieces, testable without widgets: :func:`estimate` -> :class:`PovertyResult`,
:func:`tornado_chart`, :func:`monte_carlo_chart`. The dashboard: :func:`illness_poverty`
returns a :class:`~healthcover.widgets.page.Page`.
"""
from __future__ import annotations

import html
from dataclasses import dataclass

import altair as alt
import ipywidgets as widgets
import numpy as np
import pandas as pd

from healthcover import poverty as pv
from healthcover.widgets.charts import chart_widget
from healthcover.widgets.i18n import fmt_number, fmt_pct, register, text
from healthcover.widgets.page import Page

__all__ = [
    "LEVELS",
    "SLIDERS",
    "PovertyResult",
    "estimate",
    "illness_poverty",
    "monte_carlo_chart",
    "tornado_chart",
]

#: Persons per 万 (the library counts households and persons in 万, as the document does).
WAN = 1e4
#: The inputs offered as sliders and their bounds: the range the text gives, including the
#: author's own value (4 persons lies below the cited 4.11-4.20).
SLIDERS = {
    "illness_share": (pv.RANGES["illness_share"]["low"].value, pv.RANGES["illness_share"]["high"].value, 0.001),
    "household_size": (pv.INPUTS["household_size"].value, pv.RANGES["household_size"]["high"].value, 0.01),
}
#: Confidence levels offered for the Monte Carlo interval.
LEVELS = (0.90, 0.95, 0.99)
MC_DRAWS = 100_000
MC_SEED = 0
MC_BINS = 40

register(
    {
        "illness_poverty": {"zh": "因病致贫人口估算", "en": "Illness and poverty"},
        "illness_poverty_sub": {
            "zh": "文件003第1节：农村因病致贫、因病返贫人口约1,305万。调整作者的假设，看估算如何变化、哪个假设最要紧、不确定性有多大。",
            "en": "Document 003 §1: about 13.05 million rural people in households impoverished by "
                  "illness. Move the author's assumptions to see how the estimate changes, which "
                  "matters most, and how uncertain it is.",
        },
        "in_households": {"zh": "农村农户数", "en": "Rural households"},
        "in_poverty_rate": {"zh": "贫困户比例", "en": "Share of households that are poor"},
        "in_illness_share": {"zh": "贫困户中因病致贫、返贫的比例", "en": "Share of poor households impoverished by illness"},
        "in_household_size": {"zh": "户均人口（人）", "en": "Persons per household"},
        "fixed_no_range": {"zh": "固定：文中未给出范围", "en": "fixed: the text gives no range"},
        "range_in_text": {"zh": "文中范围", "en": "range in the text"},
        "author_value": {"zh": "作者取值", "en": "the author's value"},
        "cited_values": {"zh": "文中引用", "en": "cited in the text"},
        "level": {"zh": "置信水平", "en": "Interval level"},
        "estimate": {"zh": "估算：因病致贫农户中的人口", "en": "Estimate: people in households impoverished by illness"},
        "document_estimate": {"zh": "文件的估算", "en": "The document's estimate"},
        "mc_interval": {"zh": "蒙特卡洛区间", "en": "Monte Carlo interval"},
        "mc_median": {"zh": "中位数", "en": "median"},
        "step": {"zh": "步骤", "en": "Step"},
        "formula": {"zh": "算式", "en": "Formula"},
        "result": {"zh": "结果", "en": "Result"},
        "step_poor households": {"zh": "贫困农户", "en": "Poor households"},
        "step_illness-impoverished households": {"zh": "因病致贫农户", "en": "Households impoverished by illness"},
        "step_persons": {"zh": "因病致贫人口", "en": "Persons in those households"},
        "households_unit": {"zh": "户", "en": "households"},
        "persons_unit": {"zh": "人", "en": "persons"},
        "tornado_title": {"zh": "单因素敏感性：每个假设取文中范围的两端", "en": "One input at a time: each assumption at the ends of the text's range"},
        "tornado_axis_zh": {"zh": "因病致贫人口（万人）", "en": "Persons (万)"},
        "tornado_axis_en": {"zh": "人数", "en": "Persons"},
        "parameter": {"zh": "假设", "en": "Assumption"},
        "mc_title": {"zh": "蒙特卡洛：估算值的分布（10万次抽样）", "en": "Monte Carlo: distribution of the estimate (100,000 draws)"},
        "draws_axis": {"zh": "抽样占比（%）", "en": "Share of draws (%)"},
        "mark": {"zh": "标记", "en": "Marker"},
        "mark_current": {"zh": "当前估算", "en": "Current estimate"},
        "mark_document": {"zh": "文件的估算（1,305万）", "en": "Document's estimate (13.05 million)"},
        "low_end": {"zh": "低端", "en": "low end"},
        "high_end": {"zh": "高端", "en": "high end"},
        "mc_note": {
            "zh": "蒙特卡洛假设（建模选择，非文中所给）：因病致贫比例服从20.7%–49.3%的三角分布，众数取滑块的值；户均人口服从4.11–4.20人的均匀分布（文中引用的两个数）；农户数和贫困户比例固定。区间只反映文中数字的分歧，不含抽样误差。",
            "en": "Monte Carlo assumptions (modelling choices, not from the text): the illness share "
                  "is triangular on 20.7%-49.3% with its mode at the slider's value; household size "
                  "is uniform on 4.11-4.20 (the two cited figures); households and the poverty rate "
                  "are fixed. The interval reflects only the spread of the text's own figures, not "
                  "sampling error.",
        },
        "caveat_stock": {
            "zh": "注意（C-05）：乘积用的是某一时点的贫困户存量，文中却说“每年”；它是生活在因病致贫农户中的人数，而非每年新增的致贫人数。",
            "en": "Caveat (C-05): the product multiplies a stock (poor households at one time) yet the "
                  "text says 'each year' (每年): it counts people living in illness-impoverished "
                  "households, not people newly impoverished each year.",
        },
        "caveat_size": {
            "zh": "注意（C-05）：作者取户均4人，而文中引用的两个来源分别为4.11人和4.20人，均给出更大的估算。",
            "en": "Caveat (C-05): the author uses 4 persons per household although the two cited "
                  "sources give 4.11 and 4.20; both give larger estimates.",
        },
        "src_formula": {
            "zh": "文件003第1节（L27）：「(24149×3.86%×35%×4=1305.01196)」",
            "en": "Document 003 §1 (L27): 「(24149×3.86%×35%×4=1305.01196)」",
        },
    }
)

_INPUT_KEYS = ("households", "poverty_rate", "illness_share", "household_size")


@dataclass
class PovertyResult:
    """What :func:`estimate` returns; every table is a DataFrame tests can read.

    ``inputs``: the four inputs used. ``estimate``: persons (not 万). ``steps``: step, formula,
    value (in 万, as the library gives it), unit. ``tornado``: the library's tornado table
    around these inputs. ``interval``: mean, median, lower, upper (persons), level, n.
    ``histogram``: lower, upper, share of draws. ``document``: the document's 1,305.01196万
    as persons.
    """

    inputs: dict
    estimate: float
    steps: pd.DataFrame
    tornado: pd.DataFrame
    interval: dict
    histogram: pd.DataFrame
    document: float


def estimate(illness_share: float = pv.INPUTS["illness_share"].value,
             household_size: float = pv.INPUTS["household_size"].value, level: float = 0.95,
             n: int = MC_DRAWS, seed: int = MC_SEED) -> PovertyResult:
    """The estimate at these assumptions, the tornado around them and the Monte Carlo interval.

    Households and the poverty rate stay at the document's values (the text gives no range).
    The Monte Carlo draws the illness share from a triangular distribution on the text's range
    with its mode at ``illness_share``, and household size uniformly on the two cited figures
    (:func:`healthcover.poverty.monte_carlo_draws`).
    """
    base = {k: float(pv.INPUTS[k].value) for k in _INPUT_KEYS}
    base.update(illness_share=float(illness_share), household_size=float(household_size))
    est = pv.illness_induced_poor(**base)
    steps = pv.estimate_steps(**base)
    torn = pv.tornado(base=base)
    lo, hi = SLIDERS["illness_share"][:2]
    draws = pv.monte_carlo_draws(n, seed, illness_share=(lo, base["illness_share"], hi))["estimate"].to_numpy()
    alpha = (1.0 - level) / 2.0
    interval = {
        "mean": float(draws.mean()) * WAN,
        "median": float(np.median(draws)) * WAN,
        "lower": float(np.quantile(draws, alpha)) * WAN,
        "upper": float(np.quantile(draws, 1.0 - alpha)) * WAN,
        "level": float(level),
        "n": int(n),
    }
    counts, edges = np.histogram(draws * WAN, bins=MC_BINS)
    hist = pd.DataFrame({"lower": edges[:-1], "upper": edges[1:], "share": counts / counts.sum()})
    return PovertyResult(base, est * WAN, steps, torn, interval, hist, pv.illness_induced_poor() * WAN)


# --------------------------------------------------------------------------- charts


def _scale(lang: str) -> tuple[float, str, str]:
    """Divisor, axis title and format for persons: 万 in Chinese, whole persons in English."""
    if lang == "zh":
        return WAN, text("tornado_axis_zh", "zh"), ",.0f"
    return 1.0, text("tornado_axis_en", "en"), ",.0f"


def tornado_chart(result: PovertyResult, lang: str) -> alt.LayerChart:
    """Each assumption at the low and high end of the text's range (bars), the current estimate
    (solid rule) and the document's (dashed)."""
    div, title, fmt = _scale(lang)
    t = result.tornado
    df = pd.DataFrame({
        "parameter": [text(f"in_{p}", lang) for p in t["parameter"]],
        "low": t["estimate_low"] * WAN / div,
        "high": t["estimate_high"] * WAN / div,
        "range": [f"{_input_value(p, a, lang)} – {_input_value(p, b, lang)}"
                  for p, a, b in zip(t["parameter"], t["low"], t["high"])],
    })
    order = list(df["parameter"])
    bars = alt.Chart(df).mark_bar(height=26, color="#5c6bc0").encode(
        y=alt.Y("parameter:N", sort=order, title=None, axis=alt.Axis(labelLimit=260)),
        x=alt.X("low:Q", title=title, scale=alt.Scale(zero=False), axis=alt.Axis(format=fmt)),
        x2="high:Q",
        tooltip=[alt.Tooltip("parameter:N", title=text("parameter", lang)),
                 alt.Tooltip("range:N", title=text("range_in_text", lang)),
                 alt.Tooltip("low:Q", title=text("low_end", lang), format=fmt),
                 alt.Tooltip("high:Q", title=text("high_end", lang), format=fmt)],
    )
    marks = pd.DataFrame({
        "x": [result.estimate / div, result.document / div],
        "mark": [text("mark_current", lang), text("mark_document", lang)],
        "dash": ["solid", "dashed"],
    })
    rules = alt.Chart(marks).mark_rule(strokeWidth=2).encode(
        x="x:Q",
        color=alt.Color("mark:N", title=text("mark", lang), legend=alt.Legend(orient="bottom"),
                        scale=alt.Scale(range=["#c62828", "#424242"])),
        strokeDash=alt.StrokeDash("dash:N", legend=None,
                                  scale=alt.Scale(domain=["solid", "dashed"], range=[[1, 0], [5, 4]])),
    )
    return (bars + rules).properties(width=520, height=110, title=text("tornado_title", lang))


def monte_carlo_chart(result: PovertyResult, lang: str) -> alt.LayerChart:
    """Histogram of the Monte Carlo estimates (share of draws per bin), with the interval's ends
    and the current estimate marked."""
    div, title, fmt = _scale(lang)
    h = result.histogram
    df = pd.DataFrame({"lower": h["lower"] / div, "upper": h["upper"] / div, "share": 100.0 * h["share"]})
    bars = alt.Chart(df).mark_rect(color="#90a4ae", stroke="white", strokeWidth=0.5).encode(
        x=alt.X("lower:Q", title=title, scale=alt.Scale(zero=False), axis=alt.Axis(format=fmt)),
        x2="upper:Q",
        y=alt.Y("share:Q", title=text("draws_axis", lang)),
        y2=alt.datum(0),
    )
    iv = result.interval
    interval = f"{text('mc_interval', lang)} ({fmt_pct(iv['level'], lang, 0)})"
    marks = pd.DataFrame({
        "x": [iv["lower"] / div, iv["upper"] / div, result.estimate / div],
        "mark": [interval, interval, text("mark_current", lang)],
    })
    rules = alt.Chart(marks).mark_rule(strokeWidth=2).encode(
        x="x:Q",
        color=alt.Color("mark:N", title=text("mark", lang), legend=alt.Legend(orient="bottom"),
                        scale=alt.Scale(domain=[interval, text("mark_current", lang)],
                                        range=["#1565c0", "#c62828"])),
        tooltip=[alt.Tooltip("mark:N", title=text("mark", lang)), alt.Tooltip("x:Q", title=title, format=fmt)],
    )
    return (bars + rules).properties(width=520, height=200, title=text("mc_title", lang))


# --------------------------------------------------------------------------- tables


def _input_value(name: str, value: float, lang: str) -> str:
    if name in ("poverty_rate", "illness_share"):
        return fmt_pct(value, lang, digits=2)
    if name == "households":
        return fmt_number(value * WAN, lang) + text("households_unit", lang) if lang == "zh" else \
            f"{fmt_number(value * WAN, lang, 0)} {text('households_unit', lang)}"
    return fmt_number(value, lang, digits=2)


def _persons(x: float, lang: str) -> str:
    if lang == "zh":
        return fmt_number(x, "zh", digits=2) + "人"
    return f"{fmt_number(x, 'en', 0)} persons"


def summary_html(result: PovertyResult, lang: str) -> str:
    iv = result.interval
    level = fmt_pct(iv["level"], lang, 0)
    change = result.estimate / result.document - 1.0
    rel = ("+" if change > 0 else "") + fmt_pct(change, lang, 1)
    head = (
        f'<div class="hc-estimate"><div>{html.escape(text("estimate", lang))}</div>'
        f'<div class="hc-big">{html.escape(_persons(result.estimate, lang))}</div>'
        f'<div class="hc-vs-document">{html.escape(text("document_estimate", lang))}: '
        f'{html.escape(_persons(result.document, lang))} ({html.escape(rel)})</div></div>'
        f'<div class="hc-interval"><div>{html.escape(text("mc_interval", lang))} ({level})</div>'
        f'<div class="hc-big">{html.escape(_persons(iv["lower"], lang))} – {html.escape(_persons(iv["upper"], lang))}</div>'
        f'<div>{html.escape(text("mc_median", lang))}: {html.escape(_persons(iv["median"], lang))}</div></div>'
    )
    rows = []
    for r in result.steps.itertuples():
        unit = "households_unit" if "households" in r.unit else "persons_unit"
        value = r.value * WAN
        shown = (fmt_number(value, lang, 2) + text(unit, lang)) if lang == "zh" else \
            f"{fmt_number(value, lang, 0)} {text(unit, lang)}"
        rows.append(f"<tr><td>{html.escape(text('step_' + r.step, lang))}</td>"
                    f"<td>{html.escape(r.formula)}</td><td class='num'>{html.escape(shown)}</td></tr>")
    table = (f"<table class='hc-steps'><thead><tr><th>{html.escape(text('step', lang))}</th>"
             f"<th>{html.escape(text('formula', lang))}</th><th class='num'>{html.escape(text('result', lang))}</th>"
             f"</tr></thead><tbody>{''.join(rows)}</tbody></table>")
    return f'<div class="hc-poverty-head">{head}</div>{table}'


def _fixed_inputs_html(lang: str) -> str:
    items = []
    for k in ("households", "poverty_rate"):
        src = pv.INPUTS[k]
        items.append(f"<li>{html.escape(text('in_' + k, lang))}: <b>{html.escape(_input_value(k, src.value, lang))}</b>"
                     f" ({html.escape(text('fixed_no_range', lang))}; {html.escape(src.cite())})</li>")
    return f"<ul class='hc-fixed'>{''.join(items)}</ul>"


def _slider_note(name: str, lang: str) -> str:
    """The text's own figures for an input: the author's value and the alternatives cited."""
    author = pv.INPUTS[name].value
    cited = ", ".join(_input_value(name, s.value, lang) for s in pv.RANGES[name].values())
    return (f"{text('author_value', lang)} {_input_value(name, author, lang)}; "
            f"{text('cited_values', lang)} {cited}")


# --------------------------------------------------------------------------- the dashboard

_CSS = """
<style>
.hc-poverty-head { display: flex; flex-wrap: wrap; gap: 3em; margin: 6px 0; }
.hc-steps td.num { white-space: nowrap; }
.hc-caveats { color: #6d4c41; font-size: 13px; }
.hc-fixed { margin: 0.2em 0; padding-left: 1.2em; font-size: 13px; }
.hc-slider-note { font-size: 12px; color: #555; }
</style>
"""


class IllnessPoverty:
    """Controls, results and charts of the illness-and-poverty dashboard, on a :class:`Page`."""

    def __init__(self, lang: str = "zh", interactive: bool = False):
        self.page = page = Page("illness_poverty", subtitle="illness_poverty_sub", lang=lang,
                                sources=self._sources())
        self.sliders = {}
        self.notes = {}
        rows = []
        for name, (lo, hi, step) in SLIDERS.items():
            fmt = ".1%" if name == "illness_share" else ".2f"
            w = widgets.FloatSlider(value=float(pv.INPUTS[name].value), min=lo, max=hi, step=step,
                                    readout_format=fmt, continuous_update=False,
                                    layout=widgets.Layout(width="700px"), style={"description_width": "380px"})
            w.add_class(f"hc-{name.replace('_', '-')}")
            page.bind(w, f"in_{name}")
            note = widgets.HTML()
            note.add_class("hc-slider-note")
            self.sliders[name], self.notes[name] = w, note
            rows.append(widgets.HBox([w, note], layout=widgets.Layout(align_items="center")))
        self.level = widgets.Dropdown(layout=widgets.Layout(width="500px"), style={"description_width": "380px"})
        self.level.add_class("hc-level")
        page.bind(self.level, "level")
        page.bind_options(self.level, [({"zh": fmt_pct(q, "zh", 0), "en": fmt_pct(q, "en", 0)}, q) for q in LEVELS])
        self.level.value = 0.95
        self.fixed = widgets.HTML()
        self.fixed.add_class("hc-fixed-inputs")
        self.summary = widgets.HTML()
        self.summary.add_class("hc-summary")
        self.summary.add_class("hc-result")
        self.mc_note = widgets.HTML()
        self.caveats = widgets.HTML()
        self.caveats.add_class("hc-caveats")
        self.result: PovertyResult | None = None
        first = estimate()
        self.tornado = chart_widget(tornado_chart(first, lang), interactive=interactive, lang=lang)
        self.tornado.add_class("hc-tornado-chart")
        self.mc = chart_widget(monte_carlo_chart(first, lang), interactive=interactive, lang=lang)
        self.mc.add_class("hc-mc-chart")
        page.set_body(widgets.HTML(_CSS), *rows, self.fixed, self.level, self.summary, self.tornado,
                      self.mc, self.mc_note, self.caveats)
        page.hide_on_error(self.tornado, self.mc, self.mc_note)
        page.on_change([*self.sliders.values(), self.level], self.update)
        page.on_lang(self.update)
        page.on_error(self._blank)
        page.safe(self.update)()

    @staticmethod
    def _sources() -> list:
        items = ["src_formula"]
        for k, src in pv.INPUTS.items():
            items.append({"zh": f"{text('in_' + k, 'zh')}：{src.cite()}", "en": f"{text('in_' + k, 'en')}: {src.cite()}"})
        for k, alts in pv.RANGES.items():
            for label, src in alts.items():
                items.append({"zh": f"{text('in_' + k, 'zh')}（{label}）：{src.cite()}",
                              "en": f"{text('in_' + k, 'en')} ({label}): {src.cite()}"})
        items.append({"zh": "计算：healthcover.poverty（illness_induced_poor、tornado、monte_carlo_draws）",
                      "en": "Computed with healthcover.poverty (illness_induced_poor, tornado, monte_carlo_draws)"})
        return items

    def update(self) -> None:
        lang = self.page.lang
        r = estimate(self.sliders["illness_share"].value, self.sliders["household_size"].value, self.level.value)
        self.result = r
        for name, note in self.notes.items():
            note.value = html.escape(_slider_note(name, lang))
        self.fixed.value = _fixed_inputs_html(lang)
        self.summary.value = summary_html(r, lang)
        self.mc_note.value = f"<p class='hc-slider-note'>{html.escape(text('mc_note', lang))}</p>"
        self.caveats.value = "".join(f"<p>{html.escape(text(k, lang))}</p>" for k in ("caveat_stock", "caveat_size"))
        self.tornado.update(tornado_chart(r, lang), lang=lang)
        self.mc.update(monte_carlo_chart(r, lang), lang=lang)

    def _blank(self) -> None:
        self.result = None
        self.summary.value = ""


def illness_poverty(lang: str = "zh", interactive: bool = False) -> Page:
    """The illness-and-poverty dashboard; the dashboard object is ``page.dashboard``."""
    d = IllnessPoverty(lang=lang, interactive=interactive)
    d.page.dashboard = d
    return d.page
