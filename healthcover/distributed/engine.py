"""The claims engine and contributions on Dask DataFrames (see :mod:`healthcover.distributed`).

Nothing here changes a rule: every partition runs the pandas engine (:mod:`healthcover.claims`,
:mod:`healthcover.contributions`) on a scheme's compiled tables. What this module adds is
*where rows meet*: an owner's claims (a person's, or a household's where a care type pools its
annual limit) of every year, and the persons they need, in one partition.
"""
from __future__ import annotations

import os
import shutil
import warnings
from typing import Sequence

import numpy as np
import pandas as pd

from healthcover import checks
from healthcover import claims as _claims
from healthcover import contributions as _contributions
from healthcover.errors import HealthcoverError, HealthcoverWarning
from healthcover.schemes.compile import BenefitTables

__all__ = ["adjudicate", "contributions", "household_oop", "owner_key", "bucket", "check_unique_persons", "OWNER_KEYS"]

#: Helper columns (dropped before a partition reaches the engine).
_PART = "__healthcover_partition__"
_INDEX = "__healthcover_index__"
#: Index names whose known divisions make partitions that are already by owner.
OWNER_KEYS = ("household_id", "person_id")


def _dask_core():
    import dask

    return dask


def _dask():
    try:
        import dask.dataframe as dd
    except ImportError:  # pragma: no cover - the extra is installed with the tests
        raise HealthcoverError("Dask DataFrames need Dask: pip install 'healthcover[dask]'") from None
    return dd


def _is_frame(obj) -> bool:
    return checks.is_dask(obj) and hasattr(obj, "columns") and hasattr(obj, "npartitions")


def _frame(obj, table: str, func: str):
    """A Dask DataFrame, a pandas DataFrame (returned as is), or an error."""
    if isinstance(obj, pd.DataFrame) or _is_frame(obj):
        return obj
    got = "None" if obj is None else type(obj).__name__
    raise HealthcoverError(f"{func}: {table} must be a pandas or Dask DataFrame; received {got}")


def _has(frame, name: str) -> bool:
    return name in frame.columns or frame.index.name == name


def _dtype_of(frame, name: str):
    return frame[name].dtype if name in frame.columns else frame.index.dtype


def _kind(dtype) -> str:
    if isinstance(dtype, pd.CategoricalDtype):
        dtype = dtype.categories.dtype
    return "number" if (pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype)) else "text"


def _same_kind(a, b, name: str, func: str, where: str) -> None:
    """Ids that pandas would match must hash alike: refuse a number in one table and text in
    the other (pandas would say the ids are missing; here they would never meet)."""
    ka, kb = _kind(_dtype_of(a, name)), _kind(_dtype_of(b, name))
    if ka != kb:
        raise HealthcoverError(
            f"{func}: {name} is {_dtype_of(a, name)} in the claims but {_dtype_of(b, name)} in {where}; "
            f"give both the same type (numbers or strings) so a claim finds its {name}"
        )


def _hash_ids(values) -> np.ndarray:
    """A uint64 hash of each id that agrees wherever pandas would match two ids (1, 1.0 and
    True are one person; so are '7' in two string columns)."""
    s = values if isinstance(values, pd.Series) else pd.Series(values)
    if isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype(s.dtype.categories.dtype)
    if _kind(s.dtype) == "number":
        x = s.to_numpy(dtype=np.float64, na_value=np.nan) + 0.0  # -0.0 and 0.0 are one id
        return pd.util.hash_array(x)
    return pd.util.hash_array(s.astype(str).to_numpy(dtype=object))


def bucket(values, n: int) -> np.ndarray:
    """The partition (0 .. n-1) of each id: a hash that agrees wherever pandas would match two
    ids (1, 1.0 and True are one person; so are '7' in two string columns), so the same id
    lands in the same partition of the claims and of the persons."""
    return (_hash_ids(values) % np.uint64(max(n, 1))).astype(np.int64)


def _ids(df: pd.DataFrame, name: str) -> pd.Series:
    """The column ``name``, or the index when it carries that name."""
    return df[name] if name in df.columns else df.index.to_series()


