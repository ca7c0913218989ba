"""Update time of the dashboards, in the kernel, without a browser.

Reform explorer: builds the dashboard for 100,000 households (as served), then moves sliders the
way a visitor does (the widget's value changes, the page's callback runs) and reports the median
wall time of a move with its breakdown: loading the reform scheme, adjudicating the claims of the
pools the slider touches, the protection measures, the tables, the HTML, the chart specs and
sending or rendering the charts. Beside it, in the same run: the same moves with the charts
rendered to SVG in the kernel (the framework's default path) and a full recomputation with
``household_oop`` (no caching), as baselines. Illness-and-poverty and fund-solvency dashboards:
median time of a slider move.

    .venv/bin/python benchmarks/bench_dashboards.py [--households 100000] [--moves 7]

Reports; never fails (a shared 2-core machine is noisy).
"""
from __future__ import annotations

import argparse
import statistics
import time

import healthcover as hc
from healthcover.widgets import reform_explorer as rx

STAGES = ("load_scheme", "adjudicate", "measures", "tables", "html", "chart_specs", "chart_render", "total")


def _moves(explorer, key: str, values: list[float]) -> list[dict]:
    slider = next(s for s in explorer.sliders if s.row["key"] == key)
    out = []
    for v in values:
        slider.widget.value = v  # fires the page's callback, as a visitor's move does
        assert explorer.result is not None, explorer.page.error_html.value
        out.append(dict(explorer.timings))
    return out


def _report(label: str, timings: list[dict]) -> None:
    med = {k: 1000 * statistics.median(t.get(k, 0.0) for t in timings) for k in STAGES}
    pools = sorted({p for t in timings for p in t.get("pools_adjudicated", [])})
    parts = ", ".join(f"{k} {med[k]:.0f}" for k in STAGES if k != "total")
    print(f"  {label}: median {med['total']:.0f} ms over {len(timings)} moves ({parts}; "
          f"pools adjudicated: {', '.join(pools) or 'none'})")


def bench_reform(n: int, moves: int) -> None:
    print(f"reform explorer, dazu-resident tier2, {n:,} households")
    t0 = time.perf_counter()
    page = rx.reform_explorer("zh", n_households=n)
    ex = page.explorer
    print(f"  first build (population, mapping, baseline, charts): {time.perf_counter() - t0:.2f} s; "
          f"{ex.model.n_persons:,} persons, {ex.model.n_claims:,} claims")
    rates = [0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9][:moves]
    _report("inpatient rate (adult, county), charts drawn in the browser",
            _moves(ex, "benefits.inpatient.rate.adult.county", rates))
    _report("inpatient deductible (county)",
            _moves(ex, "benefits.inpatient.deductible.county", [100, 150, 250, 300, 350, 400, 450][:moves]))
    _report("general outpatient rate (434k claims re-adjudicated)",
            _moves(ex, "benefits.general_outpatient.rate", [0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65][:moves]))
    page.language.value = "en"
    _report("inpatient rate, English", _moves(ex, "benefits.inpatient.rate.adult.county", rates[::-1]))

    # Baseline 1: the framework's default chart path (SVG drawn by vl-convert in the kernel).
    svg = rx.reform_explorer("zh", n_households=n, interactive=False).explorer
    _report("same inpatient moves, charts rendered to SVG in the kernel",
            _moves(svg, "benefits.inpatient.rate.adult.county", rates))

    # Baseline 2: no caching: household_oop on the whole population for every move.
    pop = rx._population(n, rx.DEFAULT_SEED)
    times = []
    for r in rates[:3]:
        t = time.perf_counter()
        s = hc.load_scheme("dazu-resident", overrides={"benefits.general_outpatient.rate": 0.3,
                                                       "benefits.inpatient.rate.adult.county": r})
        hc.data.household_oop(pop, s)
        times.append(time.perf_counter() - t)
    print(f"  baseline without caching (household_oop only, before any measure or chart): "
          f"median {1000 * statistics.median(times):.0f} ms")


def _median_ms(widget, values) -> float:
    times = []
    for v in values:
        t = time.perf_counter()
        widget.value = v  # the page's callback runs synchronously, as for a visitor's move
        times.append(time.perf_counter() - t)
    return 1000 * statistics.median(times)


def bench_small(moves: int) -> None:
    from healthcover.widgets import poverty_dashboard, solvency

    d = poverty_dashboard.illness_poverty("zh").dashboard
    shares = [0.25, 0.3, 0.35, 0.4, 0.45, 0.49, 0.21][:moves]
    print(f"illness and poverty, illness share (tornado, {poverty_dashboard.MC_DRAWS:,} Monte Carlo "
          f"draws, two charts): median {_median_ms(d.sliders['illness_share'], shares):.0f} ms")
    f = solvency.fund_solvency("zh").dashboard
    costs = [2_000, 2_500, 3_500, 4_000, 4_500, 5_000, 5_500][:moves]
    print(f"fund solvency, mean cost (exact distribution, target contribution, {solvency.N_PATHS:,}-path "
          f"projection, three charts): median {_median_ms(f.mean_cost, costs):.0f} ms")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--households", type=int, default=rx.DEFAULT_HOUSEHOLDS)
    ap.add_argument("--moves", type=int, default=7)
    a = ap.parse_args()
    bench_reform(a.households, a.moves)
    bench_small(a.moves)


if __name__ == "__main__":
    main()
