"""Fund solvency: the dashboard's numbers against healthcover.actuarial called directly, the
charts' data and units, the widget without a browser, and the dashboard in a real browser."""
from __future__ import annotations

import html

import pandas as pd
import pytest

import healthcover as hc
from healthcover import actuarial as act
from healthcover.widgets import fmt_money, fmt_pct
from healthcover.widgets import solvency as sv

PAGE = "/voila/render/fund-solvency.ipynb"
PATHS = 200  # projection paths in the pure tests (the dashboard draws 1,000)


def test_dazu_county_fund_matches_the_library_and_the_notebook():
    r = sv.solvency("dazu-resident", n_paths=PATHS)
    dazu = hc.load_scheme("dazu-resident", variant="tier2")
    benefit = act.Benefit.from_scheme(dazu, "inpatient", facility="county", category="adult")
    model = act.ClaimModel.single(act.Poisson(8_000), act.Lognormal.from_mean_cv(3_000, 1.5), benefit)
    S = act.aggregate_loss(model)
    # notebooks/fund-solvency.py: 80,000 x (200 - 40 outpatient account) x (1 - 5% - 5% reserves)
    income = 80_000 * 160 * 0.9
    assert r.value("income_for_claims") == pytest.approx(income)
    assert r.value("expected_payments") == pytest.approx(S.mean)
    assert r.value("p_deficit") == pytest.approx(float(S.sf(income)))
    need = act.required_contribution(model, 80_000, 0.05, agg=S)
    assert r.value("per_member_needed") == pytest.approx(need["contribution"])
    assert r.value("standard_needed") == pytest.approx(need["contribution"] / 0.8 / 0.9)
    assert r.value("subsidy_needed") == pytest.approx(need["contribution"] / 0.8 / 0.9 - 120)
    assert r.marks["var"] == pytest.approx(float(S.ppf(0.95)))
    assert list(r.fan["year"]) == list(range(1, sv.YEARS + 1))
    assert (r.fan["q05"] <= r.fan["q50"]).all() and (r.fan["q50"] <= r.fan["q95"]).all()


def test_jilin_sets_nothing_aside_before_claims():
    r = sv.solvency("jilin-resident-2008", n_paths=PATHS)
    assert r.value("income_for_claims") == pytest.approx(1_000_000 * 240)  # its reserve comes from surplus
    assert r.rules.reserve == "jilin"


def test_assumptions_move_the_results():
    base = sv.solvency("dazu-resident", n_paths=PATHS)
    dearer = sv.solvency("dazu-resident", mean_cost=3_300, n_paths=PATHS)
    assert dearer.value("expected_payments") > base.value("expected_payments")
    assert dearer.value("p_deficit") > base.value("p_deficit")
    strict = sv.solvency("dazu-resident", target=0.01, n_paths=PATHS)
    assert strict.value("per_member_needed") > base.value("per_member_needed")
    p = strict.deficit
    assert p["p_deficit"].is_monotonic_decreasing
    with pytest.raises(hc.HealthcoverError, match="no fund set up for scheme 'bazhou-employee'"):
        sv.solvency("bazhou-employee")


def test_charts_carry_units():
    r = sv.solvency("dazu-resident", n_paths=PATHS)
    d = sv.distribution_chart(r, "zh").to_dict()
    assert d["layer"][0]["encoding"]["x"]["title"] == "一年的住院支出（万元）"
    data = pd.DataFrame(next(iter(d["datasets"].values())))
    assert data["x"].max() * 1e4 == pytest.approx(r.distribution["payments"].max())
    e = sv.deficit_chart(r, "en").to_dict()
    assert e["layer"][0]["encoding"]["y"]["title"] == "Probability of a deficit (%)"
    assert "CNY" in e["layer"][0]["encoding"]["x"]["title"]
    p = sv.projection_chart(r, "en").to_dict()
    assert p["layer"][0]["encoding"]["y"]["title"] == "Fund balance: pool and reserves (CNY million)"
    assert p["layer"][0]["encoding"]["x"]["title"] == "Year"


def test_widget_updates_relabels_and_switches_fund():
    page = sv.fund_solvency("zh")
    d = page.dashboard
    assert page.error_html.value == ""
    first = d.result.value("expected_payments")
    assert fmt_money(first, "zh") in d.summary.value
    d.admissions.value = 12.0
    assert d.result.value("expected_payments") > first
    d.fund.value = "jilin-resident-2008"
    assert d.variant.value == "city" and d.members.value == pytest.approx(1_000_000)
    assert "吉林" in html.unescape(page.sources_html.value) or "doc 001" in page.sources_html.value
    page.language.value = "en"
    assert "Probability of a deficit this year" in d.summary.value
    assert "CNY 240 million" in d.summary.value
    assert "fund=jilin-resident-2008" in page.bridge.query


# -- in the browser -----------------------------------------------------------------------


def _wait_text(page, selector: str, expected: str) -> None:
    page.wait_for_function(
        "([sel, txt]) => { const e = document.querySelector(sel); return e && e.innerText.includes(txt); }",
        arg=[selector, expected],
    )


