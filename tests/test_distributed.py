"""Dask DataFrames through the engine and contributions: the pandas result, fen for fen, whatever
the partitioning, the row order and the scheduler (threads, or a LocalCluster of processes)."""
from __future__ import annotations

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import healthcover as hc
from healthcover import data
from healthcover.errors import HealthcoverError, HealthcoverWarning

dask = pytest.importorskip("dask")
dd = pytest.importorskip("dask.dataframe")

# Dazu pools the outpatient account in the household (Art. 23(一)1) and caps the fund's
# cumulative payment; Jilin caps cumulative cost over a benefit year. Both accumulate, so
# claim order and co-location matter.
SCHEMES = [("dazu-resident", "tier2"), ("jilin-resident-2008", None)]


def _population(scheme_id: str, variant: str | None, n_households: int = 150, seed: int = 3):
    """Claims (with same-day claims of one person and of one household), persons and the scheme."""
    scheme, _ = data.scheme_for_population(scheme_id, variant=variant, assumptions=True)
    pop = data.for_scheme(hc.synthetic_population(n_households, seed=seed), scheme.id)
    claims = pop.claims[pop.claims["care"].isin(list(scheme.care_types))]
    persons = pop.persons
    if "insured" in persons.columns:
        insured = persons["insured"].astype(bool)
        claims = claims[claims["person_id"].isin(persons.loc[insured, "person_id"])]
        persons = persons[insured]
    rng = np.random.default_rng(seed)
    # Same-day claims: a copy of a third of the claims on the same date at another cost, and a
    # household member's claim moved to a housemate's date.
    twins = claims.sample(frac=1 / 3, random_state=seed).assign(cost=lambda c: (c["cost"] * 0.7).round(2))
    claims = pd.concat([claims, twins], ignore_index=True)
    claims["claim_seq"] = rng.permutation(len(claims))
    claims.index = pd.Index(rng.permutation(len(claims)) * 7 + 11, name="claim_id")
    return scheme, claims, persons.reset_index(drop=True)


@pytest.fixture(scope="module", params=SCHEMES, ids=[s for s, _ in SCHEMES])
def case(request):
    return _population(*request.param)


def _pandas(scheme, claims, persons, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HealthcoverWarning)
        return scheme.adjudicate(claims, persons, **kw)


def _compare(got: pd.DataFrame, ref: pd.DataFrame) -> None:
    """Same columns, dtypes and index labels; every value equal, aligned on the index."""
    assert list(got.columns) == list(ref.columns)
    assert got.dtypes.equals(ref.dtypes)
    assert got.index.name == ref.index.name and len(got) == len(ref)
    assert got.index.sort_values().equals(ref.index.sort_values())
    pd.testing.assert_frame_equal(got.loc[ref.index], ref, check_exact=True)


def _shuffled_columns(frame) -> set:
    """Columns of every frame the expression shuffles or sorts."""
    moved = set()
    for e in frame.expr.walk():
        if any(w in type(e).__name__ for w in ("Shuffle", "Rearrange", "SetIndex", "SortValues")):
            moved |= set(getattr(e._meta, "columns", []))
    return moved


def _random_partitions(df: pd.DataFrame, n: int, seed: int):
    """Rows shuffled, cut into n partitions of random sizes (unknown divisions)."""
    rng = np.random.default_rng(seed)
    df = df.iloc[rng.permutation(len(df))]
    cuts = np.sort(rng.choice(np.arange(1, len(df)), size=min(n, len(df)) - 1, replace=False)) if n > 1 else []
    parts = np.split(np.arange(len(df)), cuts)
    return dd.from_pandas(df, npartitions=1, sort=False).repartition(npartitions=1) if n == 1 else \
        dd.from_delayed([dask.delayed(df.iloc[p].copy)() for p in parts], meta=df.iloc[:0], verify_meta=False)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n_claims=st.integers(1, 9), n_persons=st.integers(1, 4), seed=st.integers(0, 2**16),
       seq=st.booleans(), persons_dask=st.booleans(), detail=st.booleans())
def test_any_partitioning_and_row_order_gives_the_pandas_result(case, n_claims, n_persons, seed, seq,
                                                              persons_dask, detail):
    scheme, claims, persons = case
    if not seq:
        claims = claims.drop(columns="claim_seq")
    ref = _pandas(scheme, claims, persons, detail=detail)
    dc = _random_partitions(claims, n_claims, seed)
    dp = _random_partitions(persons, n_persons, seed + 1) if persons_dask else persons
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HealthcoverWarning)
        out = scheme.adjudicate(dc, dp, detail=detail)
    assert isinstance(out, dd.DataFrame)
    _compare(out.compute(scheduler="threads"), ref)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(1, 8), seed=st.integers(0, 2**16), persons_kind=st.sampled_from(["pandas", "column", "index"]))
