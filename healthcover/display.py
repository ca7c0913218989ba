"""How healthcover's objects show themselves in a notebook: HTML for ``_repr_html_``.

A scheme, an aggregate-loss result, a population and a composed scheme are shown as a short
bilingual summary (中文 first, English beside) instead of a one-line ``repr``; the ``repr``
itself stays short. The classes only hold a two-line hook that calls the builder here, and the
builders read nothing but each object's public API, so a class can change inside without
touching this module:

* :func:`scheme_html`: title, document, variants, person categories, facility levels and care
  types, the benefit rules at a glance (one table per care type, facility levels across), the
  blanks a calculation needs an assumption for, and any overrides;
* :func:`aggregate_loss_html`: mean, sd, skewness, VaR and TVaR, and a small density chart
  drawn to SVG in the kernel (vl-convert: no network, no JavaScript);
* :func:`population_html`: households, persons and claims in numbers;
* :func:`composed_html`: the basic scheme, the secondary payer and how care types map.

Every piece of text from a file or a user goes through :func:`html.escape`.
"""
from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["scheme_html", "aggregate_loss_html", "population_html", "composed_html"]

# ``.hc-repr`` repeated: JupyterLab right-aligns output tables with a (0,2,1) selector.
_CSS = """<style>
.hc-repr{font-size:13px;line-height:1.45;max-width:100%;overflow-x:auto}
.hc-repr .hc-title{font-size:15px;font-weight:600}
.hc-repr .hc-en,.hc-repr .hc-note{color:var(--jp-ui-font-color2,#555)}
.hc-repr .hc-note{font-size:12px}
.hc-repr.hc-repr.hc-repr table{border-collapse:collapse;margin:4px 0 8px 0}
.hc-repr.hc-repr.hc-repr table th,.hc-repr.hc-repr.hc-repr table td{padding:2px 8px;
  text-align:left;vertical-align:baseline;border-bottom:1px solid var(--jp-border-color2,#e0e0e0)}
.hc-repr.hc-repr.hc-repr table .hc-num{text-align:right;font-variant-numeric:tabular-nums}
.hc-repr .hc-kind{display:block;font-size:11px;color:var(--jp-ui-font-color2,#777)}
.hc-repr .hc-blank{color:var(--jp-error-color1,#b71c1c);font-weight:600}
.hc-repr .hc-over{font-weight:600;color:var(--jp-warn-color0,#e65100)}
.hc-repr summary{cursor:pointer;font-weight:600;margin-top:6px}
.hc-repr .hc-care{margin-top:6px;font-weight:600}
.hc-repr .hc-codes span.hc-item{display:inline-block;margin-right:14px}
</style>"""

# Engine rule names (docs/architecture.md, "Parameter names the engine reads") in both languages.
_RULES: dict[str, tuple[str, str]] = {
    "covered": ("是否保障", "covered"),
    "fund_amount": ("基金定额支付", "fund amount per claim"),
    "deductible": ("起付线", "deductible"),
    "deductible_frequency": ("起付线计算", "deductible applies"),
    "rate": ("报销比例", "reimbursement rate"),
    "bands": ("分段报销比例", "rate bands"),
    "enrolment_bonus": ("连续参保奖励", "continuous-enrolment bonus"),
    "per_claim_limit": ("单次支付限额", "per-claim limit"),
    "annual_limit": ("年度最高支付限额", "annual limit"),
    "annual_limit_basis": ("限额口径", "limit counts"),
    "annual_limit_pool": ("限额合并", "limit pool"),
    "annual_limit_scope": ("限额范围", "limit applies to"),
}
_DIMS = {"variant": ("档次/地区", "variants"), "category": ("人员类别", "person categories"),
         "facility": ("医疗机构级别", "facility levels"), "care": ("就医类型", "care types")}


# ---------------------------------------------------------------------------------------------
# small pieces


def _e(x: Any) -> str:
    return html.escape("" if x is None else str(x), quote=True)


def _bi(zh: Any, en: Any, sep: str = " ") -> str:
    """Chinese, then English in grey; either may be missing."""
    parts = []
    if zh:
        parts.append(f'<span class="hc-zh">{_e(zh)}</span>')
    if en and en != zh:
        parts.append(f'<span class="hc-en">{_e(en)}</span>')
    return sep.join(parts)


def _missing(x: Any) -> bool:
    return x is None or (isinstance(x, (float, np.floating)) and math.isnan(x))


