"""Fuzzing the exact aggregate-loss distribution over claim-model parameters (issue 11).

For every example: either a HealthcoverError, or a distribution of S whose CDF lies in [0, 1]
and does not decrease, with P(S = 0) >= P(N = 0), no negative quantile, TVaR >= VaR, a mean
equal to E[N] E[Y] with E[Y] integrated here by quadrature of the benefit formula over the
severity's density (not the package's partial moments), and a CDF consistent with that mean
(left and right Riemann sums of P(S > x) bracket it). The default run keeps a few hundred
examples; ``-m slow`` runs wider parameter ranges and more examples."""
from __future__ import annotations

import math
import random
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, event, given, note, settings
from hypothesis import strategies as st
from scipy import integrate

import healthcover as hc
import healthcover.actuarial as act

BAD = st.sampled_from([float("nan"), -1.0, float("inf"), 0.0, "x", True])


def _draw(f):
    """A value from a uniform draw of a seed: Hypothesis's own numbers favour simple values
    (0, 1, the ends of a range), which would make most examples a fund paying nothing; a seed
    still shrinks (to 0, the low end)."""
    return st.integers(0, 2**32 - 1).map(lambda i: f(random.Random(i)))


def uniform(lo: float, hi: float):
    return _draw(lambda r: r.uniform(lo, hi))


def log_uniform(lo: float, hi: float):
    return _draw(lambda r: 10.0 ** r.uniform(math.log10(lo), math.log10(hi)))


def choice(*options):
    return _draw(lambda r: r.choice(options))


def maybe_bad(valid, share: float = 0.03):
    """Mostly valid values, now and then (``share``) a bad one, to exercise the refusals."""
    return st.tuples(valid, BAD, st.integers(0, 2**32 - 1)).map(
        lambda t: t[1] if random.Random(t[2]).random() < share else t[0])


def frequencies(wide: bool):
    top = 1e7 if wide else 1e4
    return st.one_of(
        st.builds(lambda m: ("poisson", m), maybe_bad(log_uniform(1e-4, top))),
        st.builds(lambda r, b: ("nb", r, b), maybe_bad(log_uniform(0.05, 100.0)),
                  maybe_bad(log_uniform(1e-3, 1e3 if wide else 50.0))),
    )


def severities(wide: bool):
    mean = log_uniform(20.0, 1e5)
    return st.one_of(
        st.builds(lambda m, cv: ("lognormal", m, cv), maybe_bad(mean), maybe_bad(log_uniform(0.1, 5.0))),
        st.builds(lambda m, cv: ("gamma", m, cv), maybe_bad(mean), maybe_bad(log_uniform(0.05, 3.0))),
        st.builds(lambda a, s: ("pareto", a, s), maybe_bad(uniform(0.5 if wide else 1.2, 8.0)),
                  maybe_bad(log_uniform(10.0, 1e4))),
        # (heavy uncapped tails make the lattice long: the default run keeps them moderate)
        st.builds(lambda m, cv, a, w: ("pareto_tailed", m, cv, a, w), mean, uniform(0.5, 3.0 if wide else 2.0),
                  uniform(3.2 if wide else 4.5, 6.0), uniform(0.01, 0.2)),
    )


def benefits():
    # a deductible in one example of four, rate 0 or 1 now and then, a cap in one of two
    deductible = _draw(lambda r: 0.0 if r.random() < 0.25 else 10.0 ** r.uniform(0, 5))
    rate = _draw(lambda r: r.choice([0.0, 1.0]) if r.random() < 0.06 else r.uniform(0.0, 1.0))
    limit = _draw(lambda r: None if r.random() < 0.5 else 10.0 ** r.uniform(2, 6))
    cost_limit = _draw(lambda r: None if r.random() < 0.8 else 10.0 ** r.uniform(0, 6))
    return st.builds(lambda d, r, lim, cl: (d, r, lim, cl), maybe_bad(deductible), maybe_bad(rate),
                     maybe_bad(limit), cost_limit)


def build(freq, sev, ben, wide):
    kind, *p = freq
    f = act.Poisson(p[0]) if kind == "poisson" else act.NegativeBinomial(p[0], p[1])
    kind, *p = sev
    if kind == "lognormal":
        s = act.Lognormal.from_mean_cv(*p)
    elif kind == "gamma":
        s = act.Gamma.from_mean_cv(*p)
    elif kind == "pareto":
        s = act.Pareto(*p)
    else:
        s = act.ParetoTailed.from_mean_cv(*p)
    d, r, lim, cl = ben
    kw = {}
    if lim is not None:
        kw["limit"] = lim
    if cl is not None:
        kw["cost_limit"] = cl if not isinstance(cl, float) else d + cl if isinstance(d, float) and math.isfinite(d) else cl
    b = act.Benefit(deductible=d, rate=r, **kw)
    if not wide and kind == "pareto" and not math.isfinite(b.max_payment) and s.alpha <= 4.5:
        # an uncapped tail without a third moment is refused after a Fourier attempt of
        # seconds, a moderately heavy one needs a long lattice: the slow run covers them
        b = b.replace(limit=1e6)
    return act.ClaimModel.single(f, s, b), f


