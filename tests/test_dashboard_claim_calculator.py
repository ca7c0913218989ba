"""The claim calculator: pure functions, and the dashboard driven in a real browser.

Expected numbers come from the library itself (``calculate``), so these tests check the
page shows what the engine computes, while tests/test_claims.py checks the engine.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import healthcover as hc
from healthcover.widgets import chart_svg, fmt_money
from healthcover.widgets.claim_calculator import (
    breakdown_chart,
    calculate,
    claim_calculator,
    cost_curve,
    curve_chart,
)

SCHEME = "dazu-resident"
PAGE = "/voila/render/claim-calculator.ipynb"
BARS = '[aria-roledescription="bar"]'


def _result(**kw):
    episodes = kw.pop("episodes", [dict(care="inpatient", facility="county", cost=10_000.0)])
    return calculate(SCHEME, kw.pop("variant", None), kw.pop("category", "adult"), episodes,
                     kw.pop("years_enrolled", 1))


def test_calculate_splits_every_yuan():
    r = _result(episodes=[
        dict(care="inpatient", facility="county", cost=10_000.0, special_exam_cost=1_000.0),
        dict(care="inpatient", facility="above_county", cost=500_000.0),
    ], years_enrolled=5)
    assert list(r.episodes["episode"]) == [1, 2]
    assert r.fund_paid + r.oop == pytest.approx(r.cost, abs=0.005)
    assert r.breakdown["amount"].sum() == pytest.approx(r.cost, abs=0.005)
    assert (r.breakdown["amount"] >= -0.005).all()
    assert r.breakdown.set_index("component").loc["fund_pays", "amount"] == pytest.approx(r.fund_paid)
    rules = set(r.rules["rule"])
    assert {"deductible", "annual_limit", "special_exam_selfpay_share"} <= rules
    assert r.rules["citation"].str.startswith("doc ").all()


def test_charts_carry_the_numbers():
    r = _result()
    svg = chart_svg(breakdown_chart(r, "en"), "en")
    assert "Fund pays" in svg
    curve = cost_curve(SCHEME, None, "adult", "inpatient", "county", 1, 20_000)
    assert set(curve["payer"]) == {"fund", "patient"}
    assert curve.groupby("cost")["amount"].sum().round(2).equals(curve["cost"].drop_duplicates().set_axis(curve["cost"].drop_duplicates()).round(2))
    spec = curve_chart(curve, 10_000, "zh", "t").to_dict()
    assert spec["layer"][1]["mark"]["type"] == "rule"


def test_widget_updates_without_a_browser():
    page = claim_calculator("zh", scheme_id=SCHEME)
    calc = page.calculator
    assert page.error_html.value == ""
    first = calc.result.fund_paid
    calc.rows[0].cost.value = 20_000.0
    assert calc.result.fund_paid > first
    assert fmt_money(calc.result.fund_paid, "zh", exact=True) in calc.summary.value
    page.language.value = "en"
    assert "Fund pays" in calc.summary.value


# -- in the browser -----------------------------------------------------------------------


def _wait_text(page, selector: str, expected: str) -> None:
    page.wait_for_function(
        "([sel, txt]) => { const e = document.querySelector(sel); return e && e.innerText.includes(txt); }",
        arg=[selector, expected],
    )


def _labels(page, selector: str) -> list[str]:
    return page.eval_on_selector_all(
        f"{selector} {BARS}",
        "els => els.map(e => e.getAttribute('aria-label'))",
    )


def _svg(page, selector: str) -> str:
    return page.inner_html(f"{selector} svg")


@pytest.mark.browser
@pytest.mark.slow
def test_landing_page_lists_the_dashboards(web, voila_url):
    page = web.page
    from healthcover.widgets import poverty_dashboard, reform_explorer, solvency  # noqa: F401 (their labels)
    from healthcover.widgets.i18n import LABELS

    page.goto(voila_url + "/")
    page.wait_for_selector(".voila-notebooks a")
    assert "医保仪表盘" in page.inner_text("body")
    links = {a.get_attribute("href").split("?")[0].rsplit("/", 1)[-1]: a.inner_text()
             for a in page.locator(".voila-notebooks a").all()}
    assert set(links) == {"claim-calculator.ipynb", "reform-explorer.ipynb", "fund-solvency.ipynb",
                          "illness-poverty.ipynb"}
    for name, text_ in links.items():  # each dashboard by its own title and description
        key = name.removesuffix(".ipynb").replace("-", "_")
        for lang in ("zh", "en"):
            assert LABELS[key][lang] in text_ and LABELS[key + "_sub"][lang] in text_, (name, lang)
    web.screenshot("landing")
    page.locator(".voila-notebooks a", has_text="Fund solvency").click()
    page.wait_for_selector(".hc-page")
    web.assert_clean()


@pytest.mark.browser
@pytest.mark.slow
def test_claim_calculator_in_the_browser(web, voila_url):
    page = web.page
    page.goto(voila_url + PAGE)
    page.wait_for_selector(".hc-page")
    page.wait_for_selector(f".hc-breakdown-chart {BARS}")
    meta = hc.load_scheme(SCHEME).meta
    # ipywidgets' <select> options carry the labels, so choose by the label a visitor sees.
    from healthcover.widgets.reader import scheme_name

    page.locator(".hc-scheme select").select_option(label=scheme_name(SCHEME, "zh"))

    base = _result()
    _wait_text(page, ".hc-fund", fmt_money(base.fund_paid, "zh", exact=True))
    _wait_text(page, ".hc-oop", fmt_money(base.oop, "zh", exact=True))
    assert "Traceback" not in page.inner_text("body")
    # Citations in the source panel, in the page's language; none with raw codes in the tables.
    assert "第23条" in page.inner_html(".hc-sources") and "doc " not in page.inner_text(".hc-rules")
    bars_before = _labels(page, ".hc-breakdown-chart")
    curve_before = _svg(page, ".hc-curve-chart")
    web.screenshot("initial")

    # A higher cost: the numbers, the breakdown bars and the curve (its axis) change.
    cost = page.locator(".hc-episode-1 .hc-cost input")
    cost.fill("30000")
    cost.press("Enter")
    dearer = _result(episodes=[dict(care="inpatient", facility="county", cost=30_000.0)])
    _wait_text(page, ".hc-fund", fmt_money(dearer.fund_paid, "zh", exact=True))
    _wait_text(page, ".hc-oop", fmt_money(dearer.oop, "zh", exact=True))
    page.wait_for_function(
        "([sel, before]) => document.querySelector(sel).innerHTML !== before",
        arg=[".hc-curve-chart svg", curve_before],
    )
    bars_after = _labels(page, ".hc-breakdown-chart")
    assert bars_after != bars_before
    assert any(str(int(dearer.fund_paid)) in lab for lab in bars_after), bars_after
    web.screenshot("cost-30000")

    # Another facility level: a different deductible and rate.
    curve_before = _svg(page, ".hc-curve-chart")
    page.locator(".hc-episode-1 .hc-facility select").select_option(label=meta.facilities["township"].zh)
    township = _result(episodes=[dict(care="inpatient", facility="township", cost=30_000.0)])
    assert township.fund_paid != dearer.fund_paid
    _wait_text(page, ".hc-fund", fmt_money(township.fund_paid, "zh", exact=True))
    page.wait_for_function(
        "([sel, before]) => document.querySelector(sel).innerHTML !== before",
        arg=[".hc-curve-chart svg", curve_before],
    )
    web.screenshot("township")

    # A second episode in the same year.
    page.locator(".hc-add-episode").click()
    page.wait_for_selector(".hc-episode-2", state="visible")
    two = _result(episodes=[dict(care="inpatient", facility="township", cost=30_000.0),
                            dict(care="inpatient", facility="county", cost=10_000.0)])
    _wait_text(page, ".hc-fund", fmt_money(two.fund_paid, "zh", exact=True))

    # English.
    page.get_by_role("button", name="English").click()
    _wait_text(page, ".hc-fund", "Fund pays")
    _wait_text(page, ".hc-fund", fmt_money(two.fund_paid, "en", exact=True))
    _wait_text(page, ".hc-rules", "Rules applied")
    for chart in (".hc-breakdown-chart", ".hc-curve-chart"):
        page.wait_for_function(
            "sel => document.querySelector(sel).innerHTML.includes('Amount (CNY)')", arg=f"{chart} svg"
        )
    web.screenshot("english")
    web.assert_clean()


@pytest.mark.browser
@pytest.mark.slow
def test_idle_viewers_keep_their_kernel_and_leavers_free_it(web, voila_url):
    """Each viewer holds a kernel (~300 MiB). Voila's shutdown beacon does not fire for
    preheated kernels, so voila.json culls kernels nobody is connected to; a viewer who is
    only reading (connected, idle past the cull timeout) must keep theirs."""
    import json
    import time

    import psutil
    from conftest import CULL_IDLE_S

    page = web.page
    page.goto(voila_url + PAGE)
    page.wait_for_selector(f".hc-breakdown-chart {BARS}")
    kernel_id = json.loads(page.inner_text("#jupyter-config-data"))["kernelId"]

    def kernel_alive() -> bool:
        for c in psutil.Process(voila_url.pid).children(recursive=True):
            try:
                if kernel_id in " ".join(c.cmdline()) and c.status() != psutil.STATUS_ZOMBIE:
                    return True
            except psutil.NoSuchProcess:
                pass
        return False

    time.sleep(CULL_IDLE_S + 6)  # idle, but connected
    assert kernel_alive(), "a connected viewer's kernel was culled"
    cost = page.locator(".hc-episode-1 .hc-cost input")
    cost.fill("20000")
    cost.press("Enter")
    r = _result(episodes=[dict(care="inpatient", facility="county", cost=20_000.0)])
    _wait_text(page, ".hc-fund", fmt_money(r.fund_paid, "zh", exact=True))

    page.goto("about:blank")
    deadline = time.monotonic() + 60
    while kernel_alive() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not kernel_alive(), f"kernel {kernel_id} still runs a minute after the viewer left"


def test_every_offered_scheme_computes_its_default_episode_and_the_rest_say_why():
    """Issue 15: Bazhou, Liaoning, veterans and Xiangzhou showed "cannot compute" with a raw path
    and a Spanish quote. Liaoning and Xiangzhou now run on their cited assumptions; Bazhou and the
    veterans' subsidy are listed with the reason, in both languages."""
    from healthcover.widgets.claim_calculator import claim_schemes

    offered, blocked = claim_schemes()
    assert {"dazu-resident", "jilin-resident-2008", "liaoning-employee-1999", "xiangzhou-resident"} <= set(offered)
    assert {"bazhou-employee", "veterans-medical-subsidy"} <= set(blocked["scheme_id"])
    page = claim_calculator("zh")
    calc = page.calculator
    for sid in offered:
        calc.scheme.value = sid
        for variant in [v for _, v in calc.variant.options]:
            calc.variant.value = variant
            for lang in ("zh", "en"):
                page.language.value = lang
                assert page.error_html.value == "", (sid, variant, lang, page.error_html.value)
                assert calc.result is not None and calc.result.cost > 0
                shown = calc.summary.value + calc.rules_html.value + calc.episodes_html.value + page.sources_html.value
                assert "benefits." not in shown and "doc " not in shown and ".yaml" not in shown, (sid, lang)
                if lang == "zh":
                    assert "Opiniones" not in calc.rules_html.value  # the Spanish quote only in the source panel
    page.language.value = "en"
    assert "Bazhou" in calc.unavailable.value and "veterans" in calc.unavailable.value


