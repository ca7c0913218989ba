"""Out of core on one machine: claims as Parquet (partitioned by household) through the engine on
Dask's local scheduler into Parquet results, beside the in-memory pandas path.

Generates up to ``--claims`` claims (default 100 M) of Dazu tier 2 (inpatient and the
household-pooled outpatient account, Art. 23) as one Parquet file per block of households,
sorted by ``household_id``, with the persons beside them; then, each in a fresh process so that
peak memory is its own:

* **dask**: ``dd.read_parquet(claims, index="household_id", calculate_divisions=True)`` ->
  ``scheme.adjudicate(claims, persons)`` -> ``to_parquet`` on the threaded local scheduler
  (``--workers`` threads), for 10 %, 30 % and 100 % of the files (the 10 M -> 30 M -> 100 M
  curve: time should grow linearly, memory stay flat). The time includes the check, at the
  call, that no person_id is in two households (one read of the persons' person_id column:
  each file here holds its own block of ids; ``--scattered-ids`` spreads them, so that the
  ids' hashes are compared too);
* **pandas**: the same claims read into memory and adjudicated in one call, timed without the
  reading, at the largest size whose estimated footprint fits in half the available memory.

Reports claims/s, claims/s per core and peak RSS (the process's ``ru_maxrss``); never a pass or
fail. Disk: about 40 bytes per claim of input and 55 of results; the data are deleted at the
end unless ``--keep``.

    .venv/bin/python benchmarks/bench_dask.py                       # 10 M, 30 M, 100 M
    .venv/bin/python benchmarks/bench_dask.py --claims 3_000_000    # a quick run
    .venv/bin/python benchmarks/bench_dask.py --claims 3_000_000 --scattered-ids
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

CLAIMS_PER_FILE = 1_000_000
CLAIMS_PER_PERSON = 3.0  # a year's claims per person (so persons ~ claims / 3)
BYTES_PER_CLAIM_IN_MEMORY = 260
SCHEDULER = os.environ.get("BENCH_DASK_SCHEDULER", "threads")  # claims frame, persons, engine arrays and result (measured)


def scheme():
    from healthcover import data

    s, _ = data.scheme_for_population("dazu-resident", variant="tier2", assumptions=True)
    return s


def generate(root: Path, n_claims: int, seed: int = 0, scattered_ids: bool = False) -> int:
    """Write ``n_claims`` claims in files of CLAIMS_PER_FILE, each a block of whole households
    sorted by household_id; returns the number of files. Person ids are numbered in household
    order (each file its own block of ids), or with ``scattered_ids`` spread over 0 .. 2**40
    (an odd multiplier modulo 2**40: still unique), as identity numbers would be."""
    s = scheme()
    (root / "claims").mkdir(parents=True, exist_ok=True)
    (root / "persons").mkdir(parents=True, exist_ok=True)
    n_files = -(-n_claims // CLAIMS_PER_FILE)
    rng = np.random.default_rng(seed)
    person0 = household0 = seq0 = 0
    care = pd.CategoricalDtype(["inpatient", "general_outpatient"])
    facility = pd.CategoricalDtype(list(s.facilities))
    category = pd.CategoricalDtype(["adult", "minor"])
    for i in range(n_files):
        n = min(CLAIMS_PER_FILE, n_claims - i * CLAIMS_PER_FILE)
        n_people = max(int(n / CLAIMS_PER_PERSON), 1)
        size = rng.integers(1, 6, n_people)  # household sizes 1-5, cut to n_people persons
        hh_of_person = np.repeat(np.arange(len(size)), size)[:n_people] + household0
        pid = np.arange(n_people, dtype=np.int64) + person0
        if scattered_ids:
            pid = (pid * 2654435761) % 2**40
        who = rng.integers(0, n_people, n)
        out_p = rng.random(n) < 0.8
        claims = pd.DataFrame({
            "household_id": hh_of_person[who],
            "person_id": pid[who],
            "date": np.datetime64("2023-01-01", "ns") + rng.integers(0, 365, n).astype("timedelta64[D]"),
            "care": pd.Categorical.from_codes(out_p.astype(np.int8), dtype=care),
            "facility": pd.Categorical.from_codes(np.where(out_p, 0, rng.integers(0, 4, n)).astype(np.int8),
                                                  dtype=facility),
            "cost": np.where(out_p, np.round(rng.lognormal(3.5, 0.9, n), 2), np.round(rng.lognormal(8.0, 1.0, n), 2)),
            "claim_seq": np.arange(n, dtype=np.int64) + seq0,
        }).sort_values("household_id", kind="stable")
        persons = pd.DataFrame({
            "household_id": hh_of_person,
            "person_id": pid,
            "category": pd.Categorical.from_codes((rng.random(n_people) < 0.25).astype(np.int8), dtype=category),
            "years_enrolled": rng.integers(1, 6, n_people),
        })
        claims.to_parquet(root / "claims" / f"part-{i:05d}.parquet", index=False)
        persons.to_parquet(root / "persons" / f"part-{i:05d}.parquet", index=False)
        person0 += n_people
        household0 = int(hh_of_person[-1]) + 1
        seq0 += n
    return n_files


def files(root: Path, table: str, k: int) -> list[str]:
    return sorted(str(p) for p in (root / table).glob("part-*.parquet"))[:k]


def peak_rss() -> int:
    """Peak RSS of this process, or of its largest worker process under the ``processes``
    scheduler (whose children hold partitions too)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return max(own, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) * 1024


