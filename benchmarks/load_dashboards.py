"""Load test of the reform explorer: N concurrent browser sessions on one Voila server.

Loopback only and bounded: Voila is started on 127.0.0.1 (tests/conftest.py's ``run_voila``,
so ``voila.json`` applies), every request that is not to it is blocked, each step has a
timeout, the whole run has a deadline, and the server is stopped at the end.

For each configuration (cold kernels, and Voila's preheated kernels with a pool as large as the
number of sessions), N sessions (separate browser contexts, like N visitors) open the reform
explorer at the same moment; the script reports

* time to first render: from navigation to the summary table and the charts' bars on the page;
* response: each session moves the same slider (county inpatient rate for adults, one step
  with the keyboard) and waits until its reform figures change; the time from key press to the
  new numbers, and the kernel CPU a move costs;
* memory per kernel (psutil on the server's kernel processes: RSS, and USS, the memory a
  kernel does not share), the server's RSS;
* how many concurrent viewers the machine holds: by memory (available memory / USS per
  kernel, keeping 2 GiB for the system) and by CPU (moves a second the cores sustain).

    .venv/bin/python benchmarks/load_dashboards.py [--sessions 10] [--households 100000]
        [--modes cold,preheated] [--deadline 1200]

Reports; never fails on a number (a shared machine is noisy); exits non-zero only if a
session does not render or respond.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import sys
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from conftest import CHROMIUM, CHROMIUM_ARGS, DASHBOARDS, LOOPBACK, run_voila

PAGE = "/voila/render/reform-explorer.ipynb"
READY = ".hc-summary .hc-m-fund_total .hc-new"
BARS = ".hc-quintile-chart [aria-roledescription='bar']"
SLIDER = ".hc-p-benefits-inpatient-rate-adult-county [role=slider]"
STEP_TIMEOUT_MS = 300_000
GIB = 2**30


def kernels(server_pid: int) -> list[psutil.Process]:
    out = []
    for p in psutil.Process(server_pid).children(recursive=True):
        try:
            if "ipykernel" in " ".join(p.cmdline()) and p.status() != psutil.STATUS_ZOMBIE:
                out.append(p)
        except psutil.NoSuchProcess:
            pass
    return out


def kernel_cpu(server_pid: int, ids: set | None = None) -> float:
    """CPU seconds used so far by the server's kernels (only those whose id is in ``ids``)."""
    total = 0.0
    for k in kernels(server_pid):
        try:
            if ids is not None and not any(i and i in " ".join(k.cmdline()) for i in ids):
                continue
            t = k.cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return total


def wait_quiet(server_pid: int, expected: int, deadline: float, quiet_s: float = 3.0) -> float:
    """Wait until ``expected`` kernels run and their CPU has been idle for ``quiet_s`` seconds
    (a preheated pool has started and executed the notebook). Returns the seconds waited."""
    t0 = time.monotonic()
    last, still_since = kernel_cpu(server_pid), None
    while time.monotonic() < deadline:
        time.sleep(1.0)
        now = kernel_cpu(server_pid)
        busy = now - last > 0.2
        last = now
        if len(kernels(server_pid)) >= expected and not busy:
            still_since = still_since or time.monotonic()
            if time.monotonic() - still_since >= quiet_s:
                return time.monotonic() - t0
        else:
            still_since = None
    raise TimeoutError(f"{expected} kernels did not start and settle before the deadline")


