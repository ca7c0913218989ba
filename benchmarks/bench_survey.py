"""Speed of design-based standard errors (healthcover.standard_errors) on 100,000 households.

A stratified cluster sample like CHARLS's: 50 strata of 10 PSUs (500 PSUs), 200 households
each, unequal weights. Times, on one core (single-threaded BLAS), linearisation, the
delete-one-PSU jackknife (500 replicates) and the Rao-Wu bootstrap (500 replicates) of the
catastrophic-payment measures, the Kakwani index and the concentration indices, beside one
evaluation of the same measure in the same run: a replicate method costs about (replicates x
one evaluation); the ratio shows the overhead per replicate. Timing on a shared machine is
noisy, so this reports and never fails.

    .venv/bin/python benchmarks/bench_survey.py --households 100_000 --strata 50 --psus 10
"""
from __future__ import annotations

import argparse
import gc
import os
import time

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import healthcover as hc  # noqa: E402
from healthcover import protection as pr  # noqa: E402


def make(n: int, strata: int, psus: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    size = 1 + rng.poisson(3, n)
    stratum = np.sort(rng.integers(0, strata, n))
    psu = rng.integers(0, psus, n)
    village = rng.normal(0, 0.3, strata * psus)[stratum * psus + psu]  # clustering
    pc = 2210.34 * np.exp(0.65 * rng.standard_normal(n) + village - 0.65**2 / 2)
    cons = np.round(pc * size, 2)
    oop = np.round(cons * rng.exponential(0.06, n) * (rng.random(n) < 0.8), 2)
    pay = np.round(cons * rng.uniform(0.01, 0.04, n), 2)
    return pd.DataFrame({"stratum": stratum, "psu": psu, "w": rng.uniform(0.2, 3.0, n),
                         "oop": oop, "cons": cons, "size": size, "pay": pay})


def timed(fn) -> tuple[float, object]:
    gc.collect()
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--households", type=lambda s: int(s.replace("_", "")), default=100_000)
    ap.add_argument("--strata", type=int, default=50)
    ap.add_argument("--psus", type=int, default=10)
    ap.add_argument("--reps", type=int, default=500)
    args = ap.parse_args()
    df = make(args.households, args.strata, args.psus)
    design = hc.SurveyDesign(weight="w", strata="stratum", psu="psu")
    summary = design.summary(df)
    print(f"{summary['households']:,} households, {summary['strata']} strata, "
          f"{summary['psus']} PSUs, design df {summary['design_df']}")
    measures = {
        "catastrophic": (pr.catastrophic, dict(oop="oop", consumption="cons", threshold=0.1,
                                               method="total", size="size")),
        "kakwani": (pr.kakwani, dict(payment="pay", income="cons")),
        "concentration_indices": (pr.concentration_indices, dict(variable="oop", rank="cons")),
    }
    # Warm up: the first call imports scipy.stats (for the t quantile), which is not timed.
    hc.standard_errors(pr.kakwani, df.head(2000), design=design, payment="pay", income="cons")
    rows = []
    for name, (measure, kw) in measures.items():
        one = min(timed(lambda: measure(df, weight="w", **kw))[0] for _ in range(3))
        lin, _ = timed(lambda: hc.standard_errors(measure, df, design=design, **kw))
        jk, out = timed(lambda: hc.standard_errors(measure, df, design=design, se="jackknife",
                                                   progress=False, **kw))
        bs, bout = timed(lambda: hc.standard_errors(measure, df, design=design, se="bootstrap",
                                                    reps=args.reps, seed=1, progress=False, **kw))
        rows.append({
            "measure": name, "one evaluation (s)": one, "linearization (s)": lin,
            f"jackknife {out.attrs['replicates']} (s)": jk,
            f"bootstrap {bout.attrs['replicates']} (s)": bs,
            "jackknife / (reps x one)": jk / (out.attrs["replicates"] * one),
            "bootstrap / (reps x one)": bs / (bout.attrs["replicates"] * one),
        })
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(pd.DataFrame(rows).set_index("measure").round(3))


if __name__ == "__main__":
    main()