def _with_bucket(df: pd.DataFrame, name: str, n: int) -> pd.DataFrame:
    return df.assign(**{_PART: bucket(_ids(df, name), n)})


def _restore(df: pd.DataFrame, names: Sequence[str]) -> pd.DataFrame:
    """The frame as the engine reads it: helper columns dropped, an id that travelled as the
    index (``read_parquet(index="household_id")``) back as a column."""
    if _PART in df.columns:
        df = df.drop(columns=_PART)
    return checks.index_as_columns(df, names)


def owner_key(t: BenefitTables, persons) -> str:
    """The column whose values must meet in one partition: ``household_id`` when a care type
    pools its annual limit in the household and the persons say who lives together, else
    ``person_id`` (a person's claims of every year)."""
    if persons is not None and bool(t.household.any()) and _has(persons, "household_id"):
        return "household_id"
    return "person_id"


# --------------------------------------------------------------------------- claims


def _orderable(index: pd.Index) -> bool:
    """Whether the claims' index can stand in as an explicit order of same-day claims, as the
    engine's default rule uses it (labels that sort, none missing)."""
    if isinstance(index, pd.MultiIndex) or index.hasnans:
        return False
    if index.dtype == object:
        return pd.api.types.infer_dtype(index, skipna=False) in ("string", "integer", "floating", "decimal")
    return True


def _adjudicate_partition(claims: pd.DataFrame, persons: pd.DataFrame | None, t: BenefitTables, detail: bool,
                          order_by, index_order: bool) -> pd.DataFrame:
    """The pandas engine on one partition (claims and persons already co-located by owner)."""
    claims = _restore(claims, ("person_id",))
    if not len(claims) and "date" in claims.columns and not pd.api.types.is_datetime64_any_dtype(claims["date"]):
        # An empty partition (or the metadata) has no date to parse; the engine's string
        # path cannot build an empty datetime column, so give it one.
        claims = claims.assign(date=pd.Series(pd.to_datetime([]), index=claims.index))
    if persons is not None:
        persons = _restore(persons, ("person_id", "household_id"))
    if index_order and len(claims) and _orderable(claims.index):
        # The engine's default order (index, then cost), stated explicitly: the warning about
        # it was given once on the client, not once per partition.
        claims = claims.assign(**{_INDEX: claims.index.to_numpy()})
        order_by = (_INDEX,)
    try:
        return _claims.adjudicate(t, claims, persons, detail=detail, order_by=order_by)
    except HealthcoverError as e:
        if not len(claims):
            raise
        raise HealthcoverError(
            f"{e} [a partition of the Dask claims, index {claims.index[0]!r} .. {claims.index[-1]!r}; row numbers "
            "count within the partition]"
        ) from None


def _attach_households(claims: pd.DataFrame, persons: pd.DataFrame, n: int) -> pd.DataFrame:
    """Claims (hashed by person) take the partition of their person's household."""
    pid = persons["person_id"]
    _raise_duplicates(pid)
    row = pd.Index(pid.to_numpy()).get_indexer(_ids(claims, "person_id").to_numpy())
    found = row >= 0
    hh = persons["household_id"].to_numpy()[np.where(found, row, 0)] if len(persons) else np.zeros(len(claims))
    part = np.where(found, bucket(pd.Series(hh), n), 0)  # a claim without its person fails in the engine
    return claims.assign(**{_PART: part})


def _person_keys(ids: pd.Series) -> np.ndarray:
    """Person ids as values that sort and compare the way pandas matches them (1, 1.0 and True
    one id, as in :func:`bucket`): float64 for numbers, str for text."""
    if isinstance(ids.dtype, pd.CategoricalDtype):
        ids = ids.astype(ids.dtype.categories.dtype)
    if _kind(ids.dtype) == "number":
        return ids.to_numpy(dtype=np.float64, na_value=np.nan) + 0.0
    return ids.astype(str).to_numpy(dtype=object)


