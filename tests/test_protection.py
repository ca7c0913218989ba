"""Financial-protection measures: hand-computed examples for every method and key, edge cases,
pinned error messages, and properties checked against a deliberately naive reference."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from healthcover import HealthcoverError
from healthcover import protection as pr

REL = 1e-12


def assert_measures(got: dict, expected: dict) -> None:
    assert list(got) == list(expected)
    for k, v in expected.items():
        if isinstance(v, float) and math.isnan(v):
            assert math.isnan(got[k]), k
        else:
            assert got[k] == pytest.approx(v, rel=REL, abs=1e-15), k


# Four households; A and B tie on consumption.
#   A oop 0 / 100 -> 0; B 20/100 -> 0.2; C 5/200 -> 0.025; D 100/400 -> 0.25
BASE = pd.DataFrame(
    {
        "oop": [0.0, 20.0, 5.0, 100.0],
        "cons": [100.0, 100.0, 200.0, 400.0],
        "food": [50.0, 80.0, 150.0, 100.0],
        "w": [1.0, 3.0, 0.0, 2.0],
    },
    index=list("ABCD"),
).reset_index(drop=True)


def test_total_unweighted_hand_computed():
    # E = [0,1,0,1]; O_i = [0, .1, 0, .15]; ranks with A,B tied: [.25, .25, .625, .875]
    # cov(E,R) = .03125 -> C_E = .125; cov(O,R) = .0078125 -> C_O = .25
    got = pr.catastrophic(BASE, oop="oop", consumption="cons", threshold=0.1, method="total")
    assert_measures(got, {
        "headcount": 0.5,
        "overshoot": 0.0625,
        "mean_positive_overshoot": 0.125,
        "concentration_headcount": 0.125,
        "concentration_overshoot": 0.25,
        "weighted_headcount": 0.4375,
        "weighted_overshoot": 0.046875,
    })


def test_total_weighted_with_a_zero_weight_row():
    # Weights [1,3,0,2]: C counts nowhere. W = 6; ranks A,B = 2/6, D = 5/6.
    # H = 5/6, O = .6/6 = .1, C_E = 1/15, C_O = 1/6.
    got = pr.catastrophic(BASE, oop="oop", consumption="cons", threshold=0.1, method="total",
                          weight="w")
    assert_measures(got, {
        "headcount": 5 / 6,
        "overshoot": 0.1,
        "mean_positive_overshoot": 0.12,
        "concentration_headcount": 1 / 15,
        "concentration_overshoot": 1 / 6,
        "weighted_headcount": 7 / 9,
        "weighted_overshoot": 1 / 12,
    })
    # ... and equals dropping that row
    dropped = pr.catastrophic(BASE.drop(index=2), oop="oop", consumption="cons", threshold=0.1,
                              method="total", weight="w")
    assert_measures(got, dropped)


def test_nonfood_hand_computed_and_strict_threshold():
    # d = cons - food = [50, 20, 50, 300]; r = [0, 1, .1, 1/3]; C's r = .1 is not > .1.
    # O_i = [0, .9, 0, 7/30]; O = 17/60; C_O = -33/136.
    got = pr.catastrophic(BASE, oop="oop", consumption="cons", threshold=0.1, method="nonfood",
                          food="food")
    assert_measures(got, {
        "headcount": 0.5,
        "overshoot": 17 / 60,
        "mean_positive_overshoot": 17 / 30,
        "concentration_headcount": 0.125,
        "concentration_overshoot": -33 / 136,
        "weighted_headcount": 0.4375,
        "weighted_overshoot": 169 / 480,
    })


def test_discretionary_hand_computed_with_nonpositive_budget():
    # z = 20; d = cons - 20 size = [60, 20, 180, 300, -10]; E's d <= 0: not counted.
    # r = [0, 1, 1/36, 1/3, -]; at .25: E = [0,1,0,1,0], O_i = [0,.75,0,1/12,0].
    # rank by cons/size = [50, 25, 200, 80, 16.7] -> R = [.5, .3, .9, .7, .1]
    df = pd.DataFrame({"oop": [0.0, 20, 5, 100, 10], "cons": [100.0, 100, 200, 400, 50],
                       "size": [2, 4, 1, 5, 3]})
    got = pr.catastrophic(df, oop="oop", consumption="cons", threshold=0.25,
                          method="discretionary", size="size", poverty_line=20)
    assert_measures(got, {
        "headcount": 0.4,
        "overshoot": 1 / 6,
        "mean_positive_overshoot": 5 / 12,
        "concentration_headcount": 0.0,
        "concentration_overshoot": -0.32,
        "weighted_headcount": 0.4,
        "weighted_overshoot": 0.22,
    })
    hh = pr.catastrophic_households(df, oop="oop", consumption="cons", threshold=0.25,
                                    method="discretionary", size="size", poverty_line=20)
    assert hh["budget"].tolist() == [60, 20, 180, 300, -10]
    assert np.isnan(hh["share"].iloc[4]) and hh["catastrophic"].iloc[4] == 0
    assert hh["rank"].tolist() == pytest.approx([0.5, 0.3, 0.9, 0.7, 0.1])


def test_capacity_to_pay_hand_computed():
    # Food shares .3 .4 .5 .6 .7 (equal weights): cumulative shares .2 .4 .6 .8 1, so the
    # 45th and 55th percentiles are both .5 and the band is household 3 alone (size 4).
    # se = 50 / 4**.56; s_i = se * size_i**.56: 50 for size 4, 50/4**.56 (~23) for size 1.
    # Every food >= s_i, so d = cons - s_i.
    df = pd.DataFrame({"oop": [10.0, 40, 5, 20, 0], "cons": [100.0] * 5,
                       "food": [30.0, 40, 50, 60, 70], "size": [1, 1, 4, 1, 1]})
    s1 = 50 / 4**0.56
    d = np.array([100 - s1, 100 - s1, 50, 100 - s1, 100 - s1])
    hh = pr.catastrophic_households(df, oop="oop", consumption="cons", threshold=0.4,
                                    method="capacity_to_pay", food="food", size="size")
    np.testing.assert_allclose(hh["budget"], d, rtol=1e-14)
    # r = [.13, .52, .1, .26, 0] -> only household 2 is catastrophic at 40%.
    r2 = 40 / (100 - s1)
    # Ranks by cons/size: [100,100,25,100,100] -> household 3 first (R = .1), others tie at .6
    ranks = np.array([0.6, 0.6, 0.1, 0.6, 0.6])
    e = np.array([0, 1, 0, 0, 0.0])
    # cov = [.8*.1 + 3*(-.2*.1) + (-.2)(-.4)]/5 = .02 -> C = 2*.02/.2 = .2
    c_e = 2 * np.mean((e - 0.2) * (ranks - 0.5)) / 0.2
    got = pr.catastrophic(df, oop="oop", consumption="cons", threshold=0.4,
                          method="capacity_to_pay", food="food", size="size")
    o = (r2 - 0.4) / 5
    assert c_e == pytest.approx(0.2)
    assert_measures(got, {
        "headcount": 0.2,
        "overshoot": o,
        "mean_positive_overshoot": r2 - 0.4,
        "concentration_headcount": 0.2,
        "concentration_overshoot": 0.2,
        "weighted_headcount": 0.16,
        "weighted_overshoot": o * 0.8,
    })


def test_capacity_to_pay_food_below_subsistence_uses_food():
    # Band = households 2,3 (shares .5 .5 after the tie): se = 50; household 1 eats 10 < 50,
    # so its budget is cons - food = 90, not cons - 50.
    df = pd.DataFrame({"oop": [0.0, 0, 0, 0], "cons": [100.0, 100, 100, 100],
                       "food": [10.0, 50, 50, 90]})
    hh = pr.catastrophic_households(df, oop="oop", consumption="cons", threshold=0.4,
                                    method="capacity_to_pay", food="food")
    assert hh["budget"].tolist() == [90.0, 50.0, 50.0, 50.0]


def test_capacity_to_pay_band_is_inclusive_and_weighted():
    # Shares .2 .5 .5 .8 with weights 1 1 1 7: cumulative .1 .2 .3 1 -> p45 = p55 = .8,
    # the heavy household alone; se = its food 80.
    df = pd.DataFrame({"oop": [0.0] * 4, "cons": [100.0] * 4, "food": [20.0, 50, 50, 80],
                       "w": [1.0, 1, 1, 7]})
    hh = pr.catastrophic_households(df, oop="oop", consumption="cons", threshold=0.4,
                                    method="capacity_to_pay", food="food", weight="w")
    assert hh["budget"].tolist() == [80.0, 50.0, 50.0, 20.0]
    # Equal weights: cumulative .25 .5 .75 1 -> p45 = p55 = .5: both tied households are in
    # the band (inclusive), se = 50.
    hh = pr.catastrophic_households(df, oop="oop", consumption="cons", threshold=0.4,
                                    method="capacity_to_pay", food="food")
    assert hh["budget"].tolist() == [80.0, 50.0, 50.0, 50.0]


def test_weighted_percentile_definition():
    x = np.array([1.0, 2, 3, 4])
    assert pr.weighted_percentile(x, None, 0.5) == 2.0  # cumulative .5 >= .5
    assert pr.weighted_percentile(x, None, 0.45) == 2.0
    assert pr.weighted_percentile(x, None, 0.55) == 3.0
    assert pr.weighted_percentile(x, None, 0.0) == 1.0
    w = np.array([0.0, 1, 1, 2])  # the zero-weight 1 never decides
    assert pr.weighted_percentile(x, w, 0.0) == 2.0
    assert pr.weighted_percentile(x, w, 0.45) == 3.0
    assert pr.weighted_percentile(x, w, 0.55) == 4.0
    np.testing.assert_array_equal(pr.weighted_percentile(x, w, [0.45, 0.55]), [3.0, 4.0])


def test_weighted_percentile_large_path_equals_full_sort():
    rng = np.random.default_rng(3)
    for _ in range(5):
        x = np.round(rng.lognormal(0, 1, 250_000), 2)  # many ties
        w = rng.integers(0, 4, x.size).astype(float)
        keep = w > 0
        o = np.argsort(x[keep], kind="stable")
        share = np.cumsum(w[keep][o]) / w[keep].sum()
        ref = x[keep][o][np.searchsorted(share, [0.45, 0.55])]
        np.testing.assert_array_equal(pr.weighted_percentile(x, w, [0.45, 0.55]), ref)


def test_fractional_rank_ties_share_mean_rank():
    x = np.array([3.0, 1.0, 3.0, 2.0, 3.0])
    w = np.array([1.0, 2.0, 1.0, 0.0, 2.0])
    # W = 6: x=1 -> (0+1)/6; x=2 (weight 0) -> 2/6; x=3 group weight 4 -> (2+2)/6
    np.testing.assert_allclose(pr.weighted_fractional_rank(x, w),
                               [4 / 6, 1 / 6, 4 / 6, 2 / 6, 4 / 6])
    np.testing.assert_allclose(pr.weighted_fractional_rank(np.array([5.0, 1, 3])),
                               [5 / 6, 1 / 6, 3 / 6])


def test_rank_column_overrides_consumption():
    df = BASE.assign(r=[4.0, 3.0, 2.0, 1.0])  # reverse order
    got = pr.catastrophic(df, oop="oop", consumption="cons", threshold=0.1, method="total",
                          rank="r")
    # R = [.875, .625, .375, .125]; cov(E,R) = (-.1875+.0625+.0625-.1875)/4 -> C_E = -.25
    assert got["concentration_headcount"] == pytest.approx(-0.25)
    # cov(O,R) = [.1*.125 + .15*(-.375)]/4 = -0.0109375 -> C_O = -0.35
    assert got["concentration_overshoot"] == pytest.approx(-0.35)


def test_zero_oop_everywhere():
    df = BASE.assign(oop=0.0)
    got = pr.catastrophic(df, oop="oop", consumption="cons", threshold=0.1, method="total")
    assert got["headcount"] == 0 and got["overshoot"] == 0
    assert math.isnan(got["mean_positive_overshoot"])
    assert math.isnan(got["concentration_headcount"])
    assert math.isnan(got["concentration_overshoot"])
    assert got["weighted_headcount"] == 0 and got["weighted_overshoot"] == 0
    u = pr.unified(df, oop="oop", consumption="cons", poverty_line=10)
    assert u == {"zero": 1.0, "immiserizing": 0.0, "impoverishing": 0.0,
                 "catastrophic": 0.0, "non_catastrophic": 0.0}
    imp = pr.impoverishment(df, oop="oop", consumption="cons", poverty_line=150)
    assert imp["headcount_pre"] == imp["headcount_post"] == 0.5  # the two at 100 < 150
    assert imp["gap_pre"] == imp["gap_post"]


def test_everyone_catastrophic_has_zero_concentration():
    df = BASE.assign(oop=[90.0, 90, 190, 390])
    got = pr.catastrophic(df, oop="oop", consumption="cons", threshold=0.1, method="total")
    assert got["headcount"] == 1.0
    assert got["concentration_headcount"] == 0.0
    assert got["weighted_headcount"] == 1.0


def test_oop_above_consumption():
    df = pd.DataFrame({"oop": [150.0, 0.0], "cons": [100.0, 100.0]})
    got = pr.catastrophic(df, oop="oop", consumption="cons", threshold=0.25, method="total")
    assert got["headcount"] == 0.5
    assert got["overshoot"] == pytest.approx((1.5 - 0.25) / 2)
    imp = pr.impoverishment(df, oop="oop", consumption="cons", poverty_line=40)
    # post-payment consumption -50 < 40: gap 90 for half the persons
    assert imp["headcount_post"] == 0.5
    assert imp["gap_post"] == pytest.approx(45.0)
    assert imp["normalized_gap_post"] == pytest.approx(45 / 40)


def test_food_above_consumption_is_not_catastrophic_under_nonfood():
    df = pd.DataFrame({"oop": [50.0, 50.0], "cons": [100.0, 100.0], "food": [120.0, 20.0]})
    hh = pr.catastrophic_households(df, oop="oop", consumption="cons", threshold=0.4,
                                    method="nonfood", food="food")
    assert hh["budget"].tolist() == [-20.0, 80.0]
    assert np.isnan(hh["share"].iloc[0]) and hh["catastrophic"].tolist() == [0.0, 1.0]
    got = pr.catastrophic(df, oop="oop", consumption="cons", threshold=0.4, method="nonfood",
                          food="food")
    assert got["headcount"] == 0.5


# Unified and impoverishment share one example, poverty line 20 per person, tau = .4.
#   A oop 0            -> zero            (size 2)
#   B c 15 < 20, oop 5  -> immiserizing    (size 2)
#   C c 25, c' 17.5     -> impoverishing   (size 4)
#   D c' 35, 30 > .4*60 -> catastrophic    (size 2)
#   E c' 40, 20 <= 24   -> non_catastrophic (size 2)
#   F oop = cons        -> impoverishing   (size 1)
UNI = pd.DataFrame({
    "oop": [0.0, 5, 30, 30, 20, 100],
    "cons": [100.0, 30, 100, 100, 100, 100],
    "size": [2, 2, 4, 2, 2, 1],
})


def test_unified_hand_computed():
    got = pr.unified(UNI, oop="oop", consumption="cons", poverty_line=20, size="size")
    assert_measures(got, {"zero": 2 / 13, "immiserizing": 2 / 13, "impoverishing": 5 / 13,
                          "catastrophic": 2 / 13, "non_catastrophic": 2 / 13})
    assert sum(got.values()) == pytest.approx(1.0)
    # With weights: household D counts 3 times, F not at all -> persons 2,2,4,6,2 = 16
    w = UNI.assign(w=[1.0, 1, 1, 3, 1, 0])
    got = pr.unified(w, oop="oop", consumption="cons", poverty_line=20, size="size", weight="w")
    assert_measures(got, {"zero": 2 / 16, "immiserizing": 2 / 16, "impoverishing": 4 / 16,
                          "catastrophic": 6 / 16, "non_catastrophic": 2 / 16})


def test_unified_threshold_boundary_is_not_catastrophic():
    # D pays exactly .5 of its discretionary budget 60: oop 30 <= .5*60 -> non_catastrophic
    got = pr.unified(UNI, oop="oop", consumption="cons", poverty_line=20, size="size",
                     threshold=0.5)
    assert got["catastrophic"] == 0.0
    assert got["non_catastrophic"] == pytest.approx(4 / 13)


def test_impoverishment_hand_computed():
    # x_pre = [50,15,25,50,50,100]; x_post = [50,12.5,17.5,35,40,0]; persons 13
    got = pr.impoverishment(UNI, oop="oop", consumption="cons", poverty_line=20, size="size")
    assert_measures(got, {
        "headcount_pre": 2 / 13,
        "headcount_post": 7 / 13,
        "gap_pre": 10 / 13,
        "gap_post": 45 / 13,
        "normalized_gap_pre": 1 / 26,
        "normalized_gap_post": 9 / 52,
    })


def test_impoverishment_poverty_is_strict():
    df = pd.DataFrame({"oop": [0.0], "cons": [40.0], "size": [2]})
    got = pr.impoverishment(df, oop="oop", consumption="cons", poverty_line=20, size="size")
    assert got["headcount_pre"] == 0.0 and got["gap_pre"] == 0.0


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "change, kwargs, message",
    [
        ({}, {"oop": "spend"}, r"catastrophic: column 'spend' \(oop\) is not in the data; "
         r"columns are: oop, cons, food, w"),
        ({"oop": [0.0, np.nan, 5, np.nan]}, {},
         r"column 'oop' \(oop\) has missing or infinite values in rows 1, 3"),
        ({"oop": [0.0, 20, -5, 100]}, {}, r"column 'oop' \(oop\) has negative values in row 2; "
         r"money amounts must be >= 0"),
        ({"cons": [0.0, 100, 200, -1]}, {},
         r"column 'cons' \(consumption\) must be positive; values <= 0 in rows 0, 3"),
        ({"w": [1.0, -3, 0, 2]}, {"weight": "w"},
         r"column 'w' \(weight\) has negative values in row 1; weights must be >= 0"),
        ({"w": [0.0, 0, 0, 0]}, {"weight": "w"}, r"column 'w' \(weight\) has a total weight of 0"),
        ({"food": [1.0, -1, 1, 1]}, {"method": "nonfood", "food": "food"},
         r"column 'food' \(food\) has negative values in row 1"),
        ({"cons": ["a", "b", "c", "d"]}, {}, r"column 'cons' \(consumption\) must be numeric"),
        ({}, {"method": "nonfood"}, r"method 'nonfood' needs the food column"),
        ({}, {"method": "discretionary"}, r"method 'discretionary' needs poverty_line"),
        ({}, {"method": "income"}, r"method 'income' is not known; allowed: total, nonfood, "
         r"capacity_to_pay, discretionary"),
        ({}, {"threshold": -0.1}, r"threshold must be a number >= 0; received -0.1"),
    ],
)
def test_catastrophic_rejects_bad_input(change, kwargs, message):
    df = BASE.assign(**change)
    args = dict(oop="oop", consumption="cons", threshold=0.1, method="total") | kwargs
    with pytest.raises(HealthcoverError, match=message):
        pr.catastrophic(df, **args)


def test_size_must_be_positive_and_is_named():
    df = UNI.assign(size=[2, 0, 4, 2, 2, 1])
    with pytest.raises(HealthcoverError, match=r"unified: column 'size' \(size\) must be "
                       r"positive; values <= 0 in row 1"):
        pr.unified(df, oop="oop", consumption="cons", poverty_line=20, size="size")
    with pytest.raises(HealthcoverError, match=r"impoverishment: poverty_line must be a "
                       r"positive number; received 0"):
        pr.impoverishment(UNI, oop="oop", consumption="cons", poverty_line=0)


def test_rows_are_named_by_index_label():
    df = BASE.set_axis(["h1", "h2", "h3", "h4"]).assign(oop=[0.0, -1, 0, 0])
    with pytest.raises(HealthcoverError, match="negative values in row h2"):
        pr.impoverishment(df, oop="oop", consumption="cons", poverty_line=1)


# --------------------------------------------------------------------------- properties


def naive_catastrophic(df, *, oop, consumption, threshold, method, food=None, size=None,
                       weight=None, poverty_line=None, rank=None):
    """A slow, literal reading of the definitions (loops, no shared code)."""
    rows = [r for _, r in df.iterrows() if (r[weight] if weight else 1.0) > 0]
    w = [r[weight] if weight else 1.0 for r in rows]
    n = [r[size] if size else 1.0 for r in rows]
    c = [r[consumption] for r in rows]
    W = sum(w)
    if method == "total":
        d = c
    elif method == "nonfood":
        d = [ci - r[food] for ci, r in zip(c, rows)]
    elif method == "discretionary":
        d = [ci - poverty_line * ni for ci, ni in zip(c, n)]
    else:
        fs = [r[food] / ci for ci, r in zip(c, rows)]

        def pct(p):
            return min(v for v in fs if sum(wj for fj, wj in zip(fs, w) if fj <= v) / W >= p)

        lo, hi = pct(0.45), pct(0.55)
        band = [i for i, v in enumerate(fs) if lo <= v <= hi]
        se = sum(w[i] * rows[i][food] / n[i] ** 0.56 for i in band) / sum(w[i] for i in band)
        d = []
        for i, r in enumerate(rows):
            s = se * n[i] ** 0.56
            d.append(c[i] - s if r[food] >= s else c[i] - r[food])
    e = [1.0 if di > 0 and r[oop] / di > threshold else 0.0 for di, r in zip(d, rows)]
    o = [ei * (r[oop] / di - threshold) if ei else 0.0 for ei, di, r in zip(e, d, rows)]
    key = [r[rank] for r in rows] if rank else [ci / ni for ci, ni in zip(c, n)]
    R = []
    for k in key:
        below = sum(wj for kj, wj in zip(key, w) if kj < k)
        tied = sum(wj for kj, wj in zip(key, w) if kj == k)
        R.append((below + tied / 2) / W)

    def conc(h):
        m = sum(wi * hi for wi, hi in zip(w, h)) / W
        if m == 0:
            return float("nan")
        mr = sum(wi * ri for wi, ri in zip(w, R)) / W
        return 2 * sum(wi * (hi - m) * (ri - mr) for wi, hi, ri in zip(w, h, R)) / W / m

    H = sum(wi * ei for wi, ei in zip(w, e)) / W
    O = sum(wi * oi for wi, oi in zip(w, o)) / W
    ce, co = conc(e), conc(o)
    return {
        "headcount": H, "overshoot": O,
        "mean_positive_overshoot": O / H if H > 0 else float("nan"),
        "concentration_headcount": ce, "concentration_overshoot": co,
        "weighted_headcount": H * (1 - ce) if H else 0.0,
        "weighted_overshoot": O * (1 - co) if O else 0.0,
    }


def close(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for k in a:
        if math.isnan(b[k]):
            assert math.isnan(a[k]), (k, a[k])
        else:
            assert a[k] == pytest.approx(b[k], rel=1e-9, abs=1e-12), k


money = st.sampled_from([0.0, 0.0, 5.0, 20.0, 37.5, 60.0, 150.0])
households = st.lists(
    st.tuples(
        money,
        st.sampled_from([50.0, 80.0, 100.0, 100.0, 200.0, 333.0]),
        st.sampled_from([0.2, 0.4, 0.5, 0.5, 0.7, 1.2]),
        st.integers(1, 6),
        st.sampled_from([0.0, 0.5, 1.0, 1.0, 2.0, 3.5]),
    ),
    min_size=1,
    max_size=12,
).map(lambda rows: pd.DataFrame(
    [(o, c, c * f, s, w) for o, c, f, s, w in rows],
    columns=["oop", "cons", "food", "size", "w"],
)).filter(lambda df: df["w"].sum() > 0)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(df=households, method=st.sampled_from(pr.METHODS),
       threshold=st.sampled_from([0.0, 0.1, 0.25, 0.4]))
def test_catastrophic_matches_naive_reference(df, method, threshold):
    kw = dict(oop="oop", consumption="cons", threshold=threshold, method=method, food="food",
              size="size", weight="w", poverty_line=15.0)
    close(pr.catastrophic(df, **kw), naive_catastrophic(df, **kw))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(df=households, method=st.sampled_from(pr.METHODS))
def test_duplicated_households_equal_integer_weights(df, method):
    # Repeating a household k times is the same as giving it weight k (ties share ranks).
    df = df.assign(k=np.arange(len(df)) % 3 + 1.0)
    kw = dict(oop="oop", consumption="cons", threshold=0.1, method=method, food="food",
              size="size", poverty_line=15.0)
    rep = df.loc[df.index.repeat(df["k"].astype(int))]
    close(pr.catastrophic(df, weight="k", **kw), pr.catastrophic(rep, **kw))
    kw2 = dict(oop="oop", consumption="cons", poverty_line=30.0, size="size")
    close(pr.unified(df, weight="k", **kw2), pr.unified(rep, **kw2))
    close(pr.impoverishment(df, weight="k", **kw2), pr.impoverishment(rep, **kw2))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(df=households, extra=households, scale=st.sampled_from([0.5, 3.0, 1000.0]))
def test_zero_weight_rows_and_weight_scale_change_nothing(df, extra, scale):
    padded = pd.concat([df, extra.assign(w=0.0)], ignore_index=True)
    scaled = df.assign(w=df["w"] * scale)
    for method in pr.METHODS:
        kw = dict(oop="oop", consumption="cons", threshold=0.25, method=method, food="food",
                  size="size", weight="w", poverty_line=15.0)
        base = pr.catastrophic(df, **kw)
        close(pr.catastrophic(padded, **kw), base)
        close(pr.catastrophic(scaled, **kw), base)
    kw2 = dict(oop="oop", consumption="cons", poverty_line=30.0, size="size", weight="w")
    close(pr.unified(padded, **kw2), pr.unified(df, **kw2))
    close(pr.impoverishment(padded, **kw2), pr.impoverishment(df, **kw2))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(df=households)
def test_unified_partitions_persons_and_matches_impoverishment(df):
    kw = dict(oop="oop", consumption="cons", poverty_line=30.0, size="size", weight="w")
    u = pr.unified(df, **kw)
    assert sum(u.values()) == pytest.approx(1.0)
    imp = pr.impoverishment(df, **kw)
    # poor after paying = poor before (zero or immiserizing) + impoverished
    pre_poor_zero = pr.unified(df.assign(oop=0.0), **kw)["zero"]
    assert pre_poor_zero == pytest.approx(1.0)
    assert imp["headcount_post"] >= imp["headcount_pre"] - 1e-12
    assert u["impoverishing"] <= imp["headcount_post"] + 1e-12


# --------------------------------------------------------------------------- curves, bootstrap


def test_threshold_curve_matches_catastrophic():
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"oop": rng.exponential(20, 300), "cons": rng.uniform(50, 500, 300),
                       "w": rng.uniform(0, 2, 300)})
    curve = pr.threshold_curve(df, oop="oop", consumption="cons", weight="w")
    assert curve["threshold"].iloc[0] == 0.05 and curve["threshold"].iloc[-1] == 0.6
    assert len(curve) == 56
    assert (np.diff(curve["headcount"]) <= 1e-15).all()
    for _, row in curve.iloc[::11].iterrows():
        got = pr.catastrophic(df, oop="oop", consumption="cons", threshold=row["threshold"],
                              method="total", weight="w")
        assert row["headcount"] == pytest.approx(got["headcount"], rel=1e-12)
        assert row["overshoot"] == pytest.approx(got["overshoot"], rel=1e-12)


def test_bootstrap_is_seeded_and_brackets_the_estimate():
    rng = np.random.default_rng(2)
    df = pd.DataFrame({"oop": rng.exponential(20, 200) * (rng.random(200) < 0.6),
                       "cons": rng.uniform(50, 500, 200), "size": rng.integers(1, 6, 200),
                       "psu": rng.integers(0, 20, 200)})
    kw = dict(oop="oop", consumption="cons", threshold=0.1, method="total", size="size")
    a = pr.bootstrap(pr.catastrophic, df, reps=60, seed=7, progress=False, **kw)
    b = pr.bootstrap(pr.catastrophic, df, reps=60, seed=7, progress=False, **kw)
    c = pr.bootstrap(pr.catastrophic, df, reps=60, seed=8, progress=False, **kw)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)
    assert list(a.index) == list(pr.CATASTROPHIC_KEYS)
    assert (a["lower"] <= a["upper"]).all()
    assert a.loc["headcount", "lower"] < a.loc["headcount", "estimate"] < \
        a.loc["headcount", "upper"]
    cl = pr.bootstrap(pr.unified, df, reps=30, seed=1, cluster="psu", progress=False,
                      oop="oop", consumption="cons", poverty_line=20, size="size")
    assert list(cl.index) == list(pr.UNIFIED_KEYS) and (cl["reps"] == 30).all()
    imp = pr.bootstrap(pr.impoverishment, df, reps=20, seed=1, progress=False,
                       oop="oop", consumption="cons", poverty_line=40, size="size")
    assert list(imp.index) == list(pr.IMPOVERISHMENT_KEYS)


def test_concentration_curve_and_charts():
    df = BASE.assign(e=[0.0, 1, 0, 1])
    cc = pr.concentration_curve(df, variables=["e", "oop"], consumption="cons")
    e = cc[cc["variable"] == "e"]
    # steps: (0,0), ties A+B -> (.5, .5), C -> (.75, .5), D -> (1, 1)
    assert e["population_share"].tolist() == [0.0, 0.5, 0.75, 1.0]
    assert e["variable_share"].tolist() == [0.0, 0.5, 0.5, 1.0]
    spec = pr.concentration_curve_chart(cc).to_dict()
    assert "layer" in spec
    pp = pr.pens_parade(UNI, oop="oop", consumption="cons", size="size", poverty_line=20)
    assert pp["pre"].is_monotonic_increasing
    assert pp["crosses"].sum() == 2  # C and F are pushed below the line
    assert pp["population_share"].iloc[0] == pytest.approx(1 / 13)  # B's mid-point
    assert "layer" in pr.pens_parade_chart(pp).to_dict()
    big = pd.DataFrame({"oop": np.arange(5000.0), "cons": np.arange(5000.0) + 10})
    assert len(pr.pens_parade(big, oop="oop", consumption="cons", max_points=100)) == 100
    curve = pr.threshold_curve(BASE, oop="oop", consumption="cons")
    assert pr.threshold_curve_chart(curve).to_dict()["mark"]["type"] == "line"
    with pytest.raises(HealthcoverError, match="measure 'gap' is not a column"):
        pr.threshold_curve_chart(curve, measure="gap")


def test_unified_poverty_line_boundaries():
    # c = z exactly is not poor (immiserizing needs c < z); c' = z exactly is not impoverished.
    df = pd.DataFrame({"oop": [10.0, 60.0], "cons": [40.0, 100.0], "size": [2, 2]})
    got = pr.unified(df, oop="oop", consumption="cons", poverty_line=20, size="size")
    # row 0: c = 20 (not poor), c' = 15 -> impoverishing; row 1: c' = 20, 60 > .4*60 -> catastrophic
    assert got == {"zero": 0.0, "immiserizing": 0.0, "impoverishing": 0.5,
                   "catastrophic": 0.5, "non_catastrophic": 0.0}
    imp = pr.impoverishment(df, oop="oop", consumption="cons", poverty_line=20, size="size")
    assert imp["headcount_pre"] == 0.0 and imp["headcount_post"] == 0.5
