"""Survey designs and design-based standard errors (healthcover.survey).

Linearised and jackknife standard errors are checked against samplics, an independent
implementation of Stata's formulas (its TaylorEstimator and ReplicateEstimator), to 1e-6
relative; the concentration-index linearisation against finite differences of the estimator
and a naive jackknife; a case small enough to derive by hand against both methods.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import healthcover as hc
from healthcover import HealthcoverError
from healthcover import protection as pr
from healthcover import survey as sv

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # samplics announces that it is archived (FutureWarning)
    samplics = pytest.importorskip("samplics")
    from samplics import (PopParam, RepMethod, ReplicateEstimator, ReplicateWeight,
                          SinglePSUEst, TaylorEstimator)

REL = 1e-6
CAT = dict(oop="oop", consumption="cons", threshold=0.1, method="total", size="size")
IMP = dict(oop="oop", consumption="cons", poverty_line=200.0, size="size")


def households(seed: int = 0, n_strata: int = 6, zero_weights: bool = True) -> pd.DataFrame:
    """A stratified cluster sample: 2-6 PSUs per stratum, 2-12 households per PSU, unequal
    weights (a few 0), PSU codes reused across strata (PSUs are nested in strata)."""
    rng = np.random.default_rng(seed)
    parts = []
    for h in range(n_strata):
        for j in range(int(rng.integers(2, 7))):
            m = int(rng.integers(2, 13))
            parts.append(pd.DataFrame({"stratum": f"s{h}", "psu": j, "m": np.arange(m)}))
    df = pd.concat(parts, ignore_index=True)
    n = len(df)
    df["w"] = rng.uniform(0.5, 4.0, n) * (1 + df["stratum"].str[1:].astype(int))
    if zero_weights:
        df.loc[rng.choice(n, 3, replace=False), "w"] = 0.0
    df["size"] = rng.integers(1, 7, n).astype(float)
    df["cons"] = np.round(rng.lognormal(5.5, 0.7, n) * df["size"], 2)
    df["oop"] = np.round(rng.exponential(0.06, n) * df["cons"] * (rng.random(n) < 0.7), 2)
    df["food"] = np.round(df["cons"] * rng.uniform(0.3, 0.7, n), 2)
    df["ill"] = (rng.random(n) < 0.3 + 0.1 * (df["cons"] < df["cons"].median())).astype(float)
    df["pay"] = np.round(df["cons"] * rng.uniform(0.01, 0.05, n), 2)
    return df.drop(columns="m")


DESIGN = hc.SurveyDesign(weight="w", strata="stratum", psu="psu")


def taylor(param, y, df, x=None, fpc=1.0, single_psu=None):
    est = TaylorEstimator(param)
    kw = {} if single_psu is None else {"single_psu": single_psu}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.estimate(y=np.asarray(y, float), x=None if x is None else np.asarray(x, float),
                     samp_weight=df["w"].to_numpy(), stratum=df["stratum"].to_numpy(),
                     psu=df["psu"].to_numpy(), fpc=fpc, **kw)
    return est


def reference_ratios(df: pd.DataFrame) -> dict[str, tuple]:
    """(parameter, y, x) of each mean / ratio key, computed from the households' quantities."""
    hh = pr.catastrophic_households(df, **{k: v for k, v in CAT.items() if k != "size"})
    n = df["size"].to_numpy()
    pre = df["cons"].to_numpy() / n
    post = (df["cons"] - df["oop"]).to_numpy() / n
    z = IMP["poverty_line"]
    return {
        ("catastrophic", "headcount"): (PopParam.mean, hh["catastrophic"], None),
        ("catastrophic", "overshoot"): (PopParam.mean, hh["overshoot"], None),
        ("catastrophic", "mean_positive_overshoot"):
            (PopParam.ratio, hh["overshoot"], hh["catastrophic"]),
        ("impoverishment", "headcount_pre"): (PopParam.ratio, n * (pre < z), n),
        ("impoverishment", "headcount_post"): (PopParam.ratio, n * (post < z), n),
        ("impoverishment", "gap_post"): (PopParam.ratio, n * np.maximum(z - post, 0), n),
    }


