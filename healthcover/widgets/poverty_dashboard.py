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
from collections.abc import Mapping
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np
import pandas as pd

from healthcover import poverty as pv
from healthcover.widgets.i18n import fmt_count, fmt_number, fmt_pct, register, text
from healthcover.widgets.page import ChartPanel, Page, TablePanel, link_number
from healthcover.widgets.reader import cite, term

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
        "tornado_axis_en": {"zh": "人数", "en": "Persons (million)"},
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
            "zh": "注意：乘积用的是某一时点的贫困户存量，文中却说“每年”；它是生活在因病致贫农户中的人数，而非每年新增的致贫人数。",
            "en": "Caveat: the product multiplies a stock (poor households at one time) yet the "
                  "text says 'each year' (每年): it counts people living in illness-impoverished "
                  "households, not people newly impoverished each year.",
        },
        "caveat_size": {
            "zh": "注意：作者取户均4人，而文中引用的两个来源分别为4.11人和4.20人，均给出更大的估算。",
            "en": "Caveat: the author uses 4 persons per household although the two cited "
                  "sources give 4.11 and 4.20; both give larger estimates.",
        },
        "src_formula": {
            "zh": "《农村医疗保障的昨天、今天和明天》（文件003第1篇）：「(24149×3.86%×35%×4=1305.01196)」",
            "en": "Essay on rural medical security (document 003, first text): 「(24149×3.86%×35%×4=1305.01196)」",
        },
        "src_method_poverty": {
            "zh": "计算方法：估算为四个数相乘；单因素敏感性每次只把一个假设移到文中范围的两端；蒙特卡洛区间为10万次随机抽样的中间部分。",
            "en": "Method: the estimate multiplies four numbers; the sensitivity moves one assumption at a time to "
                  "the ends of the text's range; the Monte Carlo interval is the middle of 100,000 random draws.",
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
    """Divisor, axis title and format for persons: 万 in Chinese, millions in English."""
    if lang == "zh":
        return WAN, text("tornado_axis_zh", "zh"), ",.0f"
    return 1e6, text("tornado_axis_en", "en"), ",.1f"


def tornado_chart(result: PovertyResult, lang: str):
    """Each assumption at the low and high end of the text's range (bars), the current estimate
    (solid rule) and the document's (dashed) (:func:`healthcover.plotting.range_bars_chart`)."""
    from healthcover.plotting import range_bars_chart

    div, title, fmt = _scale(lang)
    t = result.tornado
    df = pd.DataFrame({
        "name": [text(f"in_{p}", lang) for p in t["parameter"]],
        "low": t["estimate_low"] * WAN / div,
        "high": t["estimate_high"] * WAN / div,
        "range": [f"{_input_value(p, a, lang)} – {_input_value(p, b, lang)}"
                  for p, a, b in zip(t["parameter"], t["low"], t["high"])],
    })
    marks = pd.DataFrame({
        "x": [result.estimate / div, result.document / div],
        "mark": [text("mark_current", lang), text("mark_document", lang)],
        "dash": ["solid", "dashed"],
    })
    return range_bars_chart(df, marks, x_title=title, marker_title=text("mark", lang), colours=["#c62828", "#424242"],
                            x_format=fmt, title=text("tornado_title", lang),
                            tooltip_titles=(text("parameter", lang), text("range_in_text", lang),
                                            text("low_end", lang), text("high_end", lang)))


def monte_carlo_chart(result: PovertyResult, lang: str):
    """Histogram of the Monte Carlo estimates (share of draws per bin), with the interval's ends
    and the current estimate marked (:func:`healthcover.plotting.histogram_marks_chart`)."""
    from healthcover.plotting import histogram_marks_chart

    div, title, fmt = _scale(lang)
    h = result.histogram
    df = pd.DataFrame({"lower": h["lower"] / div, "upper": h["upper"] / div, "share": 100.0 * h["share"]})
    iv = result.interval
    interval = f"{text('mc_interval', lang)} ({fmt_pct(iv['level'], lang, 0)})"
    marks = pd.DataFrame({
        "x": [iv["lower"] / div, iv["upper"] / div, result.estimate / div],
        "mark": [interval, interval, text("mark_current", lang)],
    })
    return histogram_marks_chart(df, marks, x_title=title, y_title=text("draws_axis", lang),
                                 marker_title=text("mark", lang), colours=["#1565c0", "#c62828"], x_format=fmt,
                                 title=text("mc_title", lang))


# --------------------------------------------------------------------------- tables


def _input_value(name: str, value: float, lang: str) -> str:
    if name in ("poverty_rate", "illness_share"):
        return fmt_pct(value, lang, digits=2)
    if name == "households":
        return fmt_count(value * WAN, lang, "households_unit")
    return fmt_number(value, lang, digits=2)


def _persons(x: float, lang: str) -> str:
    return fmt_count(x, lang, "persons_unit")


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
        f'<div class="hc-interval"><div>{term("monte_carlo", lang, text("mc_interval", lang))} ({level})</div>'
        f'<div class="hc-big">{html.escape(_persons(iv["lower"], lang))} – {html.escape(_persons(iv["upper"], lang))}</div>'
        f'<div>{html.escape(text("mc_median", lang))}: {html.escape(_persons(iv["median"], lang))}</div></div>'
    )
    rows = []
    for r in result.steps.itertuples():
        unit = "households_unit" if "households" in r.unit else "persons_unit"
        shown = fmt_count(r.value * WAN, lang, unit)
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
                     f" ({html.escape(text('fixed_no_range', lang))})</li>")
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
.hc-slider-note { font-size: 12px; color: #555; height: auto !important; }
.hc-caveats, .hc-fixed-inputs { height: auto !important; }
</style>
"""


class IllnessPoverty:
    """Controls, results and charts of the illness-and-poverty dashboard, on a :class:`Page`.

    ``state`` (a shared link's query string): ``lang``, ``illness_share``, ``household_size``,
    ``level``."""

    def __init__(self, lang: str = "zh", interactive: bool = False, state: Mapping[str, str] | None = None):
        self.page = page = Page("illness_poverty", subtitle="illness_poverty_sub", lang=lang,
                                sources=self._sources())
        self.sliders = {}
        self.notes = {}
        rows = []
        for name, (lo, hi, step) in SLIDERS.items():
            fmt = ".1%" if name == "illness_share" else ".2f"
            w = widgets.FloatSlider(value=float(pv.INPUTS[name].value), min=lo, max=hi, step=step,
                                    readout_format=fmt, continuous_update=False,
                                    layout=widgets.Layout(width="640px", max_width="100%"),
                                    style={"description_width": "340px"})
            w.add_class(f"hc-{name.replace('_', '-')}")
            page.bind(w, f"in_{name}", help="impoverished" if name == "illness_share" else None)
            note = widgets.HTML(layout=widgets.Layout(max_width="100%"))
            note.add_class("hc-slider-note")
            self.sliders[name], self.notes[name] = w, note
            rows.append(widgets.HBox([w, note], layout=widgets.Layout(align_items="center", flex_flow="row wrap")))
        self.level = widgets.Dropdown(layout=widgets.Layout(width="480px", max_width="100%"),
                                      style={"description_width": "340px"})
        self.level.add_class("hc-level")
        page.bind(self.level, "level", help="interval")
        page.bind_options(self.level, [({"zh": fmt_pct(q, "zh", 0), "en": fmt_pct(q, "en", 0)}, q) for q in LEVELS])
        with page.batch():
            self.level.value = 0.95
        self.fixed = widgets.HTML()
        self.fixed.add_class("hc-fixed-inputs")
        self.summary = TablePanel(page, "illness-poverty-steps", "hc-summary")
        self.mc_note = widgets.HTML()
        self.caveats = widgets.HTML()
        self.caveats.add_class("hc-caveats")
        self.captions = widgets.HTML()
        self.result: PovertyResult | None = None
        self.tornado = ChartPanel(page, "illness-poverty-sensitivity", "hc-tornado-chart", lang=lang)
        self.mc = ChartPanel(page, "illness-poverty-monte-carlo", "hc-mc-chart", lang=lang)
        page.set_body(widgets.HTML(_CSS), *rows, self.fixed, self.level, self.summary, self.captions, self.tornado,
                      self.mc, self.mc_note, self.caveats)
        page.hide_on_error(self.tornado, self.mc, self.mc_note)
        page.on_change([*self.sliders.values(), self.level], self.update)
        page.on_lang(self.update)
        page.on_error(self._blank)
        page.safe(self.update)()
        if state:
            self.apply_state(state)

    def state(self) -> dict:
        return {"illness_share": self.sliders["illness_share"].value,
                "household_size": self.sliders["household_size"].value, "level": self.level.value}

    def apply_state(self, state: Mapping[str, str]) -> None:
        """Open the scenario of a shared link (see :meth:`state`); invalid values are ignored."""
        with self.page.shared_link(state) as state:
            for name, w in self.sliders.items():
                if name in state:
                    w.value = link_number(state[name], w.value, w.min, w.max)
            try:
                if float(state.get("level", "nan")) in LEVELS:
                    self.level.value = float(state["level"])
            except ValueError:
                pass
        self.page.safe(self.update)()

    @staticmethod
    def _sources() -> list:
        items: list = ["src_formula"]
        for k, src in pv.INPUTS.items():
            items.append(lambda lang, k=k, src=src: html.escape(
                f"{text('in_' + k, lang)}{'：' if lang == 'zh' else ': '}{cite(src, lang)}"))
        for k, alts in pv.RANGES.items():
            for label, src in alts.items():
                items.append(lambda lang, k=k, src=src: html.escape(
                    f"{text('in_' + k, lang)}{'（文中引用）：' if lang == 'zh' else ' (cited in the text): '}"
                    f"{cite(src, lang)}"))
        items.append("src_method_poverty")
        return items

    def update(self) -> None:
        lang = self.page.lang
        r = estimate(self.sliders["illness_share"].value, self.sliders["household_size"].value, self.level.value)
        self.result = r
        for name, note in self.notes.items():
            note.value = html.escape(_slider_note(name, lang))
        self.fixed.value = _fixed_inputs_html(lang)
        # The numbers first; the charts follow.
        self.summary.update(summary_html(r, lang), _steps_frame(r, lang))
        self.mc_note.value = f"<p class='hc-slider-note'>{html.escape(text('mc_note', lang))}</p>"
        self.caveats.value = "".join(f"<p>{html.escape(text(k, lang))}</p>" for k in ("caveat_stock", "caveat_size"))
        sep = "：" if lang == "zh" else ": "
        self.captions.value = (f"<p class='hc-slider-note'>{term('tornado', lang)}{sep}"
                               f"{html.escape(text('tornado_title', lang))}</p>")
        self.tornado.update(tornado_chart(r, lang).to_dict(), lang=lang)
        self.mc.update(monte_carlo_chart(r, lang).to_dict(), lang=lang)
        self.page.set_query(self.state())

    def _blank(self) -> None:
        self.result = None
        self.summary.clear()


def _steps_frame(r: PovertyResult, lang: str) -> pd.DataFrame:
    """The estimate's steps for download: step, formula, result (persons or households)."""
    return pd.DataFrame({text("step", lang): [text("step_" + s, lang) for s in r.steps["step"]],
                         text("formula", lang): r.steps["formula"],
                         text("result", lang): r.steps["value"] * WAN})


def illness_poverty(lang: str = "zh", interactive: bool = False, state: Mapping[str, str] | None = None) -> Page:
    """The illness-and-poverty dashboard; the dashboard object is ``page.dashboard``. ``state``:
    a shared link's scenario (e.g. ``query_string()``)."""
    d = IllnessPoverty(lang=lang, state=state)
    d.page.dashboard = d
    return d.page
