"""healthcover.plotting: the chart builders in one place, drawing offline, and the notebook
renderer that importing healthcover turns on in a Jupyter kernel (and nowhere else)."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import altair as alt
import pandas as pd
import pytest

from healthcover import actuarial as act
from healthcover import plotting, poverty, protection
from healthcover.errors import HealthcoverError

HOUSEHOLDS = pd.DataFrame({
    "oop": [0.0, 20, 5, 100, 60, 0], "cons": [100.0, 100, 200, 400, 90, 300],
    "size": [2, 3, 1, 4, 2, 5],
})


def marks(spec: dict) -> list[str]:
    """Mark types of a (layered) Vega-Lite spec."""
    if "layer" in spec:
        return [m for layer in spec["layer"] for m in marks(layer)]
    mark = spec.get("mark")
    return [mark["type"] if isinstance(mark, dict) else mark] if mark else []


# --------------------------------------------------------------------------- one home, old names


def test_moved_builders_keep_their_old_names():
    assert protection.concentration_curve_chart is plotting.concentration_curve_chart
    assert protection.pens_parade_chart is plotting.pens_parade_chart
    assert protection.threshold_curve_chart is plotting.threshold_curve_chart
    assert act.fan_chart is plotting.fan_chart
    from healthcover.widgets import charts, chart_svg

    assert chart_svg is plotting.chart_svg and charts._enable_offline is plotting.enable_jupyterchart_offline


def test_importing_healthcover_loads_neither_altair_nor_ipython():
    """The engine stays importable without the notebook stack (scripts, Dask workers)."""
    code = ("import healthcover, healthcover.protection, healthcover.poverty, healthcover.actuarial, "
            "healthcover.plotting, healthcover.display, sys; "
            "print('altair' in sys.modules, 'IPython' in sys.modules, 'vl_convert' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False", "False"]


def test_protection_and_poverty_charts():
    cc = protection.concentration_curve(HOUSEHOLDS, variables=["oop"], consumption="cons")
    assert marks(plotting.concentration_curve_chart(cc).to_dict()) == ["line", "line"]
    pp = protection.pens_parade(HOUSEHOLDS, oop="oop", consumption="cons", size="size", poverty_line=20)
    assert marks(plotting.pens_parade_chart(pp).to_dict()) == ["rule", "line", "rule"]
    # no poverty line: no rule for it
    pp0 = protection.pens_parade(HOUSEHOLDS, oop="oop", consumption="cons", size="size")
    assert marks(plotting.pens_parade_chart(pp0, upper_quantile=None).to_dict()) == ["rule", "line"]
    t = poverty.tornado()
    spec = poverty.tornado_chart(t).to_dict()
    base = t.loc[0, "base"]
    assert f"{base:,.0f}万" in str(spec["title"])  # the estimate's figure is the data's, not typed
    assert marks(spec) == ["bar", "rule"]
    assert plotting.tornado_chart(t).to_dict()["title"] == "Sensitivity (one input at a time)"


def test_actuarial_charts_are_the_builders_over_the_results_frames():
    model = act.ClaimModel.single(act.Poisson(500), act.Lognormal.from_mean_cv(3000, 1.5),
                                  act.Benefit(deductible=200, rate=0.5, limit=20_000))
    S = act.aggregate_loss(model)
    marks_ = act.risk_marks(S, income=1.2 * S.mean)
    assert list(marks_) == ["VaR 95.0%", "VaR 99.0%", "VaR 99.5%", "TVaR 99.5%", "income"]
    assert marks_["VaR 99.5%"] == pytest.approx(float(S.ppf(0.995)))
    assert marks_["TVaR 99.5%"] > marks_["VaR 99.5%"]
    old = act.aggregate_chart(S, income=1.2 * S.mean).to_dict()
    new = plotting.aggregate_loss_chart(S.frame(), marks_).to_dict()
    assert old == new
    assert marks(old) == ["area", "rule"]
    payment = act.Payment(act.Lognormal.from_mean_cv(3000, 1.5),
                          act.Benefit(deductible=200, rate=0.5, limit=20_000))
    assert act.payment_chart(payment).to_dict() == plotting.payment_cdf_chart(act.payment_frame(payment)).to_dict()
    d = act.deficit_chart(S, target=0.01).to_dict()
    assert d == plotting.deficit_probability_chart(act.deficit_frame(S), target=0.01).to_dict()
    assert marks(d) == ["line", "rule"]
    assert marks(act.deficit_chart(S, target=None).to_dict()) == ["line"]


def test_builders_name_what_is_wrong():
    with pytest.raises(HealthcoverError, match=r"concentration_curve_chart: data is missing column\(s\) "
                                               r"variable_share"):
        plotting.concentration_curve_chart(pd.DataFrame({"variable": ["x"], "population_share": [0.5]}))
    with pytest.raises(HealthcoverError, match="tornado_chart: data must be a pandas DataFrame; received list"):
        plotting.tornado_chart([1, 2])
    with pytest.raises(HealthcoverError, match="measure 'gap' is not a column"):
        plotting.threshold_curve_chart(pd.DataFrame({"threshold": [0.1], "headcount": [0.2]}), measure="gap")
    pp = protection.pens_parade(HOUSEHOLDS, oop="oop", consumption="cons", size="size")
    with pytest.raises(HealthcoverError, match=r"upper_quantile = 1.5 is outside the allowed range \(0, 1\]"):
        plotting.pens_parade_chart(pp, upper_quantile=1.5)
    frame = pd.DataFrame({"income": [1.0, 2.0], "P(deficit)": [0.5, 0.1]})
    with pytest.raises(HealthcoverError, match=r"target = 0 is outside the allowed range \(0, 1\] "
                                               r"\(a probability, drawn on a log scale\)"):
        plotting.deficit_probability_chart(frame, target=0)
    with pytest.raises(HealthcoverError, match=r"aggregate_loss_chart: marks\['VaR'\] is NaN"):
        plotting.aggregate_loss_chart(pd.DataFrame({"x": [1.0], "pdf": [1.0]}), {"VaR": float("nan")})
    with pytest.raises(HealthcoverError, match="chart_spec: chart must be an Altair chart or a Vega-Lite "
                                               "dict; received int"):
        plotting.chart_spec(3)


# --------------------------------------------------------------------------- drawing offline

BARS = alt.Chart(pd.DataFrame({"a": ["x", "y"], "b": [1, 3]}), title="Bars <&>").mark_bar().encode(
    x="a:N", y="b:Q")


def test_chart_svg_draws_in_the_kernel_and_never_fetches():
    svg = plotting.chart_svg(BARS, "en")
    assert svg.startswith("<svg") and "role-mark" in svg
    remote = alt.Chart("https://example.com/data.csv").mark_point().encode(x="a:Q")
    with pytest.raises(ValueError, match="External data url not allowed"):
        plotting.chart_svg(remote)
    with pytest.raises(HealthcoverError, match="chart_svg: lang must be one of zh, en; received 'fr'"):
        plotting.chart_svg(BARS, "fr")


def test_svg_ids_are_unique_per_chart_and_stable():
    # a clipped mark: vl-convert defines a clip path, numbered by a process-wide counter
    area = alt.Chart(pd.DataFrame({"x": [0, 1, 2], "y": [1, 3, 2]})).mark_area(clip=True).encode(
        x="x:Q", y=alt.Y("y:Q", scale=alt.Scale(domain=[0, 2])))
    raw = plotting.chart_svg(area, "en"), plotting.chart_svg(area, "en")
    assert raw[0] != raw[1]
    a = plotting.unique_svg_ids(plotting.chart_svg(area, "en"))
    b = plotting.unique_svg_ids(plotting.chart_svg(area, "en"))
    other = plotting.unique_svg_ids(plotting.chart_svg(area.properties(width=123), "en"))
    ids = lambda s: set(__import__("re").findall(r'\bid="([^"]+)"', s))  # noqa: E731
    assert ids(a) and all(i.startswith("hc") for i in ids(a))
    assert a == b  # vl-convert's counter moved between the two, the names did not
    assert not ids(a) & ids(other)
    for i in ids(a):
        assert f"url(#{i})" in a or f'href="#{i}"' in a


def test_notebook_renderer_sends_vega_that_jupyterlab_draws_itself():
    data, meta = plotting.notebook_renderer(BARS.to_dict())
    assert set(data) == {"application/vnd.vega.v5+json", "text/plain"}
    vega = data["application/vnd.vega.v5+json"]
    assert vega["$schema"].startswith("https://vega.github.io/schema/vega/")
    assert {m["type"] for m in vega["marks"]} == {"rect"}
    assert data["text/plain"] == "<Altair chart: Bars <&>>"
    options = meta["application/vnd.vega.v5+json"]["embed_options"]
    assert options["renderer"] == "svg" and options["actions"]["editor"] is False
    # alt.renderers.set_embed_options passes through, over healthcover's
    _, meta = plotting.notebook_renderer(BARS.to_dict(), embed_options={"renderer": "canvas"})
    assert meta["application/vnd.vega.v5+json"]["embed_options"]["renderer"] == "canvas"


def test_enable_and_disable_switch_only_from_altairs_cdn_renderer():
    before = alt.renderers.active
    try:
        alt.renderers.enable("default")
        assert plotting.enable_offline_charts() == "healthcover"
        assert plotting.offline_charts_enabled()
        assert plotting.disable_offline_charts() == "default"
        alt.renderers.enable("svg")
        assert plotting.enable_offline_charts() == "svg"  # a renderer chosen by the user stays
        assert plotting.enable_offline_charts(force=True) == "healthcover"
        assert plotting.disable_offline_charts() == "svg"
    finally:
        alt.renderers.enable(before)


def test_outside_a_kernel_nothing_is_set_up(monkeypatch):
    assert plotting.setup_notebook() is False  # pytest is no kernel (IPython may be loaded)
    code = textwrap.dedent("""
        from IPython.core.interactiveshell import InteractiveShell
        InteractiveShell.instance()            # a terminal IPython, not a Jupyter kernel
        import healthcover, sys
        print(healthcover.plotting.offline_charts_enabled(), 'altair' in sys.modules)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_a_bad_switch_value_is_named(monkeypatch):
    monkeypatch.setenv("HEALTHCOVER_OFFLINE_CHARTS", "maybe")
    with pytest.raises(HealthcoverError, match=r"HEALTHCOVER_OFFLINE_CHARTS='maybe': allowed: '1', "
                                               r"'true', .* '0', 'false', 'no', 'off' \(or unset\)"):
        plotting._env_wants_charts()
    for off in ("0", "off", "False"):
        monkeypatch.setenv("HEALTHCOVER_OFFLINE_CHARTS", off)
        assert plotting._env_wants_charts() is False
    monkeypatch.delenv("HEALTHCOVER_OFFLINE_CHARTS")
    assert plotting._env_wants_charts() is True


