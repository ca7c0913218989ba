"""Concentration indices and their corrections, their decomposition, and the progressivity of
payments (healthcover.protection): definitions, closed forms and invariance properties."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import healthcover as hc
from healthcover import HealthcoverError
from healthcover import protection as pr


def by_definition(h, x, w, kind="standard", bounds=None):
    """The indices written out from their definitions (O'Donnell et al. 2016), with explicit
    pairwise fractional ranks."""
    h, x, w = (np.asarray(a, float) for a in (h, x, w))
    total = w.sum()
    below = (w[None, :] * (x[None, :] < x[:, None])).sum(axis=1)
    tied = (w[None, :] * (x[None, :] == x[:, None])).sum(axis=1)
    r = (below + tied / 2) / total
    mu = (w * h).sum() / total
    cov = (w * (h - mu) * (r - (w * r).sum() / total)).sum() / total
    c = 2 * cov / mu
    if kind == "standard":
        return c
    if kind == "generalized":
        return mu * c
    a, b = bounds
    if kind == "wagstaff":
        return (b - a) * mu * c / ((b - mu) * (mu - a))
    return 4 * mu * c / (b - a)


def frame(seed=0, n=60):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "income": np.round(rng.lognormal(7, 0.8, n), -1),   # ties
        "score": rng.uniform(0, 10, n),
        "ill": (rng.random(n) < 0.4).astype(float),
        "w": rng.uniform(0, 3, n),
    })


# --------------------------------------------------------------------------- concentration index


@pytest.mark.parametrize("kind", pr.CONCENTRATION_KINDS)
def test_indices_match_their_definitions(kind):
    df = frame(1)
    ranks = pr.weighted_fractional_rank(df["income"], df["w"])
    got = pr.concentration_index(df["score"], ranks, df["w"], kind=kind, bounds=(0, 10))
    assert got == pytest.approx(by_definition(df["score"], df["income"], df["w"], kind, (0, 10)),
                                rel=1e-12)
    measure = pr.concentration_indices(df, variable="score", rank="income", weight="w",
                                       bounds=(0, 10))
    assert measure[kind] == pytest.approx(got, rel=1e-12)


def test_closed_forms():
    # Gini of 1..n (equal weights) is (n - 1) / (3n)
    n = 50
    x = np.arange(1.0, n + 1)
    assert pr.concentration_index(x, pr.weighted_fractional_rank(x)) == pytest.approx((n - 1) / (3 * n))
    # illness entirely among the poorer half: Erreygers and Wagstaff reach -1, C = -1/2
    ill = pd.DataFrame({"ill": [1.0, 1, 0, 0], "income": [1.0, 2, 3, 4]})
    out = pr.concentration_indices(ill, variable="ill", rank="income")
    assert out == pytest.approx({"mean": 0.5, "standard": -0.5, "generalized": -0.25,
                                 "wagstaff": -1.0, "erreygers": -1.0})
    # equal shares: every index is 0
    flat = pd.DataFrame({"h": [2.0] * 5, "income": [1.0, 2, 3, 4, 5]})
    assert all(v == pytest.approx(0) for k, v in
               pr.concentration_indices(flat, variable="h", rank="income", bounds=(0, 4)).items()
               if k != "mean")


def test_bounds_are_needed_for_non_binary_variables_and_checked():
    df = frame(2)
    with pytest.raises(HealthcoverError, match=r"concentration_indices: kind 'wagstaff' needs "
                       r"bounds=\(a, b\), the lowest and highest values the variable can take"):
        pr.concentration_indices(df, variable="score", rank="income", kinds="wagstaff")
    ranks = pr.weighted_fractional_rank(df["income"])
    with pytest.raises(HealthcoverError, match=r"concentration_index: kind 'erreygers' needs bounds"):
        pr.concentration_index(df["score"], ranks, kind="erreygers")
    with pytest.raises(HealthcoverError, match=r"the variable takes values outside bounds \(0, 5\)"):
        pr.concentration_index(df["score"], ranks, kind="erreygers", bounds=(0, 5))
    with pytest.raises(HealthcoverError, match=r"bounds = \(3, 1\) is not allowed; give two finite "
                       r"numbers \(a, b\) with a < b"):
        pr.concentration_index(df["score"], ranks, kind="wagstaff", bounds=(3, 1))
    with pytest.raises(HealthcoverError, match=r"kind = 'gini' is not allowed; allowed: standard, "
                       r"generalized, wagstaff, erreygers"):
        pr.concentration_index(df["score"], ranks, kind="gini")
    with pytest.raises(HealthcoverError, match=r"rank has 3 values; it must have 60"):
        pr.concentration_index(df["score"], [0.1, 0.5, 0.9])
    with pytest.raises(HealthcoverError, match=r"concentration_index: w has negative values at "
                       r"positions 2; weights must be >= 0"):
        pr.concentration_index(df["score"], ranks, np.where(df.index == 2, -1.0, 1.0))
    with pytest.raises(HealthcoverError, match=r"w has a total of 0"):
        pr.concentration_index(df["score"], ranks, np.zeros(len(df)))
    with pytest.raises(HealthcoverError, match=r"h has missing or infinite values at positions 4"):
        pr.concentration_index(df["score"].where(df.index != 4), ranks)
    # a binary variable needs no bounds; without bounds the default keys skip the bounded ones
    assert "wagstaff" in pr.concentration_indices(df, variable="ill", rank="income")
    assert "wagstaff" not in pr.concentration_indices(df, variable="score", rank="income")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), k=st.floats(0.01, 100), c=st.floats(-50, 50),
       perm_seed=st.integers(0, 1000))
def test_invariance_properties(seed, k, c, perm_seed):
    df = frame(seed, 40)
    a, b = 0.0, 10.0
    base = pr.concentration_indices(df, variable="score", rank="income", weight="w", bounds=(a, b))
    # row order does not matter
    shuffled = df.sample(frac=1, random_state=perm_seed)
    again = pr.concentration_indices(shuffled, variable="score", rank="income", weight="w", bounds=(a, b))
    assert again == pytest.approx(base, rel=1e-9, abs=1e-12)
    # scale: C and Erreygers (with the bounds) unchanged, GC scales with the variable
    scaled = pr.concentration_indices(df.assign(score=df["score"] * k), variable="score",
                                      rank="income", weight="w", bounds=(a * k, b * k))
    assert scaled["standard"] == pytest.approx(base["standard"], rel=1e-9, abs=1e-12)
    assert scaled["generalized"] == pytest.approx(k * base["generalized"], rel=1e-9, abs=1e-12)
    assert scaled["erreygers"] == pytest.approx(base["erreygers"], rel=1e-9, abs=1e-12)
    assert scaled["wagstaff"] == pytest.approx(base["wagstaff"], rel=1e-9, abs=1e-12)
    # translation (with the bounds): Erreygers and Wagstaff unchanged, GC unchanged
    moved = pr.concentration_indices(df.assign(score=df["score"] + c), variable="score",
                                     rank="income", weight="w", bounds=(a + c, b + c))
    for key in ("erreygers", "wagstaff", "generalized"):
        assert moved[key] == pytest.approx(base[key], rel=1e-8, abs=1e-12)
    # mirror: the index of the shortfall b + a - h is minus the index of h
    mirror = pr.concentration_indices(df.assign(score=a + b - df["score"]), variable="score",
                                      rank="income", weight="w", bounds=(a, b))
    for key in ("erreygers", "wagstaff"):
        assert mirror[key] == pytest.approx(-base[key], rel=1e-9, abs=1e-12)
    # ranking only depends on order: a monotone transform of the ranking variable
    logged = pr.concentration_indices(df.assign(income=np.log(df["income"])), variable="score",
                                      rank="income", weight="w", bounds=(a, b))
    assert logged == pytest.approx(base, rel=1e-9, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_integer_weights_equal_duplicated_rows(seed):
    rng = np.random.default_rng(seed)
    df = frame(seed, 25).assign(w=rng.integers(0, 4, 25).astype(float))
    if df["w"].sum() == 0:
        df.loc[0, "w"] = 1.0
    dup = df.loc[df.index.repeat(df["w"].astype(int))].assign(w=1.0)
    a = pr.concentration_indices(df, variable="score", rank="income", weight="w", bounds=(0, 10))
    b = pr.concentration_indices(dup, variable="score", rank="income", weight="w", bounds=(0, 10))
    assert a == pytest.approx(b, rel=1e-9, abs=1e-12)


# --------------------------------------------------------------------------- decomposition


def test_decomposition_adds_up_and_matches_a_regression():
    rng = np.random.default_rng(3)
    n = 400
    df = pd.DataFrame({"income": rng.lognormal(7, 0.7, n), "age": rng.uniform(20, 80, n),
                       "rural": (rng.random(n) < 0.5).astype(float), "w": rng.uniform(0.5, 2, n)})
    df["spend"] = 5 + 0.02 * df["income"] + 0.3 * df["age"] - 4 * df["rural"] + rng.normal(0, 3, n)
    out = pr.decompose_concentration(df, outcome="spend", determinants=["income", "age", "rural"],
                                     rank="income", weight="w")
    assert list(out.index) == ["income", "age", "rural", "residual", "total"]
    c_y = pr.concentration_indices(df, variable="spend", rank="income", weight="w")["standard"]
    assert out.loc["total", "contribution"] == pytest.approx(c_y, rel=1e-12)
    assert out["contribution"].iloc[:-1].sum() == pytest.approx(c_y, rel=1e-12)
    assert out["percent"].iloc[:-1].sum() == pytest.approx(100.0)
    # weighted least squares by the normal equations
    X = np.column_stack([np.ones(n), df[["income", "age", "rural"]]])
    W = df["w"].to_numpy()
    beta = np.linalg.solve(X.T @ (W[:, None] * X), X.T @ (W * df["spend"]))
    np.testing.assert_allclose(out["coefficient"].iloc[:3], beta[1:], rtol=1e-9)
    # contribution = elasticity x concentration index; residual = GC of the residual / mean
    np.testing.assert_allclose(out["contribution"].iloc[:3],
                               out["elasticity"].iloc[:3] * out["concentration"].iloc[:3], rtol=1e-12)
    resid = df["spend"] - X @ beta
    gc_e = pr.concentration_indices(df.assign(e=resid), variable="e", rank="income", weight="w",
                                    kinds="generalized")["generalized"]
    mu = np.average(df["spend"], weights=W)
    assert out.loc["residual", "contribution"] == pytest.approx(gc_e / mu, rel=1e-8)
    assert np.isnan(out.loc["residual", "coefficient"])


def test_decomposition_generalized_and_erreygers():
    rng = np.random.default_rng(4)
    n = 300
    df = pd.DataFrame({"income": rng.lognormal(7, 0.7, n), "old": (rng.random(n) < 0.3).astype(float)})
    df["ill"] = ((rng.random(n) < 0.2 + 0.3 * df["old"]) | (df["income"] < 600)).astype(float)
    for kind in ("generalized", "erreygers"):
        out = pr.decompose_concentration(df, outcome="ill", determinants=["income", "old"],
                                         rank="income", kind=kind)
        want = pr.concentration_indices(df, variable="ill", rank="income")[kind]
        assert out.loc["total", "contribution"] == pytest.approx(want, rel=1e-12)
        assert out["contribution"].iloc[:-1].sum() == pytest.approx(want, rel=1e-12)
    # an outcome exactly linear in its determinants leaves no residual
    exact = df.assign(y=3 + 0.001 * df["income"] + 2 * df["old"])
    out = pr.decompose_concentration(exact, outcome="y", determinants=["income", "old"], rank="income")
    assert out.loc["residual", "contribution"] == pytest.approx(0.0, abs=1e-12)


def test_decomposition_errors():
    df = frame(5).assign(one=1.0, twice=lambda d: 2 * d["score"])
    kw = dict(outcome="ill", rank="income")
    with pytest.raises(HealthcoverError, match=r"determinant\(s\) one take one value"):
        pr.decompose_concentration(df, determinants=["score", "one"], **kw)
    with pytest.raises(HealthcoverError, match=r"determinants score, twice are collinear"):
        pr.decompose_concentration(df, determinants=["score", "twice"], **kw)
    with pytest.raises(HealthcoverError, match=r"kind 'wagstaff' has no linear decomposition"):
        pr.decompose_concentration(df, determinants=["score"], kind="wagstaff", **kw)
    with pytest.raises(HealthcoverError, match=r"determinants 'age' not in the data"):
        pr.decompose_concentration(df, determinants=["age"], **kw)
    with pytest.raises(HealthcoverError, match=r"the outcome 'ill' is also among the determinants"):
        pr.decompose_concentration(df, determinants=["ill"], **kw)
    with pytest.raises(HealthcoverError, match=r"kind 'erreygers' needs bounds"):
        pr.decompose_concentration(df, outcome="score", determinants=["ill"], rank="income",
                                   kind="erreygers")


# --------------------------------------------------------------------------- Kakwani


def test_kakwani_definitions_and_identities():
    df = frame(6, 200).assign(pay=lambda d: 0.02 * d["income"] + 0.00001 * d["income"] ** 2)
    k = pr.kakwani(df, payment="pay", income="income", weight="w")
    assert list(k) == list(pr.KAKWANI_KEYS)
    x, p, w = df["income"], df["pay"], df["w"]
    assert k["concentration"] == pytest.approx(by_definition(p, x, w), rel=1e-12)
    assert k["gini"] == pytest.approx(by_definition(x, x, w), rel=1e-12)
    assert k["kakwani"] == pytest.approx(k["concentration"] - k["gini"], rel=1e-12)
    assert k["kakwani"] > 0  # the rate rises with income: progressive
    g = np.average(p, weights=w) / np.average(x, weights=w)
    assert k["payment_share"] == pytest.approx(g)
    assert k["reynolds_smolensky"] == pytest.approx(g / (1 - g) * k["kakwani"], rel=1e-10)
    assert k["reynolds_smolensky"] == pytest.approx(k["gini"] - by_definition(x - p, x, w), rel=1e-10)
    assert k["gini_post"] == pytest.approx(by_definition(x - p, x - p, w), rel=1e-10)
    assert k["redistributive_effect"] == pytest.approx(
        k["reynolds_smolensky"] - k["reranking"], rel=1e-10, abs=1e-15)
    assert k["reranking"] >= -1e-12  # reranking never reduces inequality


def test_kakwani_proportional_flat_and_errors():
    df = frame(7, 100)
    prop = pr.kakwani(df.assign(pay=0.05 * df["income"]), payment="pay", income="income")
    assert prop["kakwani"] == pytest.approx(0, abs=1e-12)
    assert prop["reynolds_smolensky"] == pytest.approx(0, abs=1e-12)
    flat = pr.kakwani(df.assign(pay=50.0), payment="pay", income="income")
    assert flat["kakwani"] == pytest.approx(-flat["gini"])  # a poll tax: C_p = 0
    assert flat["reynolds_smolensky"] < 0  # a regressive payment raises inequality
    with pytest.raises(HealthcoverError, match=r"kakwani: payment 'pay' is 0 for every household"):
        pr.kakwani(df.assign(pay=0.0), payment="pay", income="income")
    with pytest.raises(HealthcoverError, match=r"payments \('pay', mean .*\) are at least income"):
        pr.kakwani(df.assign(pay=df["income"] * 2), payment="pay", income="income")
    with pytest.raises(HealthcoverError, match=r"column 'income' \(income\) must be positive"):
        pr.kakwani(df.assign(pay=1.0, income=0.0), payment="pay", income="income")
    assert hc.kakwani is pr.kakwani
