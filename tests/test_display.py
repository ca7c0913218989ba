"""Rich display: a scheme, an aggregate-loss result, a population and a composed scheme show
themselves in a notebook as HTML built from their public API; every text is escaped and plain
``repr`` stays one short line."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import healthcover as hc
from healthcover import actuarial as act
from healthcover import display
from healthcover.data import Population
from healthcover.secondary import compose

ROOT = Path(__file__).resolve().parents[1]
FETCH = re.compile(r"""(src|href)\s*=\s*["']?\s*(https?:)?//|url\(\s*["']?\s*(https?:)?//|<script|<link""",
                   re.IGNORECASE)


def soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def text(html: str) -> str:
    return " ".join(soup(html).get_text(" ").split())


def offline(html: str) -> None:
    """Nothing a browser would fetch or run: no script, stylesheet link or remote URL."""
    assert not FETCH.search(html), FETCH.search(html).group(0)


def care_table(html: str, care: str) -> tuple[list[str], dict[tuple[str, str], list[str]]]:
    """The glance table of one care type: its column heads and rows keyed by (rule, applies)."""
    s = soup(html)
    head = next(d for d in s.select("div.hc-care") if d.find("code", string=care))
    table = head.find_next_sibling("table")
    cols = [" ".join(th.get_text(" ").split()) for th in table.select("thead th")]
    rows = {}
    for tr in table.select("tbody tr"):
        cells = [" ".join(td.get_text(" ").split()) for td in tr.find_all("td")]  # <br> -> space
        rows[(cells[0], cells[1])] = cells[3:]
    return cols, rows


# --------------------------------------------------------------------------- Scheme


@pytest.mark.parametrize("scheme_id", hc.list_schemes())
def test_every_scheme_shows_itself(scheme_id):
    s = hc.load_scheme(scheme_id)
    html = s._repr_html_()
    offline(html)
    t = text(html)
    assert s.meta.title.zh in t and s.title in t and s.id in t
    for code in s.variants + s.categories + s.facilities + s.care_types:
        assert soup(html).find("code", string=code), code
    table = s.parameter_table()
    blank = table[table["kind"] == "not_stated"]
    for path in blank["parameter"].unique():
        assert soup(html).find("code", string=path), path
    n = blank["parameter"].nunique()
    assert (f"Blanks that need assumptions ({n})" in t) == (n > 0)
    benefits = table[table["parameter"].str.startswith("benefits.")]
    for care in {p.split(".")[1] for p in benefits["parameter"]}:
        care_table(html, care)
    assert len(repr(s)) < 80 and "\n" not in repr(s)


def test_dazu_benefits_at_a_glance_sit_under_their_facility():
    s = hc.load_scheme("dazu-resident", variant="tier2")
    html = s._repr_html_()
    cols, rows = care_table(html, "inpatient")
    assert cols[:3] == ["规则 rule", "适用 applies to", "单位 unit"]
    assert cols[3:] == [f"{zh} {code}" for code, zh in
                        s.codes_table().query("dimension == 'facility'")[["code", "zh"]].itertuples(index=False)]
    table = s.parameter_table().set_index(["parameter", "cell"])
    deductibles = [table.loc[("benefits.inpatient.deductible", f"facility={f}"), "value"] for f in s.facilities]
    assert rows[("起付线 deductible", "")] == [f"{d:,.0f}" for d in deductibles]  # 30, 100, 200, 1,000
    rate = table.loc[("benefits.inpatient.rate", "benefit_class=minor, facility=county"), "value"]
    assert rows[("报销比例 reimbursement rate", "benefit_class=minor")][2] == f"{rate:.0%}"
    # a rule the same at every facility spans the row
    assert rows[("连续参保奖励 continuous-enrolment bonus", "")] == ["✓ 是 yes"]
    _, rows = care_table(html, "general_outpatient")
    assert rows[("报销比例 reimbursement rate", "")] == ["未规定 not stated"]
    assert "tier2 二档" in text(html) and "(used 使用)" in text(html)