def run(measure_name, df, **kw):
    measure = getattr(pr, measure_name)
    args = CAT if measure_name == "catastrophic" else IMP
    return hc.standard_errors(measure, df, design=kw.pop("design", DESIGN), progress=False,
                              **args, **kw)


# --------------------------------------------------------------------------- linearisation


@pytest.mark.parametrize("fpc", [None, "rate", "count"])
def test_linearization_matches_samplics_for_means_and_ratios(fpc):
    df = households(1)
    design = DESIGN
    fpc_dict = 1.0
    if fpc is not None:
        n_h = df.groupby("stratum")["psu"].nunique()
        rate = {s: 0.1 + 0.1 * i for i, s in enumerate(sorted(n_h.index))}
        df["f"] = df["stratum"].map(rate if fpc == "rate" else {s: n_h[s] / rate[s] for s in n_h.index})
        design = hc.SurveyDesign(weight="w", strata="stratum", psu="psu", fpc="f")
        fpc_dict = {s: 1 - rate[s] for s in rate}
    results = {m: run(m, df, design=design) for m in ("catastrophic", "impoverishment")}
    for (measure, key), (param, y, x) in reference_ratios(df).items():
        ref = taylor(param, y, df, x=x, fpc=fpc_dict)
        got = results[measure].loc[key]
        assert got["estimate"] == pytest.approx(ref.point_est, rel=1e-12), key
        assert got["se"] == pytest.approx(ref.stderror, rel=REL), key
        assert got["ci_low"] == pytest.approx(ref.lower_ci, rel=REL), key
        assert got["ci_high"] == pytest.approx(ref.upper_ci, rel=REL), key


def test_output_shape_names_and_design_degrees_of_freedom():
    df = households(2)
    out = run("catastrophic", df)
    assert list(out.columns) == ["estimate", "se", "ci_low", "ci_high"]
    assert list(out.index) == list(pr.CATASTROPHIC_KEYS) and out.index.name == "measure"
    d = df.groupby("stratum")["psu"].nunique().sum() - df["stratum"].nunique()
    assert out.attrs["design_df"] == d and out.attrs["se_method"] == "linearization"
    est = pr.catastrophic(df, weight="w", **CAT)
    assert out["estimate"].to_dict() == pytest.approx(est, rel=1e-12)
    assert (out["ci_low"] <= out["estimate"]).all() and (out["estimate"] <= out["ci_high"]).all()


def test_unified_shares_match_samplics_and_their_se_sums_behave():
    df = households(3)
    line = 230.0
    out = hc.standard_errors(pr.unified, df, design=DESIGN, oop="oop", consumption="cons",
                             poverty_line=line, size="size")
    n = df["size"].to_numpy()
    c, cp = df["cons"].to_numpy() / n, (df["cons"] - df["oop"]).to_numpy() / n
    pays = df["oop"].to_numpy() > 0
    ref = taylor(PopParam.ratio, n * (pays & (c >= line) & (cp < line)), df, x=n)
    assert ref.point_est > 0
    assert out.loc["impoverishing", "se"] == pytest.approx(ref.stderror, rel=REL)
    assert out["estimate"].sum() == pytest.approx(1.0)


def test_concentration_linearization_is_the_design_variance_of_the_exact_derivative():
    """z from the influence function equals finite differences of the estimator in the
    weights, and the linearised variance is samplics' variance of the total of w z."""
    df = households(4)
    kw = dict(variable="ill", rank="cons", bounds=(0, 1))
    z = pr.concentration_indices.influence(df, weight="w", **kw)
    rng = np.random.default_rng(0)
    w = df["w"].to_numpy()
    for k in rng.choice(len(df), 6, replace=False):
        eps = 1e-6 * max(w[k], 1.0)
        up = pr.concentration_indices(df.assign(w=w + eps * (np.arange(len(w)) == k)), weight="w", **kw)
        dn = pr.concentration_indices(df.assign(w=w - eps * (np.arange(len(w)) == k)), weight="w", **kw)
        for key in ("mean", "standard", "generalized", "wagstaff", "erreygers"):
            assert (up[key] - dn[key]) / (2 * eps) == pytest.approx(z[key][k], rel=1e-5, abs=1e-10)
    out = hc.standard_errors(pr.concentration_indices, df, design=DESIGN, **kw)
    for key in ("standard", "wagstaff", "erreygers"):
        ref = taylor(PopParam.total, z[key], df)
        assert out.loc[key, "se"] == pytest.approx(ref.stderror, rel=REL)


