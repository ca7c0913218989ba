"""CPU priority of the dashboards' preheated kernels (standard library only: the Voila server
imports it as well as the kernels).

Voila keeps kernels ready for visitors not yet there and starts a new one as soon as one is
taken. A room of viewers arriving together empties the pool, and its refills would compete for
the cores with the pages those viewers are opening. So a preheated kernel runs at the lowest
priority (niceness 19) from its launch (the server lowers it, :func:`lower`) until its
visitor's request arrives (the kernel raises it again, :func:`restore`, to the server's own
niceness, passed in ``HEALTHCOVER_VISITOR_NICE``). Only where a process may raise its priority
again (root, or ``RLIMIT_NICE`` allowing it); elsewhere nothing changes.

Jupyter starts every kernel in a session of its own, and where Linux groups the scheduler by
session (``/proc/sys/kernel/sched_autogroup_enabled``) a thread's niceness only ranks it
within its own session: each session shares the CPU equally with the others. So the session's
niceness (``/proc/<pid>/autogroup``) is set too; without it twenty refilling kernels took
twenty shares of the cores against one for the viewers' browsers.
"""
from __future__ import annotations

import os

__all__ = ["ENV", "PREHEAT_NICE", "can_restore", "lower", "restore"]

PREHEAT_NICE = 19
#: The niceness a preheated kernel returns to when its visitor arrives (set by the launcher).
ENV = "HEALTHCOVER_VISITOR_NICE"


def can_restore() -> bool:
    """Whether this process may raise a priority back to niceness 0 after lowering it."""
    try:
        import resource

        return os.geteuid() == 0 or resource.getrlimit(resource.RLIMIT_NICE)[0] >= 20
    except (ImportError, AttributeError, ValueError, OSError):
        return False


def _threads(pid: int | str = "self") -> list[int]:
    """The thread ids of a process (niceness is per thread on Linux; new threads inherit it)."""
    try:
        return [int(t) for t in os.listdir(f"/proc/{pid}/task")]
    except OSError:  # not Linux, or the process is gone: the process as a whole
        return [0 if pid == "self" else int(pid)]


def _set_autogroup(pid: int | str, nice: int) -> None:
    """The niceness of the scheduler group of ``pid``'s session, where Linux has one."""
    try:
        with open(f"/proc/{pid}/autogroup", "w") as fh:
            fh.write(str(nice))
    except OSError:  # no autogroups (another kernel, or disabled): the threads' niceness is enough
        pass


def lower(pid: int | None = None) -> bool:
    """Every thread of process ``pid`` (this one by default), and its session's scheduler group,
    to :data:`PREHEAT_NICE`."""
    who: int | str = "self" if pid is None else pid
    try:
        for tid in _threads(who):
            os.setpriority(os.PRIO_PROCESS, tid, PREHEAT_NICE)
    except OSError:
        return False
    _set_autogroup(who, PREHEAT_NICE)
    return True


def restore() -> bool:
    """In a preheated kernel whose visitor arrived: every thread back to the niceness in
    ``HEALTHCOVER_VISITOR_NICE`` (nothing when it is unset). Returns whether it changed any."""
    raw = os.environ.get(ENV)
    if raw is None or not raw.lstrip("-").isdigit():
        return False
    target, changed = int(raw), False
    _set_autogroup("self", target)
    for tid in _threads():
        try:
            if os.getpriority(os.PRIO_PROCESS, tid) > target:
                os.setpriority(os.PRIO_PROCESS, tid, target)
                changed = True
        except OSError:
            pass
    return changed
