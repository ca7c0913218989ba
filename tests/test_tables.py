"""healthcover.tables: reader tables (names, blanks, formatted numbers) and parameter sources."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import pandas as hpd

import healthcover as hc
from healthcover import HealthcoverError
from healthcover.tables import ReaderTable, parameter_sources, reader_table


@pytest.fixture(scope="module")
def dazu():
    return hc.load_scheme("dazu-resident", "tier2")


def test_codes_become_the_scheme_files_names(dazu):
    frame = pd.DataFrame({"cell": ["category=rural_dibao_minor", "category=adult, facility=county", ""],
                          "category": ["minor", "adult", "nobody"], "fund_paid": [1.0, 2.0, 3.0]})
    t = reader_table(frame, dazu).to_frame()
    assert list(t.columns) == ["Applies to", "Category", "Fund pays (CNY)"]
    assert t.iloc[0, 0] == "Rural dibao etc. (minor)"
    assert t.iloc[1, 0].startswith("Adult; ")
    assert t.iloc[:, 1].tolist()[:2] == ["Minor (students and children)", "Adult"]
    assert t.iloc[2, 1] == "nobody"  # not a code of the scheme: kept
    zh = reader_table(frame, dazu, lang="zh").to_frame()
    assert zh.iloc[0, 0] == "农村低保等(未成年)" and zh.columns[2] == "基金支付(元)"
    html = reader_table(frame, dazu).to_html()
    assert "rural_dibao_minor" not in html and "category=" not in html


def test_index_levels_and_engine_codes(dazu):
    frame = pd.DataFrame({"limit_reason": pd.Categorical(["none", "annual_limit"]),
                          "oop": [10.0, 2500.5]},
                         index=pd.Index(["adult", "minor"], name="category"))
    t = reader_table(frame, dazu).to_frame()
    assert t.index.tolist() == ["Adult", "Minor (students and children)"]
    assert t.index.name == "Category"
    assert t["Limit reached"].tolist() == ["", "Annual limit"]


def test_blanks_numbers_and_truncation():
    frame = pd.DataFrame({"x": [1.0, np.nan, 35100.5, 0.12345], "n": [1, 2, 3, 1_000_000],
                          "s": [None, "a", pd.NA, "b"], "flag": [True, False, True, False],
                          "d": pd.to_datetime(["2024-01-01", None, "2024-03-01", "2024-04-01"])})
    html = reader_table(frame).to_html()
    for bad in (">nan<", ">NaN<", ">None<", ">NaT<", "&lt;NA&gt;"):
        assert bad not in html
    assert ">35,100.5000<" in html  # one number of decimals per column (at most four)
    assert ">0.1235<" in html and ">1,000,000<" in html and ">2024-03-01<" in html
    assert ">yes<" in html
    long = reader_table(pd.DataFrame({"v": range(1000)}), max_rows=60).to_html()
    assert "1,000 rows x 1 columns, first and last five shown" in long
    assert long.count("<tr>") == 1 + 10  # header and ten rows (plus the ellipsis row)
    assert len(reader_table(pd.DataFrame({"v": range(1000)})).to_frame()) == 1000


def test_numbers_stay_numbers_for_export():
    frame = pd.DataFrame({"oop": [1.5, np.nan]})
    out = reader_table(frame).to_frame()
    assert out["Out of pocket (CNY)"].dtype == float
    assert np.isnan(out["Out of pocket (CNY)"].iloc[1])


def test_bad_arguments_are_named():
    with pytest.raises(HealthcoverError, match=r"reader_table: frame must be a pandas DataFrame"):
        reader_table([1, 2])
    with pytest.raises(HealthcoverError, match=r"lang"):
        reader_table(pd.DataFrame({"a": [1]}), lang="fr")
    with pytest.raises(HealthcoverError, match=r"reader_table: scheme must be a loaded scheme"):
        reader_table(pd.DataFrame({"a": [1]}), scheme="dazu-resident")
    with pytest.raises(HealthcoverError, match=r"labels\['category'\] must map codes"):
        reader_table(pd.DataFrame({"a": [1]}), labels={"category": "x"})


@pytest.mark.parametrize("scheme_id", hc.list_schemes())
def test_parameter_sources_for_every_scheme(scheme_id):
    s = hc.load_scheme(scheme_id)
    t = parameter_sources(s)
    frame = t.to_frame()
    assert len(frame) == len(s.parameter_table())
    assert list(frame.columns) == ["Parameter", "Applies to", "Value used",
                                   "Permitted by the document",
                                   "Source (document, article, lines)", "Quote", "Note"]
    html = t.to_html()
    assert "(fèi)" not in html and "(zhǔn)" not in html and ">nan<" not in html
    assert not frame["Applies to"].astype(str).str.contains(r"\bcategory=").any()


@settings(max_examples=40, deadline=None)
@given(hpd.data_frames([hpd.column("a", dtype=float), hpd.column(
    "b", dtype=object,
    # a text that reads "NaN" is the data's own word and is shown as written
    elements=st.one_of(st.none(), st.text(max_size=5).filter(lambda t: t not in ("nan", "NaN", "None"))))]))
def test_html_never_shows_missing_markers(frame):
    html = reader_table(frame).to_html()
    assert ">nan<" not in html and ">None<" not in html and ">NaN<" not in html
    assert isinstance(reader_table(frame), ReaderTable)