def test_claims_by_household_with_known_divisions_are_not_shuffled(case, n, seed, persons_kind):
    """dd.read_parquet(..., index="household_id", calculate_divisions=True) gives claims whose
    partitions are by household: the result keeps them (same divisions) and moves no claim."""
    scheme, claims, persons = case
    hh = persons.set_index("person_id")["household_id"]
    by_hh = claims.assign(household_id=claims["person_id"].map(hh)).reset_index(drop=True)
    by_hh = by_hh.set_index("household_id").sort_index(kind="stable")
    ref = _pandas(scheme, by_hh, persons)
    dc = dd.from_pandas(by_hh, npartitions=n, sort=True)
    assert dc.known_divisions
    p = persons.sample(frac=1, random_state=seed)
    dp = {"pandas": p, "column": dd.from_pandas(p, npartitions=3, sort=False),
          "index": dd.from_pandas(p.set_index("household_id").sort_index(), npartitions=2)}[persons_kind]
    out = scheme.adjudicate(dc, dp)
    assert out.divisions == dc.divisions
    assert not _shuffled_columns(out) & {"cost", "care", "date"}  # only persons may move
    got = out.compute(scheduler="threads")
    pd.testing.assert_frame_equal(got, ref, check_exact=True)  # same rows in the same order


def test_parquet_to_parquet_out_of_core(tmp_path, case):
    """The documented path: claims written by household, read back with divisions, results
    written partition by partition."""
    scheme, claims, persons = case
    hh = persons.set_index("person_id")["household_id"]
    by_hh = claims.assign(household_id=claims["person_id"].map(hh)).set_index("household_id").sort_index()
    dd.from_pandas(by_hh, npartitions=4).to_parquet(tmp_path / "claims")
    persons.to_parquet(tmp_path / "persons.parquet")
    c = dd.read_parquet(tmp_path / "claims", index="household_id", calculate_divisions=True)
    p = dd.read_parquet(tmp_path / "persons.parquet")
    assert c.known_divisions
    scheme.adjudicate(c, p).to_parquet(tmp_path / "results", compute=True)
    got = pd.read_parquet(tmp_path / "results")
    ref = _pandas(scheme, pd.read_parquet(tmp_path / "claims"), persons)
    assert list(got.columns) == list(ref.columns)
    np.testing.assert_array_equal(got["fund_paid"].to_numpy(), ref["fund_paid"].to_numpy())
    np.testing.assert_array_equal(got["oop"].to_numpy(), ref["oop"].to_numpy())
    assert (got["limit_reason"].astype(str) == ref["limit_reason"].astype(str)).all()


def test_same_day_ties_follow_the_index_not_the_partition():
    """Two same-day Jilin inpatient claims of one person: which one meets the annual limit
    first depends only on the index (or claim_seq), never on which partition holds it."""
    s = hc.load_scheme("jilin-resident-2008")
    claims = pd.DataFrame({"person_id": [1, 1, 1], "date": ["2009-03-01"] * 3, "care": ["inpatient"] * 3,
                           "facility": [s.facilities[0]] * 3, "cost": [30000.0, 25000.0, 1000.0],
                           "category": [s.categories[0]] * 3}, index=pd.Index([30, 10, 20], name="claim_id"))
    with pytest.warns(HealthcoverWarning, match="claim_seq"):
        ref = s.adjudicate(claims)
    for order in ([0, 1, 2], [2, 0, 1], [1, 2, 0]):
        parts = [claims.iloc[[i]] for i in order]
        dc = dd.from_delayed([dask.delayed(p.copy)() for p in parts], meta=claims.iloc[:0], verify_meta=False)
        with pytest.warns(HealthcoverWarning, match="claim_seq"):
            out = s.adjudicate(dc)
        _compare(out.compute(scheduler="sync"), ref)


