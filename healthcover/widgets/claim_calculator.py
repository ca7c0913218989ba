"""Claim calculator: one patient, one or several episodes in a benefit year.

The numbers are the library's (:mod:`healthcover.calculator`: :func:`calculate` ->
:class:`ClaimResult`, :func:`cost_curve`); this module only turns controls into episodes and
draws the results (:func:`breakdown_chart`, :func:`curve_chart`). The dashboard:
:func:`claim_calculator` returns a :class:`~healthcover.widgets.page.Page`.
"""
from __future__ import annotations

import functools
import html
from collections.abc import Mapping
from typing import Any

import ipywidgets as widgets
import numpy as np
import pandas as pd

import healthcover as hc
# The numbers are the library's (healthcover.calculator); its names stay importable from here.
from healthcover.calculator import (  # noqa: F401
    _PARTS, _RULES, BENEFIT_YEAR_START, ClaimResult, Episode, _breakdown, _claim_schemes, _claims, _dims,
    _rules, _scheme, _source, calculate, claim_schemes, cost_curve, default_episode,
)
from healthcover.widgets.i18n import fmt_money, fmt_pct, register, text
from healthcover.widgets.page import ChartPanel, Page, TablePanel
from healthcover.widgets.reader import cite, document_heading, scheme_name, term

__all__ = [
    "ClaimResult",
    "Episode",
    "breakdown_chart",
    "calculate",
    "claim_calculator",
    "claim_schemes",
    "cost_curve",
    "curve_chart",
]

MAX_EPISODES = 6
DEFAULT_SCHEME = "dazu-resident"

register(
    {
        "claim_calculator": {"zh": "医保报销计算器", "en": "Claim calculator"},
        "claim_calculator_sub": {
            "zh": "一位参保人一年内的一次或多次就医：基金支付多少、个人负担多少，依据哪条规定。",
            "en": "One insured person, one or several episodes in a year: what the fund pays, "
            "what the patient pays, and which rule says so.",
        },
        "years_enrolled": {"zh": "连续参保年数", "en": "Years enrolled"},
        "special_exam_cost": {"zh": "其中特检费（元）", "en": "Special exams (CNY)"},
        "episode": {"zh": "就诊", "en": "Episode"},
        "episodes": {"zh": "各次就诊", "en": "Episodes"},
        "add_episode": {"zh": "增加一次就诊", "en": "Add an episode"},
        "remove_episode": {"zh": "删除最后一次", "en": "Remove the last"},
        "breakdown": {"zh": "费用构成", "en": "Breakdown"},
        "rules_applied": {"zh": "适用的规定及出处", "en": "Rules applied and their sources"},
        "rule": {"zh": "规定", "en": "Rule"},
        "applies_to": {"zh": "适用于", "en": "Applies to"},
        "value_used": {"zh": "采用值", "en": "Value used"},
        "eligible_cost": {"zh": "可报销费用", "en": "Eligible cost"},
        "deductible": {"zh": "起付线", "en": "Deductible"},
        "rate": {"zh": "报销比例", "en": "Rate"},
        "bands": {"zh": "分段报销比例", "en": "Rate bands"},
        "annual_limit": {"zh": "年度最高支付限额", "en": "Annual limit"},
        "per_claim_limit": {"zh": "单次最高支付限额", "en": "Per-claim limit"},
        "enrolment_bonus": {"zh": "连续参保奖励", "en": "Continuous-enrolment bonus"},
        "special_exam_selfpay_share": {
            "zh": "特殊检查、输血个人先付比例",
            "en": "Special exams and blood: share paid first by the patient",
        },
        "covered": {"zh": "是否纳入报销", "en": "Covered"},
        "not_covered_care": {"zh": "不予报销", "en": "not covered"},
        "limit_reached": {"zh": "本次已达限额", "en": "limit reached"},
        "per_year": {"zh": "每年一次", "en": "once a year"},
        "per_claim": {"zh": "每次", "en": "per claim"},
        "fund_basis": {"zh": "限基金累计支付", "en": "caps the fund's cumulative payment"},
        "cost_basis": {"zh": "限累计可报销费用", "en": "caps the cumulative eligible cost"},
        "document_range": {"zh": "文件规定范围", "en": "document's range"},
        "at_least": {"zh": "不低于", "en": "at least"},
        "at_most": {"zh": "不高于", "en": "at most"},
        "around": {"zh": "约", "en": "around"},
        "default_used": {"zh": "取默认值", "en": "default used"},
        "part_non_covered": {"zh": "目录外费用（自付）", "en": "Not covered (outside the lists)"},
        "part_special": {"zh": "特殊检查个人先付", "en": "Special exams, self-paid share"},
        "part_deductible": {"zh": "起付线以下", "en": "Below the deductible"},
        "part_copay": {"zh": "起付线以上个人自付", "en": "Co-payment above the deductible"},
        "part_above_limit": {"zh": "超过限额部分", "en": "Above the limit"},
        "part_not_reimbursed": {"zh": "不予报销", "en": "Not reimbursed"},
        "payer": {"zh": "支付方", "en": "Payer"},
        "fund": {"zh": "基金", "en": "Fund"},
        "patient": {"zh": "个人", "en": "Patient"},
        "component": {"zh": "构成", "en": "Component"},
        "curve_title": {
            "zh": "单次就诊：费用越高，各方支付多少",
            "en": "One episode: who pays as the cost grows",
        },
        "cost_axis": {"zh": "医疗费用（元）", "en": "Medical cost (CNY)"},
        "one_year_note": {
            "zh": "各次就诊按所列顺序计入同一报销年度；年度限额按此累计。",
            "en": "Episodes are counted in one benefit year in the order listed; annual "
            "limits accumulate in that order.",
        },
        "assumed_here": {"zh": "文件未规定，此处为注明的假设", "en": "not stated in the document; a stated assumption"},
        "assumptions_title": {"zh": "本制度使用的假设（文件未规定的部分）：", "en": "Assumptions used where the document is silent:"},
        "unavailable_title": {"zh": "未列入的制度及原因", "en": "Schemes not offered here, and why"},
    }
)

