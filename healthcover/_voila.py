"""Voila server-side helpers, imported by the Voila process (``voila.json``); keep it light.

Voila's preheated kernels wait in a pool that the idle culler skips. When a visitor's page
takes one, the kernel leaves the pool with the idle time it gathered there and no websocket yet:
the next culler pass (every ``cull_interval`` seconds) shuts it down before the browser connects
and the page hangs on a dead kernel. Seen in the suite on a busy 2-core machine; in production
any kernel that waited in the pool longer than ``cull_idle_timeout`` is at risk.
"""
from __future__ import annotations

import os
import time

from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager

from healthcover import _priority

__all__ = ["HandoverSafeKernelManager"]


class HandoverSafeKernelManager(AsyncMappingKernelManager):
    """Cull a kernel only after it has been seen unconnected for a whole ``cull_idle_timeout``;
    start preheated kernels at the lowest CPU priority.

    The usual rules (idle, not busy, no connections) still apply; the extra clock starts when
    the culler first finds the kernel without a connection, so a kernel just handed out of the
    pool gets the full timeout for its browser to connect, and an abandoned one still goes.

    A kernel started for the preheated pool (``VOILA_PREHEAT`` in its environment) is lowered
    to niceness 19 as soon as it is launched, so the pool refills on idle CPU: a room of viewers
    who just took its kernels is not slowed by their replacements starting. The kernel raises
    its priority back when its visitor's request arrives (``healthcover.widgets.query_string``;
    :mod:`healthcover._priority`). Only where that is allowed (root, or ``RLIMIT_NICE``).
    """

    async def start_kernel(self, *args, **kwargs):
        env = kwargs.get("env") or {}
        quiet = env.get("VOILA_PREHEAT") == "True" and _priority.can_restore()
        if quiet:
            kwargs["env"] = {**env, _priority.ENV: str(os.getpriority(os.PRIO_PROCESS, 0))}
        kernel_id = await super().start_kernel(*args, **kwargs)
        if quiet:
            pid = getattr(getattr(self.get_kernel(kernel_id), "provisioner", None), "pid", None)
            if pid:
                _priority.lower(pid)
        return kernel_id

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._unconnected_since: dict[str, float] = {}

    async def cull_kernel_if_idle(self, kernel_id: str):
        # Forget kernels that are gone (shut down by a visitor or by an earlier pass).
        for gone in set(self._unconnected_since) - set(self._kernels):
            del self._unconnected_since[gone]
        kernel = self._kernels.get(kernel_id)
        if kernel is None:
            return None
        connected = self._kernel_connections.get(kernel_id, 0)
        if connected or getattr(kernel, "execution_state", None) == "dead":
            # The usual rules: a connected viewer keeps the kernel, a dead one goes at once.
            self._unconnected_since.pop(kernel_id, None)
            return await super().cull_kernel_if_idle(kernel_id)
        now = time.monotonic()
        first = self._unconnected_since.setdefault(kernel_id, now)
        timeout = kernel.kernel_spec.metadata.get("cull_idle_timeout", self.cull_idle_timeout)
        if now - first < timeout:
            return None
        return await super().cull_kernel_if_idle(kernel_id)
