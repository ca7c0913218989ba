"""Claim calculator: one patient, one or several episodes in a benefit year.

The rules are the library's (``Scheme.adjudicate``); this module only turns controls into a
claims table, splits the engine's output into what the fund and the patient pay, lists the
scheme parameters that applied with their citations, and draws two charts.

Pure functions (testable without widgets): :func:`calculate` -> :class:`ClaimResult`,
:func:`cost_curve`, :func:`breakdown_chart`, :func:`curve_chart`. The dashboard:
:func:`claim_calculator` returns a :class:`~healthcover.widgets.page.Page`.
"""
from __future__ import annotations

import datetime as _dt
import functools
import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import altair as alt
import ipywidgets as widgets
import numpy as np
import pandas as pd

import healthcover as hc
from healthcover.schemes.model import BENEFIT_RULES
from healthcover.widgets.charts import chart_widget
from healthcover.widgets.i18n import fmt_money, fmt_pct, register, text
from healthcover.widgets.page import Page

__all__ = [
    "ClaimResult",
    "Episode",
    "breakdown_chart",
    "calculate",
    "claim_calculator",
    "cost_curve",
    "curve_chart",
]

# Episodes fall in one benefit year, in the order listed (annual limits accumulate).
BENEFIT_YEAR_START = _dt.date(2024, 1, 1)
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
        "computed_with": {"zh": "计算工具", "en": "Computed with"},
    }
)

#: The benefit rules a visitor sees cited, in the engine's order (its table rules, not settings).
_RULES = tuple(r for r, spec in BENEFIT_RULES.items() if not spec.setting and r != "fund_amount")
_PARTS = (
    "part_non_covered",
    "part_special",
    "part_deductible",
    "part_copay",
    "part_above_limit",
    "part_not_reimbursed",
)


@dataclass(frozen=True)
class Episode:
    """One episode of care: care type, facility level, cost and its special-exam part."""

    care: str
    facility: str
    cost: float
    special_exam_cost: float = 0.0


@dataclass
class ClaimResult:
    """What :func:`calculate` returns; every table is a DataFrame tests can read."""

    scheme: Any
    category: str
    years_enrolled: int
    episodes: pd.DataFrame  # one row per episode: inputs and the engine's outputs
    breakdown: pd.DataFrame  # payer, component, amount (sums to the total cost)
    rules: pd.DataFrame  # rule, care, facility, value, kind, lo, hi, citation, reached

    @property
    def fund_paid(self) -> float:
        return float(self.episodes["fund_paid"].sum())

    @property
    def oop(self) -> float:
        return float(self.episodes["oop"].sum())

    @property
    def cost(self) -> float:
        return float(self.episodes["cost"].sum())


@functools.lru_cache(maxsize=32)
def _scheme(scheme_id: str, variant: str | None):
    # Loading validates the whole file; cache it (adjudicate caches its tables on the scheme).
    return hc.load_scheme(scheme_id, variant=variant)


def _claim_schemes() -> dict:
    """Bundled schemes that load and have claim rules: id -> bilingual title.

    A file that fails to load is left out (and logged) so one bad file does not take the
    whole dashboard down; ``hc.load_scheme`` reports its problems to whoever uses it.
    """
    from healthcover.widgets.page import log

    out = {}
    for sid in hc.list_schemes():
        try:
            s = _scheme(sid, None)
        except hc.HealthcoverError as exc:
            log.warning("claim calculator leaves out scheme %s: %s", sid, exc)
            continue
        if s.care_types and s.categories:
            out[sid] = s.meta.title
    return out


def _claims(episodes: Sequence[Episode], category: str, years_enrolled: int) -> pd.DataFrame:
    n = len(episodes)
    return pd.DataFrame(
        {
            "person_id": ["p1"] * n,
            "date": [BENEFIT_YEAR_START + _dt.timedelta(days=i) for i in range(n)],
            "care": [e.care for e in episodes],
            "facility": [e.facility for e in episodes],
            "cost": [float(e.cost) for e in episodes],
            "special_exam_cost": [float(e.special_exam_cost or 0.0) for e in episodes],
            "category": [category] * n,
            "years_enrolled": [int(years_enrolled)] * n,
        }
    )


