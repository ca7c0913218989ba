"""Speed of the financial-protection measures on a million households.

Times every measure (catastrophic under each of the four budgets, impoverishment, unified)
on one core (single-threaded BLAS), best of several runs in this process, beside a pandas
baseline of the same catastrophic 'total' computation (groupby for tied ranks) measured in
the same run. The target is all measures for 1,000,000 households in under a second;
timing on a shared machine is noisy, so this reports and never fails.

    .venv/bin/python benchmarks/bench_protection.py --households 1_000_000 --repeats 3
"""
from __future__ import annotations

import argparse
import gc
import os
import time

# One core: keep BLAS (used by np.dot) single-threaded; set before numpy loads.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from healthcover import protection as pr  # noqa: E402

POVERTY_LINE = 625.0  # CNY per person per year, a round rural line of about 2000


def make(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    size = 1 + rng.poisson(3, n)
    pc = 2210.34 * np.exp(0.65 * rng.standard_normal(n) - 0.65**2 / 2)
    cons = np.round(pc * size, 2)  # rounded: ties in the ranking, as in real surveys
    food = np.round(cons * rng.beta(10.6, 9.4, n), 2)
    oop = np.round(cons * rng.exponential(0.06, n) * (rng.random(n) < 0.8), 2)
    weight = rng.uniform(0.2, 3.0, n)
    weight[rng.random(n) < 0.01] = 0.0  # zero-weight rows are handled too
    return pd.DataFrame({"oop": oop, "cons": cons, "food": food, "size": size, "w": weight})


def baseline_total(df: pd.DataFrame, threshold: float) -> dict:
    """Catastrophic 'total' written with plain pandas (what one would write first)."""
    d = df[df["w"] > 0].copy()
    d["r"] = d["oop"] / d["cons"]
    d["e"] = (d["r"] > threshold).astype(float)
    d["o"] = d["e"] * (d["r"] - threshold)
    d["x"] = d["cons"] / d["size"]
    d = d.sort_values("x")
    total = d["w"].sum()
    below = d["w"].cumsum() - d["w"]
    grp = d.groupby("x", sort=False)
    d["R"] = (grp["w"].transform("sum") / 2 + below.groupby(d["x"]).transform("min")) / total
    out = {}
    for k in ("e", "o"):
        m = (d["w"] * d[k]).sum() / total
        mr = (d["w"] * d["R"]).sum() / total
        out[k] = (m, 2 * (d["w"] * (d[k] - m) * (d["R"] - mr)).sum() / total / m)
    return out


def best(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        gc.collect()
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--households", type=lambda s: int(s.replace("_", "")), default=1_000_000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    df = make(args.households)
    common = dict(oop="oop", consumption="cons", size="size", weight="w")
    runs = {
        f"catastrophic {m}": (lambda m=m: pr.catastrophic(
            df, threshold=0.4 if m in ("capacity_to_pay", "discretionary") else 0.1, method=m,
            food="food", poverty_line=POVERTY_LINE, **common))
        for m in pr.METHODS
    }
    runs["impoverishment"] = lambda: pr.impoverishment(df, poverty_line=POVERTY_LINE, **common)
    runs["unified"] = lambda: pr.unified(df, poverty_line=POVERTY_LINE, **common)
    for fn in runs.values():  # warm up (imports, page faults)
        fn()
    rows = [(name, best(fn, args.repeats)) for name, fn in runs.items()]
    total = sum(t for _, t in rows)
    base = best(lambda: baseline_total(df, 0.1), max(1, args.repeats - 1))
    # The baseline agrees with the library (sanity check of the comparison).
    ref = baseline_total(df, 0.1)
    got = pr.catastrophic(df, threshold=0.1, method="total", **common)
    agree = np.isclose(ref["e"][1], got["concentration_headcount"], rtol=1e-9)

    print(f"households: {args.households:,} (one core, best of {args.repeats})")
    for name, t in rows:
        print(f"  {name:<32} {t * 1000:8.1f} ms")
    print(f"  {'all measures':<32} {total * 1000:8.1f} ms   "
          f"({'under' if total < 1 else 'OVER'} the 1 s target)")
    three = dict(rows)
    core = three["catastrophic capacity_to_pay"] + three["impoverishment"] + three["unified"]
    print(f"  {'catastrophic(ctp)+impov+unified':<32} {core * 1000:8.1f} ms")
    print(f"pandas baseline, catastrophic total: {base * 1000:.1f} ms "
          f"(library {three['catastrophic total'] / base:.2f}x of it; results agree: {agree})")


if __name__ == "__main__":
    main()
