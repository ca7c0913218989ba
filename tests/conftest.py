"""Shared fixtures; the browser harness for the dashboards and for JupyterLab.

Browser tests (marked ``browser``) start Voila (or JupyterLab, :func:`run_jupyterlab`) on a
free loopback port, drive Debian's chromium with Playwright and block every request that is
not to that server, so a page that needs the internet fails here as it would in an office
without one. Console errors are collected, and screenshots and the servers' logs land in
``test-artifacts/``.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DASHBOARDS = ROOT / "notebooks" / "dashboards"
TEST_DASHBOARDS = ROOT / "tests" / "dashboards"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
READY_TIMEOUT_S = 120
CULL_IDLE_S = 8  # a cold Voila on a busy 2-core machine
LOOPBACK = re.compile(r"^(https?|wss?)://(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?/")


class ServerURL(str):
    """A server's base URL that also knows the server's process id."""

    pid: int


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(what: str, command: Callable[[int], list[str]], status: str, name: str, *,
           cwd: Path, env: dict | None = None):
    """Start a local server on a free port and wait until ``base + status`` answers 200.
    Returns ``(proc, log, base, log_path)``; tries three ports (one may be taken between
    choosing and binding it)."""
    ARTIFACTS.mkdir(exist_ok=True)
    for attempt in range(3):
        port = _free_port()
        # One log per server: several people may run the suite in one checkout at once.
        log_path = ARTIFACTS / f"{name}-{port}.log"
        log = open(log_path, "w", encoding="utf-8")
        proc = subprocess.Popen(command(port), cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(base + status, timeout=2) as r:
                    if r.status == 200:
                        return proc, log, base, log_path
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            time.sleep(0.25)
        proc.kill()
        proc.wait()
        log.close()
    raise RuntimeError(f"{what} did not start within {READY_TIMEOUT_S}s; see {log_path}")


def _stop(proc, log, timeout: float) -> None:
    """Stop a server started by :func:`_start` (killed if it does not end in ``timeout`` s)."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    log.close()


@contextlib.contextmanager
def run_voila(root: Path, *extra: str, name: str = "voila") -> Iterator[ServerURL]:
    """Serve ``root`` with Voila on 127.0.0.1; yield the base URL; stop it afterwards.

    Runs from the repository root so ``voila.json`` (template, strip sources, no
    tracebacks) applies exactly as under ``make dashboard``.
    """
    proc, log, base, _ = _start(
        f"Voila serving {root}",
        lambda port: [sys.executable, "-m", "voila", str(root), "--no-browser", f"--port={port}",
                      "--Voila.ip=127.0.0.1", "--Voila.port_retries=0", *extra],
        "/", name, cwd=ROOT)
    url = ServerURL(base)
    url.pid = proc.pid
    try:
        yield url
    finally:
        _stop(proc, log, 20)


class LabServer(str):
    """A JupyterLab server's base URL, its token, its root directory and its log."""

    token: str
    root: Path
    log: Path

    def url(self, path: str) -> str:
        sep = "&" if "?" in path else "?"
        return f"{self}{path}{sep}token={self.token}"


# JupyterLab user settings for the tests: every cell kept in the page (tests read all outputs),
# no news or update checks (they would ask the internet).
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false", "checkForUpdates": False},
}