async def session(browser, url: str, i: int, start: asyncio.Event, results: list, errors: list):
    context = await browser.new_context(viewport={"width": 1280, "height": 1400})
    page = await context.new_page()
    page.set_default_timeout(STEP_TIMEOUT_MS)
    blocked: list[str] = []

    async def route(r):
        if LOOPBACK.match(r.request.url) or r.request.url.startswith(("data:", "blob:", "about:")):
            await r.continue_()
        else:
            blocked.append(r.request.url)
            await r.abort()

    await page.route("**/*", route)
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    await start.wait()
    rec = {"session": i}
    try:
        t0 = time.perf_counter()
        await page.goto(url, timeout=STEP_TIMEOUT_MS)
        await page.wait_for_selector(READY)
        await page.wait_for_selector(BARS)
        rec["first_render_s"] = time.perf_counter() - t0
        rec["kernel_id"] = await page.evaluate(
            "() => JSON.parse(document.querySelector('#jupyter-config-data').textContent).kernelId")
        before = await page.inner_text(READY)
        handle = page.locator(SLIDER).first
        await handle.focus()
        t1 = time.perf_counter()
        await handle.press("ArrowRight")
        await page.wait_for_function(
            "([sel, before]) => { const e = document.querySelector(sel); return e && e.innerText !== before; }",
            arg=[READY, before], timeout=STEP_TIMEOUT_MS)
        rec["response_s"] = time.perf_counter() - t1
        rec["after"] = await page.inner_text(READY)
        rec["before"] = before
        if blocked:
            errors.append(f"session {i}: non-loopback requests {blocked[:3]}")
        if console:
            errors.append(f"session {i}: console errors {console[:3]}")
        results.append(rec)
    except Exception as exc:  # noqa: BLE001 - report and go on: the summary counts failed sessions
        errors.append(f"session {i}: {type(exc).__name__}: {str(exc).splitlines()[0]}")
    return page, context


async def run_sessions(base: str, n: int, server_pid: int) -> dict:
    from playwright.async_api import async_playwright

    url = base + PAGE
    results: list[dict] = []
    errors: list[str] = []
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        start = asyncio.Event()
        tasks = [asyncio.create_task(session(browser, url, i, start, results, errors)) for i in range(n)]
        await asyncio.sleep(1.0)
        cpu0 = kernel_cpu(server_pid)
        start.set()  # every session navigates at the same moment
        opened = await asyncio.gather(*tasks)
        cpu_all = kernel_cpu(server_pid) - cpu0
        ks = kernels(server_pid)
        # The viewers' own kernels (a preheated pool refills with more kernels beside them).
        mine = {r.get("kernel_id") for r in results}
        mem = []
        for k in ks:
            try:
                if not any(kid and kid in " ".join(k.cmdline()) for kid in mine):
                    continue
                info = k.memory_full_info()
                mem.append((info.rss / 2**20, info.uss / 2**20))
            except psutil.NoSuchProcess:
                pass
        server_rss = psutil.Process(server_pid).memory_info().rss / 2**20

        # One more move in every session at once, to time the kernel CPU a move costs (the
        # viewers' kernels only: a preheated pool may be refilling beside them).
        cpu1 = kernel_cpu(server_pid, mine)
        t = time.perf_counter()
        moves = []
        for page, _ in opened:
            if page.is_closed():
                continue
            try:
                before = await page.inner_text(READY)
                await page.locator(SLIDER).first.press("ArrowRight")
                moves.append(page.wait_for_function(
                    "([sel, before]) => { const e = document.querySelector(sel); return e && e.innerText !== before; }",
                    arg=[READY, before], timeout=STEP_TIMEOUT_MS))
            except Exception as exc:  # noqa: BLE001 - reported
                errors.append(f"second move: {type(exc).__name__}")
        await asyncio.gather(*moves, return_exceptions=True)
        burst_s = time.perf_counter() - t
        cpu_move = (kernel_cpu(server_pid, mine) - cpu1) / max(len(moves), 1)
        for page, context in opened:
            await context.close()
        await browser.close()
    return {"results": results, "errors": errors, "kernels": len(ks), "mem": mem, "server_rss": server_rss,
            "cpu_all": cpu_all, "cpu_move": cpu_move, "burst_s": burst_s, "burst_n": len(moves)}


def server_pid_of(base: str) -> int:
    port = int(base.rsplit(":", 1)[1])
    for c in psutil.net_connections("tcp"):
        if c.status == "LISTEN" and c.laddr.port == port and c.pid:
            return c.pid
    raise RuntimeError(f"no process listens on {port}")


def fmt(xs: list[float], unit: str = "s") -> str:
    if not xs:
        return "n/a"
    return f"median {statistics.median(xs):.1f}{unit}, min {min(xs):.1f}{unit}, max {max(xs):.1f}{unit}"