def _s(x: Any) -> str:
    """Text of a table cell; missing (None, NaN) is empty."""
    return "" if _missing(x) else str(x)


def _trim(s: str) -> str:
    return s.rstrip("0").rstrip(".") if "." in s else s


def _num(x: Any, digits: int = 2, trim: bool = True) -> str:
    """``12,345.6`` (``trim=False``: ``12,345.60``); NaN and None give ``—``."""
    if _missing(x):
        return "—"
    x = float(x)
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    text = f"{x:,.{digits}f}"
    return _trim(text) if trim else text


def _pct(x: Any, digits: int = 2) -> str:
    return "—" if _missing(x) else _trim(f"{100 * float(x):.{digits}f}") + "%"


def _value(value: Any, unit: str | None) -> str:
    """A parameter's value for people, in the unit's terms (shares as percentages)."""
    u = _s(unit).lower()
    if _missing(value):
        return "—"
    if isinstance(value, (bool, np.bool_)):
        return "✓ 是 yes" if value else "✗ 否 no"
    if isinstance(value, (int, float, np.integer, np.floating)):
        return _pct(value) if u.startswith("share") else _num(value)
    if isinstance(value, (list, tuple)):
        if u.startswith("[[cny") and all(isinstance(b, (list, tuple)) and len(b) == 2 for b in value):
            return "; ".join(
                (f"≤ {_num(up)}: " if not _missing(up) else "above: ") + _pct(rate)
                for up, rate in value
            )
        return ", ".join(str(v) for v in value)
    return str(value)


def _table(head: Iterable[str], rows: Iterable[Iterable[str]], num: Iterable[int] = ()) -> str:
    """An HTML table of cells already escaped; ``num``: right-aligned column positions."""
    num = set(num)
    h = "".join(f'<th{" class=hc-num" if i in num else ""}>{c}</th>' for i, c in enumerate(head))
    body = "".join(
        "<tr>" + "".join(f'<td{" class=hc-num" if i in num else ""}>{c}</td>'
                         for i, c in enumerate(r)) + "</tr>"
        for r in rows
    )
    return f"<table><thead><tr>{h}</tr></thead><tbody>{body}</tbody></table>"


def _wrap(kind: str, body: str) -> str:
    return f'<div class="hc-repr hc-{kind}">{_CSS}{body}</div>'


def _cell(cell: Any) -> dict[str, str]:
    """``"benefit_class=adult, facility=county"`` -> ``{"benefit_class": "adult", ...}``."""
    out: dict[str, str] = {}
    for part in str(cell or "").split(", "):
        if "=" in part:
            k, v = part.split("=", 1)
            out[k.strip()] = v.strip()
    return out


# ---------------------------------------------------------------------------------------------
# Scheme


def _codes(scheme) -> dict[str, dict[str, tuple[str, str]]]:
    """dimension -> code -> (zh, en), from ``codes_table()``."""
    out: dict[str, dict[str, tuple[str, str]]] = {}
    for row in scheme.codes_table().itertuples(index=False):
        out.setdefault(row.dimension, {})[row.code] = (row.zh, row.en)
    return out


def _code_list(codes: Mapping[str, tuple[str, str]], used: str | None = None) -> str:
    """Codes with their names, side by side (wrapping); the variant in use marked."""
    items = []
    for code, (zh, en) in codes.items():
        mark = ' <span class="hc-note">(used 使用)</span>' if code == used else ""
        items.append(f'<span class="hc-item"><code>{_e(code)}</code> {_bi(zh, en)}{mark}</span>')
    if not items:
        return '<span class="hc-note">—</span>'
    return '<div class="hc-codes">' + " ".join(items) + "</div>"


def _document(meta) -> str:
    src = meta.source
    where = " ".join(_e(x) for x in (f"doc {src.doc}", src.article, f"({src.lines})" if src.lines else None) if x)
    rows = [where]
    if getattr(meta, "document_number", None):
        rows.append(f"文号 No. {_e(meta.document_number)}")
    if getattr(meta, "issuer", None):
        rows.append("发布 issued by " + _bi(meta.issuer.zh, meta.issuer.en))
    if getattr(meta, "jurisdiction", None):
        rows.append("地区 jurisdiction " + _bi(meta.jurisdiction.zh, meta.jurisdiction.en))
    dates = getattr(meta, "dates", None)
    if dates is not None:
        bits = [f"{label} {_e(d)}" for label, d in (("issued 发布", dates.issued),
                                                    ("effective 施行", dates.effective)) if d]
        if bits:
            rows.append(", ".join(bits))
        if dates.note:
            rows.append(f'<span class="hc-note">{_e(dates.note)}</span>')
    return "<br>".join(rows)