def payment_mean(line) -> float:
    """E[g(X)] by adaptive quadrature in t = ln x of the benefit formula times the density,
    piece by piece of g (the package's partial moments are not used)."""
    sev, ben = line.severity, line.benefit
    x_lo, x_hi, _, _ = ben.pieces()
    top = float(sev.isf(1e-16))
    total = 0.0
    # the density's own kinks (a spliced threshold, a truncation) are break points too
    kinks = [getattr(sev, "threshold", None), *getattr(sev, "support", ())]
    for a, b in zip(x_lo, x_hi):
        a = max(a, sev.support[0], 1e-12)
        hi = min(b, top)
        if hi > a:
            f = lambda t: float(ben.pay(math.exp(t))) * float(sev.pdf(math.exp(t))) * math.exp(t)  # noqa: E731
            cuts = [math.log(a), *sorted(math.log(k) for k in kinks if k is not None and a < k < hi), math.log(hi)]
            total += sum(integrate.quad(f, lo, up, limit=200, epsabs=0, epsrel=1e-11)[0]
                         for lo, up in zip(cuts[:-1], cuts[1:]))
        if b > top and hi > a:  # beyond the 1e-16 quantile: at most the payment there, or the cap
            total += float(ben.pay(top)) * float(sev.sf(top)) if math.isfinite(ben.max_payment) else 0.0
    return total


def check(freq, sev, ben, wide=False):
    note(f"freq={freq} sev={sev} ben={ben}")
    try:
        m, f = build(freq, sev, ben, wide)
        S = act.aggregate_loss(m)
    except hc.HealthcoverError as e:
        note(f"refused: {e}")
        event("refused")
        return
    note(f"method={S.method} info={S.info}")
    event(f"method {S.method}")
    tol = 1e-9
    # CDF in [0, 1], non-decreasing, exact at 0
    hi = float(S.ppf(1 - 1e-9))
    atoms = S.atoms.index.to_numpy(dtype=float)
    x = np.unique(np.concatenate([np.linspace(0.0, max(hi, 1.0), 301), atoms[atoms <= hi], [-1.0, 0.0]]))
    F = np.asarray(S.cdf(x))
    assert np.isfinite(F).all() and (F >= 0).all() and (F <= 1).all()
    assert (np.diff(F) >= -tol).all(), float(np.diff(F).min())
    assert S.cdf(-1.0) == 0.0
    assert S.cdf(0.0) >= f.prob_zero() * (1 - 1e-12)
    # quantiles >= 0, non-decreasing; TVaR >= VaR
    q = np.array([1e-6, 0.01, 0.3, 0.5, 0.9, 0.99, 0.999])
    v = np.asarray(S.ppf(q))
    assert np.isfinite(v).all() and (v >= 0).all() and (np.diff(v) >= -1e-9 * max(hi, 1.0)).all()
    tv = np.asarray(S.tvar(q))
    assert np.isfinite(tv).all() and (tv >= v - 1e-9 * max(hi, 1.0)).all()
    s = S.summary()
    assert np.isfinite(s.drop("skewness").to_numpy(dtype=float)).all()
    # the mean: E[N] E[Y] with E[Y] by quadrature (independent of the partial moments)
    with warnings.catch_warnings():
        warnings.simplefilter("error", integrate.IntegrationWarning)
        try:
            ey = payment_mean(m.lines[0])
        except integrate.IntegrationWarning:
            ey = None
    if ey is not None:
        assert S.mean == pytest.approx(f.mean * ey, rel=1e-6, abs=1e-9)
    # the CDF integrates to the mean: E[S] - E[(S - hi)+] = int_0^hi P(S > x) dx, bracketed by
    # Riemann sums of the non-increasing survival function
    grid = np.linspace(0.0, hi, 2001) if hi > 0 else np.zeros(2)
    sf = 1.0 - np.asarray(S.cdf(grid))
    dx = grid[1] - grid[0]
    body = S.mean - float(S.stop_loss(hi))
    slack = 1e-5 * S.mean + 1e-6 * hi + 1e-12
    assert sf[1:].sum() * dx - slack <= body <= sf[:-1].sum() * dx + slack


NO_EXPLAIN = [Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink]  # explain: minutes of reruns


@settings(max_examples=200, deadline=None, derandomize=True, phases=NO_EXPLAIN,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(frequencies(False), severities(False), benefits())
def test_fuzz_aggregate_loss(freq, sev, ben):
    check(freq, sev, ben)


@pytest.mark.slow
@settings(max_examples=400, deadline=None, phases=NO_EXPLAIN, suppress_health_check=[HealthCheck.too_slow])
@given(frequencies(True), severities(True), benefits())
def test_fuzz_aggregate_loss_wide(freq, sev, ben):
    check(freq, sev, ben, wide=True)