def _raise_duplicates(ids: pd.Series) -> None:
    dup = ids.duplicated(keep=False).to_numpy()
    if dup.any():
        raise HealthcoverError(
            f"persons: person_id {checks.fmt_values(ids[dup].head(5).tolist())} appears more than once; "
            "each person_id must be unique"
        )


def _present(ids: pd.Series) -> pd.Series:
    return ids[ids.notna().to_numpy()]  # a missing id is the engine's error, with its row


def _id_range(ids: pd.Series) -> pd.DataFrame:
    """One partition's lowest and highest person_id (as :func:`_person_keys`), after checking
    that none appears twice within it."""
    ids = _present(ids)
    _raise_duplicates(ids)
    k = _person_keys(ids)
    ends = np.array([k.min(), k.max()], dtype=k.dtype) if len(k) else k
    return pd.DataFrame({"lo": ends[:1], "hi": ends[1:]})


def _contested(ids: pd.Series, ranges: pd.DataFrame, n: int) -> pd.DataFrame:
    """The hashes of the ids of one partition that fall inside another partition's range (only
    these can appear twice), with the partition of the exact check (8 bytes an id travel, not
    the id: an 18-character identity number is ten times that as a Python string)."""
    ids = _present(ids)
    k = _person_keys(ids)
    lo, hi = np.sort(ranges["lo"].to_numpy()), np.sort(ranges["hi"].to_numpy())
    # Ranges holding each id: those starting at or below it less those ending below it; its
    # own partition's range is one of them.
    holding = np.searchsorted(lo, k, side="right") - np.searchsorted(hi, k, side="left")
    h = _hash_ids(ids[holding >= 2])
    return pd.DataFrame({"hash": h, _PART: (h % np.uint64(max(n, 1))).astype(np.int64)})


def _write_hashes(ids: pd.Series, ranges: pd.DataFrame, folder: str, partition_info=None) -> pd.DataFrame:
    """The sorted hashes of one partition's contested ids, written to ``folder`` (one raw
    uint64 file a partition); returns how many."""
    h = np.sort(_contested(ids, ranges, 1)["hash"].to_numpy())
    number = 0 if partition_info is None else partition_info["number"]
    h.tofile(os.path.join(folder, f"{number}.u64"))
    return pd.DataFrame({"n": [len(h)]})


def _repeated_in_range(folder: str, lo: int, hi: int) -> np.ndarray:
    """Hashes in [lo, hi) found more than once across the files of ``folder``: each file is
    sorted, so only the slice in range is read (a memory map finds it; nothing else is loaded)."""
    pieces = []
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if os.path.getsize(path) == 0:
            continue
        m = np.memmap(path, dtype=np.uint64, mode="r")
        a, b = np.searchsorted(m, np.array([lo, hi], dtype=np.uint64), side="left") if hi < 2**64 else \
            (np.searchsorted(m, np.uint64(lo), side="left"), len(m))
        pieces.append(np.array(m[a:b]))
        del m
    h = np.sort(np.concatenate(pieces)) if pieces else np.zeros(0, np.uint64)
    return np.unique(h[1:][h[1:] == h[:-1]])


