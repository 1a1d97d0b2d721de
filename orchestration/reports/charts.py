"""Plotly figures of the KPI report, rendered as offline `<div>`s.

Plotly because one call inlines its whole runtime: the report opens from a mail attachment or a
shared drive with no network. plotly.js is inlined ONCE in the page head (`plotly_js_tag`); each
chart is then a div + a small inline script (`include_plotlyjs=False`).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs
from plotly.subplots import make_subplots

from orchestration.reports.render import TIMES, Kind

GREEN = "#2e7d32"
RED = "#c62828"
BLUE = "#1a5fb4"
GREY = "#9aa5b1"
LIGHT_GREY = "#c3cad3"
# A period's figures: final, provisional (complete, but refunds can still arrive) or incomplete
# (a source did not cover all of it). Only final periods are drawn as the trend.
FINAL, PROVISIONAL, INCOMPLETE = "final", "provisional", "incomplete"
STATE_SYMBOLS = {FINAL: "circle", PROVISIONAL: "circle-open", INCOMPLETE: "x-open"}
STATE_PATTERNS = {FINAL: "", PROVISIONAL: "/", INCOMPLETE: "x"}
PALE = {RED: "#eba8a8", GREEN: "#a9cfab"}  # the sign colours of a bar that is not final
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class TrendKpi:
    """A KPI drawn in the trend charts: its column, its label, how its axis reads."""

    column: str
    label: str
    kind: Kind


def plotly_js_tag() -> str:
    """plotly.js inlined in one <script> (no src), so the page needs no network."""
    return f'<script type="text/javascript">{get_plotlyjs()}</script>'


def to_div(fig: go.Figure | None, div_id: str, height: int, empty_text: str = "No data") -> str:
    """The figure's offline div; a placeholder with the same id when there is nothing to draw."""
    if fig is None:
        return (
            f'<div id="{html.escape(div_id)}" class="chart empty">{html.escape(empty_text)}</div>'
        )
    fig.update_layout(
        template="plotly_white",
        height=height,
        margin={"l": 60, "r": 20, "t": 50, "b": 40},
        font={"family": "Segoe UI, Roboto, Arial, sans-serif", "size": 12},
    )
    inner = pio.to_html(
        fig,
        full_html=False,
        include_plotlyjs=False,
        div_id=div_id,
        default_height=f"{height}px",
        config={"displaylogo": False, "responsive": True},
    )
    return f'<div class="chart">{inner}</div>'


def _axis_format(kind: Kind, currency: str) -> dict[str, str]:
    if kind == "pct":
        return {"tickformat": ".2~%"}
    if kind == "money":
        # `~` drops trailing zeros: whole amounts stay whole, a narrow axis (CAC from 11 to 13)
        # keeps its halves apart instead of printing 11, 11, 12, 12
        return {"tickformat": ",.2~f", "tickprefix": currency}
    if kind == "ratio":
        return {"tickformat": ".2f", "ticksuffix": TIMES}
    return {}


def trend_figure(
    frame: pd.DataFrame,
    label_column: str,
    kpis: Sequence[TrendKpi],
    currency: str,
    cols: int = 4,
) -> go.Figure | None:
    """Small multiples, one panel per KPI over the same periods (months or weeks).

    Margin after ad spend is drawn as bars coloured by sign because its message is the sign
    (the team is paid on it); the other KPIs are lines. `frame["state"]` (FINAL, PROVISIONAL,
    INCOMPLETE) says which periods are settled: the trend line stops at the last final period
    and the others are drawn apart, grey and dashed (bars: pale and hatched), so that a
    provisional dip or jump never reads as a trend.
    """
    if frame.empty:
        return None
    states = frame["state"].astype(str).tolist()
    rows = -(-len(kpis) // cols)
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=[k.label for k in kpis],
        vertical_spacing=0.28,
        horizontal_spacing=0.06,
    )
    labels = frame[label_column].astype(str).tolist()
    for index, kpi in enumerate(kpis):
        row, col = index // cols + 1, index % cols + 1
        values = pd.to_numeric(frame[kpi.column], errors="coerce")
        if kpi.column == "margin_after_ad_spend":
            traces = [_margin_bars(labels, values, states, kpi.label)]
        else:
            traces = _trend_lines(labels, values, states, kpi.label)
        for trace in traces:
            fig.add_trace(trace, row=row, col=col)
        fig.update_yaxes(row=row, col=col, **_axis_format(kpi.kind, currency))
        fig.update_xaxes(row=row, col=col, type="category", tickangle=-45, tickfont={"size": 10})
    fig.update_annotations(font_size=13)
    return fig