def _kind_note(row) -> str:
    """What the document permits, under a value that is not simply stated."""
    kind = row.kind
    if kind == "not_stated":
        return ""
    parts = []
    if kind != "exact" or row.overridden:
        parts.append(_e(_s(row.permitted)))
    if row.overridden:
        parts.append("override 假设" + (" · outside the document 超出文件范围" if row.outside_document else ""))
    return f'<span class="hc-kind">{" · ".join(parts)}</span>' if parts else ""


def _leaf_html(row) -> str:
    if row.kind == "not_stated" and not row.overridden:
        return '<span class="hc-blank" title="not stated in the document">未规定 not stated</span>'
    cls = ' class="hc-over"' if row.overridden else ""
    return f"<span{cls}>{_e(_value(row.value, row.unit))}</span>{_kind_note(row)}"


def _benefit_glance(scheme, table: pd.DataFrame, codes) -> str:
    """One table per care type: a row per rule (and category where rules differ by it),
    facility levels across."""
    benefits = table[table["parameter"].str.startswith("benefits.")]
    if benefits.empty:
        return '<p class="hc-note">No benefit rules in this file. 文件未规定待遇。</p>'
    facilities = codes.get("facility", {})
    care_names = codes.get("care", {})
    out = []
    care_order = list(scheme.care_types) + sorted(
        {p.split(".")[1] for p in benefits["parameter"]} - set(scheme.care_types))
    for care in care_order:
        rows_c = benefits[benefits["parameter"].str.startswith(f"benefits.{care}.")]
        if rows_c.empty:
            continue
        # group: (rule, other dims) -> {facility or "*": row}
        groups: dict[tuple[str, str], dict[str, Any]] = {}
        used_fac: set[str] = set()
        for row in rows_c.itertuples(index=False):
            rule = row.parameter[len(f"benefits.{care}."):]
            dims = _cell(row.cell)
            fac = dims.pop("facility", "*")
            if fac != "*":
                used_fac.add(fac)
            other = ", ".join(f"{k}={v}" for k, v in dims.items())
            groups.setdefault((rule, other), {})[fac] = row
        cols = [f for f in facilities if f in used_fac] + sorted(used_fac - set(facilities))
        head = ["规则 rule", "适用 applies to", "单位 unit"]
        # Chinese name and code; the English name on hover (long names would make tall heads)
        head += [f'<span title="{_e(facilities.get(f, (f, f))[1])}">{_e(facilities.get(f, (f, f))[0])}'
                 f"<br><code>{_e(f)}</code></span>" for f in cols] or ["值 value"]
        body = []
        for (rule, other), cells in groups.items():
            zh, en = _RULES.get(rule, (None, rule))
            first = next(iter(cells.values()))
            label = f'<span class="hc-rule" title="{_e(_s(first.description))}">{_bi(zh, en, "<br>")}</span>'
            unit = f'<span class="hc-unit">{_e(_s(first.unit))}</span>'
            if "*" in cells or not cols:
                row_cells = [_leaf_html(cells.get("*", first))]
                span = max(len(cols), 1)
                body.append(f"<tr><td>{label}</td><td>{_e(other)}</td><td>{unit}</td>"
                            f'<td colspan="{span}">{row_cells[0]}</td></tr>')
            else:
                tds = "".join(f"<td>{_leaf_html(cells[f]) if f in cells else '—'}</td>" for f in cols)
                body.append(f"<tr><td>{label}</td><td>{_e(other)}</td><td>{unit}</td>{tds}</tr>")
        zh, en = care_names.get(care, (care, care))
        out.append(f'<div class="hc-care">{_bi(zh, en)} <code>{_e(care)}</code></div>'
                   "<table><thead><tr>" + "".join(f"<th>{h}</th>" for h in head)
                   + "</tr></thead><tbody>" + "".join(body) + "</tbody></table>")
    return "".join(out)


def _override_key(row) -> str:
    cell = ".".join(_cell(row.cell).values())
    return row.parameter + (f".{cell}" if cell else "")


