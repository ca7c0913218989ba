"""Load test of the reform explorer: a room of viewers on one Voila server, measured in the browser.

Loopback only and bounded: Voila is started on 127.0.0.1 with the project's ``voila.json``
(tests/conftest.py's ``run_voila``: the preheated pool, the culler), every request that is not to
it is blocked, each step has a timeout, the whole run has a deadline, and the server is stopped at
the end. The browsers share the machine's cores with the server and the kernels.

1. The files every kernel maps (population, scheme baselines) are built first
   (``python -m healthcover.reforms``), and the server's preheated pool is left to fill.
2. ``--sessions`` viewers (separate browser contexts) open the reform explorer, their arrivals
   spread evenly over ``--arrival`` seconds; first render: from navigation to the summary's
   numbers and the charts' bars on the page.
3. With every page open, each viewer in turn ticks "explore a reform" (not timed), then moves the
   county inpatient rate for adults one step with the keyboard; a move is answered when that
   viewer's reform figure changes (one viewer moving at a time, the others open and idle).
4. Memory of the viewers' kernels (psutil: RSS, and USS, what a kernel does not share), the
   server's RSS, and the kernel CPU to open the pages.

    .venv/bin/python benchmarks/load_dashboards.py [--sessions 20] [--arrival 10] [--households 100000]
        [--deadline 1200] [--cold]

Reports; never fails on a number (a shared machine is noisy); exits non-zero only if a session
does not render or respond.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from conftest import CHROMIUM, CHROMIUM_ARGS, DASHBOARDS, LOOPBACK, run_voila  # noqa: E402

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


def wait_quiet(server_pid: int, expected: int, deadline: float, quiet_s: float = 4.0) -> float:
    """Wait until ``expected`` kernels run and their CPU has been idle for ``quiet_s`` seconds
    (the preheated pool has started and run the notebook). Returns the seconds waited."""
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


async def open_session(browser, url: str, i: int, delay: float, results: list, errors: list,
                       ready: tuple[str, ...] = (READY, BARS)):
    context = await browser.new_context(viewport={"width": 1366, "height": 900})
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
    rec = {"session": i, "page": page, "context": context}
    await asyncio.sleep(delay)
    try:
        t0 = time.perf_counter()
        await page.goto(url, timeout=STEP_TIMEOUT_MS)
        rec["loaded_s"] = time.perf_counter() - t0
        for selector in ready:
            await page.wait_for_selector(selector)
        rec["first_render_s"] = time.perf_counter() - t0
        rec["kernel_id"] = await page.evaluate(
            "() => JSON.parse(document.querySelector('#jupyter-config-data').textContent).kernelId")
        if blocked:
            errors.append(f"session {i}: non-loopback requests {blocked[:3]}")
        if console:
            errors.append(f"session {i}: console errors {console[:3]}")
    except Exception as exc:  # noqa: BLE001 - report and go on: the summary counts failed sessions
        errors.append(f"session {i}: {type(exc).__name__}: {str(exc).splitlines()[0]}")
    results.append(rec)


async def move(rec: dict, errors: list) -> None:
    """Tick "explore a reform" (untimed), then one keyboard step of the slider (timed)."""
    page = rec["page"]
    try:
        await page.locator(".hc-beyond input").check()
        await page.wait_for_function(
            "sel => { const e = document.querySelector(sel); return e && !e.closest('.noUi-target').hasAttribute('disabled'); }",
            arg=SLIDER)
        await page.wait_for_function("() => location.search.includes('beyond=1')")
        await asyncio.sleep(0.5)
        before = await page.inner_text(READY)
        handle = page.locator(SLIDER).first
        await handle.focus()
        t = time.perf_counter()
        await handle.press("ArrowRight")
        await page.wait_for_function(
            "([sel, before]) => { const e = document.querySelector(sel); return e && e.innerText !== before; }",
            arg=[READY, before], timeout=STEP_TIMEOUT_MS)
        rec["move_s"] = time.perf_counter() - t
        t = time.perf_counter()
        await page.wait_for_function(
            "() => document.querySelector('.hc-quintile-chart svg') !== null")
        rec["before"], rec["after"] = before, await page.inner_text(READY)
    except Exception as exc:  # noqa: BLE001 - reported
        errors.append(f"session {rec['session']} move: {type(exc).__name__}: {str(exc).splitlines()[0]}")


def cpu_by_kind(server_pid: int) -> dict:
    """CPU seconds so far of the Voila server, its kernels and the chromium processes."""
    out = {"server": 0.0, "kernels": 0.0, "browser": 0.0}
    try:
        t = psutil.Process(server_pid).cpu_times()
        out["server"] = t.user + t.system
    except psutil.NoSuchProcess:
        pass
    out["kernels"] = kernel_cpu(server_pid)
    for pr in psutil.process_iter(["name"]):
        try:
            if "chrom" in (pr.info["name"] or ""):
                t = pr.cpu_times()
                out["browser"] += t.user + t.system + t.children_user + t.children_system
        except psutil.NoSuchProcess:
            pass
    return out


async def run_sessions(base: str, n: int, arrival: float, server_pid: int, path: str = PAGE,
                       ready: tuple[str, ...] = (READY, BARS), moves: bool = True) -> dict:
    from playwright.async_api import async_playwright

    url = base + path
    results: list[dict] = []
    errors: list[str] = []
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        cpu0 = kernel_cpu(server_pid)
        by0 = cpu_by_kind(server_pid)
        t0 = time.monotonic()
        await asyncio.gather(*(open_session(browser, url, i, arrival * i / max(n - 1, 1), results, errors, ready)
                               for i in range(n)))
        open_wall = time.monotonic() - t0
        cpu_open = kernel_cpu(server_pid) - cpu0
        by1 = cpu_by_kind(server_pid)
        mine = {r.get("kernel_id") for r in results}
        mem = []
        for k in kernels(server_pid):
            try:
                if any(kid and kid in " ".join(k.cmdline()) for kid in mine):
                    info = k.memory_full_info()
                    mem.append((info.rss / 2**20, info.uss / 2**20))
            except psutil.NoSuchProcess:
                pass
        server_rss = psutil.Process(server_pid).memory_info().rss / 2**20
        # One viewer at a time moves while every page stays open.
        cpu1 = kernel_cpu(server_pid, mine)
        for rec in sorted(results, key=lambda r: r["session"]):
            if moves and "first_render_s" in rec:
                await move(rec, errors)
        cpu_moves = kernel_cpu(server_pid, mine) - cpu1
        running = len(kernels(server_pid))
        for rec in results:
            await rec["context"].close()
        await browser.close()
    return {"results": results, "errors": errors, "kernels": running, "mem": mem, "server_rss": server_rss,
            "cpu_open": cpu_open, "cpu_moves": cpu_moves, "open_wall": open_wall,
            "cpu_by_kind": {k: by1[k] - by0[k] for k in by0}}


def server_pid_of(base: str) -> int:
    port = int(base.rsplit(":", 1)[1])
    for c in psutil.net_connections("tcp"):
        if c.status == "LISTEN" and c.laddr.port == port and c.pid:
            return c.pid
    raise RuntimeError(f"no process listens on {port}")


def fmt(xs: list[float], unit: str = "s", scale: float = 1.0, digits: int = 1) -> str:
    if not xs:
        return "n/a"
    xs = [x * scale for x in xs]
    return (f"median {statistics.median(xs):.{digits}f}{unit}, min {min(xs):.{digits}f}{unit}, "
            f"max {max(xs):.{digits}f}{unit}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--arrival", type=float, default=10.0, help="seconds over which the viewers arrive")
    ap.add_argument("--households", type=int, default=100_000)
    ap.add_argument("--deadline", type=float, default=1200.0, help="seconds for the whole run")
    ap.add_argument("--cold", action="store_true", help="no preheated kernels (every viewer starts one)")
    ap.add_argument("--fill-delay", type=float, default=None, help="seconds before Voila refills its pool "
                    "after a kernel is taken (default: voila.json's)")
    ap.add_argument("--pool", type=int, default=None,
                    help="preheated reform-explorer kernels (default: voila.json's; the other dashboards get 1)")
    ap.add_argument("--no-baseline", action="store_true",
                    help="skip the baseline: the same viewers opening a bare Voila page (one label)")
    a = ap.parse_args()
    if not Path(CHROMIUM).exists():
        print(f"skipped: {CHROMIUM} missing (make install puts it there)")
        return 0
    deadline = time.monotonic() + a.deadline
    # Kernels started by Voila inherit this; the dashboard reads it.
    os.environ["HEALTHCOVER_DASHBOARD_HOUSEHOLDS"] = str(a.households)
    t = time.monotonic()
    subprocess.run([sys.executable, "-m", "healthcover.reforms", "--households", str(a.households)], check=True,
                   stdout=subprocess.DEVNULL)
    print(f"files built or found in {time.monotonic() - t:.0f} s")
    conf = json.loads((ROOT / "voila.json").read_text())
    pools = conf["VoilaKernelManager"]["kernel_pools_config"]
    extra = ["--preheat_kernel=False"] if a.cold else []
    if a.pool is not None:
        pools = {"reform-explorer.ipynb": {"pool_size": a.pool}, "default": {"pool_size": 1}}
        extra.append(f"--VoilaKernelManager.kernel_pools_config={pools!r}")
    if a.fill_delay is not None:
        extra.append(f"--VoilaKernelManager.fill_delay={a.fill_delay}")
    expected = sum(v.get("pool_size", 0) for k, v in pools.items() if k != "default") + 3 * pools["default"]["pool_size"]
    t_start = time.monotonic()
    with run_voila(DASHBOARDS, *extra, name="load-voila") as base:
        pid = server_pid_of(base)
        settle = None if a.cold else wait_quiet(pid, expected, deadline)
        out = asyncio.run(asyncio.wait_for(run_sessions(base, a.sessions, a.arrival, pid),
                                           timeout=max(deadline - time.monotonic(), 30)))
    res = [r for r in out["results"] if "first_render_s" in r]
    moved = [r for r in res if "move_s" in r and r["after"] != r["before"]]
    ok = len(res) == a.sessions and len(moved) == a.sessions
    rss = [m[0] for m in out["mem"]]
    uss = [m[1] for m in out["mem"]]
    pool = pools.get("reform-explorer.ipynb", pools["default"])["pool_size"]
    print(f"\n== {'cold kernels' if a.cold else f'preheated pool of {pool} (voila.json)'}: {a.sessions} viewers of "
          f"the reform explorer arriving over {a.arrival:g} s, {a.households:,} households"
          + (f"; pool ready {settle:.0f} s after the server started" if settle else ""))
    print(f"  rendered: {len(res)}/{a.sessions}; answered a move: {len(moved)}/{a.sessions}" + ("" if ok else "  <-- FAILURES"))
    for e in out["errors"]:
        print(f"  ! {e}")
    print(f"  first render (navigation to numbers and chart bars): {fmt([r['first_render_s'] for r in res])}")
    print(f"  slider move to new numbers, one viewer at a time with all {len(res)} open: "
          f"{fmt([r['move_s'] for r in moved], ' ms', 1000, 0)}")
    print(f"  viewers' kernels: RSS {fmt(rss, ' MiB', digits=0)}; USS (unshared) {fmt(uss, ' MiB', digits=0)}; "
          f"kernels running {out['kernels']} (pool refills included); server RSS {out['server_rss']:.0f} MiB")
    print(f"  kernel CPU to open the {len(res)} pages: {out['cpu_open']:.1f} s in {out['open_wall']:.1f} s; "
          f"per move {out['cpu_moves'] / max(len(moved), 1):.2f} s")
    print(f"  page loaded (HTML and scripts) after {fmt([r['loaded_s'] for r in res])}")
    print("  CPU while the pages opened: " + ", ".join(f"{k} {v:.1f} s" for k, v in out["cpu_by_kind"].items()))
    print(f"  wall time: {time.monotonic() - t_start:.0f} s")
    if not a.no_baseline and time.monotonic() < deadline - 120:
        bare(a, deadline)
    return 0 if ok else 1


def bare(a, deadline: float) -> None:
    """The baseline in the same run: the same viewers, arriving the same way, open a Voila page
    that shows one label (preheated kernels, the healthcover template). What it costs is Voila's
    own front end (about 5 MB of JavaScript a page) and the browsers' share of the cores: a floor
    no dashboard can go below on this machine."""
    import tempfile

    import nbformat

    with tempfile.TemporaryDirectory(prefix="hc-bare-") as tmp:
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell("import ipywidgets as w\nw.Label('ready')")]
        nbformat.write(nb, Path(tmp) / "bare.ipynb")
        pools = {"default": {"pool_size": a.sessions}}
        extra = [f"--VoilaKernelManager.kernel_pools_config={pools!r}", "--VoilaKernelManager.fill_delay=600"]
        with run_voila(Path(tmp), *extra, name="load-bare") as base:
            pid = server_pid_of(base)
            wait_quiet(pid, a.sessions, deadline)
            out = asyncio.run(asyncio.wait_for(
                run_sessions(base, a.sessions, a.arrival, pid, "/voila/render/bare.ipynb", (".widget-label",), False),
                timeout=max(deadline - time.monotonic(), 30)))
    res = [r for r in out["results"] if "first_render_s" in r]
    print(f"\n== baseline: the same {a.sessions} viewers opening a bare Voila page (one label, preheated kernels)")
    print(f"  rendered: {len(res)}/{a.sessions}; first render {fmt([r['first_render_s'] for r in res])}")
    print("  CPU while the pages opened: " + ", ".join(f"{k} {v:.1f} s" for k, v in out["cpu_by_kind"].items()))


if __name__ == "__main__":
    raise SystemExit(main())