_COLOURS = {"fund": "#2e7d32", "patient": "#c62828"}
_PART_COLOURS = ["#2e7d32", "#ef9a9a", "#ce93d8", "#ffcc80", "#e57373", "#b71c1c", "#757575"]


def breakdown_chart(result: ClaimResult, lang: str):
    """Two bars, fund and patient; the patient's split by why they pay
    (:func:`healthcover.plotting.stacked_bars_chart`)."""
    from healthcover.plotting import stacked_bars_chart

    df = result.breakdown.copy()
    df = df[df["amount"] > 0].copy()
    df["payer_label"] = [text(p, lang) for p in df["payer"]]
    df["component_label"] = [text(c, lang) for c in df["component"]]
    keys = ["fund_pays", *_PARTS]
    return stacked_bars_chart(df, y="payer_label", x="amount", part="component_label",
                              order=[text(c, lang) for c in keys], colours=_PART_COLOURS,
                              y_order=[text("fund", lang), text("patient", lang)], x_title=text("amount_cny", lang),
                              part_title=text("component", lang), title=text("breakdown", lang))


def curve_chart(curve: pd.DataFrame, current_cost: float, lang: str, title: str):
    """Who pays what as the cost of one episode grows: fund (below) and patient (above)
    stacked to the cost itself; a dashed rule marks this episode's cost."""
    from healthcover.plotting import stacked_areas_chart

    df = curve.copy()
    df["payer_label"] = [text(p, lang) for p in df["payer"]]
    return stacked_areas_chart(df, x="cost", y="amount", part="payer_label",
                               order=[text("fund", lang), text("patient", lang)],
                               colours=[_COLOURS["fund"], _COLOURS["patient"]], x_title=text("cost_axis", lang),
                               y_title=text("amount_cny", lang), part_title=text("payer", lang),
                               rule_at=current_cost, title=title)