@pytest.mark.parametrize("measure, kw", [
    ("catastrophic", CAT),
    ("kakwani", dict(payment="pay", income="cons")),
    ("concentration_indices", dict(variable="oop", rank="cons")),
])
def test_influence_functions_are_derivatives_with_ties(measure, kw):
    df = households(5)
    df["cons"] = np.round(df["cons"], -2)  # many ties in the ranking variable
    f = getattr(pr, measure)
    z = f.influence(df, weight="w", **kw)
    w = df["w"].to_numpy()
    for k in (0, 7, len(df) - 1):
        e = np.zeros(len(w))
        e[k] = 1e-6
        up, dn = f(df.assign(w=w + e), weight="w", **kw), f(df.assign(w=w - e), weight="w", **kw)
        for key, zk in z.items():
            if zk is None:
                continue
            assert (up[key] - dn[key]) / 2e-6 == pytest.approx(zk[k], rel=1e-4, abs=1e-9), key


def test_linearization_agrees_with_jackknife_for_indices_and_kakwani():
    df = households(6, n_strata=12)
    for measure, kw in ((pr.kakwani, dict(payment="pay", income="cons")),
                        (pr.concentration_indices, dict(variable="ill", rank="cons"))):
        lin = hc.standard_errors(measure, df, design=DESIGN, **kw)
        jk = hc.standard_errors(measure, df, design=DESIGN, se="jackknife", progress=False, **kw)
        pd.testing.assert_series_equal(lin["estimate"], jk["estimate"])
        ratio = (lin["se"] / jk["se"]).to_numpy()
        assert np.all((ratio > 0.8) & (ratio < 1.25)), ratio


# --------------------------------------------------------------------------- a case by hand


def test_hand_derived_case_linearization_equals_jackknife():
    """One stratum, three PSUs of one household each, equal weights, catastrophic flags
    E = (1, 0, 0): H = 1/3.

    Linearisation: z_i = (E_i - H) / W = (2/9, -1/9, -1/9); PSU totals w z are the same;
    V = 3/2 * (4 + 1 + 1)/81 = 1/9, se = 1/3.
    Jackknife: deleting each PSU gives H = 0, 1/2, 1/2 (mean 1/3);
    V = (2/3) * (1/9 + 1/36 + 1/36) = 1/9, se = 1/3. t with 3 - 1 = 2 degrees of freedom.
    """
    df = pd.DataFrame({"oop": [50.0, 0, 0], "cons": [100.0, 100, 100], "w": 1.0,
                       "psu": [1, 2, 3]})
    design = hc.SurveyDesign(weight="w", psu="psu")
    kw = dict(oop="oop", consumption="cons", threshold=0.1, method="total")
    lin = hc.standard_errors(pr.catastrophic, df, design=design, **kw)
    with pytest.warns(UserWarning, match="no value for mean_positive_overshoot"):
        # dropping the catastrophic household's PSU leaves nobody catastrophic: MPO undefined
        jk = hc.standard_errors(pr.catastrophic, df, design=design, se="jackknife",
                                progress=False, **kw)
    for out in (lin, jk):
        assert out.loc["headcount", "estimate"] == pytest.approx(1 / 3)
        assert out.loc["headcount", "se"] == pytest.approx(1 / 3, rel=1e-12)
        assert out.loc["headcount", "ci_high"] == pytest.approx(1 / 3 + 4.302652729911275 / 3)


# --------------------------------------------------------------------------- jackknife


def test_jackknife_replicate_weights_match_samplics():
    df = households(7, zero_weights=False)
    ours = DESIGN.replicate_weights(df, method="jackknife")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rw = ReplicateWeight(RepMethod.jackknife, strat=True)
        theirs = rw.replicate(df["w"].to_numpy(), df["psu"].to_numpy(), df["stratum"].to_numpy())
    theirs = theirs.iloc[:, 3:].to_numpy()
    assert ours.shape == theirs.shape
    # the same set of replicate columns (order aside)
    key = lambda a: sorted(map(tuple, np.round(a.T, 9)))  # noqa: E731
    assert key(ours.to_numpy()) == key(theirs)


