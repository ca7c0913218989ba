"""hc.export: tables to Stata .dta (with variable labels), Excel (one sheet per table), CSV."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import healthcover as hc
from healthcover import HealthcoverError

pyreadstat = pytest.importorskip("pyreadstat")
openpyxl = pytest.importorskip("openpyxl")


def se_table() -> pd.DataFrame:
    out = pd.DataFrame(
        {"estimate": [0.12, 0.03], "se": [0.01, 0.004], "ci_low": [0.1, 0.022],
         "ci_high": [0.14, 0.038]},
        index=pd.Index(["headcount", "overshoot"], name="measure"),
    )
    out.attrs["labels"] = {"estimate": "估计值 estimate", "se": "标准误 standard error"}
    return out


def by_quintile() -> pd.DataFrame:
    return pd.DataFrame({"quintile": [1, 2, 3], "share (%)": [30.5, 20.1, np.nan],
                         "scheme": ["大足", "Jilin", None], "insured": [True, False, True]})


def test_stata_file_keeps_values_index_and_labels(tmp_path):
    target = tmp_path / "se.dta"
    written = hc.export(se_table(), target)
    assert written == [target]
    df, meta = pyreadstat.read_dta(target)
    assert list(df.columns) == ["measure", "estimate", "se", "ci_low", "ci_high"]
    assert df["measure"].tolist() == ["headcount", "overshoot"]
    np.testing.assert_allclose(df["se"], [0.01, 0.004])
    labels = dict(zip(meta.column_names, meta.column_labels))
    assert labels["estimate"] == "估计值 estimate" and labels["se"] == "标准误 standard error"


def test_stata_names_are_made_valid_and_keep_the_original_as_label(tmp_path):
    target = tmp_path / "q.dta"
    hc.export(by_quintile(), target, labels={"quintile": "Consumption quintile"})
    df, meta = pyreadstat.read_dta(target)
    assert list(df.columns) == ["quintile", "share____", "scheme", "insured"]
    labels = dict(zip(meta.column_names, meta.column_labels))
    assert labels["share____"] == "share (%)" and labels["quintile"] == "Consumption quintile"
    assert df["scheme"].tolist() == ["大足", "Jilin", ""]
    assert df["insured"].tolist() == [1, 0, 1]
    assert np.isnan(df["share____"].iloc[2])


def test_excel_has_one_sheet_per_table_and_csv_one_file_per_table(tmp_path):
    tables = {"standard errors": se_table(), "by/quintile": by_quintile()}
    xlsx = hc.export(tables, tmp_path / "results.xlsx")
    book = openpyxl.load_workbook(xlsx[0])
    assert book.sheetnames == ["standard errors", "by_quintile"]
    back = pd.read_excel(xlsx[0], sheet_name="standard errors")
    assert back["measure"].tolist() == ["headcount", "overshoot"]
    csvs = hc.export(tables, tmp_path / "results.csv")
    assert [p.name for p in csvs] == ["results_standard_errors.csv", "results_by_quintile.csv"]
    assert pd.read_csv(csvs[1])["scheme"].tolist()[:2] == ["大足", "Jilin"]


def test_a_folder_receives_every_format(tmp_path):
    folder = tmp_path / "out"
    written = hc.export({"se": se_table(), "q": by_quintile()}, folder)
    assert sorted(p.name for p in written) == ["q.csv", "q.dta", "se.csv", "se.dta", "tables.xlsx"]
    only = hc.export({"se": se_table()}, tmp_path / "only", formats="csv")
    assert [p.name for p in only] == ["se.csv"]


def test_standard_errors_and_decomposition_tables_export(tmp_path):
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"oop": rng.exponential(30, 200), "cons": rng.uniform(100, 900, 200),
                       "w": rng.uniform(1, 2, 200), "psu": np.repeat(np.arange(20), 10)})
    se = hc.standard_errors(hc.protection.catastrophic, df, design=hc.SurveyDesign("w", psu="psu"),
                            oop="oop", consumption="cons", threshold=0.1, method="total")
    dec = hc.decompose_concentration(df, outcome="oop", determinants=["cons"], rank="cons")
    written = hc.export({"se": se, "decomposition": dec}, tmp_path / "t.dta")
    back = pyreadstat.read_dta(written[1])[0]
    assert back["determinant"].tolist() == ["cons", "residual", "total"]


@pytest.mark.parametrize("tables, kwargs, message", [
    ([1, 2], {}, r"export: tables must be a DataFrame or a mapping \{name: DataFrame\}; received list"),
    ({}, {}, r"received an empty mapping"),
    ({"a": [1]}, {}, r"export: table 'a' is list; every table must be a DataFrame"),
    ({"": pd.DataFrame({"x": [1]})}, {}, r"table name '' is not allowed"),
    ({"a": pd.DataFrame({"x": [1]})}, {"formats": "sav"}, r"formats \['sav'\] not allowed; "
     r"allowed: dta, xlsx, csv"),
    ({"a": pd.DataFrame({"x": [1]})}, {"labels": {"x": "y" * 81}},
     r"table 'a': the label of 'x' has 81 characters; Stata keeps at most 80"),
    ({"a": pd.DataFrame({"x": [1]}, index=pd.Index([5], name="x"))}, {},
     r"table 'a' has the column\(s\) x more than once"),
])
def test_export_errors(tmp_path, tables, kwargs, message):
    with pytest.raises(HealthcoverError, match=message):
        hc.export(tables, tmp_path / "out", **kwargs)


def test_export_file_errors(tmp_path):
    with pytest.raises(HealthcoverError, match=r"formats= applies when path is a folder"):
        hc.export(se_table(), tmp_path / "a.csv", formats="csv")
    with pytest.raises(HealthcoverError, match=r"folder '.*missing' does not exist"):
        hc.export(se_table(), tmp_path / "missing" / "a.dta")