def _blanks(scheme, table: pd.DataFrame, whose: str = "", open_: bool = True) -> str:
    """Cells the document leaves blank (grouped by parameter) and the file's noted gaps."""
    blank = table[(table["kind"] == "not_stated") & ~table["overridden"].astype(bool)]
    parts = []
    if not blank.empty:
        rows = []
        for path, g in blank.groupby("parameter", sort=False):
            first = g.iloc[0]
            cells = ", ".join(c for c in g["cell"] if c) or "all 全部"
            cite = " ".join(x for x in (f"doc {_s(first['doc'])}", _s(first["article"])) if x)
            rows.append([f"<code>{_e(path)}</code><br><span class=hc-note>{_e(_s(first['description']))}</span>",
                         _e(cells), _e(_s(first["unit"])), _e(cite),
                         f"<code>{_e(_override_key(first))}</code>"])
        parts.append(_table(["参数 parameter", "单元 cells", "单位 unit", "来源 source",
                             "override key, e.g."], rows))
        parts.append('<p class="hc-note">A calculation that needs one of these raises '
                     "NotStatedError until you supply it: <code>load_scheme(..., overrides={key: "
                     "value})</code>. 计算用到这些空白时须先给出假设。</p>")
    gaps = list(getattr(scheme.meta, "gaps", None) or [])
    if gaps:
        parts.append('<div class="hc-note">Gaps noted in the file 文件注明的空白:</div><ul>'
                     + "".join(f"<li>{_e(g)}</li>" for g in gaps) + "</ul>")
    if not parts:
        return ""
    n = blank["parameter"].nunique()
    return (f"<details{' open' if open_ else ''}><summary>待补充的空白 Blanks that need assumptions "
            f"({n}){whose}</summary>"
            + "".join(parts) + "</details>")


def _overrides(table: pd.DataFrame) -> str:
    over = table[table["overridden"].astype(bool)]
    if over.empty:
        return ""
    rows = [[f"<code>{_e(_override_key(r))}</code>", _e(_value(r.value, r.unit)), _e(_s(r.permitted)),
             "<span class=hc-blank>outside 超出</span>" if r.outside_document else "within 范围内"]
            for r in over.itertuples(index=False)]
    return (f"<details open><summary>假设与改革 Overrides ({len(over)})</summary>"
            + _table(["参数 parameter", "值 value used", "文件规定 document", ""], rows) + "</details>")


def scheme_html(scheme) -> str:
    """A scheme at a glance (used by ``Scheme._repr_html_``).

    Reads only ``id``, ``title``, ``meta``, ``variant``, ``variants``, ``categories``,
    ``facilities``, ``care_types``, ``parameter_table()`` and ``codes_table()``.
    """
    meta = scheme.meta
    table = scheme.parameter_table()
    codes = _codes(scheme)
    head = (f'<div class="hc-title">{_e(meta.title.zh)}</div>'
            f'<div class="hc-en">{_e(scheme.title)}</div>'
            f'<div><code>{_e(scheme.id)}</code> · {_e(meta.kind)}'
            + (f" · variant 档次 <code>{_e(scheme.variant)}</code>" if scheme.variant else "")
            + "</div>")
    rows = [["文件 document", _document(meta)]]
    dims = [("variant", scheme.variants), ("category", scheme.categories),
            ("facility", scheme.facilities), ("care", scheme.care_types)]
    for dim, present in dims:
        if present or dim != "variant":
            zh, en = _DIMS[dim]
            known = codes.get(dim, {})
            listed = {c: known.get(c, (c, c)) for c in present}
            rows.append([_bi(zh, en), _code_list(listed, scheme.variant if dim == "variant" else None)])
    summary = f'<p class="hc-note">{_e(meta.summary)}</p>' if getattr(meta, "summary", None) else ""
    info = ("<table><tbody>" + "".join(f"<tr><th>{a}</th><td>{b}</td></tr>" for a, b in rows)
            + "</tbody></table>")
    glance = ("<details open><summary>待遇一览 Benefits at a glance</summary>"
              + _benefit_glance(scheme, table, codes) + "</details>")
    foot = ('<p class="hc-note">Every value with its kind, range and source: '
            "<code>.parameter_table()</code>; codes: <code>.codes_table()</code>. "
            "每个参数的来源见 parameter_table()。</p>")
    return _wrap("scheme", head + summary + info + _overrides(table) + _blanks(scheme, table)
                 + glance + foot)


# ---------------------------------------------------------------------------------------------
# Aggregate loss

_CHART_SIZE = (360, 120)


