"""pyproject.toml (pip) and environment.yml (conda) must list the same packages.

pyproject.toml owns the dependency list; environment.yml repeats it for conda-forge
binaries. Like pandera's ``generate_pip_deps_from_conda.py --compare``, this fails when
the two drift apart, naming the packages and the file to fix.
"""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
# Conda-only entries that are not Python distributions pip knows.
CONDA_ONLY = {"python", "pip"}
# conda-forge names that differ from the pip (PyPI) name of the same distribution. On
# conda-forge, `playwright` is Microsoft's Node CLI; the Python bindings are
# `playwright-python`. Add a row here when a package's two names differ.
#: The extras `make install` (and so `make test`) installs: the suite runs Dask on a LocalCluster.
MAKE_EXTRAS = ("test", "data", "report", "dask")
CONDA_TO_PIP = {
    "playwright-python": "playwright",
}


def normalise(name: str) -> str:
    """PEP 503 name: lower case, runs of ``-``, ``_``, ``.`` become one ``-``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def split_requirement(spec: str) -> tuple[str, str | None]:
    """``"pydantic>=2"`` -> ``("pydantic", "2")``; the floor is None when none is given."""
    spec = spec.split(";")[0].strip()
    m = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*(.*)$", spec)
    if not m:
        raise ValueError(f"cannot parse requirement {spec!r}")
    floor = re.search(r">=\s*([^,\s]+)", m.group(3))
    return normalise(m.group(1)), floor.group(1) if floor else None


def requirements_with(extras: list[str] | None = None) -> dict[str, str | None]:
    """Runtime requirements plus those of ``extras`` (None: every extra) as name -> floor."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    optional = project.get("optional-dependencies", {})
    specs = list(project["dependencies"])
    for extra in optional if extras is None else extras:
        specs += optional[extra]
    return dict(split_requirement(s) for s in specs)


def pip_name(conda_name: str) -> str:
    """The pip name of a conda-forge package (``CONDA_TO_PIP``; most names are the same)."""
    return CONDA_TO_PIP.get(normalise(conda_name), normalise(conda_name))


def pyproject_requirements() -> tuple[dict[str, str | None], dict[str, str | None]]:
    """(runtime + test, every extra) as name -> floor."""
    return requirements_with(["test"]), requirements_with()


def conda_requirements() -> tuple[dict[str, str | None], list[str]]:
    """(conda packages as name -> floor, the pip section's lines)."""
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    conda: dict[str, str | None] = {}
    pip: list[str] = []
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            pip.extend(dep.get("pip", []))
            continue
        # conda specs may be "name>=1", "name >=1" or "name=1.2"
        name, floor = split_requirement(dep.replace(" ", ""))
        if name not in CONDA_ONLY:
            conda[pip_name(name)] = floor
    return conda, pip


def test_environment_uses_conda_forge():
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    assert env["channels"] == ["conda-forge"]
    assert any(str(d).replace(" ", "").startswith("python>=3.11") for d in env["dependencies"])


def test_runtime_and_test_dependencies_are_in_both_files():
    required, _ = pyproject_requirements()
    conda, _ = conda_requirements()
    missing = sorted(set(required) - set(conda))
    assert not missing, (
        f"environment.yml lacks {', '.join(missing)}, which pyproject.toml requires "
        "(runtime or [test]); add them under dependencies"
    )


def test_conda_lists_nothing_pyproject_does_not():
    _, everything = pyproject_requirements()
    conda, _ = conda_requirements()
    extra = sorted(set(conda) - set(everything))
    assert not extra, (
        f"environment.yml lists {', '.join(extra)}, which pyproject.toml does not; "
        "add them to pyproject.toml (runtime or an extra) or drop them"
    )


def test_version_floors_agree():
    _, everything = pyproject_requirements()
    conda, _ = conda_requirements()
    differ = {
        n: (everything[n], conda[n])
        for n in set(conda) & set(everything)
        if everything[n] and conda[n] and everything[n] != conda[n]
    }
    assert not differ, "version floors differ (pyproject, environment.yml): " + ", ".join(
        f"{n} {p} vs {c}" for n, (p, c) in sorted(differ.items())
    )


def test_environment_installs_the_package_with_its_extras():
    _, pip = conda_requirements()
    editable = [line for line in pip if line.replace(" ", "").startswith("-e.")]
    assert editable, "environment.yml's pip section must install the package: -e .[test,data,report,dask]"
    extras = set(re.search(r"\[([^\]]*)\]", editable[0]).group(1).split(","))
    assert set(MAKE_EXTRAS) <= extras


def test_playwright_is_the_python_package_on_conda_forge():
    """conda-forge's `playwright` is the Node CLI: environment.yml must name the bindings."""
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    names = [split_requirement(str(d).replace(" ", ""))[0] for d in env["dependencies"]
             if not isinstance(d, dict)]
    assert "playwright-python" in names
    assert "playwright" not in names


def test_conda_to_pip_table_maps_only_differing_names():
    assert all(normalise(c) != normalise(p) for c, p in CONDA_TO_PIP.items())
    assert pip_name("playwright-python") == "playwright"
    assert pip_name("PyYAML") == "pyyaml"


@pytest.mark.parametrize(
    "spec, expected",
    [
        ("pydantic>=2", ("pydantic", "2")),
        ("vl_convert.Python >= 1.6", ("vl-convert-python", "1.6")),
        ("PyYAML", ("pyyaml", None)),
        ("healthcover[test]>=0.1,<1", ("healthcover", "0.1")),
    ],
)
def test_name_normalisation(spec, expected):
    assert split_requirement(spec) == expected


def test_lock_pins_every_dependency_at_or_above_its_floor():
    """`make install` installs with -c requirements-lock.txt; a dependency the lock does not
    pin would float, and a pin below pyproject's floor would make pip fail."""
    from packaging.version import Version

    from healthcover.report import read_lock

    everything = requirements_with(list(MAKE_EXTRAS))  # what make install installs
    pins = read_lock(ROOT / "requirements-lock.txt")  # raises on a line that is not a pin
    unpinned = sorted(set(everything) - set(pins))
    assert not unpinned, f"requirements-lock.txt does not pin {', '.join(unpinned)}; run make lock"
    low = [f"{n} {pins[n]} < {f}" for n, f in everything.items() if f and Version(pins[n]) < Version(f)]
    assert not low, f"requirements-lock.txt pins below pyproject.toml's floors: {low}; run make lock"


def test_make_install_uses_the_lock():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert f"-c requirements-lock.txt -e '.[{','.join(MAKE_EXTRAS)}]'" in makefile