def measure(mode: str, n: int, households: int, deadline: float) -> bool:
    if mode == "preheated":
        # A pool of n warm kernels for the reform explorer only (voila.json's default pool is 1
        # per notebook; n for every dashboard would hold 4n kernels).
        pools = {"reform-explorer.ipynb": {"pool_size": n}, "default": {"pool_size": 0}}
        extra = ["--preheat_kernel=True", f"--VoilaKernelManager.kernel_pools_config={pools!r}"]
    else:
        extra = ["--preheat_kernel=False"]
    # Kernels started by Voila inherit this; the dashboard reads it (tests use a small one).
    os.environ["HEALTHCOVER_DASHBOARD_HOUSEHOLDS"] = str(households)
    t_start = time.monotonic()
    with run_voila(DASHBOARDS, *extra, "--MappingKernelManager.cull_idle_timeout=0", name="load-voila") as base:
        pid = server_pid_of(base)
        settle = None
        if mode == "preheated":
            # Wait until the pool's kernels are up and have run the notebook.
            settle = wait_quiet(pid, n, deadline)
        out = asyncio.run(asyncio.wait_for(run_sessions(base, n, pid), timeout=max(deadline - time.monotonic(), 30)))
    res = out["results"]
    ok = len(res) == n and all(r["after"] != r["before"] for r in res)
    rss = [m[0] for m in out["mem"]]
    uss = [m[1] for m in out["mem"]]
    vm = psutil.virtual_memory()
    per_kernel = statistics.median(uss) if uss else float("nan")
    by_memory = int((vm.total - 2 * GIB) / 2**20 / per_kernel) if uss else 0
    cores = psutil.cpu_count() or 1
    per_move = out["cpu_move"]
    print(f"\n== {mode}: {n} concurrent sessions of the reform explorer, {households:,} households"
          f"{f' (pool of {n} per notebook, ready after {settle:.0f} s)' if settle else ''}")
    print(f"  rendered and responded: {len(res)}/{n} sessions" + ("" if ok else "  <-- FAILURES"))
    for e in out["errors"]:
        print(f"  ! {e}")
    print(f"  time to first render: {fmt([r['first_render_s'] for r in res])}")
    print(f"  slider move to new numbers (all sessions moving at once): {fmt([r['response_s'] for r in res])}")
    print(f"  kernels running: {out['kernels']} (the viewers' {len(rss)} measured); memory per kernel RSS {fmt(rss, ' MiB')}; "
          f"USS (unshared) {fmt(uss, ' MiB')}; server RSS {out['server_rss']:.0f} MiB")
    print(f"  kernel CPU to open {n} sessions: {out['cpu_all']:.1f} s; per slider move: {per_move:.2f} s; "
          f"{out['burst_n']} simultaneous moves all answered in {out['burst_s']:.1f} s")
    print(f"  capacity: memory {vm.total / GIB:.1f} GiB -> about {by_memory} concurrent viewers "
          f"(USS per kernel, 2 GiB kept for the system); CPU {cores} cores -> about "
          f"{cores / per_move if per_move > 0 else float('nan'):.1f} slider moves a second across all viewers")
    print(f"  wall time of this configuration: {time.monotonic() - t_start:.0f} s")
    return ok


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=10)
    ap.add_argument("--households", type=int, default=100_000)
    ap.add_argument("--modes", default="cold,preheated")
    ap.add_argument("--deadline", type=float, default=1200.0, help="seconds for the whole run")
    a = ap.parse_args()
    if not Path(CHROMIUM).exists():
        print(f"skipped: {CHROMIUM} missing (make install puts it there)")
        return 0
    deadline = time.monotonic() + a.deadline
    ok = True
    for mode in [m.strip() for m in a.modes.split(",") if m.strip()]:
        if not re.fullmatch(r"cold|preheated", mode):
            print(f"unknown mode {mode!r}; allowed: cold, preheated")
            return 2
        if time.monotonic() > deadline:
            print(f"deadline reached before {mode}")
            break
        ok &= measure(mode, a.sessions, a.households, deadline)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
