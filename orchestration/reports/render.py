"""HTML building blocks shared by the KPI report and the picking sheets.

Plain functions over `html.escape` rather than a template engine: the pages are small, the
package ships no data files to forget in a wheel, and every cell stays testable. Tables carry
the raw value of each number in `data-value` so tests (and curious users) can compare the
rendered page with the mart exactly, whatever the display format.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

Kind = Literal["pct", "money", "ratio", "int", "number", "text", "date"]

NULL_TEXT = "\u2013"  # en dash: a null (ratio over 0), never shown as 0
TIMES = "\u00d7"  # the multiplication sign of ROAS (4.20x)

STATUS_COLOURS: dict[str, str] = {
    "on_track": "#2e7d32",
    "at_risk": "#f0a202",
    "off_track": "#c62828",
    "no_data": "#9e9e9e",
    "provisional": "#9aa5b1",
}
STATUS_LABELS: dict[str, str] = {
    "on_track": "On track",
    "at_risk": "At risk",
    "off_track": "Off track",
    "no_data": "No data",
    "provisional": "Provisional",
}

CSS = """
:root { --fg:#1f2933; --muted:#616e7c; --line:#e4e7eb; --bg:#ffffff; --band:#f5f7fa; }
* { box-sizing: border-box; }
body { font-family: -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color: var(--fg); background: var(--bg); margin: 0; padding: 0 28px 40px; font-size: 14px; }
h1 { font-size: 24px; margin: 18px 0 6px; }
h2 { font-size: 19px; margin: 30px 0 8px; padding-top: 10px; border-top: 2px solid var(--line); }
h3 { font-size: 15px; margin: 18px 0 6px; color: var(--muted); }
p.note { color: var(--muted); margin: 4px 0 10px; max-width: 1100px; }
.banner { margin: 0 -28px; padding: 10px 28px; font-weight: 700; letter-spacing: .04em; }
.banner.demo { background: #fff3cd; color: #7a4f01; border-bottom: 3px solid #f0a202; }
.banner.warn { background: #fde2e1; color: #8a1c1c; border-bottom: 3px solid #c62828; }
dl.meta { display: grid; grid-template-columns: max-content auto max-content auto;
          gap: 2px 14px; margin: 6px 0 10px; color: var(--muted); }
dl.meta dt { font-weight: 600; } dl.meta dd { margin: 0; color: var(--fg); }
nav a { margin-right: 14px; color: #1a5fb4; text-decoration: none; }
table { border-collapse: collapse; margin: 6px 0 12px; }
th, td { padding: 5px 10px; border-bottom: 1px solid var(--line); text-align: left; }
th { background: var(--band); font-weight: 600; white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.unprofitable td { background: #fde2e1; }
tr.unprofitable td:first-child { border-left: 4px solid #c62828; }
span.status { display: inline-block; padding: 2px 10px; border-radius: 10px; color: #fff;
              font-weight: 600; font-size: 12px; }
.chart { width: 100%; }
.empty { color: var(--muted); font-style: italic; padding: 12px 0; }
tr.provisional td, tr.incomplete td { color: #8a94a0; background: #f5f7fa; font-style: italic; }
tr.incomplete td:first-child { border-left: 4px dashed #c3cad3; }
span.status.status-provisional { border: 1px dashed #616e7c; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 18px; margin: 4px 0 10px; color: var(--muted); }
.legend .swatch { display: inline-block; width: 26px; height: 0; margin: 0 6px 3px 0;
                  vertical-align: middle; border-top: 3px solid #1a5fb4; }
.legend .swatch.provisional { border-top: 3px dashed #9aa5b1; }
.legend .swatch.incomplete { border-top: 3px dotted #c3cad3; }
.tag { display:inline-block; padding:1px 6px; border-radius:4px; background:#fde2e1;
       color:#8a1c1c; font-size:12px; font-weight:600; }
"""


def is_null(value: Any) -> bool:
    """None, NaN, NaT and pd.NA alike: the marts' nulls reach us in all these shapes."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def format_value(value: Any, kind: Kind, currency: str = "€") -> str:
    """A number as a store manager or director reads it; null is an en dash, never 0."""
    if is_null(value):
        return NULL_TEXT
    if kind == "text":
        return str(value)
    if kind == "date":
        return str(value)[:10]
    number = float(value)
    if kind == "pct":
        return f"{number * 100:.1f} %"
    if kind == "money":
        decimals = 0 if abs(number) >= 1000 else 2
        sign = "-" if number < 0 else ""
        return f"{sign}{currency}{abs(number):,.{decimals}f}"
    if kind == "ratio":
        return f"{number:.2f}{TIMES}"
    if kind == "int":
        return f"{round(number):,}"
    return f"{number:,.2f}"


def raw_value(value: Any) -> str:
    """The exact cell value for `data-value` (repr of floats round-trips)."""
    if is_null(value):
        return ""
    if isinstance(value, float):
        return repr(value)
    if hasattr(value, "item"):
        return raw_value(value.item())
    return str(value)


def status_badge(status: str) -> str:
    colour = STATUS_COLOURS.get(status, STATUS_COLOURS["no_data"])
    label = STATUS_LABELS.get(status, status)
    return (
        f'<span class="status status-{html.escape(status)}" style="background:{colour}">'
        f"{html.escape(label)}</span>"
    )


@dataclass(frozen=True)
class Column:
    """One table column: the frame key, its header, and how to show its value."""

    key: str
    header: str
    kind: Kind = "text"
    cell: Callable[[dict[str, Any]], str] | None = None  # custom inner HTML (already escaped)


def html_table(
    rows: Iterable[dict[str, Any]],
    columns: Sequence[Column],
    table_id: str,
    row_class: Callable[[dict[str, Any]], str] | None = None,
    currency: str = "€",
) -> str:
    """An HTML table whose cells carry `data-col` and `data-value` for exact comparisons."""
    head = "".join(
        f'<th class="{"num" if c.kind not in ("text", "date") else ""}">'
        f"{html.escape(c.header)}</th>"
        for c in columns
    )
    body = []
    for row in rows:
        cls = row_class(row) if row_class else ""
        cells = []
        for c in columns:
            value = row.get(c.key)
            inner = c.cell(row) if c.cell else html.escape(format_value(value, c.kind, currency))
            num = ' class="num"' if c.kind not in ("text", "date") else ""
            cells.append(
                f'<td{num} data-col="{html.escape(c.key)}" '
                f'data-value="{html.escape(raw_value(value))}">{inner}</td>'
            )
        body.append(f'<tr class="{cls}">{"".join(cells)}</tr>')
    return (
        f'<table id="{html.escape(table_id)}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def page(title: str, body: str, head_extra: str = "") -> str:
    """A complete, self-contained HTML document (inline CSS; scripts inlined by the caller)."""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{CSS}</style>{head_extra}</head>"
        f"<body>{body}</body></html>\n"
    )


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A GitHub-flavoured markdown table, for Dagster UI metadata previews."""

    def clean(cell: str) -> str:
        return str(cell).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(clean(h) for h in headers) + " |"]
    lines.append("|" + "|".join("---" for _ in headers) + "|")
    lines += ["| " + " | ".join(clean(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)