def run_dask(root: Path, k: int, workers: int) -> dict:
    import dask
    import dask.dataframe as dd
    import pyarrow.parquet as pq

    s = scheme()
    out = root / f"results-{k}"
    t0 = time.perf_counter()  # from the file names to the results on disk
    claims = dd.read_parquet(files(root, "claims", k), index="household_id", calculate_divisions=True)
    persons = dd.read_parquet(files(root, "persons", k), index="household_id", calculate_divisions=True)
    n = sum(pq.ParquetFile(f).metadata.num_rows for f in files(root, "claims", k))
    with dask.config.set(scheduler=SCHEDULER, num_workers=workers):
        s.adjudicate(claims, persons).to_parquet(out, write_index=True)
    wall = time.perf_counter() - t0
    shutil.rmtree(out, ignore_errors=True)
    return {"path": "dask", "claims": n, "seconds": wall, "cores": workers, "peak_rss": peak_rss()}


def run_pandas(root: Path, k: int) -> dict:
    s = scheme()
    claims = pd.concat([pd.read_parquet(f) for f in files(root, "claims", k)], ignore_index=True)
    persons = pd.concat([pd.read_parquet(f) for f in files(root, "persons", k)], ignore_index=True)
    t0 = time.perf_counter()
    res = s.adjudicate(claims, persons)
    wall = time.perf_counter() - t0
    return {"path": "pandas", "claims": len(res), "seconds": wall, "cores": 1, "peak_rss": peak_rss(),
            "fund_paid": float(res["fund_paid"].sum())}


def child(args: list[str]) -> dict:
    r = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=False)
    if r.returncode != 0:
        raise SystemExit(r.stderr[-3000:])
    return json.loads(r.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--claims", type=lambda v: int(float(v.replace("_", ""))), default=100_000_000)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--dir", type=Path, default=Path("build/bench_dask"))
    ap.add_argument("--keep", action="store_true", help="keep the generated Parquet files")
    ap.add_argument("--scattered-ids", action="store_true",
                    help="person ids not in blocks per file (the person_id check compares hashes)")
    ap.add_argument("--child", nargs=3, metavar=("PATH", "FILES", "WORKERS"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        path, k, w = a.child
        out = run_dask(a.dir, int(k), int(w)) if path == "dask" else run_pandas(a.dir, int(k))
        print(json.dumps(out))
        return
    free = shutil.disk_usage(a.dir.parent if a.dir.parent.exists() else Path(".")).free
    need = a.claims * 100
    if need > free * 0.8:
        raise SystemExit(f"bench_dask: {a.claims:,} claims need about {need / 2**30:.1f} GiB of disk; "
                         f"{free / 2**30:.1f} GiB free")
    import psutil

    a.dir.mkdir(parents=True, exist_ok=True)
    try:
        t0 = time.perf_counter()
        n_files = generate(a.dir, a.claims, scattered_ids=a.scattered_ids)
        print(f"generated {a.claims:,} claims in {n_files} Parquet files by household "
              f"({sum(f.stat().st_size for f in a.dir.rglob('*.parquet')) / 2**30:.2f} GiB) "
              f"in {time.perf_counter() - t0:.0f} s")
        sizes = sorted({max(1, round(n_files * f)) for f in (0.1, 0.3, 1.0)})
        rows = [child(["--dir", str(a.dir), "--child", "dask", str(k), str(a.workers)]) for k in sizes]
        avail = psutil.virtual_memory().available
        fits = [k for k in sizes if k * CLAIMS_PER_FILE * BYTES_PER_CLAIM_IN_MEMORY < avail / 2]
        if fits:
            rows.append(child(["--dir", str(a.dir), "--child", "pandas", str(fits[-1]), "1"]))
    finally:
        if not a.keep:
            shutil.rmtree(a.dir, ignore_errors=True)
    table = pd.DataFrame(rows)
    table["claims/s"] = table["claims"] / table["seconds"]
    table["claims/s per core"] = table["claims/s"] / table["cores"]
    table["peak RSS GiB"] = table["peak_rss"] / 2**30
    print(table[["path", "claims", "cores", "seconds", "claims/s", "claims/s per core", "peak RSS GiB"]]
          .to_string(index=False, float_format=lambda v: f"{v:,.2f}"))
    pandas_rows = table[table["path"] == "pandas"]
    if len(pandas_rows):
        base = float(pandas_rows["claims/s per core"].iloc[0])
        for _, r in table[table["path"] == "dask"].iterrows():
            print(f"dask at {r['claims']:,.0f} claims: {r['claims/s per core'] / base:.0%} of the in-memory "
                  f"pandas throughput per core (Parquet read and write included), peak RSS "
                  f"{r['peak RSS GiB']:.2f} GiB")


if __name__ == "__main__":
    main()
