"""Preheated dashboard kernels wait at the lowest CPU priority and return to the server's when
their visitor arrives (healthcover._priority, healthcover._voila, widgets.query_string)."""
import os
import subprocess
import sys

import pytest

from healthcover import _priority

pytestmark = pytest.mark.skipif(not _priority.can_restore(), reason="this user may not raise a priority again")

SCRIPT = r"""
import os, threading, time
from healthcover import _priority
assert _priority.lower()
# a thread started while low inherits the low priority; restore must raise it too
t = threading.Thread(target=time.sleep, args=(2,)); t.start()
def nices():
    group = open('/proc/self/autogroup').read().split()[-1] if os.path.exists('/proc/self/autogroup') else None
    threads = sorted({os.getpriority(os.PRIO_PROCESS, int(x)) for x in os.listdir('/proc/self/task')})
    return threads if group is None else [*threads, 'group', int(group)]
print(nices())
os.environ['VOILA_PREHEAT'] = 'True'
from healthcover.widgets.page import query_string
import voila.utils
voila.utils.get_query_string = lambda: 'lang=en'   # the visitor's request
print(query_string(), nices())
"""


def test_a_preheated_kernel_waits_low_and_returns_when_its_visitor_arrives():
    # a session of its own, as Jupyter starts kernels (its scheduler group, where Linux has them)
    env = {**os.environ, _priority.ENV: str(os.getpriority(os.PRIO_PROCESS, 0))}
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=120,
                         start_new_session=True)
    assert out.returncode == 0, out.stderr
    low, after = out.stdout.strip().splitlines()
    mine = os.getpriority(os.PRIO_PROCESS, 0)
    grouped = os.path.exists("/proc/self/autogroup")
    assert low == str([_priority.PREHEAT_NICE, *(["group", _priority.PREHEAT_NICE] if grouped else [])])
    assert after == "{'lang': 'en'} " + str([mine, *(["group", mine] if grouped else [])])


def test_restore_without_the_launchers_word_changes_nothing(monkeypatch):
    monkeypatch.delenv(_priority.ENV, raising=False)
    assert _priority.restore() is False
    monkeypatch.setenv(_priority.ENV, "not a number")
    assert _priority.restore() is False
