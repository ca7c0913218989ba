"""A browser that sends a widget a value failing validation (a stale or tampered page) gets no
traceback with server paths back from a dashboard kernel: the kernel logs it and the page keeps
its last valid state. Driven through a real kernel with jupyter_client, as Voila drives it."""
from __future__ import annotations

import json
import os
import queue
import time

import pytest

jupyter_client = pytest.importorskip("jupyter_client")

SETUP = (
    "from healthcover.widgets.claim_calculator import claim_calculator\n"
    "page = claim_calculator(lang='en')\n"
    "display(page)\n"
)
BAD_STATES = [{"value": "abc"}, {"value": None}, {"min": 1e30, "max": -1}, {"index": 999}]


def _drain(kc, seconds: float) -> list[dict]:
    out, end = [], time.time() + seconds
    while time.time() < end:
        try:
            out.append(kc.get_iopub_msg(timeout=0.3))
        except queue.Empty:
            continue
    return out


def _run(env_extra: dict) -> tuple[list[dict], int]:
    env = {**os.environ, **env_extra}
    km, kc = jupyter_client.manager.start_new_kernel(kernel_name="python3", env=env)
    try:
        kc.execute(SETUP)
        models: dict[str, str] = {}
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                m = kc.get_iopub_msg(timeout=1)
            except queue.Empty:
                continue
            if m["msg_type"] == "comm_open":
                models[m["content"]["comm_id"]] = m["content"]["data"]["state"].get("_model_name", "")
            if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle" and models:
                break
        targets = [c for c, name in models.items() if name in ("FloatTextModel", "BoundedFloatTextModel",
                                                                 "DropdownModel", "IntSliderModel", "FloatSliderModel")]
        assert targets, f"the page has input widgets: {sorted(set(models.values()))}"
        for cid in targets[:6]:
            for state in BAD_STATES:
                kc.shell_channel.send(kc.session.msg("comm_msg", {
                    "comm_id": cid, "data": {"method": "update", "state": state, "buffer_paths": []}}))
        return _drain(kc, 4.0), len(targets)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def _leaks(msgs: list[dict]) -> list[str]:
    bad = []
    for m in msgs:
        text = json.dumps(m["content"])
        if m["msg_type"] == "error" or "Traceback" in text or "site-packages" in text or "/work/" in text:
            bad.append(f"{m['msg_type']}: {text[:200]}")
    return bad


def test_a_dashboard_kernel_sends_no_traceback_to_the_visitor():
    msgs, n = _run({"VOILA_KERNEL_ID": "test-kernel"})
    assert n > 0
    assert _leaks(msgs) == []


def test_outside_voila_a_researcher_still_sees_the_traceback():
    msgs, _ = _run({"VOILA_KERNEL_ID": "", "VOILA_SERVER_URL": ""})
    assert _leaks(msgs), "the protection is what hides the traceback (ipywidgets shows it otherwise)"