@pytest.mark.parametrize("key", ["headcount", "mean_positive_overshoot"])
def test_jackknife_matches_samplics(key):
    df = households(8)
    param, y, x = reference_ratios(df)[("catastrophic", key)]
    strata = sorted(df["stratum"].unique())
    reps = DESIGN.replicate_weights(df, method="jackknife")
    n_h = df.groupby("stratum")["psu"].nunique()

    def samplics_var(cols, coef, conservative):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est = ReplicateEstimator(RepMethod.jackknife, param).estimate(
                y=np.asarray(y, float), x=None if x is None else np.asarray(x, float),
                samp_weight=df["w"].to_numpy(), rep_weights=reps[cols].to_numpy(),
                rep_coefs=np.asarray(coef), conservative=conservative)
        return est.variance

    coef = [(n_h[c.split("_")[1]] - 1) / n_h[c.split("_")[1]] for c in reps.columns]
    # mse: deviations from the full-sample estimate (samplics' conservative form)
    mse = run("catastrophic", df, se="jackknife", mse=True)
    assert mse.loc[key, "se"] == pytest.approx(np.sqrt(samplics_var(list(reps.columns), coef, True)),
                                               rel=REL)
    # Stata's default: deviations from each stratum's replicate mean = the sum over strata of
    # samplics' variance from that stratum's replicates alone
    per_stratum = sum(
        samplics_var([c for c in reps.columns if c.split("_")[1] == s],
                     [(n_h[s] - 1) / n_h[s]] * int(n_h[s]), False)
        for s in strata)
    jk = run("catastrophic", df, se="jackknife")
    assert jk.loc[key, "se"] == pytest.approx(np.sqrt(per_stratum), rel=REL)


def naive_concentration(h, x, w):
    """C by its definition with explicit pairwise ranks (O(n^2)): R_i = (sum of weights below
    plus half the weights tied) / W."""
    h, x, w = (np.asarray(a, float) for a in (h, x, w))
    total = w.sum()
    below = (w[None, :] * (x[None, :] < x[:, None])).sum(axis=1)
    tied = (w[None, :] * (x[None, :] == x[:, None])).sum(axis=1)
    r = (below + tied / 2) / total
    mu = (w * h).sum() / total
    return 2 * (w * (h - mu) * (r - (w * r).sum() / total)).sum() / total / mu


def test_jackknife_of_a_concentration_index_against_a_naive_reference():
    df = households(9, n_strata=4)
    out = hc.standard_errors(pr.concentration_indices, df, design=DESIGN, se="jackknife",
                             progress=False, variable="oop", rank="cons", kinds="standard")
    var = 0.0
    for s, g in df.groupby("stratum"):
        psus = g["psu"].unique()
        reps = []
        for j in psus:
            w = df["w"].where(df["stratum"] != s, df["w"] * len(psus) / (len(psus) - 1))
            w = w.where(~((df["stratum"] == s) & (df["psu"] == j)), 0.0)
            reps.append(naive_concentration(df["oop"], df["cons"], w))
        reps = np.array(reps)
        var += (len(psus) - 1) / len(psus) * ((reps - reps.mean()) ** 2).sum()
    assert out.loc["standard", "estimate"] == pytest.approx(
        naive_concentration(df["oop"], df["cons"], df["w"]), rel=1e-12)
    assert out.loc["standard", "se"] == pytest.approx(np.sqrt(var), rel=1e-9)


def test_jackknife_of_a_dataframe_measure_gives_row_column_keys():
    df = households(10)
    df["young"] = (df["size"] > 3).astype(float)
    out = hc.standard_errors(pr.decompose_concentration, df, design=DESIGN, se="jackknife",
                             progress=False, outcome="oop", determinants=["size", "young"],
                             rank="cons")
    assert out.index.names == ["row", "column"]
    assert ("residual", "contribution") in out.index and ("size", "elasticity") in out.index
    assert ("residual", "coefficient") not in out.index  # not applicable: no key
    assert out["se"].notna().all()