def _margin_bars(labels: list[str], values: pd.Series, states: list[str], name: str) -> go.Bar:
    """Bars coloured by sign; a period that is not final is pale and hatched."""
    colours = []
    for value, state in zip(values.fillna(0), states, strict=True):
        colour = RED if value < 0 else GREEN
        colours.append(colour if state == FINAL else PALE[colour])
    return go.Bar(
        x=labels,
        y=values,
        marker={
            "color": colours,
            "pattern": {"shape": [STATE_PATTERNS[s] for s in states], "fgcolor": GREY},
        },
        customdata=states,
        hovertemplate="%{x}: %{y:,.0f} (%{customdata})<extra></extra>",
        name=name,
        showlegend=False,
    )


def _trend_lines(
    labels: list[str], values: pd.Series, states: list[str], name: str
) -> list[go.Scatter]:
    """The final periods as the trend (blue, solid), the others apart (grey, dashed)."""
    final = pd.Series([s == FINAL for s in states], index=values.index)
    lines = [
        go.Scatter(
            x=labels,
            y=values.where(final),
            mode="lines+markers",
            line={"color": BLUE, "width": 2},
            name=name,
            showlegend=False,
            connectgaps=False,
        )
    ]
    if (~final).any():
        lines.append(
            go.Scatter(
                x=labels,
                y=values.where(~final),
                mode="lines+markers",
                line={"color": GREY, "width": 2, "dash": "dash"},
                marker={
                    "symbol": [STATE_SYMBOLS[s] for s in states],
                    "size": 8,
                    "color": [LIGHT_GREY if s == INCOMPLETE else GREY for s in states],
                },
                customdata=states,
                hovertemplate="%{x}: %{y} (%{customdata})<extra></extra>",
                name=f"{name} (not final)",
                showlegend=False,
                connectgaps=False,
            )
        )
    return lines


def channel_figure(channels: pd.DataFrame, currency: str) -> go.Figure | None:
    """Ad spend next to margin after ad spend per channel: red where spend loses money."""
    if channels.empty:
        return None
    colours = [RED if flag else GREEN for flag in channels["is_unprofitable"]]
    fig = go.Figure()
    fig.add_trace(
        go.Bar(x=channels["channel"], y=channels["ad_spend"], name="Ad spend", marker_color=GREY)
    )
    fig.add_trace(
        go.Bar(
            x=channels["channel"],
            y=channels["margin_after_ad_spend"],
            name="Margin after ad spend",
            marker_color=colours,
        )
    )
    fig.update_layout(
        title="Margin after ad spend by channel (red: unprofitable)",
        barmode="group",
        legend={"orientation": "h", "y": 1.12, "x": 1, "xanchor": "right"},
    )
    fig.update_yaxes(**_axis_format("money", currency))
    return fig