def test_the_kernel_hook_waits_for_the_first_chart_and_steps_aside(monkeypatch):
    """In a kernel without altair loaded, IPython is told about Altair's chart class by name;
    the first chart switches the renderer and the formatter is removed; disabling before any
    chart removes it too."""
    from IPython.core.formatters import DisplayFormatter

    class Shell:
        kernel = object()
        display_formatter = DisplayFormatter()

    shell = Shell()
    formatter = shell.display_formatter.mimebundle_formatter
    monkeypatch.setattr(plotting, "_kernel_shell", lambda: shell)
    monkeypatch.delitem(sys.modules, "altair")  # as in a fresh kernel: altair not imported yet
    monkeypatch.setitem(plotting._state, "hook", None)
    before = alt.renderers.active
    try:
        assert plotting.setup_notebook() is True
        assert ("altair.vegalite.v6.api", "TopLevelMixin") in formatter.deferred_printers
        assert plotting.offline_charts_enabled()
        plotting.disable_offline_charts()  # before any chart: nothing left behind
        assert not formatter.deferred_printers and not formatter.type_printers
        assert not plotting.offline_charts_enabled()

        assert plotting.setup_notebook() is True
        monkeypatch.setitem(sys.modules, "altair", alt)
        alt.renderers.enable("default")
        data, meta = shell.display_formatter.format(BARS)
        assert "application/vnd.vega.v5+json" in data and alt.renderers.active == "healthcover"
        assert not formatter.deferred_printers and not formatter.type_printers  # stepped aside
        data, _ = shell.display_formatter.format(BARS)  # the next chart: Altair's own path
        assert "application/vnd.vega.v5+json" in data
    finally:
        plotting._remove_hook()
        alt.renderers.enable(before)