# --------------------------------------------------------------------------- bootstrap


def test_rao_wu_replicates_are_seeded_and_keep_stratum_totals():
    df = households(11, zero_weights=False)
    prep = sv._prepare(DESIGN, df, "test")
    f1 = sv._rao_wu_factors(prep, 50, np.random.default_rng(3))
    f2 = sv._rao_wu_factors(prep, 50, np.random.default_rng(3))
    np.testing.assert_array_equal(f1, f2)
    sums = np.zeros((50, prep.H))
    for h in range(prep.H):
        sums[:, h] = f1[:, prep.psu_stratum == h].sum(axis=1)
    np.testing.assert_allclose(sums, np.broadcast_to(prep.n_h, sums.shape))
    assert (f1 >= 0).all()
    a = run("catastrophic", df, se="bootstrap", reps=40, seed=5)
    b = run("catastrophic", df, se="bootstrap", reps=40, seed=5)
    c = run("catastrophic", df, se="bootstrap", reps=40, seed=6)
    pd.testing.assert_frame_equal(a, b)
    assert not a["se"].equals(c["se"])
    assert a.attrs["replicates"] == 40


def test_bootstrap_agrees_with_linearization_and_honours_fpc():
    df = households(12, n_strata=10)
    lin = run("catastrophic", df)
    bs = run("catastrophic", df, se="bootstrap", reps=2000, seed=1)
    ratio = bs.loc["headcount", "se"] / lin.loc["headcount", "se"]
    assert 0.85 < ratio < 1.15
    census = df.assign(f=1.0)
    design = hc.SurveyDesign(weight="w", strata="stratum", psu="psu", fpc="f")
    for se in ("linearization", "jackknife", "bootstrap"):
        out = run("catastrophic", census, design=design, se=se, **({"reps": 20} if se == "bootstrap" else {}))
        assert (out["se"].dropna() < 1e-12).all(), se


def test_bootstrap_shows_a_progress_bar(capsys):
    df = households(13)
    hc.standard_errors(pr.impoverishment, df, design=DESIGN, se="bootstrap", reps=5, **IMP)
    assert "bootstrap impoverishment" in capsys.readouterr().err


def test_legacy_bootstrap_respects_strata():
    """y is constant within strata and PSUs within a stratum weigh the same: stratification
    leaves no sampling variance, which ignoring strata would invent."""
    df = pd.DataFrame({"stratum": np.repeat([0, 1, 2], 8), "psu": np.tile(np.repeat([0, 1, 2, 3], 2), 3)})
    df["oop"] = np.where(df["stratum"] == 0, 50.0, 0.0)
    df["cons"] = 100.0
    kw = dict(oop="oop", consumption="cons", threshold=0.1, method="total")
    strat = pr.bootstrap(pr.catastrophic, df, reps=50, seed=1, cluster="psu", strata="stratum",
                         progress=False, **kw)
    assert strat.loc["headcount", "se"] == pytest.approx(0.0, abs=1e-12)
    flat = pr.bootstrap(pr.catastrophic, df.assign(psu=df["stratum"] * 10 + df["psu"]), reps=50,
                        seed=1, cluster="psu", progress=False, **kw)
    assert flat.loc["headcount", "se"] > 0.05


@pytest.mark.parametrize("kwargs, message", [
    ({"reps": "many"}, r"bootstrap: reps = 'many' is not allowed; reps must be a whole number >= 2"),
    ({"reps": 1}, r"reps = 1 is not allowed"),
    ({"seed": "x"}, r"bootstrap: seed = 'x' is not allowed; seed must be a whole number >= 0"),
    ({"seed": -1}, r"seed = -1 is not allowed"),
    ({"level": 1.5}, r"bootstrap: level = 1.5 is outside the allowed range \(0, 1\)"),
    ({"cluster": "village"}, r"bootstrap: column 'village' \(cluster\) is not in the data"),
])
def test_legacy_bootstrap_rejects_bad_arguments(kwargs, message):
    df = households(14)
    with pytest.raises(HealthcoverError, match=message):
        pr.bootstrap(pr.catastrophic, df, progress=False, **{**CAT, **kwargs})