def campaign_figure(campaigns: pd.DataFrame, currency: str, top: int = 20) -> go.Figure | None:
    """The campaigns that lose the most first, so the ones to cut are at the top."""
    if campaigns.empty:
        return None
    shown = campaigns.sort_values("margin_after_ad_spend").head(top).iloc[::-1]
    labels = (shown["platform"].astype(str) + " · " + shown["campaign_label"].astype(str)).tolist()
    fig = go.Figure(
        go.Bar(
            x=shown["margin_after_ad_spend"],
            y=labels,
            orientation="h",
            marker_color=[RED if f else GREEN for f in shown["is_unprofitable"]],
            customdata=shown[["spend"]].to_numpy(),
            hovertemplate="%{y}<br>margin after ad spend %{x:,.0f}<br>spend %{customdata[0]:,.0f}"
            "<extra></extra>",
        )
    )
    fig.update_layout(title=f"Margin after ad spend by campaign (worst {len(shown)})")
    fig.update_xaxes(**_axis_format("money", currency))
    return fig


def support_heatmap(grid: pd.DataFrame) -> go.Figure | None:
    """Weekday x hour share of tickets, with the service's opening hours outlined.

    `grid` has weekday_index (0 = Monday), hour, share, per_100_orders, is_business_hours. The
    outline is what makes the point: demand outside the boxes is demand nobody answers.
    """
    if grid.empty or grid["tickets"].sum() == 0:
        return None

    def cells(values: str) -> pd.DataFrame:
        return grid.pivot_table(index="weekday_index", columns="hour", values=values).reindex(
            index=range(7), columns=range(24)
        )

    fig = go.Figure(
        go.Heatmap(
            z=cells("share").fillna(0.0).to_numpy(),
            x=list(range(24)),
            y=list(range(7)),
            colorscale="Blues",
            colorbar={"title": {"text": "share"}, "tickformat": ".1%"},
            customdata=cells("per_100_orders").to_numpy(),
            hovertemplate="day %{y}, %{x}:00<br>share of tickets %{z:.1%}"
            "<br>tickets per 100 orders %{customdata:.1f}<extra></extra>",
        )
    )
    for first, last, start, end in opening_blocks(grid):
        fig.add_shape(
            type="rect",
            x0=start - 0.5,
            x1=end + 0.5,
            y0=first - 0.5,
            y1=last + 0.5,
            line={"color": "#f0a202", "width": 3},
        )
    fig.update_yaxes(tickvals=list(range(7)), ticktext=list(WEEKDAYS), autorange="reversed")
    fig.update_xaxes(tickvals=list(range(0, 24, 2)), title="hour of day (shop time)")
    fig.update_layout(
        title="Share of support tickets by weekday and hour (outlined: opening hours)"
    )
    return fig


def opening_blocks(grid: pd.DataFrame) -> list[tuple[int, int, int, int]]:
    """Opening hours as rectangles: consecutive weekdays with the same hours form one block.

    Returns (first weekday, last weekday, first hour, last hour); Mon-Fri 9-17 is one box.
    """
    open_cells = grid[grid["is_business_hours"]]
    spans = open_cells.groupby("weekday_index")["hour"].agg(["min", "max"])
    blocks: list[tuple[int, int, int, int]] = []
    for weekday, (start, end) in spans.iterrows():
        day, start, end = int(weekday), int(start), int(end)
        if blocks and blocks[-1][1] == day - 1 and blocks[-1][2:] == (start, end):
            blocks[-1] = (blocks[-1][0], day, start, end)
        else:
            blocks.append((day, day, start, end))
    return blocks


def stockout_figure(by_sku: pd.DataFrame, currency: str, top: int = 15) -> go.Figure | None:
    """Spend per out-of-stock sku: the money that sent customers to something unbuyable."""
    if by_sku.empty:
        return None
    shown = by_sku.head(top).iloc[::-1]
    labels = shown["sku"].astype(str) + " · " + shown["product_name"].fillna("").astype(str)
    fig = go.Figure(go.Bar(x=shown["spend"], y=labels.tolist(), orientation="h", marker_color=RED))
    fig.update_layout(title=f"Ad spend while out of stock, by sku (top {len(shown)})")
    fig.update_xaxes(**_axis_format("money", currency))
    return fig