# --------------------------------------------------------------------------- in a real kernel


class Kernel:
    """A real ipykernel (what JupyterLab starts); ``run`` returns each output's mimetypes."""

    def __init__(self, env: dict[str, str] | None = None):
        from jupyter_client.manager import start_new_kernel

        clean = {k: v for k, v in os.environ.items() if k != "HEALTHCOVER_OFFLINE_CHARTS"}
        self.km, self.kc = start_new_kernel(kernel_name="python3", env={**clean, **(env or {})})

    def run(self, code: str) -> list:
        outs: list = []

        def hook(msg):
            kind, content = msg["msg_type"], msg["content"]
            if kind in ("display_data", "execute_result"):
                outs.append(sorted(content["data"]))
            elif kind == "stream":
                outs.append(content["text"].strip())
            elif kind == "error":
                outs.append(("error", content["ename"], content["evalue"]))

        self.kc.execute_interactive(code, output_hook=hook, timeout=120)
        return outs

    def close(self):
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)


VEGA = ["application/vnd.vega.v5+json", "text/plain"]
CHART = "alt.Chart(pd.DataFrame({'a': [1, 2]})).mark_point().encode(x='a:Q')"


def test_in_a_kernel_charts_render_offline_from_the_first_one():
    k = Kernel()
    try:
        assert k.run("import healthcover as hc, sys; print('altair' in sys.modules)") == ["False"]
        # the researcher's own chart, altair imported after healthcover
        assert k.run(f"import altair as alt, pandas as pd\n{CHART}") == [VEGA]
        assert k.run("print(alt.renderers.active)") == ["healthcover"]
        # a library chart
        assert k.run("hc.poverty.tornado_chart(hc.poverty.tornado())") == [VEGA]
        # turned off: Altair's own (CDN) renderer again
        assert k.run("print(hc.plotting.disable_offline_charts())") == ["default"]
        assert k.run(CHART) == [["text/html", "text/plain"]]
    finally:
        k.close()


def test_in_a_kernel_a_chosen_renderer_stays_and_the_switch_turns_it_off():
    k = Kernel()
    try:
        # altair first, with the renderer a report build (or the researcher) chose
        k.run("import altair as alt, pandas as pd\nalt.renderers.enable('svg')")
        assert k.run(f"import healthcover as hc\nprint(alt.renderers.active)\n{CHART}") == \
            ["svg", ["image/svg+xml", "text/plain"]]
    finally:
        k.close()
    k = Kernel(env={"HEALTHCOVER_OFFLINE_CHARTS": "0"})
    try:
        out = k.run(f"import healthcover as hc, altair as alt, pandas as pd\n{CHART}")
        assert out == [["text/html", "text/plain"]]
        assert k.run("print(hc.plotting.offline_charts_enabled())") == ["False"]
    finally:
        k.close()