def test_jilin_ranges_show_what_the_document_permits():
    html = hc.load_scheme("jilin-resident-2008", "city")._repr_html_()
    _, rows = care_table(html, "inpatient")
    assert rows[("起付线 deductible", "benefit_class=adult")][1] == "300 range [300, 900]"
    assert rows[("报销比例 reimbursement rate", "benefit_class=student")][0] == "90% range [0.5, 0.9]"


def test_overrides_and_blanks_filled_show():
    s = hc.load_scheme("dazu-resident", "tier1", overrides={
        "benefits.general_outpatient.rate": 0.5, "benefits.inpatient.deductible.county": 5000},
        allow_out_of_range=True)
    html = s._repr_html_()
    t = text(html)
    assert "Overrides (2)" in t
    assert "benefits.general_outpatient.rate" in t and "benefits.inpatient.deductible.county" in t
    _, rows = care_table(html, "inpatient")
    assert rows[("起付线 deductible", "")][2] == "5,000 exactly 200 · override 假设"  # the file's value beside
    _, rows = care_table(html, "general_outpatient")
    assert rows[("报销比例 reimbursement rate", "")][0].startswith("50%")
    # the filled blank is no longer listed as one
    assert "Blanks that need assumptions (3)" in t
    # outside a range the document leaves to cities: flagged
    html = hc.load_scheme("jilin-resident-2008", "city", overrides={
        "benefits.inpatient.deductible.adult.county": 2000}, allow_out_of_range=True)._repr_html_()
    _, rows = care_table(html, "inpatient")
    assert rows[("起付线 deductible", "benefit_class=adult")][1] == \
        "2,000 range [300, 900] · override 假设 · outside the document 超出文件范围"
    assert "outside 超出" in text(html)


def test_scheme_text_is_escaped(tmp_path):
    src = (ROOT / "data" / "schemes" / "dazu-resident.yaml").read_text(encoding="utf-8")
    evil = '<script>alert("x")</script> & <b>'
    src = src.replace("en: Dazu County urban-rural resident cooperative medical insurance measures",
                      f"en: '{evil}'", 1)
    assert evil in src
    path = tmp_path / "dazu-resident.yaml"
    path.write_text(src, encoding="utf-8")
    html = hc.load_scheme(path)._repr_html_()
    offline(html)
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;" in html
    assert evil in text(html)


# --------------------------------------------------------------------------- aggregate loss

MODEL = act.ClaimModel.single(act.Poisson(800), act.Lognormal.from_mean_cv(3000, 1.5),
                              act.Benefit(deductible=200, rate=0.5, limit=60_000))


@pytest.mark.parametrize("method", ["fourier", "panjer", "monte_carlo"])
def test_aggregate_loss_shows_its_numbers_and_a_chart(method):
    S = {"fourier": lambda: act.aggregate_loss(MODEL),
         "panjer": lambda: act.panjer(MODEL, h=100),
         "monte_carlo": lambda: act.monte_carlo(MODEL, 20_000, seed=1)}[method]()
    html = S._repr_html_()
    offline(html)
    summary = S.summary()
    rows = {" ".join(tr.find_all("td")[0].get_text(" ").split()): tr.find_all("td")[1].get_text()
            for tr in soup(html).select("table tbody tr")}
    assert rows["均值 mean"] == f"{summary['mean']:,.0f}"
    assert rows["标准差 sd"] == f"{summary['sd']:,.0f}"
    assert rows["风险价值 99.5% VaR 99.5%"] == f"{summary['VaR 99.5%']:,.0f}"
    assert rows["尾部风险价值 99.5% TVaR 99.5%"] == f"{summary['TVaR 99.5%']:,.0f}"
    svg = soup(html).select_one("div.hc-chart svg")
    assert svg is not None and svg.select("g[class*=role-mark] path")
    assert {"VaR 95.0%", "VaR 99.5%", "TVaR 99.5%"} <= {t.get_text() for t in svg.find_all("text")}
    assert all(i.startswith("hc") for i in re.findall(r'\bid="([^"]+)"', str(svg)))
    assert repr(S).count("\n") == 0 and len(repr(S)) < 100


