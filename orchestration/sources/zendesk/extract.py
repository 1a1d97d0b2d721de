"""Support tickets (Zendesk incremental ticket export, cursor based) with their metric sets.

Particular to Zendesk: one export stream from a start time (its rate limit is 10 requests a
minute, so a range of days reads one stream), ordered by `generated_timestamp`, not `updated_at`:
a ticket updated on D can come after tickets updated on D+1, so no day is complete before the
end of the stream. Every day of the range is therefore open until `end_of_stream` and each ticket
lands in the day of its `updated_at`. Sideloaded `metric_sets` must come with every page, and
tickets carry personal data: every field the marts do not need is dropped *before* anything
lands, rejects included.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator, Mapping
from contextlib import ExitStack
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from orchestration.lib.extract import ExtractRun, extract_asset
from orchestration.lib.http import ApiClient, Auth, basic_auth_forms
from orchestration.lib.landing import (
    DayLanding,
    InvalidRecord,
    parse_count,
    parse_utc,
    required,
    to_json,
)
from orchestration.lib.partitions import day_bounds_utc
from orchestration.sources.zendesk.landing import DATASETS, SOURCE

EXPORT_PATH = "/api/v2/incremental/tickets/cursor.json"
#: Zendesk's documented limit of the incremental export endpoints (30 with the High Volume API
#: add-on). Once a 429 shows the limit is reached, calls are spaced to keep to it.
EXPORT_REQUESTS_PER_MINUTE = 10
DURATIONS = ("reply_time_in_minutes", "full_resolution_time_in_minutes")


def zendesk_auth(email: str, api_token: str) -> Auth:
    """Zendesk API tokens use basic auth with the user `{email}/token`."""
    user = f"{email}/token"
    return Auth(basic=(user, api_token), secrets=basic_auth_forms(user, api_token))


def zendesk_cursor_pages(
    client: ApiClient, path: str, params: Mapping[str, Any], sticky: tuple[str, ...] = ()
) -> Iterator[dict[str, Any]]:
    """Zendesk cursor-based incremental export: follow `after_url` until `end_of_stream`.

    The `sticky` params (sideloads such as `include`) hold for every page: a cursor URL that
    drops them gets them back, otherwise the next pages would silently come without them.
    """
    url: str | None = path
    query: Mapping[str, Any] | None = params
    kept = {name: params[name] for name in sticky if name in params}
    while url:
        page = client.get_json(url, params=query)
        client.stats.pages += 1
        yield page
        if page.get("end_of_stream", True):
            return
        url = page.get("after_url")
        if url:
            present = parse_qs(urlsplit(url).query)
            query = {k: v for k, v in kept.items() if k not in present} or None
        elif page.get("after_cursor"):
            url, query = path, {"cursor": page["after_cursor"], **kept}


class MissingMetricSet(RuntimeError):
    """A ticket came without the metric set `include=metric_sets` asked for."""


def whitelisted(
    ticket: Mapping[str, Any], metric_set: Mapping[str, Any], order_field_id: str
) -> dict[str, Any]:
    """The only ticket fields that may land: the list the marts need, built key by key.

    Subjects, descriptions, requester names and emails and every other custom field (free text)
    never enter the dict, so neither the row, its payload nor a reject can carry them.
    """
    return {
        "id": ticket.get("id"),
        "created_at": ticket.get("created_at"),
        "updated_at": ticket.get("updated_at"),
        "generated_timestamp": ticket.get("generated_timestamp"),
        "status": ticket.get("status"),
        "via": {"channel": (ticket.get("via") or {}).get("channel")},
        "tags": [str(tag) for tag in ticket.get("tags") or []],
        "custom_fields": [
            {"id": field.get("id"), "value": field.get("value")}
            for field in ticket.get("custom_fields") or []
            if str(field.get("id")) == order_field_id
        ],
        "satisfaction_rating": {"score": (ticket.get("satisfaction_rating") or {}).get("score")},
        "metric_set": {
            **{
                key: {
                    "calendar": (metric_set.get(key) or {}).get("calendar"),
                    "business": (metric_set.get(key) or {}).get("business"),
                }
                for key in DURATIONS
            },
            "reopens": metric_set.get("reopens"),
            "replies": metric_set.get("replies"),
        },
    }


def _count(value: Any, field: str) -> int | None:
    """A metric that may be absent (null while the ticket is unanswered / unsolved)."""
    return None if value is None else parse_count(value, field)


def ticket_row(record: Mapping[str, Any]) -> dict[str, Any]:
    """A whitelisted ticket -> the landing row."""
    tags = record["tags"]
    order_numbers = [f["value"] for f in record["custom_fields"] if f.get("value")]
    metrics = record["metric_set"]
    return {
        "ticket_id": parse_count(required(record, "id"), "id"),
        "created_at": parse_utc(required(record, "created_at"), "created_at"),
        "updated_at": parse_utc(required(record, "updated_at"), "updated_at"),
        "status": record["status"],
        "channel": record["via"]["channel"],
        "tags": tags,
        "reason_tag": next((t for t in tags if t.startswith("reason_")), None),
        "order_number": str(order_numbers[0]) if order_numbers else None,
        "satisfaction_score": record["satisfaction_rating"]["score"],
        "first_reply_minutes": _metric(metrics, "reply_time_in_minutes", "calendar"),
        "full_resolution_minutes": _metric(metrics, "full_resolution_time_in_minutes", "calendar"),
        "first_reply_minutes_business": _metric(metrics, "reply_time_in_minutes", "business"),
        "full_resolution_minutes_business": _metric(
            metrics, "full_resolution_time_in_minutes", "business"
        ),
        "reopens": _count(metrics["reopens"], "metric_set.reopens"),
        "replies": _count(metrics["replies"], "metric_set.replies"),
        "payload": to_json(record),
    }


def _metric(metrics: Mapping[str, Any], duration: str, clock: str) -> int | None:
    return _count(metrics[duration][clock], f"{duration}.{clock}")


def whitelisted_tickets(run: ExtractRun, start: datetime) -> Iterator[dict[str, Any]]:
    """The export stream from `start` to its end, each ticket reduced to its whitelist.

    Raises MissingMetricSet for a ticket without its metric set: landing it with empty metrics
    would read as "not answered yet" in the marts.
    """
    credentials = run.settings.credentials
    client = run.client(
        zendesk_auth(credentials["ZENDESK_EMAIL"], credentials["ZENDESK_API_TOKEN"])
    )
    client.spacing_after_throttle = 60.0 / EXPORT_REQUESTS_PER_MINUTE
    params = {"start_time": int(start.timestamp()), "include": "metric_sets"}
    field_id = run.config.zendesk_order_field_id
    for page in zendesk_cursor_pages(client, EXPORT_PATH, params, sticky=("include",)):
        metric_sets = {str(m.get("ticket_id")): m for m in page.get("metric_sets") or []}
        for ticket in page.get("tickets") or []:
            ticket_id = ticket.get("id")
            metric_set = metric_sets.get(str(ticket_id))
            if metric_set is None and ticket_id is not None:
                raise MissingMetricSet(
                    f"{SOURCE}: ticket {ticket_id} came without its metric set although "
                    "include=metric_sets was sent; refusing to land it with empty metrics"
                )
            yield whitelisted(ticket, metric_set or {}, field_id)


class _Range:
    """The open landings of a range of days: a moment -> the day it belongs to, if any."""

    def __init__(self, run: ExtractRun, days: list[date], stack: ExitStack):
        bounds = [day_bounds_utc(d, run.config.shop_timezone) for d in days]
        self.starts = [start for start, _ in bounds]
        self.end = bounds[-1][1]
        self.landings = [stack.enter_context(run.day(d, DATASETS)) for d in days]

    def landing(self, moment: datetime) -> DayLanding | None:
        if not self.starts[0] <= moment < self.end:
            return None
        return self.landings[bisect_right(self.starts, moment) - 1]


def extract_tickets(run: ExtractRun, days: list[date]) -> dict[str, Any]:
    """One export stream for the whole range, read to `end_of_stream`; all days commit at its end.

    Reading stops at the end of the stream, not at the first `updated_at` past the range: the
    stream is ordered by `generated_timestamp`, so a ticket of the range can follow tickets of
    later days. An exception aborts every day of the range (the previous landings stay).
    """
    counts = {"tickets_outside_range": 0, "rejects_outside_range": 0}
    with ExitStack() as stack:
        days_open = _Range(run, days, stack)
        for record in whitelisted_tickets(run, days_open.starts[0]):
            _land(days_open, record, counts)
    return counts


def _land(days_open: _Range, record: dict[str, Any], counts: dict[str, int]) -> None:
    """Write one ticket to the day of its `updated_at`, or reject it in its export day.

    A ticket that cannot be read is kept in the day its export record was generated in, so
    that only the run covering that day keeps it (re-runs of other days do not repeat it).
    """
    try:
        row = ticket_row(record)
    except InvalidRecord as invalid:
        landing = days_open.landing(_generated_at(record))
        if landing is None:
            counts["rejects_outside_range"] += 1
            return
        landing.reject("tickets", record["id"], invalid.field, invalid.reason, record)
        return
    landing = days_open.landing(row["updated_at"])
    if landing is None:
        counts["tickets_outside_range"] += 1  # updated before or after the range's days
        return
    landing.write("tickets", row)


def _generated_at(record: Mapping[str, Any]) -> datetime:
    try:
        return datetime.fromtimestamp(int(record["generated_timestamp"]), UTC)
    except (TypeError, ValueError, OverflowError):
        return datetime.min.replace(tzinfo=UTC)  # no usable export time: outside every range


zendesk_tickets = extract_asset(
    "zendesk_tickets",
    source=SOURCE,
    group="retention",
    description=(
        "Zendesk support tickets updated on the day (incremental cursor export) with their "
        "reply/resolution metrics, reason tag and order number; no personal data."
    ),
)(extract_tickets)
