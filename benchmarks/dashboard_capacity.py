"""Dashboard capacity: time to first render and memory per kernel, with and without
Voila's preheated kernels. Loopback only; bounded (a few page loads).

    .venv/bin/python benchmarks/dashboard_capacity.py [--notebook claim-calculator.ipynb]
        [--root notebooks/dashboards] [--loads 3] [--concurrent 4]

Prints one line per configuration: median time from navigation to the first chart
(seconds), RSS of each kernel process (MiB) and of the Voila server.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from conftest import CHROMIUM, CHROMIUM_ARGS, run_voila  # noqa: E402


def kernels(server_pid: int) -> list[psutil.Process]:
    procs = psutil.Process(server_pid).children(recursive=True)
    return [p for p in procs if "ipykernel" in " ".join(p.cmdline())]


def server_pid(port: int) -> int:
    for c in psutil.net_connections("tcp"):
        if c.status == "LISTEN" and c.laddr.port == port and c.pid:
            return c.pid
    raise RuntimeError(f"no process listens on {port}")


def leave(page) -> None:
    # Navigating away fires beforeunload, whose beacon asks Voila to shut the kernel down.
    page.goto("about:blank")
    page.close()


def first_render(browser, url: str, selector: str) -> float:
    page = browser.new_page()
    t0 = time.perf_counter()
    page.goto(url)
    page.wait_for_selector(selector, timeout=120_000)
    dt = time.perf_counter() - t0
    leave(page)
    return dt


def measure(root: Path, notebook: str, selector: str, loads: int, concurrent: int, preheat: bool) -> None:
    from playwright.sync_api import sync_playwright

    # voila.json preheats; say explicitly which mode this run measures.
    extra = ["--preheat_kernel=True", "--pool_size=1"] if preheat else ["--preheat_kernel=False"]
    with run_voila(root, *extra, name="bench-voila") as base, sync_playwright() as p:
        port = int(base.rsplit(":", 1)[1])
        pid = server_pid(port)
        if preheat:
            time.sleep(20)  # let the pool fill and run the notebook before the first visit
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        url = f"{base}/voila/render/{notebook}"
        times = [first_render(b, url, selector) for _ in range(loads)]
        # Several viewers at once: each holds a page (and so a kernel) open.
        pages = []
        for _ in range(concurrent):
            pg = b.new_page()
            pg.goto(url)
            pg.wait_for_selector(selector, timeout=180_000)
            pages.append(pg)
        time.sleep(5)  # earlier visitors' kernels shut down; a preheated pool refills
        ks = kernels(pid)
        rss = [k.memory_info().rss / 2**20 for k in ks]
        srv = psutil.Process(pid).memory_info().rss / 2**20
        for pg in pages:
            leave(pg)
        time.sleep(5)
        left = len(kernels(pid))
        b.close()
    label = "preheated" if preheat else "cold"
    print(
        f"{notebook} {label}: first render median {statistics.median(times):.2f}s "
        f"(loads {', '.join(f'{t:.2f}' for t in times)}); {len(ks)} kernels open with "
        f"{concurrent} viewers, RSS per kernel median {statistics.median(rss):.0f} MiB "
        f"(max {max(rss):.0f}); server {srv:.0f} MiB; {left} kernels after they left"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default=str(ROOT / "notebooks" / "dashboards"))
    ap.add_argument("--notebook", default="claim-calculator.ipynb")
    ap.add_argument("--selector", default=".hc-page .hc-chart svg")
    ap.add_argument("--loads", type=int, default=3)
    ap.add_argument("--concurrent", type=int, default=4)
    ap.add_argument("--no-preheat", action="store_true", help="skip the preheated run")
    a = ap.parse_args()
    if not Path(CHROMIUM).exists():
        print(f"skipped: {CHROMIUM} missing (make install puts it there)")
        return
    measure(Path(a.root), a.notebook, a.selector, a.loads, a.concurrent, preheat=False)
    if not a.no_preheat:
        measure(Path(a.root), a.notebook, a.selector, a.loads, a.concurrent, preheat=True)


if __name__ == "__main__":
    main()
