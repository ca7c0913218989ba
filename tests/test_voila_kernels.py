"""The culler never shuts down a kernel that has just left Voila's preheat pool."""
from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import json
from pathlib import Path
from types import SimpleNamespace

from healthcover._voila import HandoverSafeKernelManager

ROOT = Path(__file__).resolve().parents[1]


def run(coro):
    """asyncio.run in a thread of its own: Playwright's sync API (session fixtures of the
    browser tests) may hold a running event loop in the main thread."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _manager(timeout: float):
    km = HandoverSafeKernelManager(cull_idle_timeout=timeout)
    stale = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)
    km._kernels["k"] = SimpleNamespace(  # waited an hour in the pool: idle by the clock
        execution_state="idle", kernel_name="python3", last_activity=stale,
        kernel_spec=SimpleNamespace(metadata={}),
    )
    shut: list[str] = []

    async def shutdown_kernel(kernel_id, *args, **kwargs):
        shut.append(kernel_id)
        km._kernels.pop(kernel_id)

    km.shutdown_kernel = shutdown_kernel
    return km, shut


def test_a_kernel_handed_out_gets_the_full_timeout_to_connect(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr("healthcover._voila.time.monotonic", lambda: clock[0])
    km, shut = _manager(timeout=120)
    run(km.cull_kernel_if_idle("k"))  # first seen unconnected: the plain culler would go
    clock[0] += 119
    run(km.cull_kernel_if_idle("k"))
    assert shut == []
    clock[0] += 2  # never connected for a whole timeout: abandoned
    run(km.cull_kernel_if_idle("k"))
    assert shut == ["k"]
    run(km.cull_kernel_if_idle("other"))  # forgets kernels that are gone
    assert "k" not in km._unconnected_since


def test_a_connection_resets_the_clock(monkeypatch):
    clock = [0.0]
    monkeypatch.setattr("healthcover._voila.time.monotonic", lambda: clock[0])
    km, shut = _manager(timeout=10)
    run(km.cull_kernel_if_idle("k"))
    km._kernel_connections["k"] = 1  # the browser connected; connected viewers are never culled
    clock[0] += 60
    run(km.cull_kernel_if_idle("k"))
    assert shut == [] and "k" not in km._unconnected_since
    km._kernel_connections["k"] = 0  # the viewer left
    run(km.cull_kernel_if_idle("k"))
    clock[0] += 11
    run(km.cull_kernel_if_idle("k"))
    assert shut == ["k"]


def test_voila_json_uses_it():
    conf = json.loads((ROOT / "voila.json").read_text())
    assert conf["VoilaConfiguration"]["multi_kernel_manager_class"] == "healthcover._voila.HandoverSafeKernelManager"