def test_errors_name_the_problem_before_or_while_running():
    s = hc.load_scheme("dazu-resident", variant="tier2")
    claims = pd.DataFrame({"person_id": [1, 2], "date": ["2024-03-01"] * 2, "care": ["inpatient"] * 2,
                           "facility": ["county"] * 2, "cost": [1000.0, 50.0], "claim_seq": [0, 1]})
    persons = pd.DataFrame({"person_id": [1, 2], "category": ["adult", "adult"], "household_id": [5, 5]})
    dc = dd.from_pandas(claims, npartitions=2)
    with pytest.raises(HealthcoverError, match="claims lacks|missing|cost"):
        s.adjudicate(dc.drop(columns="cost"), persons)  # checked on the metadata, before running
    with pytest.raises(HealthcoverError, match="persons must be a pandas or Dask DataFrame"):
        s.adjudicate(dc, [1, 2])
    with pytest.raises(HealthcoverError, match="person_id is .* in the claims but .* in the persons"):
        s.adjudicate(dc, persons.assign(person_id=["1", "2"]))
    lost = s.adjudicate(dc, persons.iloc[:1])
    with pytest.raises(HealthcoverError, match="not in persons.*partition of the Dask claims"):
        lost.compute(scheduler="sync")
    twice = pd.concat([persons, persons.iloc[[0]].assign(household_id=9)], ignore_index=True)
    with pytest.raises(HealthcoverError, match="person_id 1 appears more than once"):
        s.adjudicate(dc, dd.from_pandas(twice, npartitions=2)).compute(scheduler="sync")
    with pytest.raises(HealthcoverError, match="detail must be True or False"):
        s.adjudicate(dc, persons, detail="yes")


def test_ids_given_as_the_index_are_read_as_columns():
    s = hc.load_scheme("dazu-resident", variant="tier2")
    claims = pd.DataFrame({"person_id": [1, 2, 1], "date": ["2024-03-01", "2024-03-01", "2024-04-01"],
                           "care": ["inpatient"] * 3, "facility": ["county"] * 3, "cost": [1000.0, 50.0, 9.0],
                           "claim_seq": [0, 1, 2]})
    persons = pd.DataFrame({"person_id": [1, 2], "category": ["adult", "adult"], "household_id": [5, 6]})
    ref = s.adjudicate(claims.set_index("person_id"), persons.set_index("person_id"))
    assert ref.index.name == "person_id"
    pd.testing.assert_frame_equal(ref.reset_index(drop=True), s.adjudicate(claims, persons))
    # No household in the persons: person_id divisions are by owner, and rows keep their place.
    dc = dd.from_pandas(claims.set_index("person_id").sort_index(kind="stable"), npartitions=2)
    own = persons.drop(columns="household_id").set_index("person_id")
    out = s.adjudicate(dc, own)
    assert not _shuffled_columns(out) & {"cost"}
    pd.testing.assert_frame_equal(out.compute(scheduler="sync"), ref.sort_index(kind="stable"))
    # With households (Dazu pools the outpatient account) the claims move; totals agree per person.
    out = s.adjudicate(dc, persons.set_index("person_id")).compute(scheduler="sync")
    pd.testing.assert_series_equal(out["fund_paid"].groupby(level=0).sum(), ref["fund_paid"].groupby(level=0).sum())


def test_contributions_of_dask_persons_are_the_pandas_ones():
    s = hc.load_scheme("dazu-resident", variant="tier2")
    persons = pd.DataFrame({"person_id": np.arange(40), "category": ["adult", "minor"] * 20},
                           index=pd.Index(np.arange(40)[::-1] * 3, name="row"))
    ref = s.contributions(persons, missing="nan")
    dp = _random_partitions(persons, 4, 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HealthcoverWarning)
        got = s.contributions(dp, missing="nan").compute(scheduler="sync")
    pd.testing.assert_frame_equal(got.loc[ref.index], ref, check_exact=True)
    twice = dd.from_pandas(pd.concat([persons, persons.iloc[[3]]]), npartitions=3)
    with pytest.raises(HealthcoverError, match="person_id 3 appears more than once"):
        s.contributions(twice, missing="nan").compute(scheduler="sync")


def test_the_scheme_pickles_small_for_workers():
    s = hc.load_scheme("dazu-resident", variant="tier2")
    assert len(pickle.dumps(s.compiled.benefits)) < 50_000
    assert len(pickle.dumps(s)) < 200_000