def aggregate_loss_html(agg, *, chart: bool = True) -> str:
    """Mean, sd, VaR and TVaR of the fund's annual payments and a small density chart (used by
    ``AggregateLoss._repr_html_``). Reads ``summary()``, ``frame()``, ``method`` and the
    class name."""
    from healthcover import plotting

    s = agg.summary()
    labels = {"mean": ("均值", "mean"), "sd": ("标准差", "sd"), "skewness": ("偏度", "skewness")}
    rows = []
    for key, val in s.items():
        key = str(key)
        if key in labels:
            zh, en = labels[key]
        elif key.startswith("TVaR"):
            zh, en = "尾部风险价值 " + key[5:], key
        elif key.startswith("VaR"):
            zh, en = "风险价值 " + key[4:], key
        else:
            zh, en = key, key
        shown = _num(val, 3) if key == "skewness" else _num(val, 0)
        rows.append([_bi(zh, en), shown])
    table = _table(["", "CNY 元"], rows, num=[1])
    figure = ""
    if chart:
        marks = {k: v for k, v in s.items() if str(k).startswith(("VaR", "TVaR"))}
        try:
            c = plotting.aggregate_loss_chart(agg.frame(200), marks, title=None,
                                              width=_CHART_SIZE[0], height=_CHART_SIZE[1])
            figure = f'<div class="hc-chart">{plotting.unique_svg_ids(plotting.chart_svg(c, "en"))}</div>'
        except Exception as exc:  # the numbers still show; the reason is on the page
            figure = (f'<p class="hc-blank">chart not drawn 图未生成: {_e(type(exc).__name__)}: '
                      f"{_e(exc)}</p>")
    head = (f'<div class="hc-title">年度基金支付 S 的分布 '
            f'<span class="hc-en">Distribution of the fund\'s annual payments S</span></div>'
            f'<div class="hc-note">{_e(type(agg).__name__)} · method {_e(agg.method)}</div>')
    body = ('<div style="display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start">'
            f"<div>{table}</div>{figure}</div>")
    return _wrap("aggregate", head + body)


# ---------------------------------------------------------------------------------------------
# Population


def _weighted_mean(values: pd.Series, weights: pd.Series | None) -> float:
    v = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    w = None if weights is None else pd.to_numeric(weights, errors="coerce").to_numpy(dtype=float)
    ok = np.isfinite(v) if w is None else np.isfinite(v) & np.isfinite(w)
    if not ok.any():
        return float("nan")
    if w is None:
        return float(v[ok].mean())
    total = w[ok].sum()
    return float((v[ok] * w[ok]).sum() / total) if total > 0 else float("nan")


def population_html(population) -> str:
    """Households, persons and claims in numbers (used by ``Population._repr_html_``). Reads
    ``households``, ``persons``, ``claims``, ``scheme_id`` and ``info``."""
    hh, persons, claims = population.households, population.persons, population.claims
    facilities = population.scheme_id or "generic levels 通用级别"
    head = (f'<div class="hc-title">人群 <span class="hc-en">Population</span></div>'
            f'<div class="hc-note">facility and category codes 机构与类别编码: {_e(facilities)}'
            + "".join(f" · {_e(k)} {_e(v)}" for k, v in (population.info or {}).items()
                      if not isinstance(v, Mapping))
            + "".join(f" · {_e(k)}: " + ", ".join(f"{_e(a)}={_e(b)}" for a, b in v.items())
                      for k, v in (population.info or {}).items() if isinstance(v, Mapping) and v)
            + "</div>")
    w = hh["weight"] if "weight" in hh.columns else None
    rows = [[_bi("住户", "households"), _num(len(hh), 0)],
            [_bi("人", "persons"), _num(len(persons), 0)],
            [_bi("就诊记录", "claims"), _num(len(claims), 0)]]
    if w is not None:
        rows.append([_bi("代表住户数(权重合计)", "households represented (sum of weights)"),
                     _num(pd.to_numeric(w, errors="coerce").sum(), 0)])
    if "size" in hh.columns:
        rows.append([_bi("户均人口(加权)", "mean household size (weighted)"),
                     _num(_weighted_mean(hh["size"], w), 2)])
    if "consumption" in hh.columns:
        rows.append([_bi("户均消费(加权,元)", "mean household consumption (weighted, CNY)"),
                     _num(_weighted_mean(hh["consumption"], w), 0)])
        if "food" in hh.columns:
            share = pd.to_numeric(hh["food"], errors="coerce") / pd.to_numeric(hh["consumption"], errors="coerce")
            rows.append([_bi("食品支出占消费比例(户均,加权)", "mean food share of consumption (weighted)"),
                         _pct(_weighted_mean(share.where(np.isfinite(share)), w), 1)])
    if "cost" in claims.columns:
        rows.append([_bi("医疗费用合计(元)", "total cost of claims (CNY)"),
                     _num(pd.to_numeric(claims["cost"], errors="coerce").sum(), 0)])
    summary = _table(["", ""], rows, num=[1])
    extra = ""
    if "category" in persons.columns and len(persons):
        counts = persons["category"].value_counts(sort=False, dropna=False)
        extra += ("<div class=hc-care>人员类别 <span class=hc-en>persons by category</span></div>"
                  + _table(["category", "persons"],
                           [[f"<code>{_e(k)}</code>", _num(v, 0)] for k, v in counts.items()], num=[1]))
    if {"care", "facility", "cost"} <= set(claims.columns) and len(claims):
        cost = pd.to_numeric(claims["cost"], errors="coerce")
        g = cost.groupby([claims["care"], claims["facility"]], sort=True, dropna=False).agg(["size", "mean", "sum"])
        extra += ("<div class=hc-care>就诊记录 <span class=hc-en>claims by care type and facility</span></div>"
                  + _table(["care", "facility", "claims", "mean cost (CNY)", "total (CNY)"],
                           [[f"<code>{_e(c)}</code>", f"<code>{_e(f)}</code>", _num(r["size"], 0),
                             _num(r["mean"], 2, trim=False), _num(r["sum"], 0)] for (c, f), r in g.iterrows()],
                           num=[2, 3, 4]))
    body = ('<div style="display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start">'
            f"<div>{summary}</div><div>{extra}</div></div>")
    return _wrap("population", head + body)