@contextlib.contextmanager
def run_jupyterlab(root: Path, *, name: str = "jupyterlab") -> Iterator[LabServer]:
    """JupyterLab from this environment serving ``root`` on 127.0.0.1, with a random token and
    its own config, data, runtime, IPython and settings directories (nothing of the user's is
    read or written); yield it; stop it afterwards, whatever happened."""
    ARTIFACTS.mkdir(exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="healthcover-lab-"))
    for rel, values in LAB_SETTINGS.items():
        path = home / "settings" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEALTHCOVER_OFFLINE")}
    env.update(JUPYTER_CONFIG_DIR=str(home / "config"), JUPYTER_DATA_DIR=str(home / "data"),
               JUPYTER_RUNTIME_DIR=str(home / "runtime"), IPYTHONDIR=str(home / "ipython"))
    token = secrets.token_hex(16)
    as_root = ["--ServerApp.allow_root=True"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    proc, log, base, log_path = _start(
        "JupyterLab",
        lambda port: [
            sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}",
            "--ServerApp.ip=127.0.0.1", "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
            "--LabApp.expose_app_in_browser=True",  # window.jupyterapp: run cells, read models
            f"--LabApp.user_settings_dir={home / 'settings'}",
            f"--LabApp.workspaces_dir={home / 'workspaces'}",
            "--LabApp.news_url=", "--LabApp.extension_manager=readonly",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate", *as_root,
        ],
        f"/api/status?token={token}", name, cwd=root, env=env)
    server = LabServer(base)
    server.token, server.root, server.log = token, root, log_path
    try:
        yield server
    finally:
        _stop(proc, log, 30)
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def voila_url() -> Iterator[str]:
    """Base URL of Voila serving ``notebooks/dashboards/`` (what ``make dashboard`` serves)."""
    # Cull abandoned kernels within seconds (voila.json: 2 min) so the suite can check it.
    # Small synthetic populations in the served dashboards (the kernels inherit the server's
    # environment; the reform explorer serves 100,000 households otherwise), so the browser
    # tests stay within CI's time and the 2 shared cores.
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HEALTHCOVER_DASHBOARD_HOUSEHOLDS", os.environ.get("HEALTHCOVER_DASHBOARD_HOUSEHOLDS", "2000"))
        # voila.json refills the preheat pool a second after a kernel is taken, at low CPU
        # priority (a burst of visitors is not slowed by refills); the tests open pages one
        # after another, so every page load goes through the preheated path.
        # One warm kernel per dashboard (voila.json keeps 20 for the reform explorer: a room of
        # viewers, see benchmarks/load_dashboards.py), and the files kernels map in the test's
        # cache folder.
        mp.setenv("HEALTHCOVER_CACHE", os.environ.get("HEALTHCOVER_CACHE") or str(Path(tempfile.gettempdir()) / "healthcover-test-cache"))
        pools = {"default": {"pool_size": 1}}
        with run_voila(DASHBOARDS, f"--MappingKernelManager.cull_idle_timeout={CULL_IDLE_S}",
                       "--MappingKernelManager.cull_interval=2", "--VoilaKernelManager.fill_delay=1",
                       f"--VoilaKernelManager.kernel_pools_config={pools!r}",
                       name="voila-dashboards") as url:
            yield url


@pytest.fixture(scope="session")
def demo_voila_url() -> Iterator[str]:
    """Base URL of Voila serving ``tests/dashboards/`` (framework stand-ins)."""
    with run_voila(TEST_DASHBOARDS, name="voila-test-dashboards") as url:
        yield url


def _chromium_or_skip() -> None:
    if Path(CHROMIUM).exists():
        return
    reason = f"{CHROMIUM} is missing; `make test` installs Debian's chromium"
    if os.environ.get("CI"):
        pytest.fail(reason + " (and CI must run the browser tests)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser():
    """Debian chromium driven by Playwright (which cannot download its own browser here)."""
    _chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@dataclass
class Web:
    """A Playwright page plus what the test asserts on: console errors, blocked requests."""

    page: object
    test_name: str
    console_errors: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    shots: int = 0

    def screenshot(self, label: str = "") -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        self.shots += 1
        suffix = f"-{label}" if label else f"-{self.shots}"
        path = ARTIFACTS / f"{self.test_name}{suffix}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def assert_clean(self) -> None:
        """No console errors and no request that left the machine."""
        assert not self.blocked, f"page requested non-loopback URLs: {self.blocked}"
        assert not self.console_errors, "console errors:\n" + "\n".join(self.console_errors)


@pytest.fixture
def web(browser, request) -> Iterator[Web]:
    """A fresh page; non-loopback requests are blocked and recorded; screenshot at the end."""
    context = browser.new_context(viewport={"width": 1280, "height": 1600}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(60_000)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    web = Web(page=page, test_name=name)

    def on_console(msg):
        if msg.type == "error":
            web.console_errors.append(msg.text)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: web.console_errors.append(f"pageerror: {exc}"))

    def route(r):
        url = r.request.url
        if LOOPBACK.match(url) or url.startswith(("data:", "blob:", "about:")):
            r.continue_()
        else:
            web.blocked.append(url)
            r.abort()

    page.route("**/*", route)
    try:
        yield web
    finally:
        with contextlib.suppress(Exception):
            web.screenshot("final")
        with contextlib.suppress(Exception):
            page.goto("about:blank")  # leaving fires Voila's beacon that ends the kernel
        context.close()


def pytest_collection_modifyitems(config, items):
    # Browser tests share one Voila per session; keep them together and last so a
    # failure elsewhere shows before the slow part starts.
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