def test_a_local_cluster_of_two_processes_gives_the_pandas_result():
    """Workers are separate processes (the scheme travels pickled); unsorted, randomly
    partitioned claims with same-day claims; compared with pandas on the index."""
    distributed = pytest.importorskip("distributed")
    scheme, claims, persons = _population("dazu-resident", "tier2", n_households=120, seed=5)
    claims = claims.drop(columns="claim_seq")
    ref = _pandas(scheme, claims, persons)
    ref_c = scheme.contributions(persons, missing="nan")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None, memory_limit="1GiB", silence_logs=40) as cluster, \
            distributed.Client(cluster, timeout="60s") as client:
        dc = _random_partitions(claims, 6, 1)
        dp = _random_partitions(persons, 3, 2)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", HealthcoverWarning)
            got = client.compute(scheme.adjudicate(dc, dp)).result(timeout=120)
            got_c = client.compute(scheme.contributions(dp, missing="nan")).result(timeout=120)
            # The person_id check on the cluster (p2p, not this machine's temporary files).
            pid = int(persons["person_id"].iloc[0])
            twice = pd.concat([persons, persons.iloc[[0]].assign(household_id=-1)], ignore_index=True)
            with pytest.raises(HealthcoverError, match=f"person_id {pid!r} appears more than once"):
                scheme.adjudicate(dc, _random_partitions(twice, 3, 3))
        workers = client.run(lambda: __import__("os").getpid())
    assert len(set(workers.values())) == 2
    _compare(got, ref)
    pd.testing.assert_frame_equal(got_c.loc[ref_c.index], ref_c, check_exact=True)


@pytest.mark.parametrize("scheme_id, variant", SCHEMES)
def test_household_oop_of_dask_frames_is_the_pandas_table(scheme_id, variant):
    pop = hc.synthetic_population(200, seed=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HealthcoverWarning)
        ref = hc.household_oop(pop, scheme_id, variant=variant, assumptions=True)
        dpop = data.Population(dd.from_pandas(pop.households, npartitions=2),
                               dd.from_pandas(pop.persons.sample(frac=1, random_state=1), npartitions=3, sort=False),
                               dd.from_pandas(pop.claims.sample(frac=1, random_state=2), npartitions=4, sort=False))
        got = hc.household_oop(dpop, scheme_id, variant=variant, assumptions=True).compute(scheduler="threads")
    assert list(got.columns) == list(ref.columns)
    got = got.set_index("household_id").loc[ref["household_id"]].reset_index()
    pd.testing.assert_frame_equal(got, ref, check_exact=False, rtol=1e-12, check_dtype=False)


def _by_household_parquet(tmp_path, persons: pd.DataFrame, claims: pd.DataFrame, files: int):
    """Claims and persons written as the README says (files of whole households, sorted by
    household_id) and read back with divisions."""
    for name, df in (("claims", claims), ("persons", persons)):
        df = df.reset_index(drop=True).set_index("household_id").sort_index(kind="stable")
        dd.from_pandas(df, npartitions=files, sort=True).to_parquet(tmp_path / name)
    return (dd.read_parquet(tmp_path / "claims", index="household_id", calculate_divisions=True),
            dd.read_parquet(tmp_path / "persons", index="household_id", calculate_divisions=True))


@pytest.mark.parametrize("where", ["another file", "the same file"])
def test_a_person_in_two_households_is_named_on_the_divisions_route(tmp_path, where):
    """Claims and persons by household move nowhere, so no partition sees both households of a
    person listed twice: the check across partitions names the id, as pandas refuses it."""
    scheme, claims, persons = _population("dazu-resident", "tier2", n_households=60, seed=4)
    hh = persons.set_index("person_id")["household_id"]
    claims = claims.assign(household_id=claims["person_id"].map(hh))
    households = np.sort(persons["household_id"].unique())
    first = persons[persons["household_id"] == households[0]].iloc[[0]]
    other = households[-1] if where == "another file" else households[1]
    twice = pd.concat([persons, first.assign(household_id=other)], ignore_index=True)
    with pytest.raises(HealthcoverError, match="person_id"):
        _pandas(scheme, claims, twice)
    dc, dp = _by_household_parquet(tmp_path, twice, claims, files=4)
    assert dc.known_divisions and dp.known_divisions and dc.npartitions == 4
    pid = int(first["person_id"].iloc[0])
    with pytest.raises(HealthcoverError, match=f"person_id {pid} appears more than once"):
        scheme.adjudicate(dc, dp)  # checked at the call: one read of the person_id column
    with pytest.raises(HealthcoverError, match=f"person_id {pid} appears more than once"):
        scheme.adjudicate(dc, twice)  # pandas persons: checked at once too
    # Without the duplicate the same files give the pandas result.
    dc, dp = _by_household_parquet(tmp_path / "ok", persons, claims, files=4)
    got = scheme.adjudicate(dc, dp).compute(scheduler="threads")
    ref = _pandas(scheme, dc.compute(), persons)
    pd.testing.assert_frame_equal(got, ref, check_exact=True)


