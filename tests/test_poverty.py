"""The illness-induced-poverty estimate of seed 003 §1 (digest E20, caveat C-05)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from healthcover import HealthcoverError
from healthcover import poverty as pv

SEED_003 = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "003_810a80b42b0b05bf.txt"
SEED_003_ALT = Path("/work/shared/seeds/003_810a80b42b0b05bf.txt")


def test_reproduces_the_document():
    assert pv.illness_induced_poor(24149, 0.0386, 0.35, 4) == pytest.approx(1305.01196,
                                                                            rel=1e-12)
    assert pv.illness_induced_poor() == pytest.approx(1305.01196, rel=1e-12)
    # named arguments as in the API contract
    assert pv.illness_induced_poor(households=24149, poverty_rate=0.0386, illness_share=0.35,
                                   household_size=4) == pytest.approx(1305.01196)


def test_steps_match_digest_e20():
    steps = pv.estimate_steps()
    np.testing.assert_allclose(steps["value"], [932.1514, 326.25299, 1305.01196], rtol=1e-12)
    assert steps["unit"].tolist() == ["万 households", "万 households", "万 persons"]


def test_sensitivity_values_of_e20():
    s = pv.sensitivity().set_index(["parameter", "scenario"])["estimate"]
    assert s[("all", "document")] == pytest.approx(1305.01196)
    assert s[("household_size", "low")] == pytest.approx(1340.899789, rel=1e-9)
    assert s[("household_size", "high")] == pytest.approx(1370.262558, rel=1e-9)
    assert s[("illness_share", "low")] == pytest.approx(771.821359, rel=1e-9)
    assert s[("illness_share", "three_provinces")] == pytest.approx(1118.58168, rel=1e-9)
    assert s[("illness_share", "high")] == pytest.approx(1838.202561, rel=1e-9)
    assert round(s[("illness_share", "low")], 2) == 771.82  # digest table, 2 decimals


def test_tornado_orders_by_swing_and_chart_builds():
    t = pv.tornado()
    assert t["parameter"].tolist() == ["illness_share", "household_size"]
    assert t.loc[0, "estimate_low"] == pytest.approx(771.821359, rel=1e-9)
    # the author's 4 persons lies below the cited 4.11-4.20: that bar is right of the base
    assert (t.loc[1, ["estimate_low", "estimate_high"]] > t.loc[1, "base"]).all()
    custom = pv.tornado({"poverty_rate": (0.03, 0.05)})
    assert custom.loc[0, "estimate_high"] == pytest.approx(24149 * 0.05 * 0.35 * 4)
    spec = pv.tornado_chart(t).to_dict()
    assert "layer" in spec
    with pytest.raises(HealthcoverError, match="unknown input 'size'"):
        pv.tornado({"size": (4, 5)})


def test_monte_carlo_is_seeded_and_sensible():
    a = pv.monte_carlo(20_000, seed=3)
    b = pv.monte_carlo(20_000, seed=3)
    c = pv.monte_carlo(20_000, seed=4)
    assert a == b and a != c
    # bounded by the extreme corners of the text's ranges
    lo = pv.illness_induced_poor(24149, 0.0386, 0.207, 4.11)
    hi = pv.illness_induced_poor(24149, 0.0386, 0.493, 4.20)
    assert lo < a["lower"] < a["median"] < a["upper"] < hi
    # triangular mean (.207+.35+.493)/3 = .35 times mean size 4.155
    assert a["mean"] == pytest.approx(24149 * 0.0386 * 0.35 * 4.155, rel=5e-3)
    assert a["document"] == pytest.approx(1305.01196)
    draws = pv.monte_carlo_draws(1000, seed=0)
    assert draws["illness_share"].between(0.207, 0.493).all()
    assert draws["household_size"].between(4.11, 4.20).all()
    np.testing.assert_allclose(
        draws["estimate"], 24149 * 0.0386 * draws["illness_share"] * draws["household_size"]
    )


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"poverty_rate": 3.86}, r"poverty_rate is a share and must be between 0 and 1 "
         r"\(3.86% is 0.0386\); received 3.86"),
        ({"illness_share": -0.1}, r"illness_share must be >= 0; received -0.1"),
        ({"households": float("nan")}, r"households must be finite"),
    ],
)
def test_rejects_bad_inputs(kwargs, message):
    with pytest.raises(HealthcoverError, match=message):
        pv.illness_induced_poor(**kwargs)


def test_monte_carlo_rejects_bad_ranges():
    with pytest.raises(HealthcoverError, match="low <= mode <= high"):
        pv.monte_carlo(10, illness_share=(0.5, 0.35, 0.6))
    with pytest.raises(HealthcoverError, match="level must be between 0 and 1"):
        pv.monte_carlo(10, level=95)


def test_every_input_is_sourced_and_quoted_verbatim():
    table = pv.sources_table()
    assert set(table["doc"]) == {"003"} and set(table["line"]) == {"L27"}
    assert table["quote"].str.len().gt(3).all()
    path = SEED_003 if SEED_003.exists() else SEED_003_ALT
    if not path.exists():
        pytest.skip("seed documents (shared/seeds) are not beside the repository")
    line27 = path.read_text(encoding="utf-8").splitlines()[26]
    for quote in table["quote"]:
        assert quote in line27, quote
    assert pv.DOCUMENT_RESULT.quote in line27
    # The figures quoted are the figures used.
    assert "24149" in pv.INPUTS["households"].quote
    assert "3.86%" in pv.INPUTS["poverty_rate"].quote
    assert "4.20" in pv.RANGES["household_size"]["high"].quote


def test_caveat_c05_is_stated():
    assert "stock" in pv.CAVEATS["C-05 stock vs flow"]
    assert "C-05" in pv.illness_induced_poor.__doc__
    assert "each year" in pv.__doc__
