r"""Reforms of a scheme's benefit rules on the dashboards' synthetic population: the rules a
reform may change (:func:`reform_controls`), the model that answers a change quickly
(:class:`ReformModel`) and the files it starts from (:func:`dashboard_population`,
:func:`build_store`).

Everything the reform explorer shows is computed here, so a notebook reaches the same numbers::

    import healthcover as hc
    m = hc.reforms.ReformModel("jilin-resident-2008", "city", n_households=20_000)
    m.controls                        # the rules as sliders: document's value, range, citation
    r = m.run({"benefits.inpatient.rate.adult.city": 0.6})
    r.summary, r.by_quintile, r.overrides, r.control_reach

**Files every kernel maps.** Drawing the 100,000-household population and adjudicating it under
a scheme's own rules take about a second each. :func:`dashboard_population` writes the
population once (NumPy files, codes as categories) and every later process memory-maps them;
:class:`ReformModel` writes each scheme's baseline (fund payment and out of pocket per
household, for each annual-limit pool, keyed by a fingerprint of the compiled rules) the first
time it is computed, and a later model of the same rules reads it instead of adjudicating. The
files live under ``$HEALTHCOVER_CACHE`` (default ``~/.cache/healthcover``) in a folder named
after the calibration file, the population's code and the NumPy version, so a change to any of
them builds new files; a file lock lets one process build while others wait.
``python -m healthcover.reforms`` builds them all ahead (``make dashboard`` does).

**A move answered quickly.** A reform re-adjudicates only the annual-limit pools whose compiled
rules it changes (:class:`~healthcover.scenarios.ScenarioModel`), and the measures are updated
for the households whose spending changed: catastrophic spending and impoverishment are sums of
per-household indicators, so the reform's rates are the baseline's plus the change of those
households (the 90th percentile is recomputed whole). ``tests/test_reforms.py`` checks the
result against the whole computation.
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import math
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from healthcover import data as _data
from healthcover import scenarios as _scenarios
from healthcover.errors import HealthcoverError
from healthcover.schemes.model import BENEFIT_RULES, MONEY, SHARE

__all__ = [
    "DEFAULT_HOUSEHOLDS", "DEFAULT_SEED", "HOUSEHOLDS_ENV", "POVERTY_LINE", "RULES", "SHARE_RULES",
    "LIMIT_RULES", "ReformModel", "build_store", "cache_dir", "dashboard_population", "default_households",
    "reform_controls", "reform_schemes", "slider_bounds",
]

#: Households in the dashboards' synthetic population.
DEFAULT_HOUSEHOLDS = 100_000
#: Environment variable that sets the population size (the browser tests serve a small one;
#: a Voila server's environment reaches its kernels).
HOUSEHOLDS_ENV = "HEALTHCOVER_DASHBOARD_HOUSEHOLDS"
DEFAULT_SEED = 2024
POVERTY_LINE = _scenarios.POVERTY_LINE
#: The benefit rules a reform may change: the engine's numeric rules (money and shares), in its order.
RULES = tuple(r for r, spec in BENEFIT_RULES.items() if spec.domain in (MONEY, SHARE) and not spec.setting)
SHARE_RULES = frozenset(r for r in RULES if BENEFIT_RULES[r].domain == SHARE)
#: Rules that bind only for some claims: the page says how many households reach them.
LIMIT_RULES = _scenarios.LIMIT_RULES


def default_households() -> int:
    """``$HEALTHCOVER_DASHBOARD_HOUSEHOLDS`` if set (a positive whole number), else 100,000."""
    raw = os.environ.get(HOUSEHOLDS_ENV, "").strip()
    if not raw:
        return DEFAULT_HOUSEHOLDS
    try:
        n = int(raw)
    except ValueError:
        n = 0
    if n < 1:
        raise HealthcoverError(f"{HOUSEHOLDS_ENV} must be a positive whole number; received {raw!r}")
    return n


def reform_schemes() -> pd.DataFrame:
    """Every bundled scheme and variant: ``scheme_id``, ``variant``, ``title_zh``, ``title_en``,
    ``runnable`` and, when not, ``reason_zh``/``reason_en`` (from ``data/populations``)."""
    return _data.population_schemes()


# --------------------------------------------------------------------------- controls


def _nice_max(x: float) -> float:
    """A round number at or above ``x`` (1, 2, 2.5, 5 x 10^k)."""
    if x <= 0:
        return 1.0
    k = 10 ** math.floor(math.log10(x))
    for m in (1, 2, 2.5, 5, 10):
        if m * k >= x - 1e-9:
            return float(m * k)
    return float(10 * k)


def _money_step(hi: float) -> float:
    return float(max(1.0, 10 ** (math.floor(math.log10(max(hi, 1.0))) - 2)))


def slider_bounds(rule: str, leaf: Any, value: float) -> tuple[float, float, float, float, float]:
    """``(doc_min, doc_max, wide_min, wide_max, step)`` of a rule's slider.

    The document's range or bound where it gives one; an exact or approximate value is its own
    range (the document fixes it: any other value is a reform outside the document); a blank
    (an assumption) may take any value of the reform range. ``wide_*`` is the reform range:
    shares 0-100%, money 0 to about twice the largest of the value and the document's bounds.
    """
    share = rule in SHARE_RULES
    lo, hi = leaf.lo, leaf.hi
    if share:
        wide = (0.0, 1.0)
        step = 0.01
    else:
        top = max(v for v in (value, lo or 0.0, hi or 0.0) if v is not None)
        wide = (0.0, _nice_max(2.0 * top) if top > 0 else 1_000.0)
        step = _money_step(wide[1])
    if leaf.kind == "range":
        doc = (float(lo), float(hi))
    elif leaf.kind == "at_least":
        doc = (float(lo), wide[1])
    elif leaf.kind == "at_most":
        doc = (wide[0], float(hi))
    elif leaf.kind == "not_stated":
        doc = wide
    else:  # exact or approximate: the document's own value
        doc = (value, value)
    return doc[0], doc[1], min(wide[0], doc[0]), max(wide[1], doc[1]), step


CONTROL_COLUMNS = ["key", "path", "care", "rule", "dims", "cell", "label_zh", "label_en", "kind", "value",
                   "assumed", "lo", "hi", "doc_min", "doc_max", "wide_min", "wide_max", "step", "share", "unit",
                   "citation", "source"]


def reform_controls(scheme: Any, care_types=None, categories=None, facilities=None) -> pd.DataFrame:
    """The rules a reform may change: numeric ``benefits.<care>.<rule>`` cells that matter for the
    given care types, categories and facilities (default: all of the scheme's).

    One row per cell: ``key`` (the override key, e.g. ``benefits.inpatient.rate.adult.county``),
    ``path``, ``care``, ``rule``, ``dims`` and ``cell`` (the table's dimensions and codes, without
    the variant), ``label_zh``/``label_en`` (the cell's names from the scheme file, ``""`` when the
    cell applies to everyone), ``kind`` (exact, range, at_least, at_most, approx, not_stated),
    ``value`` (the document's value, or the assumption where it is blank), ``assumed``,
    ``lo``/``hi`` (the document's bounds), ``doc_min``/``doc_max`` and ``wide_min``/``wide_max``
    (see :func:`slider_bounds`), ``step``, ``share`` (a rate rather than money), ``unit``,
    ``citation`` (one line) and ``source`` (the :class:`~healthcover.sources.Source`).
    """
    cares = [c for c in (care_types or scheme.care_types) if c in scheme.care_types]
    cats = list(categories or scheme.categories)
    facs = list(facilities or scheme.facilities) or [None]
    rows = []
    for care in cares:
        for rule in RULES:
            path = f"benefits.{care}.{rule}"
            if not scheme.has(path):
                continue
            p = scheme.param(path)
            seen: list[tuple[str, ...]] = []
            for cat in cats:
                for fac in facs:
                    dims = {"category": cat} | ({"facility": fac} if fac else {})
                    try:
                        key = scheme.cell_key(p, dims)
                    except HealthcoverError:
                        continue
                    if key not in seen:
                        seen.append(key)
            for key in seen:
                leaf = p.cells.get(key)
                if leaf is None or not leaf.usable or isinstance(leaf.value, bool) \
                        or not isinstance(leaf.value, (int, float)):
                    continue  # a blank with no stated assumption cannot be a control
                value = float(leaf.value)  # the document's value, or the cited assumption for a blank
                parts = [(d, k) for d, k in zip(p.by, key) if d != "variant"]
                labels = {lang: " · ".join(_code_name(scheme, d, k, lang) for d, k in parts) for lang in ("zh", "en")}
                doc_min, doc_max, wide_min, wide_max, step = slider_bounds(rule, leaf, value)
                source = leaf.source if leaf.source is not None else p.source
                rows.append({
                    "key": ".".join((path, *(k for _, k in parts))), "path": path, "care": care, "rule": rule,
                    "dims": tuple(d for d, _ in parts), "cell": tuple(k for _, k in parts),
                    "label_zh": labels["zh"], "label_en": labels["en"], "kind": leaf.kind, "value": value,
                    "assumed": leaf.kind == "not_stated", "lo": leaf.lo, "hi": leaf.hi, "doc_min": doc_min,
                    "doc_max": doc_max, "wide_min": wide_min, "wide_max": wide_max, "step": step,
                    "share": rule in SHARE_RULES, "unit": p.unit, "citation": p.citation(key), "source": source,
                })
    return pd.DataFrame(rows, columns=CONTROL_COLUMNS)


def _present(values: pd.Series, rows) -> set[str]:
    """The distinct codes of ``values`` in ``rows`` (through category codes: no string per row)."""
    c = pd.Categorical(values)
    return {str(x) for x in c.categories[np.unique(c.codes[rows])] if str(x)}


def _code_name(scheme: Any, dim: str, code: str, lang: str) -> str:
    """The name of a code; a category attribute (``benefit_class``) takes the name of the category
    with that code, else the attribute's name and value from the vocabulary."""
    if dim in ("variant", "category", "facility", "care"):
        return scheme.label(dim, code, lang)
    if code in scheme.meta.categories:
        return scheme.label("category", code, lang)
    return code


# --------------------------------------------------------------------------- the files


def cache_dir() -> Path:
    """Where healthcover keeps files built once and reused by every process:
    ``$HEALTHCOVER_CACHE`` or ``~/.cache/healthcover``."""
    return Path(os.environ.get("HEALTHCOVER_CACHE") or Path.home() / ".cache" / "healthcover")


@functools.lru_cache(maxsize=1)
def _store_version() -> str:
    """A fingerprint of everything the files depend on: the calibration and population-mapping
    files, the code that draws the population, maps it and adjudicates claims, and NumPy's
    version (its random streams). Any change builds new files."""
    import healthcover
    from healthcover.sources import data_dirs, data_path

    h = hashlib.blake2b(digest_size=8)
    h.update(data_path("statistics", "calibration.yaml").read_bytes())
    for d in data_dirs():
        for f in sorted((d / "populations").glob("*.yaml")):
            h.update(f.name.encode() + f.read_bytes())
        break
    package = Path(healthcover.__file__).parent
    for rel in ("data.py", "claims.py", "scheme.py", "scenarios.py", "reforms.py", "schemes/compile.py",
                "schemes/rules.py", "money.py"):
        f = package / rel
        if f.exists():
            h.update(f.read_bytes())
    h.update(np.__version__.encode() + pd.__version__.encode())
    return h.hexdigest()


def _store(n_households: int, seed: int) -> Path:
    return cache_dir() / f"dashboard-{_store_version()}" / f"population-{int(n_households)}-{int(seed)}"


@contextlib.contextmanager
def _locked(folder: Path):
    """An exclusive lock on ``folder`` (one builder at a time; the others wait, then read)."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "a+") as fh:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: no lock, a duplicate build is harmless
            yield
            return
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


_TABLES = ("households", "persons", "claims")


def _write_population(pop: _data.Population, folder: Path) -> None:
    tmp = Path(tempfile.mkdtemp(prefix=".building-", dir=folder.parent))
    try:
        meta: dict[str, Any] = {"info": {k: v for k, v in pop.info.items() if k != "overrides"}, "tables": {}}
        for table in _TABLES:
            df = getattr(pop, table)
            cols = {}
            for col in df.columns:
                s = df[col]
                if s.dtype == object or isinstance(s.dtype, (pd.StringDtype, pd.CategoricalDtype)) or s.dtype.kind in "OSU":
                    cat = s.astype("category")
                    np.save(tmp / f"{table}.{col}.npy", cat.cat.codes.to_numpy())
                    cols[col] = {"categories": [str(c) for c in cat.cat.categories]}
                else:
                    np.save(tmp / f"{table}.{col}.npy", s.to_numpy())
                    cols[col] = {}
            meta["tables"][table] = cols
        (tmp / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
        if folder.exists():
            shutil.rmtree(folder)
        tmp.rename(folder)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _read_population(folder: Path) -> _data.Population:
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    frames = {}
    for table, cols in meta["tables"].items():
        data = {}
        for col, spec in cols.items():
            arr = np.load(folder / f"{table}.{col}.npy", mmap_mode="r")
            if "categories" in spec:
                data[col] = pd.Categorical.from_codes(np.asarray(arr), categories=spec["categories"])
            else:
                data[col] = arr
        frames[table] = pd.DataFrame(data, copy=False)
    return _data.Population(frames["households"], frames["persons"], frames["claims"], None, info=meta["info"])


@functools.lru_cache(maxsize=2)
def dashboard_population(n_households: int | None = None, seed: int = DEFAULT_SEED) -> _data.Population:
    """The dashboards' synthetic population (:func:`healthcover.data.synthetic_population` with
    ``seed``), read from files memory-mapped by every process that uses it; drawn and written the
    first time (codes as categories: the same values, fewer bytes)."""
    n = default_households() if n_households is None else int(n_households)
    if n < 1:
        raise HealthcoverError(f"dashboard_population: n_households must be a positive whole number; received {n}")
    folder = _store(n, seed)
    if not (folder / "meta.json").exists():
        with _locked(folder.parent):
            if not (folder / "meta.json").exists():
                _write_population(_data.synthetic_population(n, seed=seed), folder)
    return _read_population(folder)


def build_store(n_households: int | None = None, seed: int = DEFAULT_SEED, *, progress: bool = True) -> Path:
    """Write the population and the baseline of every runnable scheme and variant ahead of the
    first visitor (what ``python -m healthcover.reforms`` and ``make dashboard`` run). Returns
    the folder."""
    from tqdm.auto import tqdm

    n = default_households() if n_households is None else int(n_households)
    dashboard_population(n, seed)
    table = reform_schemes()
    rows = table[table["runnable"]]
    for r in tqdm(list(rows.itertuples()), desc="scheme baselines", disable=not progress):
        ReformModel(r.scheme_id, r.variant, n_households=n, seed=seed).baseline
    return _store(n, seed).parent


# --------------------------------------------------------------------------- the model


class ReformModel(_scenarios.ScenarioModel):
    """:class:`~healthcover.scenarios.ScenarioModel` on the dashboards' synthetic population, with
    the scheme's controls (:func:`reform_controls`), its baseline read from (or written to) the
    files every process shares, and measures updated for the households a reform changes.

    ``run(overrides)`` returns the library's :class:`~healthcover.scenarios.Comparison` with, in
    addition, ``overrides`` labelled with the controls' names and the document's value (a change
    of a value the document fixes is outside the document), and ``control_reach``: for each
    control, the households with claims it applies to and, for limits, how many reach the limit
    in each scenario (``binding_baseline``, ``binding_reform``).

    Examples
    --------
    >>> m = ReformModel("dazu-resident", "tier2", n_households=2_000)
    >>> r = m.run({"benefits.inpatient.rate.adult.county": 0.7})
    >>> r.value("fund_total") > r.value("fund_total", "baseline")
    True
    """

    def __init__(self, scheme_id: str, variant: str | None = None, *, n_households: int | None = None,
                 seed: int = DEFAULT_SEED, poverty_line: float = POVERTY_LINE):
        self.seed = int(seed)
        n = default_households() if n_households is None else int(n_households)
        self._delta: dict | None = None
        self._cells: dict[str, dict] = {}
        self._last_reach: dict = {}
        super().__init__(dashboard_population(n, self.seed), scheme_id, variant=variant, assumptions=True,
                         poverty_line=poverty_line)
        persons, claims = self.population.persons, self.population.claims
        insured = persons["insured"].to_numpy(dtype=bool) if "insured" in persons.columns else slice(None)
        cats = sorted(_present(persons["category"], insured))
        used = claims["care"].isin(self.cares).to_numpy()
        facs = (sorted(_present(claims["facility"], used), key=self.document.facilities.index)
                if self.document.facilities else None)
        self.controls = reform_controls(self.document, self.cares, cats, facs)
        self._load_baseline()

    # -- the baseline files -------------------------------------------------------------------
    def _baseline_file(self, name: str, key: str) -> Path:
        folder = _store(self.n_households, self.seed)
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{self.scheme_id}-{self.variant}-{name}-{key}")
        return folder / "baselines" / f"{safe}.npz"

    def _load_baseline(self) -> None:
        """Seed each pool's cache with the document's result from its file, if one was written."""
        for name, pool in self._pools.items():
            key = self._pool_key(self.document, pool)
            path = self._baseline_file(name, key)
            if not path.exists():
                continue
            try:
                with np.load(path, allow_pickle=False) as z:
                    fund, oop = z["fund"], z["oop"]
                    reach = json.loads(str(z["reach"]))
            except (OSError, ValueError, KeyError):  # a half-written or foreign file: recompute
                continue
            if fund.shape == (self.n_households,) and oop.shape == (self.n_households,):
                self._pool_cache[name][key] = (fund, oop, reach)

    def _save_baseline(self, name: str, key: str, fund: np.ndarray, oop: np.ndarray, reach: dict) -> None:
        path = self._baseline_file(name, key)
        if path.exists():
            return
        with contextlib.suppress(OSError):  # a read-only cache only costs speed
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npz")
            os.close(fd)
            np.savez(tmp, fund=fund, oop=oop, reach=np.array(json.dumps(reach)))
            os.replace(tmp, path)

    # -- pools: per-control reach ---------------------------------------------------------------
    def _pool_cells(self, name: str) -> dict:
        """For a pool: each claim's (category, facility) combination, and for each control of the
        pool's care types the combinations it applies to (the scheme's own cell lookup)."""
        if name in self._cells:
            return self._cells[name]
        pool = self._pools[name]
        cat_of = pd.Index(pool.persons["person_id"]).get_indexer(pool.claims["person_id"])
        cat = pd.Categorical(pool.persons["category"])
        fac = pd.Categorical(pool.claims["facility"] if "facility" in pool.claims else np.full(len(cat_of), ""))
        # one code per claim for its (category, facility); the cell lookup runs once per code
        pair = cat.codes.astype(np.int64)[cat_of] * (len(fac.categories) + 1) + fac.codes
        combos, codes = np.unique(pair, return_inverse=True)
        levels = [(str(cat.categories[c // (len(fac.categories) + 1)]), str(fac.categories[c % (len(fac.categories) + 1)]))
                  for c in combos]
        by_control: dict[str, np.ndarray] = {}
        rows = self.controls[self.controls["care"].isin(pool.cares)]
        for r in rows.itertuples():
            p = self.document.param(r.path)
            hits = []
            for i, (cat, fac) in enumerate(levels):
                dims = {"category": cat} | ({"facility": fac} if fac else {})
                try:
                    key = self.document.cell_key(p, dims)
                except HealthcoverError:
                    continue
                if tuple(k for d, k in zip(p.by, key) if d != "variant") == r.cell:
                    hits.append(i)
            claims_here = np.isin(codes, hits) & pool.claims["care"].isin([r.care]).to_numpy()
            by_control[r.key] = claims_here
        with_claims = {k: int(np.unique(pool.household[m]).size) for k, m in by_control.items()}
        out = {"claims": by_control, "with_claims": with_claims}
        self._cells[name] = out
        return out

    def _pool_reach(self, name: str, pool, reasons: np.ndarray) -> dict:
        reach: dict[str, Any] = {reason: int(np.unique(pool.household[reasons == reason]).size)
                                 for reason in LIMIT_RULES}
        # per slider cell: the households whose claims of that cell the limit stopped
        reach["cells"] = {ckey: int(np.unique(pool.household[mask & (reasons == ckey.split(".")[2])]).size)
                          for ckey, mask in self._pool_cells(name)["claims"].items()
                          if ckey.split(".")[2] in LIMIT_RULES}
        return reach

    def _pool_computed(self, name: str, key: str, scheme, fund, oop, reach) -> None:
        if scheme is self.document:
            self._save_baseline(name, key, fund, oop, reach)

    # -- measures, updated where households changed ----------------------------------------------
    def set_poverty_line(self, poverty_line: float) -> None:
        super().set_poverty_line(poverty_line)
        self._delta = None

    def _delta_state(self) -> dict | None:
        """The baseline's per-household indicators and their weighted sums (overall, by quintile)."""
        base = self._baseline
        if base is None:
            return None
        if self._delta is None:
            m, w, q = self._measures, self._w, self._q
            ind = {}
            for key, (threshold, method) in _scenarios.CATASTROPHIC.items():
                ind[key] = self._catastrophic_indicator(base.oop, threshold, method)
            ind["poor_post"] = self._poor_post(base.oop)
            sums = {k: (float(np.dot(self._weights_of(k), v)),
                        np.bincount(q, weights=self._weights_of(k) * v, minlength=5)) for k, v in ind.items()}
            self._delta = {"indicators": ind, "sums": sums,
                           "fund": (float(np.dot(w, base.fund)), np.bincount(q, weights=w * base.fund, minlength=5)),
                           "oop": (float(np.dot(w, base.oop)), np.bincount(q, weights=w * base.oop, minlength=5)),
                           "poverty_pre": (m.impoverishment(base.oop, poverty_line=self.poverty_line)["headcount_pre"],
                                           self._q_pre())}
        return self._delta

    def _weights_of(self, key: str) -> np.ndarray:
        return self._persons_w if key == "poor_post" else self._w

    def _catastrophic_indicator(self, oop: np.ndarray, threshold: float, method: str,
                                rows: np.ndarray | None = None) -> np.ndarray:
        d = self._measures.budget(method)
        if rows is not None:
            d = d[rows]
        r = np.full(d.shape, np.nan)
        np.divide(oop, d, out=r, where=d > 0)
        with np.errstate(invalid="ignore"):
            return (r > threshold).astype(np.float64)  # NaN shares (d <= 0) compare False

    def _poor_post(self, oop: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        m = self._measures
        cons, size = (m.consumption, m.size) if rows is None else (m.consumption[rows], m.size[rows])
        with np.errstate(invalid="ignore", divide="ignore"):
            return ((cons - oop) / size < self.poverty_line).astype(np.float64)

    def _q_pre(self) -> np.ndarray:
        by = self._measures.impoverishment(np.zeros(self.n_households), poverty_line=self.poverty_line, by=True)
        return by["headcount_pre"].reindex(range(1, 6)).to_numpy()

    def _outcome(self, fund: np.ndarray, oop: np.ndarray) -> _scenarios.Outcome:
        state = self._delta_state()
        if state is None:  # the baseline itself: measured whole
            return super()._outcome(fund, oop)
        base = self._baseline
        changed = np.flatnonzero((oop != base.oop) | (fund != base.fund))
        w, q, qw = self._w, self._q[changed], self._q_w
        pw = self._persons_w
        wsum, pwsum = w.sum(), pw.sum()
        pq = np.bincount(self._q, weights=pw, minlength=5)
        summary: dict[str, float] = {}
        frames = []
        quint = np.arange(1, 6)
        for key, (threshold, method) in _scenarios.CATASTROPHIC.items():
            old = state["indicators"][key][changed]
            new = self._catastrophic_indicator(oop[changed], threshold, method, changed)
            diff = w[changed] * (new - old)
            total, by_q = state["sums"][key]
            summary[key] = (total + diff.sum()) / wsum
            frames.append(pd.DataFrame({"quintile": quint, "measure": key,
                                        "value": (by_q + np.bincount(q, weights=diff, minlength=5)) / qw}))
        old = state["indicators"]["poor_post"][changed]
        new = self._poor_post(oop[changed], changed)
        diff = pw[changed] * (new - old)
        total, by_q = state["sums"]["poor_post"]
        post = (total + diff.sum()) / pwsum
        pre, pre_q = state["poverty_pre"]
        summary["impoverished"] = post - pre
        summary["poverty_post"] = post
        frames.append(pd.DataFrame({"quintile": quint, "measure": "impoverished",
                                    "value": (by_q + np.bincount(q, weights=diff, minlength=5)) / pq - pre_q}))
        for key, values, (total, by_q) in (("fund_per_household", fund, state["fund"]),
                                           ("oop_per_household", oop, state["oop"])):
            dv = w[changed] * (values[changed] - getattr(base, "fund" if key.startswith("fund") else "oop")[changed])
            total = total + dv.sum()
            if key == "fund_per_household":
                summary["fund_total"] = total
                summary["fund_per_person"] = total / pwsum
            summary[key] = total / wsum
            frames.append(pd.DataFrame({"quintile": quint, "measure": key,
                                        "value": (by_q + np.bincount(q, weights=dv, minlength=5)) / qw}))
        from healthcover.protection import weighted_percentile

        summary["oop_p90"] = float(weighted_percentile(oop, w, 0.9))
        return _scenarios.Outcome(fund=fund, oop=oop, summary=summary,
                                  by_quintile=pd.concat(frames, ignore_index=True))

    # -- running ---------------------------------------------------------------------------------
    def run(self, reform: Any = None, *, allow_out_of_range: bool = False) -> _scenarios.Comparison:
        """Baseline and reform side by side; ``reform``: overrides by control key (see
        :attr:`controls`) or a scheme of the same id. Adds ``control_reach`` and labels
        ``overrides`` (see the class docstring)."""
        result = super().run(dict(reform) if isinstance(reform, Mapping) else reform,
                             allow_out_of_range=allow_out_of_range)
        result.overrides = self._labelled(result.overrides)
        result.control_reach = self.control_reach(self._last_reach)
        return result

    def control_reach(self, reform_reach: dict | None = None) -> pd.DataFrame:
        """For each control: ``households_with_claims`` (households with a claim it applies to)
        and, for limits, ``binding_baseline`` / ``binding_reform`` (households with a claim the
        limit cut), ``reform_reach`` being a run's reach (default: the baseline's)."""
        self.baseline  # noqa: B018 - the baseline's reach
        rows = []
        base_reach = self._baseline_reach or {}
        reform_reach = base_reach if reform_reach is None else reform_reach
        for name in self._pools:
            for key, n in self._pool_cells(name)["with_claims"].items():
                rule = key.split(".")[2]
                limit = rule in LIMIT_RULES
                rows.append({"key": key, "rule": rule, "households_with_claims": n,
                             "binding_baseline": base_reach.get(name, {}).get("cells", {}).get(key) if limit else None,
                             "binding_reform": reform_reach.get(name, {}).get("cells", {}).get(key) if limit else None})
        return pd.DataFrame(rows, columns=["key", "rule", "households_with_claims", "binding_baseline",
                                           "binding_reform"])

    def _reach_table(self, reach: dict) -> pd.DataFrame:
        self._last_reach = reach
        return super()._reach_table(reach)

    def _labelled(self, overrides: pd.DataFrame) -> pd.DataFrame:
        """The changed cells with the controls' labels, rules and the document's value; a change
        of a value the document fixes (exact or approximate) is outside the document."""
        c = self.controls.set_index("key")
        keep = overrides[overrides["key"].isin(c.index)].reset_index(drop=True)
        for col in ("care", "rule", "label_zh", "label_en", "assumed", "lo", "hi", "kind", "share"):
            keep[col] = [c.at[k, col] for k in keep["key"]]
        keep["document"] = [c.at[k, "value"] for k in keep["key"]]
        fixed = keep["kind"].isin(["exact", "approx"]).to_numpy()
        differs = np.abs(keep["value"].astype(float).to_numpy() - keep["document"].astype(float).to_numpy()) > 1e-9
        keep["outside_document"] = keep["outside_document"].to_numpy(dtype=bool) | (fixed & differs)
        return keep


def main(argv: list[str] | None = None) -> int:
    """``python -m healthcover.reforms [--households N] [--seed S]``: build the files ahead."""
    import argparse

    ap = argparse.ArgumentParser(prog="python -m healthcover.reforms",
                                 description="Build the dashboards' population and scheme baselines once.")
    ap.add_argument("--households", type=int, default=None, help=f"default: ${HOUSEHOLDS_ENV} or 100,000")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    a = ap.parse_args(argv)
    folder = build_store(a.households, a.seed)
    print(f"dashboard files ready in {folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