def calculate(
    scheme_id: str,
    variant: str | None,
    category: str,
    episodes: Sequence[Episode | Mapping[str, Any]],
    years_enrolled: int = 1,
) -> ClaimResult:
    """Adjudicate one person's episodes; split and cite the result.

    ``breakdown`` splits each yuan of cost: the fund's payment, and the patient's parts
    (not covered, special-exam self-pay, below the deductible, co-payment, above the
    limit, not reimbursed at all), from the engine's own columns.
    """
    episodes = [e if isinstance(e, Episode) else Episode(**e) for e in episodes]
    if not episodes:
        raise hc.HealthcoverError("claim calculator: give at least one episode")
    scheme = _scheme(scheme_id, variant)
    claims = _claims(episodes, category, years_enrolled)
    out = scheme.adjudicate(claims, detail=True)
    table = pd.concat([claims.drop(columns=["person_id", "category", "years_enrolled"]), out], axis=1)
    table.insert(0, "episode", np.arange(1, len(table) + 1))
    return ClaimResult(
        scheme=scheme,
        category=category,
        years_enrolled=int(years_enrolled),
        episodes=table,
        breakdown=_breakdown(table),
        rules=_rules(scheme, table, category),
    )


def _breakdown(t: pd.DataFrame) -> pd.DataFrame:
    zeros = pd.Series(0.0, index=t.index)
    non_cov = t.get("non_covered", zeros)
    special = t.get("self_paid_special", zeros)
    before = t.get("fund_before_limit", t["fund_paid"])
    reimbursable = t["eligible_cost"] - t["deductible"]
    # Money is in fen: round each part so the parts add up to the cost exactly.
    parts = {
        "part_non_covered": non_cov.sum(),
        "part_special": special.sum(),
        "part_deductible": t["deductible"].sum(),
        "part_copay": (reimbursable - before).clip(lower=0).sum(),
        "part_above_limit": (before - t["fund_paid"]).clip(lower=0).sum(),
    }
    parts = {k: round(float(v), 2) for k, v in parts.items()}
    parts["part_not_reimbursed"] = round(float(t["oop"].sum()) - sum(parts.values()), 2)
    rows = [{"payer": "fund", "component": "fund_pays", "amount": round(float(t["fund_paid"].sum()), 2)}]
    rows += [{"payer": "patient", "component": k, "amount": parts[k]} for k in _PARTS]
    return pd.DataFrame(rows)


def _rules(scheme, t: pd.DataFrame, category: str) -> pd.DataFrame:
    """The parameters behind each (care, facility) used, with the value and its citation."""
    rows = []
    reached = t.groupby(["care", "facility"], sort=False)["limit_reason"].agg(lambda s: set(s.astype(str)))
    for (care, facility), reasons in reached.items():
        covered = "not_covered" not in reasons
        for rule in _RULES:
            path = f"benefits.{care}.{rule}"
            if not scheme.has(path):
                continue
            if rule == "rate" and scheme.has(f"benefits.{care}.bands"):
                continue
            leaf = scheme.leaf(path, category=category, facility=facility)
            if leaf is None:
                continue
            if rule == "covered" and covered:
                continue  # cite coverage only where it excluded the care
            if rule == "enrolment_bonus" and not leaf.value:
                continue
            extra = ""
            if rule == "deductible" and scheme.has(f"benefits.{care}.deductible_frequency"):
                extra = str(scheme.leaf(f"benefits.{care}.deductible_frequency", category=category, facility=facility).value)
            if rule == "annual_limit" and scheme.has(f"benefits.{care}.annual_limit_basis"):
                extra = str(scheme.leaf(f"benefits.{care}.annual_limit_basis", category=category, facility=facility).value)
            value = leaf.value
            if rule == "enrolment_bonus" and "bonus" in t.columns:
                # the bonus the engine added for these episodes, not just the flag
                here = (t["care"] == care) & (t["facility"] == facility)
                value = float(t.loc[here, "bonus"].max())
            rows.append(
                {
                    "rule": rule,
                    "care": care,
                    "facility": facility,
                    "value": value,
                    "kind": leaf.kind,
                    "lo": leaf.lo,
                    "hi": leaf.hi,
                    "extra": extra,
                    "citation": scheme.citation(path, category=category, facility=facility),
                    "reached": rule == "annual_limit" and "annual_limit" in reasons
                    or rule == "per_claim_limit" and "per_claim_limit" in reasons,
                }
            )
    if (t["special_exam_cost"] > 0).any() and scheme.has("parameters.special_exam_selfpay_share"):
        leaf = scheme.leaf("parameters.special_exam_selfpay_share")
        rows.append(
            {
                "rule": "special_exam_selfpay_share",
                "care": "*",
                "facility": "*",
                "value": leaf.value,
                "kind": leaf.kind,
                "lo": leaf.lo,
                "hi": leaf.hi,
                "extra": "",
                "citation": scheme.citation("parameters.special_exam_selfpay_share"),
                "reached": False,
            }
        )
    return pd.DataFrame(
        rows, columns=["rule", "care", "facility", "value", "kind", "lo", "hi", "extra", "citation", "reached"]
    )