def test_the_calculator_is_the_librarys_and_its_parts_add_up_to_the_cost():
    """What the page shows comes from healthcover.calculator, reachable from a notebook."""
    import healthcover as hc
    from healthcover.widgets import claim_calculator as page

    assert page.calculate is hc.calculator.calculate and page.cost_curve is hc.calculator.cost_curve
    r = hc.calculator.calculate("dazu-resident", "tier2", "adult",
                                [hc.calculator.Episode("inpatient", "county", 10_000.0),
                                 hc.calculator.Episode("inpatient", "county", 80_000.0)])
    assert round(r.breakdown["amount"].sum(), 2) == round(r.cost, 2) == 90_000.0
    assert round(r.fund_paid + r.oop, 2) == r.cost and r.fund_paid > 0


_ODD = st.one_of(st.none(), st.booleans(), st.text(max_size=4), st.integers(-10, 10**14),
                 st.floats(allow_nan=True, allow_infinity=True), st.just(np.int64(3)), st.just(np.float32(2.5)))


@settings(max_examples=60, deadline=None)
@given(years=_ODD, cost=_ODD, special=_ODD, max_cost=_ODD, points=_ODD)
def test_the_calculators_inputs_give_a_result_or_a_named_error(years, cost, special, max_cost, points):
    """Odd values of every number the calculator takes: right, or a HealthcoverError."""
    import healthcover as hc
    from healthcover.calculator import calculate, cost_curve

    episode = {"care": "inpatient", "facility": "county", "cost": cost, "special_exam_cost": special}
    try:
        r = calculate("dazu-resident", "tier2", "adult", [episode], years_enrolled=years)
    except hc.HealthcoverError:
        pass
    else:
        assert np.isfinite(r.fund_paid) and r.fund_paid >= 0 and round(r.fund_paid + r.oop, 2) == round(r.cost, 2)
    try:
        curve = cost_curve("dazu-resident", "tier2", "adult", "inpatient", "county", max_cost=max_cost,
                           points=points if not isinstance(points, int) or points < 5_000 else 3)
    except hc.HealthcoverError:
        pass
    else:
        assert np.isfinite(curve["amount"]).all() and (curve["amount"] >= 0).all()


@pytest.mark.parametrize("episodes", [None, "inpatient", {"care": "inpatient"}, [{"care": "inpatient", "fac": "x"}],
                                      [42]])
def test_episodes_that_are_not_episodes_are_named(episodes):
    import healthcover as hc
    from healthcover.calculator import calculate

    with pytest.raises(hc.HealthcoverError, match="episode"):
        calculate("dazu-resident", "tier2", "adult", episodes)
