"""The protection measures of Dask household tables: the pandas numbers to 1e-12 relative,
whatever the partitioning and row order (ranks need a global order: sorted, then combined)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from healthcover import protection as p
from healthcover.errors import HealthcoverError

dd = pytest.importorskip("dask.dataframe")


def households(n: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    size = rng.integers(1, 7, n)
    cons = np.round(rng.lognormal(9, 0.8, n) * size, 2)
    food = np.round(cons * rng.uniform(0.2, 0.7, n), 2)
    oop = np.round(np.where(rng.random(n) < 0.3, 0, rng.lognormal(6, 1.5, n)), 2)
    oop = np.minimum(oop, cons * 0.9)
    weight = rng.integers(1, 50, n).astype(float)
    weight[rng.random(n) < 0.05] = 0.0
    df = pd.DataFrame({"oop": oop, "consumption": cons, "food": food, "size": size, "weight": weight,
                       "quintile": rng.integers(1, 6, n), "ill": (rng.random(n) < 0.3).astype(float),
                       "pay": np.round(cons * rng.uniform(0.01, 0.05, n), 2)},
                      index=pd.Index(rng.permutation(n) * 3 + 1, name="household_id"))
    df.loc[df.index[:20], "consumption"] = df["consumption"].iloc[20]  # ties in the ranking variable
    df.loc[df.index[:20], "size"] = df["size"].iloc[20]
    return df


def as_dask(df: pd.DataFrame, n: int, seed: int):
    return dd.from_pandas(df.sample(frac=1, random_state=seed), npartitions=n, sort=False)


def close(a, b):
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-12, atol=0)
        return
    assert a.keys() == b.keys()
    for k in a:
        if np.isnan(b[k]):
            assert np.isnan(a[k]), k
        else:
            # differences of indices (Kakwani, Reynolds-Smolensky) carry the indices' rounding
            assert a[k] == pytest.approx(b[k], rel=1e-12, abs=1e-13), k


CALLS = [
    (p.catastrophic, dict(oop="oop", consumption="consumption", threshold=0.1, method="total", weight="weight")),
    (p.catastrophic, dict(oop="oop", consumption="consumption", threshold=0.4, method="capacity_to_pay",
                          food="food", size="size", weight="weight")),
    (p.catastrophic, dict(oop="oop", consumption="consumption", threshold=0.25, method="nonfood", food="food",
                          weight="weight", by="quintile")),
    (p.catastrophic, dict(oop="oop", consumption="consumption", threshold=0.4, method="discretionary",
                          poverty_line=3000.0, size="size")),
    (p.impoverishment, dict(oop="oop", consumption="consumption", poverty_line=6000.0, size="size",
                            weight="weight")),
    (p.impoverishment, dict(oop="oop", consumption="consumption", poverty_line=6000.0, size="size", by="quintile")),
    (p.unified, dict(oop="oop", consumption="consumption", poverty_line=6000.0, size="size", weight="weight")),
    (p.concentration_indices, dict(variable="oop", rank="consumption", weight="weight")),
    (p.concentration_indices, dict(variable="ill", rank="consumption", weight="weight")),
    (p.concentration_indices, dict(variable="consumption")),
    (p.kakwani, dict(payment="pay", income="consumption", weight="weight")),
]


@settings(max_examples=6, deadline=None)
@given(n=st.integers(1, 7), seed=st.integers(0, 2**16))
def test_every_measure_matches_pandas_whatever_the_partitioning(n, seed):
    df = households(300, seed % 7)
    ddf = as_dask(df, n, seed)
    for func, kw in CALLS:
        close(func(ddf, **kw), func(df, **kw))


def test_concentration_index_of_dask_series():
    df = households(500, 3)
    rank = p.weighted_fractional_rank(df["consumption"].to_numpy(), df["weight"].to_numpy())
    df = df.assign(rank=rank)
    ddf = as_dask(df, 4, 1)
    for kind in ("standard", "generalized", "erreygers"):
        got = p.concentration_index(ddf["ill"], ddf["rank"], ddf["weight"], kind=kind)
        assert got == pytest.approx(p.concentration_index(df["ill"], df["rank"], df["weight"], kind=kind), rel=1e-12)


def test_exact_weighted_percentiles_on_many_households():
    from healthcover.distributed.measures import weighted_percentile

    rng = np.random.default_rng(0)
    n = 200_000
    v = np.round(rng.lognormal(0, 1, n), 3)  # many ties
    w = rng.integers(1, 9, n).astype(float)
    frame = dd.from_pandas(pd.DataFrame({"v": v, "w": w}), npartitions=5)
    ps = [0.01, 0.45, 0.55, 0.999]
    np.testing.assert_array_equal(weighted_percentile(frame, ps), p.weighted_percentile(v, w, ps))


def test_bad_columns_are_named_with_their_partition_rows():
    df = households(50, 1)
    df.iloc[7, df.columns.get_loc("oop")] = -1.0
    with pytest.raises(HealthcoverError, match=r"catastrophic: column 'oop' \(oop\) has negative values"):
        p.catastrophic(as_dask(df, 3, 0), oop="oop", consumption="consumption", threshold=0.1, method="total")
    with pytest.raises(HealthcoverError, match="total weight of 0"):
        p.impoverishment(as_dask(households(30).assign(weight=0.0), 2, 0), oop="oop", consumption="consumption",
                         poverty_line=1.0, weight="weight")
    with pytest.raises(HealthcoverError, match="needs bounds"):
        p.concentration_indices(as_dask(households(30), 2, 0), variable="oop", kinds="wagstaff")