# ---------------------------------------------------------------------------------------
# The dashboard
# ---------------------------------------------------------------------------------------


def _code_label(scheme, dim: str, code: str) -> dict[str, str]:
    table = {"variant": scheme.meta.variants, "category": scheme.meta.categories,
             "facility": scheme.meta.facilities, "care": scheme.meta.care}[dim]
    c = table.get(code) if code is not None else None
    if c is None:
        return {"zh": str(code or "—"), "en": str(code or "—")}
    return {"zh": c.zh, "en": c.en}


class _EpisodeRow:
    def __init__(self, page: Page, index: int):
        self.care = widgets.Dropdown(layout=widgets.Layout(width="260px"))
        self.facility = widgets.Dropdown(layout=widgets.Layout(width="300px"))
        self.cost = widgets.BoundedFloatText(value=10_000.0, min=0.0, max=1e8, step=100.0,
                                             layout=widgets.Layout(width="260px"))
        self.special = widgets.BoundedFloatText(value=0.0, min=0.0, max=1e8, step=100.0,
                                                layout=widgets.Layout(width="300px"))
        for w, cls in ((self.care, "hc-care"), (self.facility, "hc-facility"),
                       (self.cost, "hc-cost"), (self.special, "hc-special")):
            w.add_class(cls)
            w.style = {"description_width": "150px"}
        page.bind(self.care, "care")
        page.bind(self.facility, "facility")
        page.bind(self.cost, "cost")
        page.bind(self.special, "special_exam_cost")
        self.title = widgets.HTML()
        page.bind(self.title, {"zh": f"<b>就诊 {index + 1}</b>", "en": f"<b>Episode {index + 1}</b>"}, "value")
        self.box = widgets.VBox([
            self.title,
            widgets.HBox([self.care, self.facility]),
            widgets.HBox([self.cost, self.special]),
        ])
        self.box.add_class(f"hc-episode-{index + 1}")
        self.box.add_class("hc-episode")

    @property
    def controls(self):
        return [self.care, self.facility, self.cost, self.special]

    def episode(self) -> Episode:
        return Episode(self.care.value, self.facility.value, self.cost.value, self.special.value)


def _curve_max(cost: float) -> float:
    """A round axis end above this cost, so the marker sits inside the curve."""
    target = max(2.0 * float(cost), 20.0)
    step = 10 ** np.floor(np.log10(target))
    return float(np.ceil(target / step) * step)


_CSS = """
<style>
.hc-assumptions { border-left: 4px solid #1565c0; background: #e3f2fd; padding: 4px 10px; margin: 4px 0; font-size: 13px; }
.hc-assumptions ul, .hc-unavailable ul { margin: 0.2em 0; padding-left: 1.2em; }
.hc-unavailable { font-size: 13px; }
.hc-unavailable summary { cursor: pointer; color: #1565c0; }
.hc-episodes td.num, .hc-rules td.num { white-space: nowrap; }
</style>
"""


def _summary_html(r: ClaimResult, lang: str) -> str:
    def box(key, amount, colour, cls):
        return (f'<div class="{cls}" style="display:inline-block;margin-right:2.5em">'
                f'<div>{html.escape(text(key, lang))}</div>'
                f'<div class="hc-big" style="color:{colour}">{html.escape(fmt_money(amount, lang, exact=True))}</div></div>')

    return (box("fund_pays", r.fund_paid, _COLOURS["fund"], "hc-fund")
            + box("you_pay", r.oop, _COLOURS["patient"], "hc-oop")
            + box("total_cost", r.cost, "inherit", "hc-cost-total"))