def test_legacy_bootstrap_rejects_a_measure_that_is_not_a_function():
    with pytest.raises(HealthcoverError, match=r"bootstrap: measure = 'catastrophic' is not a "
                       r"function; pass one such as healthcover.protection.catastrophic"):
        pr.bootstrap("catastrophic", households(14), progress=False, **CAT)


# --------------------------------------------------------------------------- singletons


def singleton_frame():
    df = households(15)
    lone = df["stratum"] == "s2"
    df.loc[lone, "psu"] = 0
    return df


def test_a_singleton_stratum_is_an_error_naming_it():
    with pytest.raises(HealthcoverError, match=r"standard_errors: stratum 's2' of column 'stratum' "
                       r"has only one PSU.*singleton='certainty'.*'scaled'.*'centered'.*singleunit"):
        run("catastrophic", singleton_frame())


def test_singleton_treatments():
    df = singleton_frame()
    designs = {m: hc.SurveyDesign(weight="w", strata="stratum", psu="psu", singleton=m)
               for m in ("certainty", "scaled", "centered")}
    cert = run("catastrophic", df, design=designs["certainty"])
    # Stata's certainty (the stratum adds nothing) is samplics' "skip" (samplics' own
    # "certainty" turns the lone PSU's households into PSUs)
    ref = taylor(PopParam.mean, reference_ratios(df)[("catastrophic", "headcount")][1], df,
                 single_psu=SinglePSUEst.skip)
    assert cert.loc["headcount", "se"] == pytest.approx(ref.stderror, rel=REL)
    scaled = run("catastrophic", df, design=designs["scaled"])
    H = df["stratum"].nunique()
    np.testing.assert_allclose(scaled["se"] ** 2, cert["se"] ** 2 * H / (H - 1), rtol=1e-12)
    # centered: the lone PSU's total of w z deviates from the mean of all PSU totals (0 for a
    # mean, whose influence values sum to 0) with factor 1
    cen = run("catastrophic", df, design=designs["centered"])
    e = pr.catastrophic_households(df, **{k: v for k, v in CAT.items() if k != "size"})["catastrophic"]
    w = df["w"]
    z = (e - (w * e).sum() / w.sum()) / w.sum()
    lone_total = (w * z)[df["stratum"] == "s2"].sum()
    assert cen.loc["headcount", "se"] ** 2 == pytest.approx(cert.loc["headcount", "se"] ** 2
                                                            + lone_total ** 2, rel=1e-10)
    jk = run("catastrophic", df, design=designs["scaled"], se="jackknife")
    jk_cert = run("catastrophic", df, design=designs["certainty"], se="jackknife")
    np.testing.assert_allclose(jk["se"] ** 2, jk_cert["se"] ** 2 * H / (H - 1), rtol=1e-12)
    with pytest.raises(HealthcoverError, match=r"singleton='centered' is defined for "
                       r"se='linearization'"):
        run("catastrophic", df, design=designs["centered"], se="jackknife")


def test_a_stratum_taken_whole_is_not_a_singleton():
    df = singleton_frame()
    df["f"] = np.where(df["stratum"] == "s2", 1.0, 0.0)
    out = run("catastrophic", df, design=hc.SurveyDesign(weight="w", strata="stratum",
                                                         psu="psu", fpc="f"))
    cert = run("catastrophic", df, design=hc.SurveyDesign(weight="w", strata="stratum", psu="psu",
                                                          singleton="certainty"))
    np.testing.assert_allclose(out["se"], cert["se"], rtol=1e-12)


# --------------------------------------------------------------------------- undefined keys


def test_an_undefined_estimate_has_undefined_standard_errors():
    df = households(16).assign(oop=0.0)
    for se in ("linearization", "jackknife", "bootstrap"):
        out = run("catastrophic", df, se=se, **({"reps": 10} if se == "bootstrap" else {}))
        assert np.isnan(out.loc["mean_positive_overshoot", ["estimate", "se", "ci_low"]]).all()
        assert out.loc["headcount", "se"] == 0.0
        assert out.loc["weighted_headcount", "se"] == 0.0