def cost_curve(
    scheme_id: str,
    variant: str | None,
    category: str,
    care: str,
    facility: str,
    years_enrolled: int = 1,
    max_cost: float = 100_000.0,
    points: int = 81,
) -> pd.DataFrame:
    """Fund and patient payment for a single episode of each cost in ``[0, max_cost]``.

    One vectorised call: each point is a different person, so no limit carries over.
    Long form: ``cost``, ``payer`` (fund / patient), ``amount``.
    """
    scheme = _scheme(scheme_id, variant)
    costs = np.linspace(0.0, float(max_cost), points).round(2)
    claims = pd.DataFrame(
        {
            "person_id": np.arange(points),
            "date": BENEFIT_YEAR_START,
            "care": care,
            "facility": facility,
            "cost": costs,
            "category": category,
            "years_enrolled": int(years_enrolled),
        }
    )
    out = scheme.adjudicate(claims)
    return pd.concat(
        [
            pd.DataFrame({"cost": costs, "payer": "fund", "amount": out["fund_paid"].to_numpy()}),
            pd.DataFrame({"cost": costs, "payer": "patient", "amount": out["oop"].to_numpy()}),
        ],
        ignore_index=True,
    )


_COLOURS = {"fund": "#2e7d32", "patient": "#c62828"}
_PART_COLOURS = ["#2e7d32", "#ef9a9a", "#ce93d8", "#ffcc80", "#e57373", "#b71c1c", "#757575"]


def breakdown_chart(result: ClaimResult, lang: str) -> alt.Chart:
    """Two bars, fund and patient; the patient's split by why they pay."""
    df = result.breakdown.copy()
    df = df[df["amount"] > 0].copy()
    df["payer_label"] = [text(p, lang) for p in df["payer"]]
    df["component_label"] = [text(c, lang) for c in df["component"]]
    keys = ["fund_pays", *_PARTS]
    order = [text(c, lang) for c in keys]
    df["component_order"] = [keys.index(c) for c in df["component"]]
    amount = text("amount_cny", lang)
    return (
        alt.Chart(df)
        .mark_bar()
        .encode(
            y=alt.Y("payer_label:N", title=None, sort=[text("fund", lang), text("patient", lang)]),
            x=alt.X("amount:Q", title=amount, stack="zero"),
            color=alt.Color(
                "component_label:N",
                title=text("component", lang),
                scale=alt.Scale(domain=order, range=_PART_COLOURS),
            ),
            order=alt.Order("component_order:Q"),
            tooltip=[alt.Tooltip("component_label:N", title=text("component", lang)),
                     alt.Tooltip("amount:Q", title=amount, format=",.2f")],
        )
        .properties(width=360, height=90, title=text("breakdown", lang))
    )