def _table(headers: list[tuple[str, bool]], rows: list[list[str]]) -> str:
    head = "".join(f'<th class="{"num" if num else ""}">{h}</th>' for h, num in headers)
    body = "".join(
        "<tr>" + "".join(f'<td class="{"num" if num else ""}">{c}</td>' for c, (_, num) in zip(row, headers)) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


_HEAD_TERMS = {"eligible_cost": "eligible_cost", "deductible": "deductible", "rate": "rate", "you_pay": "oop"}


def _head(key: str, lang: str) -> str:
    return term(_HEAD_TERMS[key], lang, text(key, lang)) if key in _HEAD_TERMS else html.escape(text(key, lang))


def _note(e, lang: str) -> str:
    if e.limit_reason == "annual_limit":
        return text("limit_reached", lang)
    if e.limit_reason == "per_claim_limit":
        return text("per_claim_limit", lang)
    if e.limit_reason == "not_covered":
        return text("not_covered_care", lang)
    return ""


def _episodes_html(r: ClaimResult, lang: str) -> str:
    s = r.scheme
    keys = ["episode", "care", "facility", "total_cost", "eligible_cost", "deductible", "rate", "fund_pays", "you_pay"]
    headers = [(_head(k, lang), k not in ("episode", "care", "facility")) for k in keys] + [("", False)]
    rows = []
    for e in r.episodes.itertuples():  # a handful of episodes, not a hot path
        rows.append([
            str(e.episode),
            html.escape(text(_code_label(s, "care", e.care), lang)),
            html.escape(text(_code_label(s, "facility", e.facility), lang)) if e.facility else "",
            fmt_money(e.cost, lang, exact=True),
            fmt_money(e.eligible_cost, lang, exact=True),
            fmt_money(e.deductible, lang, exact=True),
            fmt_pct(e.rate, lang),
            fmt_money(e.fund_paid, lang, exact=True),
            fmt_money(e.oop, lang, exact=True),
            html.escape(_note(e, lang)),
        ])
    parts = "".join(
        f"<tr><td>{html.escape(text(row.component, lang))}</td>"
        f'<td class="num">{fmt_money(row.amount, lang, exact=True)}</td></tr>'
        for row in r.breakdown.itertuples() if row.amount
    )
    return (f"<h3>{html.escape(text('episodes', lang))}</h3>" + _table(headers, rows)
            + f"<h3>{html.escape(text('breakdown', lang))}</h3><table class='hc-breakdown'>{parts}</table>")


def _episodes_frame(r: ClaimResult, lang: str) -> pd.DataFrame:
    """The episodes for download: inputs and what the engine computed, named in ``lang``."""
    s = r.scheme
    t = r.episodes
    out = pd.DataFrame({
        text("episode", lang): t["episode"],
        text("care", lang): [text(_code_label(s, "care", c), lang) for c in t["care"]],
        text("facility", lang): [text(_code_label(s, "facility", f), lang) if f else "" for f in t["facility"]],
        text("total_cost", lang): t["cost"], text("eligible_cost", lang): t["eligible_cost"],
        text("deductible", lang): t["deductible"], text("rate", lang): t["rate"],
        text("fund_pays", lang): t["fund_paid"], text("you_pay", lang): t["oop"],
        "": [_note(e, lang) for e in t.itertuples()],
    })
    return out


def _money(v, lang: str) -> str:
    return fmt_money(float(v), lang, exact=True)


def _rule_value(row, lang: str) -> str:
    v = row.value
    if row.rule in ("deductible", "annual_limit", "per_claim_limit"):
        s = _money(v, lang)
    elif row.rule in ("rate", "special_exam_selfpay_share"):
        s = fmt_pct(v, lang)
    elif row.rule == "bands":
        s = "; ".join(
            f"{'≤ ' + _money(u, lang) if u is not None else '>'}: {fmt_pct(rt, lang)}"
            for u, rt in (v or [])
        ) if isinstance(v, (list, tuple)) else str(v)
    elif row.rule == "covered":
        s = text("not_covered_care", lang) if not v else "✓"
    elif row.rule == "enrolment_bonus":
        s = "+" + fmt_pct(float(v), lang) if not isinstance(v, bool) else ("✓" if v else "—")
    else:
        s = str(v)
    if row.extra in ("per_year", "per_claim", "fund", "cost"):
        s += f" ({text({'fund': 'fund_basis', 'cost': 'cost_basis'}.get(row.extra, row.extra), lang)})"
    share = row.rule in ("rate", "special_exam_selfpay_share")
    bound = (lambda x: fmt_pct(x, lang)) if share else (lambda x: _money(x, lang))
    if row.kind == "range":
        s += f" · {text('document_range', lang)} {bound(row.lo)}–{bound(row.hi)}, {text('default_used', lang)}"
    elif row.kind == "at_least":
        s += f" · {text('at_least', lang)} {bound(row.lo)}"
    elif row.kind == "at_most":
        s += f" · {text('at_most', lang)} {bound(row.hi)}"
    elif row.kind == "approx":
        s = f"{text('around', lang)} {s}"
    elif row.kind == "not_stated":
        s += f" · {text('assumed_here', lang)}"
    if row.reached:
        s += f" · {text('limit_reached', lang)}"
    return s


_RULE_TERMS = {"deductible": "deductible", "rate": "rate", "bands": "rate", "annual_limit": "annual_limit",
               "per_claim_limit": "per_claim_limit", "enrolment_bonus": "enrolment_bonus",
               "special_exam_selfpay_share": "special_exam"}


def _rules_html(r: ClaimResult, lang: str) -> str:
    s = r.scheme
    headers = [(html.escape(text("rule", lang)), False), (html.escape(text("applies_to", lang)), False),
               (html.escape(text("value_used", lang)), False)]
    rows = []
    for row in r.rules.itertuples():
        where = "" if row.care == "*" else " · ".join(
            x for x in (text(_code_label(s, "care", row.care), lang),
                        text(_code_label(s, "facility", row.facility), lang) if row.facility else "") if x)
        name = term(_RULE_TERMS[row.rule], lang, text(row.rule, lang)) if row.rule in _RULE_TERMS else \
            html.escape(text(row.rule, lang))
        rows.append([name, html.escape(where), html.escape(_rule_value(row, lang))])
    return f"<h3>{html.escape(text('rules_applied', lang))}</h3>" + _table(headers, rows)


def _rules_frame(r: ClaimResult, lang: str) -> pd.DataFrame:
    s = r.scheme
    return pd.DataFrame({
        text("rule", lang): [text(x, lang) for x in r.rules["rule"]],
        text("applies_to", lang): ["" if c == "*" else " · ".join(
            x for x in (text(_code_label(s, "care", c), lang), text(_code_label(s, "facility", f), lang) if f else "") if x)
            for c, f in zip(r.rules["care"], r.rules["facility"])],
        text("value_used", lang): [_rule_value(row, lang) for row in r.rules.itertuples()],
        text("source", lang): [cite(src, lang) for src in r.rules["source"]],
    })


class ClaimCalculator:
    """Controls, results and charts of the claim calculator, on a :class:`Page`.

    ``state`` (a shared link's query string) opens a scenario: ``lang``, ``scheme``, ``variant``,
    ``category``, ``years`` and ``e1`` .. ``e6`` (``care,facility,cost,special``)."""

    def __init__(self, lang: str = "zh", scheme_id: str | None = None, interactive: bool = False,
                 state: Mapping[str, str] | None = None):
        self.page = page = Page("claim_calculator", subtitle="claim_calculator_sub", lang=lang)
        schemes = _claim_schemes()
        if not schemes:
            raise hc.HealthcoverError("no scheme file with claim rules loads; see data/schemes/")
        self.schemes = schemes
        self.scheme = widgets.Dropdown(layout=widgets.Layout(width="560px", max_width="100%"))
        self.variant = widgets.Dropdown(layout=widgets.Layout(width="560px", max_width="100%"))
        self.category = widgets.Dropdown(layout=widgets.Layout(width="560px", max_width="100%"))
        self.years = widgets.BoundedIntText(value=1, min=1, max=60, layout=widgets.Layout(width="260px"))
        for w, cls, key, hint in ((self.scheme, "hc-scheme", "scheme", None), (self.variant, "hc-variant", "variant", None),
                                  (self.category, "hc-category", "category", None),
                                  (self.years, "hc-years", "years_enrolled", "enrolment_bonus")):
            w.add_class(cls)
            w.style = {"description_width": "150px"}
            page.bind(w, key, help=hint)
        page.bind_options(self.scheme, [({"zh": scheme_name(s, "zh"), "en": scheme_name(s, "en")}, s) for s in schemes])
        with page.batch():
            if scheme_id is not None:
                self.scheme.value = scheme_id
            elif DEFAULT_SCHEME in schemes:
                self.scheme.value = DEFAULT_SCHEME

        self.rows = [_EpisodeRow(page, i) for i in range(MAX_EPISODES)]
        self.n_episodes = 1
        self.add = widgets.Button(icon="plus", layout=widgets.Layout(width="auto"))
        self.remove = widgets.Button(icon="minus", layout=widgets.Layout(width="auto"))
        self.add.add_class("hc-add-episode")
        self.remove.add_class("hc-remove-episode")
        page.bind(self.add, "add_episode")
        page.bind(self.remove, "remove_episode")
        self.add.on_click(lambda _: page.safe(self._add)())
        self.remove.on_click(lambda _: page.safe(self._remove)())

        self.summary = widgets.HTML()
        self.summary.add_class("hc-summary")
        self.assumptions_html = widgets.HTML()
        self.assumptions_html.add_class("hc-assumptions-box")
        self.unavailable = widgets.HTML()
        self.unavailable.add_class("hc-unavailable-box")
        self.episodes_html = TablePanel(page, "claim-episodes", "hc-episodes")
        self.rules_html = TablePanel(page, "claim-rules", "hc-rules")
        self.breakdown = ChartPanel(page, "claim-breakdown", "hc-breakdown-chart", lang=lang)
        self.curve = ChartPanel(page, "claim-cost-curve", "hc-curve-chart", lang=lang)
        self.result: ClaimResult | None = None

        page.set_body(
            widgets.HTML(_CSS),
            widgets.VBox([self.scheme, self.variant, self.unavailable, self.category, self.years]),
            self.assumptions_html,
            widgets.VBox([r.box for r in self.rows]),
            widgets.HBox([self.add, self.remove]),
            self.summary,
            charts := widgets.HBox([self.breakdown, self.curve], layout=widgets.Layout(flex_flow="row wrap")),
            self.episodes_html,
            self.rules_html,
        )
        page.hide_on_error(charts)
        page.on_change([self.variant, self.category, self.years], self.update)
        for row in self.rows:
            page.on_change(row.controls, self.update)
        page.on_change([self.scheme], self._scheme_changed)
        page.on_lang(self.update)
        page.on_error(self._blank)
        page.safe(self._scheme_changed)()
        if state:
            self.apply_state(state)

    # -- state ----------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        out: dict[str, Any] = {"scheme": self.scheme.value, "variant": self.variant.value,
                               "category": self.category.value}
        if self.years.layout.display is None:
            out["years"] = self.years.value
        for i, row in enumerate(self.rows[: self.n_episodes], 1):
            e = row.episode()
            out[f"e{i}"] = f"{e.care},{e.facility},{e.cost:g},{e.special_exam_cost:g}"
        return out

    def apply_state(self, state: Mapping[str, str]) -> None:
        """Open the scenario of a shared link (see :meth:`state`); invalid values are ignored."""
        with self.page.shared_link(state) as state:
            if state.get("scheme") in self.schemes and state["scheme"] != self.scheme.value:
                self.scheme.value = state["scheme"]
                self._scheme_defaults()
            for w, key in ((self.variant, "variant"), (self.category, "category")):
                if state.get(key) in [v for _, v in w.options]:
                    w.value = state[key]
            try:
                if "years" in state:
                    self.years.value = min(max(int(state["years"]), self.years.min), self.years.max)
            except ValueError:
                pass
            episodes = [state[f"e{i}"] for i in range(1, MAX_EPISODES + 1) if f"e{i}" in state]
            for row, raw in zip(self.rows, episodes):
                parts = raw.split(",")
                if len(parts) != 4:
                    continue
                care, fac, cost, special = parts
                if care in [v for _, v in row.care.options]:
                    row.care.value = care
                if fac in [v for _, v in row.facility.options]:
                    row.facility.value = fac
                for w, v in ((row.cost, cost), (row.special, special)):
                    try:
                        w.value = min(max(float(v), w.min), w.max)
                    except ValueError:
                        pass
            if episodes:
                self.n_episodes = len(episodes)
        self._show_rows()
        self.page.safe(self.update)()

    # -- controls -------------------------------------------------------------------------
    def _scheme_defaults(self) -> None:
        page = self.page
        s = _scheme(self.scheme.value, None)
        page.bind_options(self.variant, [(_code_label(s, "variant", v), v) for v in s.variants] or [("—", None)])
        if s.variant is not None:
            self.variant.value = s.variant
        page.bind_options(self.category, [(_code_label(s, "category", c), c) for c in s.categories])
        cares = [(_code_label(s, "care", c), c) for c in s.care_types]
        facs = [(_code_label(s, "facility", f), f) for f in s.facilities] or [("—", "")]
        first = default_episode(s)
        for row in self.rows:
            page.bind_options(row.care, cares)
            page.bind_options(row.facility, facs)
            row.care.value = first.care
            row.facility.value = first.facility
            row.cost.value = first.cost
            row.special.value = 0.0
        # Hide what a scheme does not have (no variants, no facility levels).
        self.variant.layout.display = None if s.variants else "none"
        for row in self.rows:
            row.facility.layout.display = None if s.facilities else "none"
        has_bonus = any(s.has(f"benefits.{c}.enrolment_bonus") for c in s.care_types)
        self.years.layout.display = None if has_bonus else "none"

    def _scheme_changed(self) -> None:
        with self.page.batch():
            self._scheme_defaults()
        self._show_rows()
        self.update()

    def _sources(self, r: ClaimResult) -> list:
        s = r.scheme
        meta = s.meta
        own = meta.source.doc

        items: list[Any] = [functools.partial(document_heading, s)]
        for row in r.rules.drop_duplicates(["rule", "citation"]).itertuples():
            src = row.source

            def item(lang: str, row=row, src=src) -> str:
                name = text(row.rule, lang)
                return html.escape(f"{name}{'：' if lang == 'zh' else ': '}{cite(src, lang, own_doc=own)}")
            items.append(item)
        for a in _assumptions(s).itertuples():
            items.append(lambda lang, a=a: html.escape(f"{text(a.rule, lang)}{'：' if lang == 'zh' else ': '}"
                                                       f"{cite(a.source, lang)}"))
        items.append("one_year_note")
        return items

    def _add(self) -> None:
        if self.n_episodes < MAX_EPISODES:
            self.n_episodes += 1
            self._show_rows()
            self.update()

    def _remove(self) -> None:
        if self.n_episodes > 1:
            self.n_episodes -= 1
            self._show_rows()
            self.update()

    def _show_rows(self) -> None:
        for i, row in enumerate(self.rows):
            row.box.layout.display = None if i < self.n_episodes else "none"
        self.add.disabled = self.n_episodes >= MAX_EPISODES
        self.remove.disabled = self.n_episodes <= 1

    # -- results --------------------------------------------------------------------------
    def update(self) -> None:
        lang = self.page.lang
        episodes = [row.episode() for row in self.rows[: self.n_episodes]]
        result = calculate(self.scheme.value, self.variant.value, self.category.value,
                           episodes, self.years.value)
        first = episodes[0]
        s = result.scheme
        self.result = result
        # The numbers first; the charts follow.
        self.summary.value = _summary_html(result, lang)
        self.episodes_html.update(_episodes_html(result, lang), _episodes_frame(result, lang))
        self.rules_html.update(_rules_html(result, lang), _rules_frame(result, lang))
        self.assumptions_html.value = _assumptions_html(s, lang)
        offered, blocked = claim_schemes()
        lis = "".join(f"<li><b>{html.escape(scheme_name(b.scheme_id, lang))}</b>{'：' if lang == 'zh' else ': '}"
                      f"{html.escape(getattr(b, 'reason_' + lang))}</li>" for b in blocked.itertuples())
        self.unavailable.value = (f'<details class="hc-unavailable"><summary>{html.escape(text("unavailable_title", lang))}'
                                  f"</summary><ul>{lis}</ul></details>") if lis else ""
        curve = cost_curve(self.scheme.value, self.variant.value, self.category.value,
                           first.care, first.facility, self.years.value,
                           max_cost=_curve_max(first.cost))
        title = (f"{text('curve_title', lang)} · {text(_code_label(s, 'care', first.care), lang)}"
                 + (f" · {text(_code_label(s, 'facility', first.facility), lang)}" if first.facility else ""))
        self.breakdown.update(breakdown_chart(result, lang).to_dict(), lang=lang)
        self.curve.update(curve_chart(curve, first.cost, lang, title).to_dict(), lang=lang)
        self.page.set_sources(self._sources(result))
        self.page.set_query(self.state())

    def _blank(self) -> None:
        self.result = None
        self.summary.value = ""
        self.episodes_html.clear()
        self.rules_html.clear()