def test_a_replicate_without_a_value_is_reported():
    df = households(17)
    # exactly one catastrophic household: dropping its PSU leaves MPO undefined in that replicate
    df["oop"] = 0.0
    df.loc[df.index[df["w"] > 0][0], "oop"] = df["cons"].iloc[0]
    with pytest.warns(UserWarning, match=r"some jackknife replicates have no value for "
                      r"mean_positive_overshoot"):
        out = run("catastrophic", df, se="jackknife")
    assert np.isnan(out.loc["mean_positive_overshoot", "se"])
    assert np.isfinite(out.loc["headcount", "se"])


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("kwargs, message", [
    ({"se": "delta"}, r"standard_errors: se = 'delta' is not allowed; allowed: linearization, "
     r"jackknife, bootstrap"),
    ({"reps": 100}, r"standard_errors: reps = 100 applies to se='bootstrap'"),
    ({"se": "bootstrap", "reps": "many"}, r"reps = 'many' is not allowed; reps must be a whole "
     r"number >= 2"),
    ({"se": "bootstrap", "seed": "x"}, r"standard_errors: seed = 'x' is not allowed"),
    ({"level": 95}, r"standard_errors: level = 95 is outside the allowed range \(0, 1\)"),
    ({"weight": "w"}, r"weight= belongs to the design"),
    ({"mse": "yes"}, r"mse = 'yes' is not allowed; mse must be True or False"),
    ({"design": "w"}, r"design = 'w' is not a SurveyDesign"),
    ({"design": hc.SurveyDesign(weight="w", psu="village")},
     r"column 'village' \(psu\) is not in the data"),
    ({"design": hc.SurveyDesign(weight="weight")}, r"column 'weight' \(weight\) is not in the data"),
])
def test_standard_errors_rejects_bad_arguments(kwargs, message):
    df = households(18)
    design = kwargs.pop("design", DESIGN)
    with pytest.raises(HealthcoverError, match=message):
        hc.standard_errors(pr.catastrophic, df, design=design, progress=False, **CAT, **kwargs)


def test_standard_errors_rejects_bad_designs_and_measures():
    df = households(19)
    with pytest.raises(HealthcoverError, match=r"standard_errors: measure = 'catastrophic' is not "
                       r"a function"):
        hc.standard_errors("catastrophic", df, design=DESIGN, **CAT)
    with pytest.raises(HealthcoverError, match=r"column 'psu' \(psu\) is missing in rows 3, 5"):
        hc.standard_errors(pr.catastrophic, df.assign(psu=df["psu"].where(~df.index.isin([3, 5]))),
                           design=DESIGN, **CAT)
    with pytest.raises(HealthcoverError, match=r"column 'f' \(fpc\) varies within stratum 's0'"):
        hc.standard_errors(pr.catastrophic, df.assign(f=np.linspace(0.1, 0.2, len(df))),
                           design=hc.SurveyDesign(weight="w", strata="stratum", psu="psu", fpc="f"),
                           **CAT)
    with pytest.raises(HealthcoverError, match=r"column 'f' \(fpc\) is 1.5 in stratum 's0'.*a "
                       r"sampling fraction between 0 and 1, or the number of PSUs"):
        hc.standard_errors(pr.catastrophic, df.assign(f=1.5),
                           design=hc.SurveyDesign(weight="w", strata="stratum", psu="psu", fpc="f"),
                           **CAT)
    with pytest.raises(HealthcoverError, match=r"the design has only one PSU"):
        hc.standard_errors(pr.catastrophic, df.assign(psu=1), design=hc.SurveyDesign("w", psu="psu"),
                           **CAT)
    with pytest.raises(HealthcoverError, match=r"se='linearization' needs the measure's influence "
                       r"function and decompose_concentration has none.*use se='jackknife'"):
        hc.standard_errors(pr.decompose_concentration, df, design=DESIGN, outcome="oop",
                           determinants=["size"], rank="cons")
    with pytest.raises(HealthcoverError, match=r"SurveyDesign: singleton = 'drop' is not allowed; "
                       r"allowed: error, certainty, scaled, centered"):
        hc.SurveyDesign(weight="w", singleton="drop")
    with pytest.raises(HealthcoverError, match=r"SurveyDesign: psu = 3 is not allowed"):
        hc.SurveyDesign(weight="w", psu=3)