@settings(max_examples=40, deadline=None)
@given(ids=st.lists(st.one_of(st.integers(0, 30), st.sampled_from([1.0, 2.0, 7.5])), min_size=1, max_size=40),
       n=st.integers(1, 6), text=st.booleans(), seed=st.integers(0, 2**16), missing=st.booleans())
def test_the_check_across_partitions_finds_exactly_the_duplicates(ids, n, text, seed, missing):
    """Whatever the ranges of the partitions (disjoint, overlapping, one inside another): an
    error naming a duplicated id when pandas would see one, nothing otherwise."""
    from healthcover.distributed import check_unique_persons

    values = [str(v) for v in ids] if text else [float(v) for v in ids]
    if missing:
        values.append(None if text else np.nan)  # a missing id is the engine's error, not this one
    s = pd.Series(values, name="person_id", dtype=object if text else np.float64)
    present = s.dropna()
    dup = present[present.duplicated(keep=False)]
    parts = _random_partitions(s.to_frame(), n, seed)["person_id"]
    if len(dup):
        with pytest.raises(HealthcoverError, match="appears more than once") as err:
            check_unique_persons(parts)
        named = str(err.value).split("person_id ", 1)[1].split(" appears", 1)[0]
        assert set(named.split(", ")) <= {repr(v) for v in dup}
    else:
        check_unique_persons(parts)
    # Sorted into blocks of ids (disjoint ranges, the fast path), the verdict is the same.
    blocks = dd.from_pandas(s.sort_values().reset_index(drop=True).to_frame(), npartitions=n)["person_id"]
    if len(dup):
        with pytest.raises(HealthcoverError, match="appears more than once"):
            check_unique_persons(blocks)
    else:
        check_unique_persons(blocks)


def _tasks_needed(frame, i: int) -> set:
    """Keys that computing partition ``i`` of ``frame`` runs (its dependencies, transitively)."""
    from dask.core import get_dependencies

    frame = frame.optimize()
    graph = dict(frame.__dask_graph__())
    todo, seen = [frame.__dask_keys__()[i]], set()
    while todo:
        key = todo.pop()
        if key not in seen:
            seen.add(key)
            todo.extend(get_dependencies(graph, key))
    return seen


def test_a_result_partition_needs_only_its_own_files(tmp_path):
    """Memory bounded by the partition: one partition of the result reads its file of claims
    and the one or two persons' files that overlap it, however many files there are (a check
    over every person inside the graph would be a barrier holding every person in memory)."""
    scheme, claims, persons = _population("dazu-resident", "tier2", n_households=80, seed=6)
    hh = persons.set_index("person_id")["household_id"]
    claims = claims.assign(household_id=claims["person_id"].map(hh))
    for files in (3, 12):
        dc, dp = _by_household_parquet(tmp_path / str(files), persons, claims, files=files)
        out = scheme.adjudicate(dc, dp)
        for i in (0, files - 1):
            reads = [k for k in _tasks_needed(out, i) if "read_parquet" in str(k[0])]
            assert 2 <= len(reads) <= 3, reads


def test_ids_whose_hashes_collide_are_compared_exactly(monkeypatch):
    """Only hashes travel through the shuffle; two different ids with one hash are read again
    and compared, so a collision is never reported as a duplicate (and a real one still is)."""
    from healthcover.distributed import engine

    monkeypatch.setattr(engine, "_hash_ids", lambda values: np.zeros(len(values), dtype=np.uint64))
    ids = pd.Series(["440102199001011234", "440102199001011235", "11", "3", "2"], name="person_id")
    parts = dd.from_pandas(ids.to_frame(), npartitions=3, sort=False)["person_id"]  # overlapping ranges
    with dask.config.set(scheduler="sync"):
        engine.check_unique_persons(parts)
        twice = dd.from_pandas(pd.concat([ids, ids.iloc[[1]]]).to_frame(), npartitions=3, sort=False)
        with pytest.raises(HealthcoverError, match="person_id '440102199001011235' appears more than once"):
            engine.check_unique_persons(twice["person_id"])
    with pytest.raises(HealthcoverError, match="ids must be a Dask Series of person_id; received DataFrame"):
        engine.check_unique_persons(ids.to_frame())
