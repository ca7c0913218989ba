"""The reform explorer: the cached model against the library computed from scratch, the
controls against the scheme files, the charts' data, the widget without a browser, and the
dashboard in a real browser (a small population: the server's kernels read
``HEALTHCOVER_DASHBOARD_HOUSEHOLDS``, which tests/conftest.py sets for the test server).

Expected numbers come from the library itself, so these tests check that the caching and the
page show what the engine and the protection measures compute.
"""
from __future__ import annotations

import html
import time

import numpy as np
import pandas as pd
import pytest

import healthcover as hc
from healthcover import protection
from healthcover.widgets import fmt_money
from healthcover.widgets import reform_explorer as rx

N = 1_500  # households in these tests; the dashboard serves 100,000
SEED = rx.DEFAULT_SEED
# The cited assumption of data/populations/dazu-resident.yaml for Dazu's blank outpatient rate (G-12).
DAZU_OUTPATIENT = dict(hc.data.population_assumptions("dazu-resident", "tier2")[["key", "value"]].to_numpy())


@pytest.fixture(scope="module")
def dazu():
    return rx.ReformModel("dazu-resident", "tier2", n_households=N, seed=SEED)


@pytest.fixture(scope="module")
def jilin():
    return rx.ReformModel("jilin-resident-2008", "city", n_households=N, seed=SEED)


def _from_scratch(scheme_id, variant, overrides, allow=False):
    """household_oop on the whole population: no caching, no pools."""
    pop = hc.data.synthetic_population(N, seed=SEED)
    s = hc.load_scheme(scheme_id, variant=variant, overrides=overrides, allow_out_of_range=allow)
    return hc.data.household_oop(pop, s)


# -- controls -------------------------------------------------------------------------------


def test_controls_follow_the_documents_ranges(jilin, dazu):
    c = jilin.controls.set_index("key")
    # Jilin leaves deductibles and rates to each area within ranges (001 (五)); sliders keep to them.
    county = c.loc["benefits.inpatient.deductible.adult.county"]
    assert (county["kind"], county["doc_min"], county["doc_max"]) == ("range", 300.0, 900.0)
    assert county["wide_min"] <= 300 and county["wide_max"] > 900
    rate = c.loc["benefits.inpatient.rate.student.city"]
    assert (rate["doc_min"], rate["doc_max"], rate["value"]) == (0.5, 0.9, 0.75)
    assert rate["citation"].startswith("doc 001")
    # Only care the population uses: Jilin's 2008 pilot pools no general outpatient care.
    assert set(c["care"]) == {"inpatient"}
    d = dazu.controls.set_index("key")
    # An exact value is its own range (any other value is a reform outside the document), with a
    # reform range around it; a blank gets the stated assumption.
    ded = d.loc["benefits.inpatient.deductible.county"]
    assert ded["kind"] == "exact" and ded["doc_min"] == ded["doc_max"] == 200
    assert ded["wide_min"] == 0 and ded["wide_max"] >= 2 * 200
    out = d.loc["benefits.general_outpatient.rate"]
    assert out["assumed"] and out["value"] == DAZU_OUTPATIENT["benefits.general_outpatient.rate"] == 0.3
    assert dazu.assumptions == DAZU_OUTPATIENT
    for r in pd.concat([jilin.controls, dazu.controls]).itertuples():
        assert r.doc_min <= r.value <= r.doc_max, r.key
        assert r.wide_min <= r.doc_min and r.doc_max <= r.wide_max, r.key


# -- the model against the library ------------------------------------------------------------


@pytest.mark.parametrize("scheme_id, variant, overrides", [
    ("dazu-resident", "tier2", {}),
    ("dazu-resident", "tier2", {"benefits.inpatient.rate.adult.county": 0.8,
                                "benefits.general_outpatient.rate": 0.5}),
    ("jilin-resident-2008", "city", {"benefits.inpatient.deductible.adult.city": 400.0}),
])
def test_cached_pools_match_the_whole_population_from_scratch(scheme_id, variant, overrides, dazu, jilin):
    model = dazu if scheme_id == "dazu-resident" else jilin
    r = model.run(overrides)
    scratch = _from_scratch(scheme_id, variant, {**model.assumptions, **overrides})
    np.testing.assert_allclose(r.reform.oop, scratch["oop_insured"].to_numpy(), atol=0.005)
    np.testing.assert_allclose(r.reform.fund, scratch["fund_paid"].to_numpy(), atol=0.005)
    base = _from_scratch(scheme_id, variant, model.assumptions)
    np.testing.assert_allclose(r.baseline.oop, base["oop_insured"].to_numpy(), atol=0.005)


