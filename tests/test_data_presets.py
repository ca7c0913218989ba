"""load_survey presets for CHARLS and CFPS, on small files written here in those surveys'
layouts (identifiers, weights, design columns, Stata labels and missing-value conventions):
no real microdata is read or shipped."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import healthcover as hc
from healthcover import HealthcoverError
from healthcover import data as hd

pyreadstat = pytest.importorskip("pyreadstat")


@pytest.fixture
def charls_households(tmp_path):
    """Household rows as in CHARLS: string householdID/communityID, HH_weight, Stata's extended
    missing values (.d don't know, .r refused) in a spending variable, Chinese labels."""
    rng = np.random.default_rng(0)
    comm = np.repeat([f"{i:07d}" for i in (940453, 940454, 1010101, 1010102, 2020201)], 4)
    hh = [f"{c}{k:03d}" for c, k in zip(comm, np.tile(np.arange(4), 5))]
    df = pd.DataFrame({
        "householdID": hh,
        "communityID": comm,
        "HH_weight": np.round(rng.uniform(500, 3000, 20), 1),
        "oop_total": np.round(rng.exponential(800, 20), 1).astype(object),
        "cons_total": np.round(rng.uniform(8000, 40000, 20), 1),
        "hhsize": rng.integers(1, 6, 20).astype(float),
        "rural": rng.integers(0, 2, 20).astype(float),
    })
    df.loc[3, "oop_total"] = "d"
    df.loc[11, "oop_total"] = "r"
    path = tmp_path / "charls_household.dta"
    pyreadstat.write_dta(
        df, path,
        column_labels={"householdID": "户编号 household ID", "communityID": "社区编号",
                       "HH_weight": "家户权重", "oop_total": "自付医疗支出", "cons_total": "家庭总消费",
                       "hhsize": "家庭人数", "rural": "城乡"},
        variable_value_labels={"rural": {0: "城镇", 1: "农村"}},
        missing_user_values={"oop_total": ["d", "r"]},
    )
    return path


@pytest.fixture
def cfps_families(tmp_path):
    """Family rows as in CFPS 2018: fid18, psu, subpopulation, fswt_natcs18, negative codes
    (-8 not applicable, -1 don't know, -2 refused) with value labels, a negative net income."""
    rng = np.random.default_rng(1)
    n = 24
    df = pd.DataFrame({
        "fid18": np.arange(100001, 100001 + n),
        "psu": np.repeat(np.arange(8), 3),
        "subpopulation": np.repeat([1, 1, 2, 2, 3, 3, 6, 6], 3),
        "fswt_natcs18": np.round(rng.uniform(1000, 9000, n), 2),
        "fmedical": np.round(rng.exponential(1500, n)),
        "fexp": np.round(rng.uniform(20000, 90000, n)),
        "fincome": np.round(rng.normal(30000, 20000, n)),
        "familysize": rng.integers(1, 7, n),
    })
    df.loc[[2, 9], "fmedical"] = [-8, -1]
    df.loc[5, "fexp"] = -2
    df.loc[7, "fincome"] = -350  # a loss, not a code
    labels = {-8: "不适用", -1: "不知道", -2: "拒绝回答", -9: "缺失", -10: "无法判断"}
    path = tmp_path / "cfps2018famecon.dta"
    pyreadstat.write_dta(
        df, path,
        column_labels={"fid18": "2018年家庭样本编码", "fmedical": "医疗保健支出", "fexp": "家庭总支出"},
        variable_value_labels={"fmedical": labels, "fexp": labels},
    )
    return path


CFPS_COLUMNS = {"oop": "fmedical", "consumption": "fexp", "size": "familysize"}


def test_presets_are_cited_data():
    presets = hc.survey_presets()
    assert {"charls", "cfps"} <= set(presets)
    for sid, p in presets.items():
        assert p["title"]["zh"] and p["title"]["en"]
        for part in ("keys", "design", "weights"):
            for name, entry in p[part].items():
                if name == "note":
                    continue
                ref = (entry.get("source") or {}).get("ref")
                assert ref in p["sources"] or entry.get("columns") == [], (sid, part, name)
    assert presets["cfps"]["missing"]["codes"][-8]["zh"] == "不适用"
    assert presets["charls"]["weights"]["household"]["columns"] == ["HH_weight"]
    assert presets["charls"]["design"]["psu"]["columns"] == ["communityID"]
    with pytest.raises(HealthcoverError, match=r"load_survey: preset = 'hrs' is not known; "
                       r"allowed: cfps, charls"):
        hd._preset("hrs")


def test_charls_household_layout(charls_households):
    df = hd.load_survey(charls_households, {"oop": "oop_total", "consumption": "cons_total",
                                            "size": "hhsize"}, preset="charls", validate=False)
    assert {"household_id", "psu", "weight", "oop", "consumption", "size"} <= set(df.columns)
    assert df["household_id"].iloc[0] == "0940453000"
    assert df.attrs["design"] == hc.SurveyDesign(weight="weight", psu="psu")
    assert df.attrs["labels"]["oop"] == "自付医疗支出"
    assert df.attrs["labels"]["household_id"] == "户编号 household ID"
    assert df.attrs["value_labels"]["rural"] == {0: "城镇", 1: "农村"}
    # .d and .r are missing: a household without its spending is named, not counted as 0
    assert df["oop"].isna().tolist() == [i in (3, 11) for i in range(20)]
    with pytest.raises(HealthcoverError, match=r"load_survey: column 'oop' \(your 'oop_total'\) "
                       r"has missing or infinite values in rows 3, 11"):
        hd.load_survey(charls_households, {"oop": "oop_total", "consumption": "cons_total"},
                       preset="charls")
    kept = hd.load_survey(charls_households, {"oop": "oop_total", "consumption": "cons_total"},
                          preset="charls", user_missing=True, validate=False)
    assert kept["oop"].iloc[3] == "d" and kept["oop"].iloc[11] == "r"
    # and the design runs: communities are the PSUs, one stratum
    clean = df.dropna(subset=["oop"])
    out = hc.standard_errors(hc.protection.catastrophic, clean, design=df.attrs["design"],
                             oop="oop", consumption="consumption", threshold=0.1, method="total")
    assert out.attrs["psus"] == 5 and out.attrs["design_df"] == 4


def test_charls_person_level_and_usecols(tmp_path):
    people = pd.DataFrame({
        "ID": ["094045302001", "094045302002", "094045303001", "101010100001"],
        "householdID": ["0940453020", "0940453020", "0940453030", "1010101000"],
        "communityID": ["0940453", "0940453", "0940453", "1010101"],
        "INDV_weight": [1200.5, 1180.0, 900.0, 2500.0],
        "HH_weight": [2400.0, 2400.0, 900.0, 2500.0],
        "age": [63.0, 60.0, 71.0, 48.0],
        "ragender": [1.0, 2.0, 1.0, 2.0],
    })
    path = tmp_path / "charls_person.dta"
    pyreadstat.write_dta(people, path)
    df = hd.load_survey(path, preset="charls", level="person", validate=False, usecols=["age"])
    assert sorted(df.columns) == ["age", "household_id", "person_id", "psu", "weight"]
    assert df["weight"].tolist() == [1200.5, 1180.0, 900.0, 2500.0]  # INDV_weight at person level
    with pytest.raises(HealthcoverError, match=r"load_survey: usecols edu not in 'charls_person.dta'"):
        hd.load_survey(path, preset="charls", usecols=["age", "edu"], validate=False)
    with pytest.raises(HealthcoverError, match=r"level = 'family' is not allowed; allowed: "
                       r"household, person"):
        hd.load_survey(path, preset="charls", level="family", validate=False)


def test_cfps_codes_labels_and_design(cfps_families):
    df = hd.load_survey(cfps_families, CFPS_COLUMNS, preset="cfps", validate=False)
    assert df.attrs["design"] == hc.SurveyDesign(weight="weight", strata="strata", psu="psu")
    assert df["household_id"].iloc[0] == 100001
    assert np.isnan(df.loc[[2, 9], "oop"]).all() and np.isnan(df.loc[5, "consumption"])
    assert df.loc[7, "fincome"] == -350  # other negative values are kept
    assert df.attrs["missing_codes"] == {"oop": {-8: 1, -1: 1}, "consumption": {-2: 1}}
    assert df.attrs["value_labels"]["oop"][-8] == "不适用"
    assert df.attrs["labels"]["household_id"] == "2018年家庭样本编码"
    ok = df.dropna(subset=["oop", "consumption"])
    out = hc.standard_errors(hc.protection.catastrophic, ok, design=df.attrs["design"],
                             oop="oop", consumption="consumption", threshold=0.1, method="total",
                             size="size")
    assert out.attrs["strata"] == 4 and out.attrs["psus"] == 8
    # the codes can be kept (user_missing) or chosen
    kept = hd.load_survey(cfps_families, CFPS_COLUMNS, preset="cfps", user_missing=True,
                          validate=False)
    assert kept.loc[2, "oop"] == -8 and kept.attrs["missing_codes"] == {}
    only8 = hd.load_survey(cfps_families, CFPS_COLUMNS, preset="cfps", missing_codes=[-8],
                           validate=False)
    assert np.isnan(only8.loc[2, "oop"]) and only8.loc[9, "oop"] == -1
    with pytest.raises(HealthcoverError, match=r"load_survey: column 'oop' \(your 'fmedical'\) has "
                       r"missing or infinite values in rows 2, 9"):
        hd.load_survey(cfps_families, CFPS_COLUMNS, preset="cfps")


def test_cfps_csv_with_an_encoding(tmp_path):
    path = tmp_path / "cfps.csv"
    pd.DataFrame({"fid18": [1, 2, 3], "pid": [11, 21, 31], "fswt_natcs18": [1.0, 2.0, 3.0],
                  "fmedical": [100.0, -8, 50], "fexp": [1000.0, 2000, 3000],
                  "省份": ["广东", "四川", "-8"]}).to_csv(path, index=False, encoding="gbk")
    df = hd.load_survey(path, {"oop": "fmedical", "consumption": "fexp"}, preset="cfps",
                        encoding="gbk", validate=False)
    assert df["省份"].tolist() == ["广东", "四川", "-8"]  # text is not numeric: codes stay
    assert np.isnan(df.loc[1, "oop"]) and df.attrs["design"].psu is None
    with pytest.raises(HealthcoverError, match=r"cannot decode 'cfps.csv' with encoding 'utf-8'.*"
                       r"pass encoding="):
        hd.load_survey(path, preset="cfps", encoding="utf-8", validate=False)
    with pytest.raises(HealthcoverError, match=r"user_missing and apply_value_labels apply to "
                       r"Stata files; 'cfps.csv' is csv"):
        hd.load_survey(path, preset="cfps", encoding="gbk", user_missing=True, validate=False)


def test_old_stata_file_in_gbk(tmp_path):
    """A pre-Unicode Stata file (format 115) whose labels are GBK bytes, as in older Chinese
    releases, reads correctly with encoding='gbk'."""
    path = tmp_path / "old.dta"
    pyreadstat.write_dta(pd.DataFrame({"fid": [1, 2], "fmedical": [10.0, 20.0],
                                       "fexp": [100.0, 200.0]}),
                         path, column_labels={"fid": "QQQQ"}, version=12)
    raw = path.read_bytes()
    assert raw.count(b"QQQQ") == 1
    path.write_bytes(raw.replace(b"QQQQ", "医疗".encode("gbk")))
    df = hd.load_survey(path, {"oop": "fmedical", "consumption": "fexp"}, preset="cfps",
                        encoding="gbk")
    assert df.attrs["labels"]["household_id"] == "医疗"


def test_a_mapped_name_that_already_exists_is_refused(tmp_path):
    path = tmp_path / "c.csv"
    pd.DataFrame({"householdID": ["a", "b"], "HH_weight": [1.0, 2.0], "weight": [3.0, 4.0],
                  "oop": [1.0, 2.0], "consumption": [10.0, 20.0]}).to_csv(path, index=False)
    with pytest.raises(HealthcoverError, match=r"load_survey: 'c.csv' already has column\(s\) "
                       r"weight, the name\(s\) the mapping gives to other columns"):
        hd.load_survey(path, preset="charls")
    df = hd.load_survey(path, {"weight": "weight"}, preset="charls")
    assert df["weight"].tolist() == [3.0, 4.0]