def curve_chart(curve: pd.DataFrame, current_cost: float, lang: str, title: str) -> alt.Chart:
    """Who pays what as the cost of one episode grows: fund (below) and patient (above)
    stacked to the cost itself; a dashed rule marks this episode's cost."""
    df = curve.copy()
    df["payer_label"] = [text(p, lang) for p in df["payer"]]
    df["payer_order"] = (df["payer"] == "patient").astype(int)
    labels = [text("fund", lang), text("patient", lang)]
    areas = (
        alt.Chart(df)
        .mark_area(opacity=0.85)
        .encode(
            x=alt.X("cost:Q", title=text("cost_axis", lang)),
            y=alt.Y("amount:Q", title=text("amount_cny", lang), stack="zero"),
            color=alt.Color(
                "payer_label:N",
                title=text("payer", lang),
                scale=alt.Scale(domain=labels, range=[_COLOURS["fund"], _COLOURS["patient"]]),
            ),
            order=alt.Order("payer_order:Q"),
        )
    )
    here = (
        alt.Chart(pd.DataFrame({"cost": [float(current_cost)]}))
        .mark_rule(strokeDash=[4, 3], color="#000")
        .encode(x="cost:Q")
    )
    return (areas + here).properties(width=400, height=200, title=title)


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


class ClaimCalculator:
    """Controls, results and charts of the claim calculator, on a :class:`Page`."""

    def __init__(self, lang: str = "zh", scheme_id: str | None = None, interactive: bool = False):
        self.page = page = Page("claim_calculator", subtitle="claim_calculator_sub", lang=lang)
        schemes = _claim_schemes()
        if not schemes:
            raise hc.HealthcoverError("no scheme file with claim rules loads; see data/schemes/")
        self.scheme = widgets.Dropdown(layout=widgets.Layout(width="560px"))
        self.variant = widgets.Dropdown(layout=widgets.Layout(width="560px"))
        self.category = widgets.Dropdown(layout=widgets.Layout(width="560px"))
        self.years = widgets.BoundedIntText(value=1, min=1, max=60, layout=widgets.Layout(width="260px"))
        for w, cls, key in ((self.scheme, "hc-scheme", "scheme"), (self.variant, "hc-variant", "variant"),
                            (self.category, "hc-category", "category"), (self.years, "hc-years", "years_enrolled")):
            w.add_class(cls)
            w.style = {"description_width": "150px"}
            page.bind(w, key)
        page.bind_options(self.scheme, [({"zh": t.zh, "en": t.en}, s) for s, t in schemes.items()])
        if scheme_id is not None:
            self.scheme.value = scheme_id
        elif DEFAULT_SCHEME in schemes:
            self.scheme.value = DEFAULT_SCHEME

        self.rows = [_EpisodeRow(page, i) for i in range(MAX_EPISODES)]
        self.n_episodes = 1
        self.add = widgets.Button(icon="plus")
        self.remove = widgets.Button(icon="minus")
        self.add.add_class("hc-add-episode")
        self.remove.add_class("hc-remove-episode")
        page.bind(self.add, "add_episode")
        page.bind(self.remove, "remove_episode")
        self.add.on_click(lambda _: page.safe(self._add)())
        self.remove.on_click(lambda _: page.safe(self._remove)())

        self.summary = widgets.HTML()
        self.summary.add_class("hc-summary")
        self.episodes_html = widgets.HTML()
        self.episodes_html.add_class("hc-episodes")
        self.episodes_html.add_class("hc-result")
        self.rules_html = widgets.HTML()
        self.rules_html.add_class("hc-rules")
        self.rules_html.add_class("hc-result")
        self.breakdown = chart_widget(_empty_chart(), interactive=interactive, lang=lang)
        self.breakdown.add_class("hc-breakdown-chart")
        self.curve = chart_widget(_empty_chart(), interactive=interactive, lang=lang)
        self.curve.add_class("hc-curve-chart")
        self.result: ClaimResult | None = None

        page.set_body(
            widgets.VBox([self.scheme, self.variant, self.category, self.years]),
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

    # -- controls -------------------------------------------------------------------------
    def _scheme_changed(self) -> None:
        page = self.page
        s = _scheme(self.scheme.value, None)
        with page.batch():
            page.bind_options(self.variant, [(_code_label(s, "variant", v), v) for v in s.variants] or [("—", None)])
            if s.variant is not None:
                self.variant.value = s.variant
            page.bind_options(self.category, [(_code_label(s, "category", c), c) for c in s.categories])
            cares = [(_code_label(s, "care", c), c) for c in s.care_types]
            facs = [(_code_label(s, "facility", f), f) for f in s.facilities]
            for row in self.rows:
                page.bind_options(row.care, cares)
                page.bind_options(row.facility, facs)
                if "inpatient" in s.care_types:
                    row.care.value = "inpatient"
                if "county" in s.facilities:
                    row.facility.value = "county"
            # Hide what a scheme does not have (no variants, no facility levels).
            self.variant.layout.display = None if s.variants else "none"
            for row in self.rows:
                row.facility.layout.display = None if s.facilities else "none"
            has_bonus = any(s.has(f"benefits.{c}.enrolment_bonus") for c in s.care_types)
            self.years.layout.display = None if has_bonus else "none"
            page.set_sources(self._sources(s))
        self._show_rows()
        self.update()

    def _sources(self, s) -> list:
        m = s.meta
        doc = " ".join(x for x in (m.document_number or "",) if x)
        items = [
            {"zh": f"{m.title.zh} {doc}".strip(), "en": f"{m.title.en} {doc}".strip()},
        ]
        if m.issuer is not None:
            items.append({"zh": m.issuer.zh, "en": m.issuer.en})
        items.append(m.source.cite())
        items.append("one_year_note")
        items.append({"zh": f"计算工具：healthcover {hc.__version__}（{s.file.name}）",
                      "en": f"Computed with healthcover {hc.__version__} ({s.file.name})"})
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
        curve = cost_curve(self.scheme.value, self.variant.value, self.category.value,
                           first.care, first.facility, self.years.value,
                           max_cost=_curve_max(first.cost))
        s = result.scheme
        title = (f"{text('curve_title', lang)} · {text(_code_label(s, 'care', first.care), lang)} · "
                 f"{text(_code_label(s, 'facility', first.facility), lang)}")
        self.result = result
        self.summary.value = _summary_html(result, lang)
        self.episodes_html.value = _episodes_html(result, lang)
        self.rules_html.value = _rules_html(result, lang)
        self.breakdown.update(breakdown_chart(result, lang), lang=lang)
        self.curve.update(curve_chart(curve, first.cost, lang, title), lang=lang)

    def _blank(self) -> None:
        self.result = None
        self.summary.value = ""
        self.episodes_html.value = ""
        self.rules_html.value = ""


def _curve_max(cost: float) -> float:
    """A round axis end above this cost, so the marker sits inside the curve."""
    target = max(2.0 * float(cost), 10_000.0)
    step = 10 ** np.floor(np.log10(target))
    return float(np.ceil(target / step) * step)


def _empty_chart() -> alt.Chart:
    return alt.Chart(pd.DataFrame({"x": [0.0]})).mark_point(opacity=0).encode(x="x:Q")


def _summary_html(r: ClaimResult, lang: str) -> str:
    def box(key, amount, colour, cls):
        return (f'<div class="{cls}" style="display:inline-block;margin-right:2.5em">'
                f'<div>{html.escape(text(key, lang))}</div>'
                f'<div class="hc-big" style="color:{colour}">{html.escape(fmt_money(amount, lang, exact=True))}</div></div>')

    return (box("fund_pays", r.fund_paid, _COLOURS["fund"], "hc-fund")
            + box("you_pay", r.oop, _COLOURS["patient"], "hc-oop")
            + box("total_cost", r.cost, "inherit", "hc-cost-total"))


def _table(headers: list[tuple[str, bool]], rows: list[list[str]]) -> str:
    head = "".join(f'<th class="{"num" if num else ""}">{html.escape(h)}</th>' for h, num in headers)
    body = "".join(
        "<tr>" + "".join(f'<td class="{"num" if num else ""}">{c}</td>' for c, (_, num) in zip(row, headers)) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _episodes_html(r: ClaimResult, lang: str) -> str:
    s = r.scheme
    headers = [(text("episode", lang), False), (text("care", lang), False), (text("facility", lang), False),
               (text("total_cost", lang), True), (text("eligible_cost", lang), True),
               (text("deductible", lang), True), (text("rate", lang), True),
               (text("fund_pays", lang), True), (text("you_pay", lang), True), ("", False)]
    rows = []
    for e in r.episodes.itertuples():  # a handful of episodes, not a hot path
        note = ""
        if e.limit_reason == "annual_limit":
            note = text("limit_reached", lang)
        elif e.limit_reason == "per_claim_limit":
            note = text("per_claim_limit", lang)
        elif e.limit_reason == "not_covered":
            note = text("not_covered_care", lang)
        rows.append([
            str(e.episode),
            html.escape(text(_code_label(s, "care", e.care), lang)),
            html.escape(text(_code_label(s, "facility", e.facility), lang)),
            fmt_money(e.cost, lang, exact=True),
            fmt_money(e.eligible_cost, lang, exact=True),
            fmt_money(e.deductible, lang, exact=True),
            fmt_pct(e.rate, lang),
            fmt_money(e.fund_paid, lang, exact=True),
            fmt_money(e.oop, lang, exact=True),
            html.escape(note),
        ])
    parts = "".join(
        f"<tr><td>{html.escape(text(row.component, lang))}</td>"
        f'<td class="num">{fmt_money(row.amount, lang, exact=True)}</td></tr>'
        for row in r.breakdown.itertuples() if row.amount
    )
    return (f"<h3>{html.escape(text('episodes', lang))}</h3>" + _table(headers, rows)
            + f"<h3>{html.escape(text('breakdown', lang))}</h3><table class='hc-breakdown'>{parts}</table>")


def _rule_value(row, lang: str) -> str:
    v = row.value
    if row.rule in ("deductible", "annual_limit", "per_claim_limit"):
        s = fmt_money(v, lang, exact=True)
    elif row.rule in ("rate", "special_exam_selfpay_share"):
        s = fmt_pct(v, lang)
    elif row.rule == "bands":
        s = "; ".join(
            f"{'≤ ' + fmt_money(u, lang, exact=True) if u is not None else '>'}: {fmt_pct(rt, lang)}"
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
    if row.kind == "range":
        s += f" · {text('document_range', lang)} {row.lo:g}–{row.hi:g}, {text('default_used', lang)}"
    elif row.kind == "at_least":
        s += f" · {text('at_least', lang)} {row.lo:g}"
    elif row.kind == "at_most":
        s += f" · {text('at_most', lang)} {row.hi:g}"
    elif row.kind == "approx":
        s = f"{text('around', lang)} {s}"
    if row.reached:
        s += f" · {text('limit_reached', lang)}"
    return s


def _rules_html(r: ClaimResult, lang: str) -> str:
    s = r.scheme
    headers = [(text("rule", lang), False), (text("applies_to", lang), False),
               (text("value_used", lang), False), (text("source", lang), False)]
    rows = []
    for row in r.rules.itertuples():
        where = "" if row.care == "*" else (
            f"{text(_code_label(s, 'care', row.care), lang)} · {text(_code_label(s, 'facility', row.facility), lang)}")
        rows.append([html.escape(text(row.rule, lang)), html.escape(where),
                     html.escape(_rule_value(row, lang)), html.escape(row.citation)])
    return f"<h3>{html.escape(text('rules_applied', lang))}</h3>" + _table(headers, rows)


def claim_calculator(lang: str = "zh", scheme_id: str | None = None, interactive: bool = False) -> Page:
    """The claim-calculator dashboard; the calculator object is ``page.calculator``."""
    calc = ClaimCalculator(lang=lang, scheme_id=scheme_id, interactive=interactive)
    calc.page.calculator = calc
    return calc.page