def test_measures_are_the_librarys(dazu):
    r = dazu.run({"benefits.inpatient.deductible.county": 0.0})
    hh = _from_scratch("dazu-resident", "tier2", {**DAZU_OUTPATIENT, "benefits.inpatient.deductible.county": 0.0})
    common = {"oop": "oop_insured", "consumption": "consumption", "size": "size", "weight": "weight"}
    for key, (threshold, method) in rx.CATASTROPHIC.items():
        lib = protection.catastrophic(hh, threshold=threshold, method=method, food="food", **common)
        assert r.value(key) == pytest.approx(lib["headcount"], abs=1e-12), key
    imp = protection.impoverishment(hh, poverty_line=rx.POVERTY_LINE, **common)
    assert r.value("impoverished") == pytest.approx(imp["headcount_post"] - imp["headcount_pre"], abs=1e-12)
    w = hh["weight"]
    assert r.value("fund_total") == pytest.approx((w * hh["fund_paid"]).sum())
    assert r.value("oop_per_household") == pytest.approx((w * hh["oop_insured"]).sum() / w.sum())
    # By quintile: the households of each quintile, weighted.
    q1 = hh[hh["income_quintile"] == 1]
    lib = protection.catastrophic(q1, threshold=0.1, method="total", **common)
    got = r.by_quintile.query("scenario == 'reform' and measure == 'che10' and quintile == 1")["value"]
    assert float(got.iloc[0]) == pytest.approx(lib["headcount"], abs=1e-12)
    dist = r.oop_distribution
    for s in rx.SCENARIOS:
        assert dist.loc[dist["scenario"] == s, "share"].sum() == pytest.approx(1.0)


def test_a_more_generous_rule_costs_the_fund_and_spares_the_patients(dazu):
    r = dazu.run({"benefits.inpatient.rate.adult.county": 0.9, "benefits.inpatient.rate.adult.above_county": 0.9})
    s = r.summary.set_index("measure")
    assert s.loc["fund_total", "change"] > 0
    assert s.loc["oop_per_household", "change"] < 0
    assert s.loc["che10", "change"] <= 0
    assert r.timings["pools_adjudicated"] in (["main"], [])  # the outpatient pool is cached


def test_outside_the_documents_range_needs_leave_and_is_shown(jilin):
    key = "benefits.inpatient.deductible.adult.county"
    with pytest.raises(hc.HealthcoverError, match=r"outside the document's range \[300, 900\].*allow_out_of_range"):
        jilin.run({key: 1_000.0})
    r = jilin.run({key: 1_000.0}, allow_out_of_range=True)
    row = r.overrides.set_index("key").loc[key]
    assert bool(row["outside_document"]) and row["permitted"] == "range [300, 900]"
    html_zh, html_en = (html.unescape(rx.outside_html(r, lang)) for lang in ("zh", "en"))
    assert "偏离文件规定" in html_zh and "300元–900元" in html_zh and "doc 001" not in html_zh
    assert "outside the document" in html_en and "CNY 1,000" in html_en
    inside = jilin.run({key: 500.0})
    assert not inside.overrides["outside_document"].any() and rx.outside_html(inside, "en") == ""