def _repeated_hashes_on_disk(ids, table: pd.DataFrame) -> np.ndarray:
    """Hashes of contested ids found more than once, without a shuffle, for schedulers that
    share this machine's disk: each partition writes its sorted hashes to a temporary folder;
    then each range of the hash space (about 16 MiB of hashes) is read from every file and
    checked, so memory is a range and a partition whatever the number of persons."""
    import tempfile

    dask = _dask_core()
    folder = tempfile.mkdtemp(prefix="healthcover-person-ids-", dir=dask.config.get("temporary-directory", None))
    try:
        written = ids.map_partitions(_write_hashes, table, folder, meta=pd.DataFrame({"n": np.zeros(0, np.int64)}))
        (counts,) = dask.compute(written)
        total = int(counts["n"].sum())
        n_ranges = max(1, -(-total * 8 // 2**24))
        edges = [r * 2**64 // n_ranges for r in range(n_ranges)] + [2**64]
        tasks = [dask.delayed(_repeated_in_range)(folder, edges[r], edges[r + 1]) for r in range(n_ranges)]
        found = dask.compute(*tasks)
        return np.concatenate(found) if found else np.zeros(0, np.uint64)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _on_cluster() -> bool:
    """Whether Dask computes on a distributed cluster (whose workers may not share this disk):
    the scheduler in force is a ``distributed.Client``'s, not a local one."""
    from dask.base import get_scheduler

    owner = getattr(get_scheduler(), "__self__", None)
    return type(owner).__module__.startswith("distributed")


def _repeated_hashes(p: pd.DataFrame) -> pd.DataFrame:
    h = p["hash"]
    return pd.DataFrame({"hash": h[h.duplicated().to_numpy()].unique()})


def _with_hashes(ids: pd.Series, hashes: np.ndarray) -> pd.Series:
    ids = _present(ids)
    return ids[np.isin(_hash_ids(ids), hashes)]


def _person_id_column(persons):
    """The persons' person_id (column or index) alone, so that reading it for the check reads
    nothing else (a Parquet file's other columns stay on disk)."""
    if "person_id" in persons.columns:
        return persons["person_id"]
    return persons.index.to_series()


def check_unique_persons(ids) -> None:
    """Raise a :class:`~healthcover.errors.HealthcoverError` naming the ids when a person_id
    appears twice anywhere in ``ids`` (a Dask Series of person_id); computed now, on the
    current scheduler, reading only that column.

    Memory is bounded by a partition, not by the data: each partition reports its lowest and
    highest id (checking its own ids on the way); only ids inside another partition's range can
    be duplicates, and only their 64-bit hashes go on: on one machine each partition writes its
    sorted hashes to a temporary file and each range of the hash space (16 MiB) is read back
    from every file and checked; on a distributed cluster they are shuffled by p2p, which
    spills to the workers' disks. The ids behind a repeated hash are read again and compared
    exactly. Persons stored in blocks of ids (each file its own range of person_id, as
    numbering persons in household order gives) need nothing but one read of the column.

    Why now and not as a lazy dependency of every result partition: a dependency that needs
    every person is a barrier, and Dask reads each persons file once for both the check and the
    engine, so the barrier would hold every person in memory until the check ended."""
    if not isinstance(ids, _dask().Series):
        got = "None" if ids is None else type(ids).__name__
        raise HealthcoverError(f"check_unique_persons: ids must be a Dask Series of person_id; received {got}")
    dask = _dask_core()
    ranges = ids.map_partitions(_id_range, meta=_id_range(ids._meta))
    (table,) = dask.compute(ranges)
    if len(table) < 2:
        return
    order = np.argsort(table["lo"].to_numpy(), kind="stable")
    lo, hi = table["lo"].to_numpy()[order], table["hi"].to_numpy()[order]
    if (np.maximum.accumulate(hi)[:-1] < lo[1:]).all():
        return  # each range starts after every earlier one ends: no id is in two partitions
    if _on_cluster():
        n = max(ids.npartitions, 1)
        rows = ids.map_partitions(_contested, table, n, meta=_contested(ids._meta, table.iloc[:0], n))
        rows = rows.shuffle(on=_PART, npartitions=n)  # p2p: spills to the workers' disks
        (repeated,) = dask.compute(rows.map_partitions(_repeated_hashes, meta=_repeated_hashes(rows._meta)))
        repeated = np.sort(repeated["hash"].to_numpy())
    else:
        repeated = np.sort(_repeated_hashes_on_disk(ids, table))
    # A hash seen twice is an id seen twice, or two ids that collide (about one pair in 10^10
    # among 10^9 persons): the ids behind a few such hashes are read again and compared.
    for start in range(0, len(repeated), 1000):
        chunk = repeated[start:start + 1000]
        (candidates,) = dask.compute(ids.map_partitions(_with_hashes, chunk, meta=ids._meta))
        _raise_duplicates(candidates)


def _by_divisions(claims, persons, owner: str, func: str):
    """(claims, persons) co-located without moving the claims, or None. The claims' partitions
    are by owner when their index is ``household_id`` (any owner) or ``person_id`` (a person's
    own limits) with known divisions; persons are then cut to the same divisions."""
    dd = _dask()
    name = claims.index.name
    if not claims.known_divisions or name not in OWNER_KEYS or (owner == "household_id" and name != "household_id"):
        return None
    if persons is None:
        return claims, None
    if not _has(persons, name):
        return None
    _same_kind(claims, persons, name, func, "the persons")
    lo, hi = claims.divisions[0], claims.divisions[-1]
    if isinstance(persons, pd.DataFrame):
        # Sorted here and sliced to the claims' divisions: nothing is shuffled.
        if name in persons.columns:
            persons = persons.set_index(name)
        persons = persons.sort_index(kind="stable").loc[lo:hi]
        persons = dd.from_pandas(persons, npartitions=max(1, min(claims.npartitions, len(persons))), sort=True)
    if persons.known_divisions and persons.index.name == name:
        # Already sorted by the key: cut to the claims' divisions (no shuffle).
        return claims, persons.loc[lo:hi].repartition(divisions=list(claims.divisions), force=True)
    if name not in persons.columns:
        return None
    inside = persons[(persons[name] >= lo) & (persons[name] <= hi)]
    return claims, inside.set_index(name, divisions=list(claims.divisions))


def _shuffled(claims, persons, owner: str, func: str):
    """(claims, persons) hashed on the owner into the claims' number of partitions."""
    dd = _dask()
    n = max(claims.npartitions, 1)
    if persons is not None and isinstance(persons, pd.DataFrame):
        persons = dd.from_pandas(persons, npartitions=max(1, min(n, -(-len(persons) // 1_000_000))), sort=False)
    if persons is not None:
        _same_kind(claims, persons, "person_id", func, "the persons")
    meta_c = claims._meta.assign(**{_PART: np.zeros(0, np.int64)})
    if owner == "household_id" and not _has(claims, "household_id"):
        # Claims learn their household from the persons: both hashed on person_id first.
        pm = persons.map_partitions(lambda p: _restore(p, ("person_id", "household_id"))[["person_id", "household_id"]])
        pm = pm.map_partitions(_with_bucket, "person_id", n).shuffle(on=_PART, npartitions=n)
        c = claims.map_partitions(_with_bucket, "person_id", n, meta=meta_c).shuffle(on=_PART, npartitions=n)
        c = dd.map_partitions(lambda a, b: _attach_households(a.drop(columns=_PART), b, n), c, pm,
                              align_dataframes=False, meta=meta_c)
    else:
        if owner == "household_id":
            _same_kind(claims, persons, "household_id", func, "the persons")
        c = claims.map_partitions(_with_bucket, owner, n, meta=meta_c)
    c = c.shuffle(on=_PART, npartitions=n)
    p = None
    if persons is not None:
        meta_p = persons._meta.assign(**{_PART: np.zeros(0, np.int64)})
        p = persons.map_partitions(_with_bucket, owner, n, meta=meta_p).shuffle(on=_PART, npartitions=n)
    return c, p


def adjudicate(t: BenefitTables, claims, persons=None, *, detail: bool = False,
               order_by: str | Sequence[str] | None = None):
    """:func:`healthcover.claims.adjudicate` on Dask DataFrames: a lazy Dask DataFrame with the
    columns, dtypes and index of the pandas result and its numbers, fen for fen.

    ``claims`` and ``persons`` may be Dask or pandas DataFrames (at least one Dask). Claims
    whose index is ``household_id`` (or ``person_id`` when no care type pools its limit in the
    household) with known divisions are not moved; otherwise claims and persons are shuffled on
    the limit owner (see the module docstring). Rows come back grouped by owner: align the
    result with the claims on the index (``claims.join(result)`` after both are indexed alike,
    or compare computed frames with ``.loc``).

    Where a care type pools its limit in the household, a person_id listed in two households
    would reach the engine in two partitions, so it is checked across all the persons at the
    call (:func:`check_unique_persons`: one read of the person_id column, memory bounded by a
    partition); the error names the id, as pandas refuses it. Nothing else runs before the
    result is computed, and no result partition waits on all the persons.

    Without ``claim_seq`` or ``order_by=``, same-day claims of one owner follow the claims'
    index then cost, as in pandas; a :class:`~healthcover.errors.HealthcoverWarning` says so
    here at once (the pandas engine says it only where such claims exist, which a lazy frame
    does not know yet).
    """
    func = "adjudicate"
    if not isinstance(t, BenefitTables):
        raise HealthcoverError("adjudicate: the first argument is a scheme's compiled benefit tables "
                               "(scheme.compiled.benefits); call scheme.adjudicate(claims, persons)")
    if not isinstance(detail, bool):
        raise HealthcoverError(f"adjudicate: detail must be True or False; received {detail!r}")
    dd = _dask()
    claims = _frame(claims, "claims", func)
    if persons is not None:
        persons = _frame(persons, "persons", func)
    if isinstance(claims, pd.DataFrame):
        n = persons.npartitions if _is_frame(persons) else 1
        claims = dd.from_pandas(claims, npartitions=max(1, min(n, len(claims))), sort=False)
    # The engine on the empty frames checks the columns now (every problem it finds in the
    # metadata is raised here, before anything runs) and gives the exact result dtypes.
    persons_meta = None if persons is None else (persons if isinstance(persons, pd.DataFrame) else persons._meta).iloc[:0]
    index_order = order_by is None and "claim_seq" not in claims.columns
    meta = _adjudicate_partition(claims._meta, persons_meta, t, detail, order_by, False)
    if index_order:
        warnings.warn(
            "adjudicate: the Dask claims have no claim_seq: same-day claims of one person (or household) and limit "
            "pool, if any, are applied in the order of the claims' index, then cost, as in pandas; give a claim_seq "
            "column (or order_by=) to state the order", HealthcoverWarning, stacklevel=3,
        )
    c, p = _colocated(t, claims, persons, func)
    if p is None:
        return c.map_partitions(_adjudicate_partition, None, t, detail, order_by, index_order, meta=meta)
    # Partition i of the claims and of the persons hold the same owners (same divisions, or
    # the same hash bucket).
    return dd.map_partitions(_adjudicate_partition, c, p, t, detail, order_by, index_order, meta=meta,
                             align_dataframes=False)


def _colocated(t: BenefitTables, claims, persons, func: str, ids=None):
    """(claims, persons): partitions where every limit owner's claims and persons
    meet. Where they meet by household, a person_id in two households would reach the engine
    in two partitions, so it is checked across the persons (``ids``: their person_id, by
    default read from ``persons``), now (see :func:`check_unique_persons`)."""
    owner = owner_key(t, persons)
    if persons is not None and owner == "household_id":
        if isinstance(persons, pd.DataFrame):
            _raise_duplicates(_present(_ids(persons, "person_id")))
        else:
            checks.require_columns(_restore(persons._meta, ("person_id",)), ["person_id"], "persons")
            check_unique_persons(_person_id_column(persons) if ids is None else ids)
    located = _by_divisions(claims, persons, owner, func)
    c, p = located if located is not None else _shuffled(claims, persons, owner, func)
    return c, p


def _household_sums(claims: pd.DataFrame, persons: pd.DataFrame | None, t: BenefitTables, order_by,
                    index_order: bool) -> pd.DataFrame:
    """Fund payment and out of pocket of one partition's claims, summed by household."""
    res = _adjudicate_partition(claims, persons, t, False, order_by, index_order)
    hh = claims["household_id"].to_numpy()
    return pd.DataFrame({"household_id": hh, "fund_paid": res["fund_paid"].to_numpy(),
                         "oop_insured": res["oop"].to_numpy()}).groupby("household_id", sort=False).sum().reset_index()


def _insured_only(persons: pd.DataFrame) -> pd.DataFrame:
    return persons[persons["insured"].astype(bool).to_numpy()]


def household_oop(households, persons, claims, scheme=None):
    """:func:`healthcover.data.household_oop` of a population mapped to ``scheme`` whose tables
    are Dask DataFrames: the households (a lazy Dask DataFrame) with ``cost``,
    ``oop_uninsured`` and, with a scheme, ``fund_paid`` and ``oop_insured``. Claims of care the
    scheme does not have and of persons it does not insure are paid by the patient, as in pandas
    (``attrs`` are not kept: a Dask frame has none)."""
    dd = _dask()
    func = "household_oop"
    households, persons, claims = (f if _is_frame(f) else dd.from_pandas(_frame(f, name, func), npartitions=1)
                                   for f, name in ((households, "households"), (persons, "persons"),
                                                   (claims, "claims")))
    keep = ["person_id", "household_id"] + (["insured"] if "insured" in persons.columns else [])
    who = persons[keep]
    if "household_id" in claims.columns:
        claims = claims.drop(columns="household_id")
    had_seq = "claim_seq" in claims.columns
    # The claims' own index orders same-day claims when there is no claim_seq (as in pandas):
    # it travels as a column through the merge that tells each claim its household.
    claims = claims.assign(**{_INDEX: claims.index})
    claims = claims.merge(who, on="person_id", how="left")
    cost = claims.groupby("household_id")["cost"].sum(split_out=True).rename("cost")
    out = households.merge(cost.to_frame(), left_on="household_id", right_index=True, how="left")
    out = out.assign(cost=out["cost"].fillna(0.0))
    out = out.assign(oop_uninsured=out["cost"])
    if scheme is None:
        return out
    t = scheme.compiled.benefits
    covered = claims["care"].isin(list(scheme.care_types))
    insured, ids = persons, None
    if "insured" in persons.columns:
        covered = covered & claims["insured"].fillna(False).astype(bool)
        insured = persons.map_partitions(_insured_only, meta=persons._meta)
        # The uniqueness check reads two columns, not every person's whole row.
        two = persons[["person_id", "insured"]]
        ids = two.map_partitions(lambda p: _insured_only(p)["person_id"], meta=two._meta["person_id"])
    engine_claims = claims[covered].drop(columns=[c for c in ("insured",) if c in claims.columns])
    order_by = None if had_seq else (_INDEX,)
    c, p = _colocated(t, engine_claims, insured, func, ids)
    meta = pd.DataFrame({"household_id": engine_claims._meta["household_id"].to_numpy(),
                         "fund_paid": np.zeros(0), "oop_insured": np.zeros(0)})
    sums = dd.map_partitions(_household_sums, c, p, t, order_by, False, meta=meta, align_dataframes=False)
    paid = (claims[~covered].assign(fund_paid=0.0, oop_insured=claims["cost"])
            [["household_id", "fund_paid", "oop_insured"]])
    both = dd.concat([sums, paid]).groupby("household_id")[["fund_paid", "oop_insured"]].sum(split_out=True)
    out = out.merge(both, left_on="household_id", right_index=True, how="left")
    return out.assign(fund_paid=out["fund_paid"].fillna(0.0), oop_insured=out["oop_insured"].fillna(0.0))


# --------------------------------------------------------------------------- contributions


def _contributions_partition(persons: pd.DataFrame, compiled, missing: str) -> pd.DataFrame:
    return _contributions.contributions(compiled, _restore(persons, ("person_id",)), missing=missing)


def contributions(compiled, persons, *, missing: str = "raise"):
    """:func:`healthcover.contributions.contributions` on a Dask DataFrame of persons: a lazy
    Dask DataFrame with the pandas result's columns, index and partitions. A person_id that
    appears twice is an error, as in pandas: checked across partitions at the call (one read of
    the person_id column, :func:`check_unique_persons`) unless the index is ``person_id`` with
    known divisions, where each partition's own check suffices."""
    persons = _frame(persons, "persons", "contributions")
    meta = _contributions_partition(persons._meta, compiled, missing)
    if not (persons.known_divisions and persons.index.name == "person_id"):
        checks.require_columns(_restore(persons._meta, ("person_id",)), ["person_id"], "persons")
        check_unique_persons(_person_id_column(persons))
    return persons.map_partitions(_contributions_partition, compiled, missing, meta=meta)