def test_aggregate_loss_without_a_chart_still_shows_the_numbers(monkeypatch):
    from healthcover import plotting

    def broken(chart, lang="zh"):
        raise ValueError("no <runtime> here")

    monkeypatch.setattr(plotting, "chart_svg", broken)
    html = act.aggregate_loss(MODEL)._repr_html_()
    assert "chart not drawn 图未生成: ValueError: no &lt;runtime&gt; here" in html
    assert "均值" in html


# --------------------------------------------------------------------------- population


def test_population_shows_its_tables_in_numbers():
    p = hc.data.synthetic_population(300, seed=5)
    html = p._repr_html_()
    offline(html)
    rows = {" ".join(tr.find_all("td")[0].get_text(" ").split()): tr.find_all("td")[-1].get_text()
            for tr in soup(html).select("table")[0].select("tbody tr")}
    assert rows["住户 households"] == f"{len(p.households):,}"
    assert rows["人 persons"] == f"{len(p.persons):,}"
    assert rows["就诊记录 claims"] == f"{len(p.claims):,}"
    assert rows["代表住户数(权重合计) households represented (sum of weights)"] == \
        f"{p.households['weight'].sum():,.0f}"
    w = p.households["weight"]
    assert rows["户均人口(加权) mean household size (weighted)"] == \
        f"{np.average(p.households['size'], weights=w):.2f}".rstrip("0").rstrip(".")
    assert rows["医疗费用合计(元) total cost of claims (CNY)"] == f"{p.claims['cost'].sum():,.0f}"
    t = text(html)
    for cat, n in p.persons["category"].value_counts().items():
        assert f"{cat} {n:,}" in t
    inpatient_1 = p.claims.query("care == 'inpatient' and facility == 'level_1'")
    assert f"inpatient level_1 {len(inpatient_1):,} {inpatient_1['cost'].mean():,.2f}" in t
    assert "seed 5" in t and "year 1999" in t
    assert repr(p).startswith("Population(300 households") and "\n" not in repr(p)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=6),
       st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=3))
def test_population_escapes_whatever_its_tables_hold(categories, info):
    persons = pd.DataFrame({"person_id": range(len(categories)), "household_id": 1,
                            "category": categories})
    households = pd.DataFrame({"household_id": [1], "size": [len(categories)],
                               "consumption": [1000.0], "food": [0.0], "weight": [np.nan]})
    claims = pd.DataFrame({"person_id": [0], "date": ["2024-01-01"], "care": ["<i>care"],
                           "facility": ["a&b"], "cost": [12.5]})
    html = display.population_html(Population(households, persons, claims, info=info))
    s = soup(html)
    assert not s.find_all(["script", "i", "b", "iframe", "img"])
    t = s.get_text()
    for c in categories:
        assert c.strip() in t
    assert "<i>care" in t and "a&b" in t


# --------------------------------------------------------------------------- composed


def test_composed_shows_both_payers_and_the_care_map():
    both = compose(hc.load_scheme("dazu-resident", "tier2"), "veterans-medical-subsidy",
                   care_map={"tb_outpatient": None}, category_column="vet<cat>")
    html = both._repr_html_()
    offline(html)
    t = text(html)
    assert "dazu-resident" in t and "veterans-medical-subsidy" in t and "tier2" in t
    assert "vet&lt;cat&gt;" in html and "vet<cat>" in t
    rows = {tr.find_all("td")[0].find("code").get_text(): " ".join(tr.find_all("td")[1].get_text(" ").split())
            for tr in soup(html).select("div.hc-care + table tbody tr") if tr.find("code")}
    for care, to in both.care_map.items():
        assert rows[care].startswith(to) if to else "secondary pays nothing" in rows[care]
    unmapped = [c for c in both.basic.care_types if c not in both.care_map]
    assert unmapped and all(rows[c].startswith("no counterpart") for c in unmapped)
    for code in both.secondary.categories:
        assert soup(html).find("code", string=code)
    assert "Blanks that need assumptions" in t and ": veterans-medical-subsidy" in t
    assert repr(both).count("\n") == 0