def test_charts_carry_units_and_the_tables_numbers(dazu):
    r = dazu.run({"benefits.inpatient.rate.adult.county": 0.7})
    for lang in ("zh", "en"):
        q = rx.quintile_chart(r, lang).to_dict()
        enc = q["spec"]["encoding"]
        assert enc["y"]["title"] == {"zh": "占比（%）", "en": "Share (%)"}[lang]
        assert "1 =" in enc["x"]["title"]
        m = rx.money_chart(r, lang).to_dict()["spec"]["encoding"]
        assert ("元/户" if lang == "zh" else "CNY per household") in m["y"]["title"]
        o = rx.oop_chart(r, lang).to_dict()["encoding"]
        assert ("元" if lang == "zh" else "CNY") in o["x"]["title"] and "%" in o["y"]["title"]
    data = pd.DataFrame(rx.quintile_chart(r, "en").to_dict()["datasets"].popitem()[1])
    got = data.query("measure == 'che10' and scenario == 'reform' and quintile == 1")["value"].iloc[0]
    want = r.by_quintile.query("measure == 'che10' and scenario == 'reform' and quintile == 1")["value"].iloc[0]
    assert got == pytest.approx(100 * want)
    table = rx.summary_html(r, "zh")
    assert fmt_money(r.value("fund_total"), "zh") in table and "个百分点" in table
    assert 'class="hc-term"' in table and "title=" in table  # terms explained on hover


def test_a_change_of_an_exact_value_is_outside_the_document(dazu):
    """Dazu fixes its county rate at 50%: 92% is not just "changed", it is outside the document."""
    r = dazu.run({"benefits.inpatient.rate.adult.county": 0.92})
    row = r.overrides.set_index("key").loc["benefits.inpatient.rate.adult.county"]
    assert bool(row["outside_document"]) and row["document"] == 0.5
    assert "偏离文件规定" in rx.outside_html(r, "zh") and "50%" in html.unescape(rx.outside_html(r, "zh"))


def test_poverty_line_must_be_positive(dazu):
    with pytest.raises(hc.HealthcoverError, match="poverty line must be a positive amount"):
        dazu.set_poverty_line(0)


# -- the widget without a browser ------------------------------------------------------------


def test_widget_updates_relabels_and_reports_errors(monkeypatch):
    page = rx.reform_explorer("zh", scheme_id="jilin-resident-2008", n_households=N)
    ex = page.explorer
    assert page.error_html.value == ""
    assert "基金支出" in ex.summary.value
    assert "scheme=jilin-resident-2008" in page.bridge.query and "lang=zh" in page.bridge.query
    slider = next(s for s in ex.sliders if s.row["key"] == "benefits.inpatient.rate.adult.city")
    assert (slider.widget.min, slider.widget.max) == (0.3, 0.7)  # the document's range
    before = ex.result.value("fund_total")
    slider.widget.value = 0.7
    assert ex.result.value("fund_total") > before
    assert fmt_money(ex.result.value("fund_total"), "zh") in ex.summary.value
    # Beyond the document: the slider widens; a value outside is shown as such.
    assert "benefits.inpatient.rate.adult.city=0.7" in page.bridge.query
    ex.beyond.value = True
    assert slider.widget.max == 1.0
    slider.widget.value = 0.85
    assert "偏离文件规定" in ex.outside.value and "偏离文件规定" in slider.label.value
    page.language.value = "en"
    assert "outside the document" in html.unescape(ex.outside.value)
    assert "Fund spending" in ex.summary.value and "Inpatient" in ex.tab_title(0)
    ex.beyond.value = False  # back inside: the value is clamped to the document's range
    assert slider.widget.value == 0.7 and ex.outside.value == ""
    ex.reset.click()
    assert ex.overrides() == {}
    assert ex.result.value("fund_total") == pytest.approx(before)
    # A library error (here a poverty line the model refuses) shows a notice without code, never
    # a traceback; the message itself goes to the server's log.
    def refuse(z):
        raise hc.HealthcoverError("set_poverty_line: poverty line must be positive")

    monkeypatch.setattr(ex.model, "set_poverty_line", refuse)
    ex.poverty_line.value = 5.0
    assert "Cannot compute" in page.error_html.value and "set_poverty_line" not in page.error_html.value
    assert "Traceback" not in page.error_html.value


# -- in the browser -----------------------------------------------------------------------

PAGE = "/voila/render/reform-explorer.ipynb"
BARS = '[aria-roledescription="bar"]'


def _wait_text(page, selector: str, expected: str) -> None:
    page.wait_for_function(
        "([sel, txt]) => { const e = document.querySelector(sel); return e && e.innerText.includes(txt); }",
        arg=[selector, expected],
    )