def _svg_changed(page, selector: str, before: str) -> None:
    page.wait_for_function("([sel, before]) => document.querySelector(sel).innerHTML !== before",
                           arg=[f"{selector} svg", before])


@pytest.mark.browser
@pytest.mark.slow
def test_fund_solvency_in_the_browser(web, voila_url):
    page = web.page
    page.goto(voila_url + PAGE)
    page.wait_for_selector(".hc-page")
    page.wait_for_selector(".hc-projection-chart svg .mark-area path")
    assert "医保基金收支与风险" in page.inner_text(".hc-title")
    base = sv.solvency("dazu-resident")
    _wait_text(page, ".hc-summary .hc-m-expected_payments", fmt_money(base.value("expected_payments"), "zh"))
    _wait_text(page, ".hc-summary .hc-m-p_deficit", fmt_pct(base.value("p_deficit"), "zh", 2))
    assert "Traceback" not in page.inner_text("body")
    before = {s: page.inner_html(f"{s} svg") for s in (".hc-distribution-chart", ".hc-deficit-chart",
                                                        ".hc-projection-chart")}
    web.screenshot("initial")

    # Dearer admissions: ten steps of 100 yuan on the mean cost (3,000 -> 4,000).
    handle = page.locator(".hc-mean-cost [role=slider]").first
    handle.focus()
    for _ in range(10):
        handle.press("ArrowRight")
    dearer = sv.solvency("dazu-resident", mean_cost=4_000)
    _wait_text(page, ".hc-summary .hc-m-expected_payments", fmt_money(dearer.value("expected_payments"), "zh"))
    _wait_text(page, ".hc-summary .hc-m-per_member_needed", fmt_money(dearer.value("per_member_needed"), "zh"))
    for sel, svg in before.items():
        _svg_changed(page, sel, svg)
    # The density chart's income rule sits at the income available, in 万元 (vega's aria-label).
    income = f"{base.value('income_for_claims') / 1e4:,.0f}"
    assert income in page.inner_html(".hc-distribution-chart svg")
    web.screenshot("cost-4000")

    # Another fund: the city fund under Jilin.
    page.locator(".hc-fund select").select_option(index=list(sv.FUNDS).index("jilin-resident-2008"))
    jilin = sv.solvency("jilin-resident-2008")
    _wait_text(page, ".hc-summary .hc-m-income_for_claims", fmt_money(jilin.value("income_for_claims"), "zh"))

    page.get_by_role("button", name="English").click()
    _wait_text(page, ".hc-summary", "Probability of a deficit this year")
    _wait_text(page, ".hc-summary .hc-m-income_for_claims", "CNY 240 million")
    page.wait_for_function("() => location.search.includes('lang=en') && location.search.includes('fund=jilin-resident-2008')")
    page.wait_for_function(
        "() => document.querySelector('.hc-projection-chart svg').innerHTML.includes('(CNY million)')")
    web.screenshot("english")
    web.assert_clean()


def test_a_blank_the_fund_needs_runs_on_its_labelled_cited_assumption():
    """Changchun's annual limit is blank in doc 001: the fund runs on the cited assumption of its
    population mapping, listed on the page as an assumption and cited in the source panel, in
    the visitor's language, with no code."""
    from healthcover.widgets import solvency as sv

    page = sv.fund_solvency("en")
    d = page.dashboard
    d.fund.value = "jilin-resident-2008"
    d.variant.value = "changchun"
    assert page.error_html.value == "" and d.result is not None and d.result.scheme.variant == "changchun"
    assert "annual ceiling" in d.assumptions_html.value and "45,000" in d.assumptions_html.value
    sources = html.unescape(page.sources_html.value)
    assert "Changchun" in sources and "Assumption:" in sources and "DIGEST" not in sources and "(L80)" not in sources
    page.language.value = "zh"
    assert "4.5万元" in d.assumptions_html.value and "假设：" in html.unescape(page.sources_html.value)


@pytest.mark.parametrize("scheme_id", ["liaoning-employee-1999", "xiangzhou-resident"])
def test_every_runnable_scheme_has_a_fund(scheme_id):
    """Liaoning contributes on the assumed average wage (employer and employee), with its
    wage-linked deductible and ceiling; Xiangzhou's 400 yuan is split by a cited assumption."""
    r = sv.solvency(scheme_id, n_paths=PATHS)
    assert r.value("expected_payments") > 0 and r.value("income_for_claims") > 0
    assert not r.assumptions.empty and r.assumptions["note_zh"].notna().all()
    if scheme_id == "liaoning-employee-1999":
        assert r.other_payer == "employer" and set(r.levels) == {"individual", "employer"}
        wage = hc.data.population_mapping(scheme_id).wage["average_wage"].value
        assert r.scheme.value("benefits.inpatient.deductible") == pytest.approx(
            hc.employee.wage_linked_overrides(wage, scheme=hc.load_scheme(scheme_id))["benefits.inpatient.deductible"])
    else:
        assert r.value("standard_now") == 400 and r.other_payer == "subsidy"