# ---------------------------------------------------------------------------------------------
# Composed schemes


def _scheme_line(scheme) -> str:
    v = f" · variant <code>{_e(scheme.variant)}</code>" if scheme.variant else ""
    return f"{_bi(scheme.meta.title.zh, scheme.title)} <code>{_e(scheme.id)}</code>{v}"


def composed_html(composed) -> str:
    """A basic scheme followed by a secondary payer (used by ``Composed._repr_html_``). Reads
    ``basic``, ``secondary``, ``care_map``, ``category_column`` and ``identities_column``, and
    each scheme's public API as :func:`scheme_html` does."""
    basic, secondary = composed.basic, composed.secondary
    head = (f'<div class="hc-title">组合 <span class="hc-en">Composed payers</span></div>'
            f"<table><tbody><tr><th>1. 基本医保 basic scheme</th><td>{_scheme_line(basic)}</td></tr>"
            f"<tr><th>2. 补充支付 secondary payer</th><td>{_scheme_line(secondary)}</td></tr>"
            f"<tr><th>身份列 category columns</th><td><code>{_e(composed.category_column)}</code>, "
            f"<code>{_e(composed.identities_column)}</code> "
            f'<span class="hc-note">(in persons, or in claims without persons)</span></td></tr>'
            "</tbody></table>")
    bcodes, scodes = _codes(basic), _codes(secondary)
    rows = []
    for care in basic.care_types:
        zh, en = bcodes.get("care", {}).get(care, (care, care))
        if care not in composed.care_map:
            target = ('<span class="hc-blank">no counterpart 无对应</span> <span class="hc-note">'
                      "(claims of covered persons raise; pass care_map)</span>")
        elif composed.care_map[care] is None:
            target = '<span class="hc-note">secondary pays nothing 不予补助</span>'
        else:
            to = composed.care_map[care]
            szh, sen = scodes.get("care", {}).get(to, (to, to))
            target = f"<code>{_e(to)}</code> {_bi(szh, sen)}"
        rows.append([f"<code>{_e(care)}</code> {_bi(zh, en)}", target])
    care = ("<div class=hc-care>就医类型对应 <span class=hc-en>care types, basic → secondary</span></div>"
            + _table(["basic", "secondary"], rows))
    idents = _code_list({c: scodes.get("category", {}).get(c, (c, c)) for c in secondary.categories})
    ident = ("<div class=hc-care>补充支付的身份 <span class=hc-en>identities the secondary payer "
             f"covers</span></div><div>{idents}</div>")
    s_table = secondary.parameter_table()
    glance = ("<details><summary>补充支付待遇 Secondary payer's benefits</summary>"
              + _benefit_glance(secondary, s_table, scodes) + "</details>")
    blanks = (_blanks(basic, basic.parameter_table(), f": {_e(basic.id)}", open_=False)
              + _blanks(secondary, s_table, f": {_e(secondary.id)}", open_=False))
    return _wrap("composed", head + care + ident + glance + blanks)