def _bar_labels(page, selector: str) -> list[str]:
    return page.eval_on_selector_all(f"{selector} {BARS}", "els => els.map(e => e.getAttribute('aria-label'))")


def _bars(labels: list[str], value_field: str, **where: str) -> dict[int, float]:
    """Quintile -> value from vega's aria-labels (``field: value; ...``) of the matching bars."""
    out = {}
    for label in labels:
        fields = dict(part.split(": ", 1) for part in label.split("; "))
        if all(fields.get(k) == v for k, v in where.items()):
            out[int(fields["收入五等分组（1 = 最低）"])] = float(fields[value_field].replace(",", ""))
    return out


def _poll(ok, what: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not ok():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.2)


def _cell(page, measure: str, column: str) -> str:
    return page.inner_text(f".hc-summary .hc-m-{measure} .{column}")


@pytest.mark.browser
@pytest.mark.slow
def test_reform_explorer_in_the_browser(web, voila_url):
    n = rx.default_households()  # what the test server's kernels use (tests/conftest.py)
    model = rx.ReformModel("dazu-resident", "tier2", n_households=n, seed=SEED)
    base = model.run({})
    page = web.page
    page.goto(voila_url + PAGE)
    page.wait_for_selector(".hc-page")
    page.wait_for_selector(f".hc-quintile-chart {BARS}")
    assert "医保改革模拟器" in page.inner_text(".hc-title")
    _wait_text(page, ".hc-summary .hc-m-fund_total", fmt_money(base.value("fund_total"), "zh"))
    assert "Traceback" not in page.inner_text("body")
    # Citations live in the source panel, in the page's language, not on the sliders.
    assert "doc 004" not in page.inner_text(".hc-param-tabs") and "Art." not in page.inner_text(".hc-param-tabs")
    assert "第23条" in page.inner_html(".hc-sources")
    bars_before = _bar_labels(page, ".hc-quintile-chart")
    money_before = _bar_labels(page, ".hc-money-chart")
    web.screenshot("initial")

    # The document fixes Dazu's rates: the slider waits for "explore a reform".
    assert page.locator(".hc-p-benefits-inpatient-rate-adult-county .noUi-target[disabled]").count() == 1
    page.locator(".hc-beyond input").check()
    page.wait_for_function("() => !document.querySelector('.hc-p-benefits-inpatient-rate-adult-county .noUi-target').hasAttribute('disabled')")
    # Move the county inpatient rate for adults up five steps with the keyboard (50% -> 55%).
    handle = page.locator(".hc-p-benefits-inpatient-rate-adult-county [role=slider]").first
    handle.focus()
    for _ in range(5):
        handle.press("ArrowRight")
    reform = model.run({"benefits.inpatient.rate.adult.county": 0.55})
    assert reform.value("fund_total") > base.value("fund_total")
    _wait_text(page, ".hc-summary .hc-m-fund_total .hc-new", fmt_money(reform.value("fund_total"), "zh"))
    _wait_text(page, ".hc-summary .hc-m-oop_per_household .hc-new",
               fmt_money(reform.value("oop_per_household"), "zh"))
    assert _cell(page, "fund_total", "hc-base") == fmt_money(base.value("fund_total"), "zh")
    assert _cell(page, "fund_total", "hc-delta").startswith("+")
    # The scenario is in the address bar, and flagged as outside the document.
    page.wait_for_function("() => location.search.includes('benefits.inpatient.rate.adult.county=0.55')")
    assert "beyond=1" in page.url
    _wait_text(page, ".hc-outside", "偏离文件规定")
    # The bars' data (vega's aria-labels): the reform's fund spending per household by quintile
    # (the chart may arrive a moment after the table: each key press re-renders).
    want = reform.by_quintile.query("measure == 'fund_per_household' and scenario == 'reform'")
    want = dict(zip(want["quintile"], want["value"]))

    def money_shown():
        got = _bars(_bar_labels(page, ".hc-money-chart"), "金额（元/户·年）", 方案="改革方案", 指标="户均基金支出")
        return sorted(got) == sorted(want) and all(abs(got[q] - v) <= 0.51 for q, v in want.items())

    _poll(money_shown, "the money chart shows the reform's fund spending by quintile")
    assert _bar_labels(page, ".hc-money-chart") != money_before
    assert len(_bar_labels(page, ".hc-quintile-chart")) == len(bars_before)
    web.screenshot("rate-55")

    # Another variant (tier 1): the baseline itself changes.
    page.locator(".hc-variant select").select_option(index=0)  # tier 1
    tier1 = rx.ReformModel("dazu-resident", "tier1", n_households=n, seed=SEED).run({})
    _wait_text(page, ".hc-summary .hc-m-fund_total .hc-base", fmt_money(tier1.value("fund_total"), "zh"))

    # English: labels, numbers with thousands separators, axis titles with units.
    page.get_by_role("button", name="English").click()
    _wait_text(page, ".hc-summary", "Fund spending")
    _wait_text(page, ".hc-summary .hc-m-fund_total .hc-base", fmt_money(tier1.value("fund_total"), "en"))
    page.wait_for_function("() => document.querySelector('.hc-quintile-chart svg').innerHTML.includes('Share (%)')")
    web.screenshot("english")
    web.assert_clean()


