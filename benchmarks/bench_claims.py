"""Adjudication speed and memory: healthcover against a hand-written NumPy kernel of the same rule.

The rule (Dazu tier 2, inpatient, adults): fund = (cost - deductible[facility]) x rate[facility],
capped at 60,000 of cumulative fund payment per person and calendar year, in date order.
Both paths sort the same unsorted claims; timings are medians of several runs in this process,
reported as ratios (timing on this machine is noisy; never a pass/fail test).

    .venv/bin/python benchmarks/bench_claims.py --claims 10_000_000 --repeats 3
"""
from __future__ import annotations

import argparse
import gc
import statistics
import time
import tracemalloc

import numpy as np
import pandas as pd

import healthcover as hc

DED = np.array([30, 100, 200, 1000], dtype=np.int64) * 100  # fen, Dazu Art. 23(二)2
RATE = np.array([0.70, 0.65, 0.50, 0.35])
LIMIT = 60000 * 100


def make(n_claims: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    n_people = n_claims // 2
    person = rng.integers(0, n_people, n_claims)
    day = rng.integers(0, 2 * 365, n_claims)  # two calendar years
    date = (np.datetime64("2023-01-01") + day.astype("timedelta64[D]")).astype("datetime64[ns]")
    fac = rng.choice(4, n_claims, p=[0.4, 0.25, 0.25, 0.1]).astype(np.int8)
    cost = np.round(rng.lognormal(np.log(3000) - 0.5 * np.log(1 + 1.5**2), np.sqrt(np.log(1 + 1.5**2)), n_claims), 2)
    cost[rng.random(n_claims) < 0.002] *= 40  # some very large admissions, so the annual limit bites
    facilities = ["township", "central_township", "county", "above_county"]
    claims = pd.DataFrame({
        "person_id": person,
        "date": date,
        "care": pd.Categorical.from_codes(np.zeros(n_claims, dtype=np.int8), ["inpatient"]),
        "facility": pd.Categorical.from_codes(fac, facilities),
        "cost": cost,
    })
    persons = pd.DataFrame({
        "person_id": rng.permutation(n_people),
        "category": pd.Categorical.from_codes(np.zeros(n_people, dtype=np.int8), ["adult"]),
    })
    return claims, persons


def kernel(person: np.ndarray, date: np.ndarray, fac: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """The same rule written directly: packed sort key, segmented cumulative sum, clip."""
    days = date.astype("datetime64[D]")
    ystart = days.astype("datetime64[Y]")
    year = ystart.astype(np.int64) - ystart.astype(np.int64).min()
    doy = (days - ystart.astype("datetime64[D]")).astype(np.int64)
    n = len(cost)
    ib = max((n - 1).bit_length(), 1)
    key = ((person.astype(np.int64) << 1 | year) << 9 | doy) << ib | np.arange(n)
    key.sort()
    order = key & ((1 << ib) - 1)
    grp = key >> (9 + ib)
    cost_f = np.floor(cost[order] * 100 + 0.5).astype(np.int64)
    f = fac[order]
    raw = np.floor(np.maximum(cost_f - DED[f], 0) * RATE[f] + 0.5 + 1e-9).astype(np.int64)
    c = np.cumsum(raw)
    starts = np.r_[True, grp[1:] != grp[:-1]]
    gid = np.cumsum(starts) - 1
    cum = c - (c - raw)[starts][gid]
    paid = np.minimum(cum, LIMIT) - np.minimum(cum - raw, LIMIT)
    out = np.empty(n, dtype=np.int64)
    out[order] = paid
    return out / 100.0


def interleaved(fns, repeats: int):
    times = [[] for _ in fns]
    results = [None] * len(fns)
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            gc.collect()
            t0 = time.perf_counter()
            results[i] = fn()
            times[i].append(time.perf_counter() - t0)
    return [(statistics.median(ts), r) for ts, r in zip(times, results)]


def peak_bytes(fn) -> int:
    gc.collect()
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--claims", type=int, default=10_000_000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    n = args.claims
    claims, persons = make(n)
    scheme = hc.load_scheme("dazu-resident", variant="tier2")
    scheme.adjudicate(claims.head(1000), persons)  # warm caches (tables, imports)
    arrays = (claims.person_id.to_numpy(), claims.date.to_numpy(), claims.facility.cat.codes.to_numpy(), claims.cost.to_numpy())

    # The same claims as users' CSV and Parquet files give them: codes as plain strings (pandas'
    # default string dtype, as read_csv and read_parquet return them), and as Python objects.
    s_claims = claims.assign(care=claims.care.astype("str"), facility=claims.facility.astype("str"))
    s_persons = persons.assign(category=persons.category.astype("str"))
    o_claims = claims.assign(care=claims.care.astype(object), facility=claims.facility.astype(object))
    o_persons = persons.assign(category=persons.category.astype(object))

    # Interleaved, so a busy machine slows every path alike; medians of the repeats.
    (t_hc, res), (t_str, res_str), (t_obj, res_obj), (t_k, ref) = interleaved(
        [lambda: scheme.adjudicate(claims, persons), lambda: scheme.adjudicate(s_claims, s_persons),
         lambda: scheme.adjudicate(o_claims, o_persons), lambda: kernel(*arrays)], args.repeats)
    same = np.array_equal(res.fund_paid.to_numpy(), ref)
    mem_hc = peak_bytes(lambda: scheme.adjudicate(claims, persons)) / n
    mem_k = peak_bytes(lambda: kernel(*arrays)) / n
    input_bytes = claims.memory_usage(deep=True).sum() / n
    print(f"claims: {n:,}  persons: {len(persons):,}  annual limit bit on {(res.limit_reason == 'annual_limit').sum():,} claims")
    print(f"{'path':<28}{'median s':>10}{'M claims/s':>12}{'peak B/claim':>14}")
    print(f"{'healthcover adjudicate':<28}{t_hc:>10.3f}{n / t_hc / 1e6:>12.2f}{mem_hc:>14.1f}")
    print(f"{'  codes as strings (str)':<28}{t_str:>10.3f}{n / t_str / 1e6:>12.2f}{'':>14}")
    print(f"{'  codes as Python objects':<28}{t_obj:>10.3f}{n / t_obj / 1e6:>12.2f}{'':>14}")
    print(f"{'hand-written NumPy kernel':<28}{t_k:>10.3f}{n / t_k / 1e6:>12.2f}{mem_k:>14.1f}")
    same = same and all(np.array_equal(r.fund_paid.to_numpy(), ref) for r in (res_str, res_obj))
    print(f"ratio healthcover / kernel: {t_hc / t_k:.2f}x categorical codes, {t_str / t_k:.2f}x str codes, "
          f"{t_obj / t_k:.2f}x object codes (target <= 2x); identical fund payments: {same}")
    print(f"input frame: {input_bytes:.1f} B/claim (not counted in the peaks above)")


if __name__ == "__main__":
    main()