def _assumptions(scheme) -> pd.DataFrame:
    """The cited assumptions this scheme runs on here: rule, value, source."""
    from healthcover import data

    rows = []
    try:
        m = data.population_mapping(scheme.id)
    except hc.HealthcoverError:
        return pd.DataFrame(columns=["key", "rule", "value", "source"])
    if not m.runnable:
        return pd.DataFrame(columns=["key", "rule", "value", "source"])
    table = data.population_assumptions(scheme.id, scheme.variant)
    cited = {k: c for g in m.assumptions.values() for k, c in g.items()}
    for r in table.itertuples():
        c = cited.get(r.key)
        src = c.source if c is not None else m.wage["average_wage"].source if "average_wage" in m.wage else None
        rows.append({"key": r.key, "rule": r.key.split(".")[2], "value": r.value, "source": src})
    return pd.DataFrame(rows, columns=["key", "rule", "value", "source"])


def _assumptions_html(scheme, lang: str) -> str:
    a = _assumptions(scheme)
    if a.empty:
        return ""
    lis = []
    for r in a.itertuples():
        value = fmt_pct(r.value, lang) if r.rule in ("rate",) else fmt_money(r.value, lang, exact=True)
        lis.append(f"<li>{html.escape(text(r.rule, lang))}{'：' if lang == 'zh' else ': '}{html.escape(value)}</li>")
    return (f'<div class="hc-assumptions"><b>{html.escape(text("assumptions_title", lang))}</b>'
            f"<ul>{''.join(lis)}</ul></div>")


def claim_calculator(lang: str = "zh", scheme_id: str | None = None, interactive: bool = False,
                     state: Mapping[str, str] | None = None) -> Page:
    """The claim-calculator dashboard; the calculator object is ``page.calculator``. ``state``: a
    shared link's scenario (e.g. ``query_string()``)."""
    calc = ClaimCalculator(lang=lang, scheme_id=scheme_id, state=state)
    calc.page.calculator = calc
    return calc.page