def test_a_blank_the_population_needs_runs_on_its_cited_assumption_in_both_languages():
    """Changchun's adult annual limit is blank in doc 001 (C-07): the explorer runs on the cited
    assumption of data/populations/jilin-resident-2008.yaml and says on the slider that the
    document does not state it, in both languages."""
    page = rx.reform_explorer("zh", n_households=2_000)
    ex = page.explorer
    ex.scheme.value = "jilin-resident-2008"
    ex.variant.value = "changchun"
    assert page.error_html.value == "" and ex.result is not None
    key = "benefits.inpatient.annual_limit.adult"
    row = ex.model.controls.set_index("key").loc[key]
    assumed = hc.data.population_assumptions("jilin-resident-2008", "changchun").set_index("key")
    assert row["assumed"] and row["value"] == assumed.loc[key, "value"]
    slider = next(s for s in ex.sliders if s.row["key"] == key)
    assert "文件未规定" in slider.label.value
    page.language.value = "en"
    assert "not stated in the document" in slider.label.value
    ex.variant.value = "city"
    assert page.error_html.value == "" and ex.result is not None
    assert ex.quintile_chart.layout.display is None


@pytest.mark.browser
@pytest.mark.slow
def test_the_reform_explorer_runs_liaoning_and_a_slider_moves_it(web, voila_url):
    """Issue 10: a scheme other than Dazu and Jilin, opened from a link, moves with a slider.
    Liaoning runs on its wage model: the deductible and ceiling are the document's shares of the
    cited average wage, the rate a labelled, cited assumption."""
    n = rx.default_households()
    model = rx.ReformModel("liaoning-employee-1999", None, n_households=n, seed=SEED)
    base = model.run({})
    page = web.page
    page.goto(voila_url + PAGE + "?lang=en&scheme=liaoning-employee-1999")
    page.wait_for_selector(f".hc-quintile-chart {BARS}")
    _wait_text(page, ".hc-summary .hc-m-fund_total .hc-base", fmt_money(base.value("fund_total"), "en"))
    assert "Liaoning" in page.locator(".hc-scheme select").evaluate("e => e.options[e.selectedIndex].text")
    _wait_text(page, ".hc-assumptions-box", "CNY 834.6")  # 10% of the assumed average wage of CNY 8,346
    handle = page.locator(".hc-p-benefits-inpatient-rate-employee [role=slider]").first
    handle.focus()
    for _ in range(5):
        handle.press("ArrowRight")
    reform = model.run({"benefits.inpatient.rate.employee": 0.85})
    assert reform.value("fund_total") > base.value("fund_total")
    _wait_text(page, ".hc-summary .hc-m-fund_total .hc-new", fmt_money(reform.value("fund_total"), "en"))
    page.wait_for_function("() => location.search.includes('benefits.inpatient.rate.employee=0.85')")
    web.screenshot("liaoning")
    web.assert_clean()