def test_design_summary_and_no_strata_no_psu():
    df = households(20)
    s = DESIGN.summary(df)
    assert s["strata"] == df["stratum"].nunique() and s["design_df"] == s["psus"] - s["strata"]
    # no psu: every household is a PSU; no weight: equal weights (= simple random sample)
    srs = hc.standard_errors(pr.catastrophic, df, design=hc.SurveyDesign(weight=None), **CAT)
    e = pr.catastrophic_households(df, **{k: v for k, v in CAT.items() if k != "size"})["catastrophic"]
    assert srs.loc["headcount", "se"] == pytest.approx(e.std(ddof=1) / np.sqrt(len(df)), rel=1e-12)
    jk = hc.standard_errors(pr.catastrophic, df, design=hc.SurveyDesign(weight=None), se="jackknife",
                            progress=False, **CAT)
    assert jk.loc["headcount", "se"] == pytest.approx(srs.loc["headcount", "se"], rel=1e-9)


# --------------------------------------------------------------------------- properties


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), scale=st.floats(0.01, 100), se=st.sampled_from(["linearization", "jackknife"]))
def test_row_order_psu_labels_and_weight_scale_change_nothing(seed, scale, se):
    df = households(seed, n_strata=3)
    base = run("catastrophic", df, se=se)
    shuffled = df.sample(frac=1, random_state=seed).assign(
        w=lambda d: d["w"] * scale,
        psu=lambda d: d["psu"].map({j: f"v{j * 7 % 11}" for j in range(10)}),
    )
    other = run("catastrophic", shuffled, se=se)
    np.testing.assert_allclose(other.to_numpy(), base.to_numpy(), rtol=1e-9, atol=1e-13)


def test_a_measure_without_weight_is_named():
    def mean_oop(df):
        return {"mean": float(df["oop"].mean())}

    with pytest.raises(HealthcoverError, match=r"which mean_oop does not accept; give it a "
                       r"weight=<column> argument"):
        hc.standard_errors(mean_oop, households(21), design=DESIGN, se="jackknife")


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    strata=st.lists(st.sampled_from([0, 1, "a", 2.5]), min_size=16, max_size=16),
    psu=st.lists(st.sampled_from([0, 1, 2, "x"]), min_size=16, max_size=16),
    w=st.lists(st.floats(0, 5), min_size=16, max_size=16),
    fpc=st.one_of(st.none(), st.floats(0, 1), st.floats(1, 30)),
    corrupt=st.sampled_from([None, None, None, "strata", "psu", "w", "inf", "fpc"]),
    singleton=st.sampled_from(sv.SINGLETON),
    se=st.sampled_from(sv.SE_METHODS),
)
def test_fuzzed_designs_give_an_error_or_finite_results(strata, psu, w, fpc, corrupt, singleton, se):
    df = households(22).head(16).reset_index(drop=True).assign(stratum=strata, psu=psu, w=w)
    if fpc is not None:
        df["f"] = fpc
    bad = {"strata": ("stratum", None), "psu": ("psu", np.nan), "w": ("w", -1.0),
           "inf": ("w", np.inf), "fpc": ("f", -2.0)}
    if corrupt in bad and (corrupt != "fpc" or fpc is not None):
        col, value = bad[corrupt]
        df[col] = df[col].astype(object) if value is None else df[col]
        df.loc[3, col] = value
    design = hc.SurveyDesign(weight="w", strata="stratum", psu="psu", singleton=singleton,
                             fpc=None if fpc is None else "f")
    try:
        out = hc.standard_errors(pr.impoverishment, df, design=design, se=se, progress=False,
                                 **({"reps": 5} if se == "bootstrap" else {}), **IMP)
    except HealthcoverError as exc:
        assert "\n" not in str(exc)
        event("error")
        return
    event("result")
    finite = np.isfinite(out["estimate"])
    assert np.isfinite(out.loc[finite, ["se", "ci_low", "ci_high"]].to_numpy()).all()
    assert (out["se"].dropna() >= 0).all()
