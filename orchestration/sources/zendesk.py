"""Support tickets (Zendesk incremental ticket export, cursor based) with their metric sets.

Particular to Zendesk: one time-ordered export stream from a start time (its rate limit is 10
requests a minute, so a range of days reads one stream, landing each day as the stream passes
it), sideloaded `metric_sets`, and tickets that carry personal data: every field sources.md does
not list is dropped *before* anything lands, rejects included.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, datetime
from typing import Any

from orchestration.lib.http import zendesk_auth
from orchestration.lib.landing import (
    DayLanding,
    Dedupe,
    InvalidRecord,
    parse_count,
    parse_utc,
    required,
    to_json,
)
from orchestration.lib.pagination import zendesk_cursor_pages
from orchestration.lib.partitions import day_bounds_utc
from orchestration.sources import ExtractRun, extract_asset

SOURCE = "zendesk"
EXPORT_PATH = "/api/v2/incremental/tickets/cursor.json"
DATASETS = {"tickets": Dedupe(("ticket_id",), "updated_at")}


def whitelisted(
    ticket: Mapping[str, Any], metric_set: Mapping[str, Any] | None, order_field_id: str
) -> dict[str, Any]:
    """The only ticket fields that may land: sources.md's list, built key by key.

    Subjects, descriptions, requester names and emails and every other custom field (free text)
    never enter the dict, so neither the row, its payload nor a reject can carry them.
    """
    metric_set = metric_set or {}
    return {
        "id": ticket.get("id"),
        "created_at": ticket.get("created_at"),
        "updated_at": ticket.get("updated_at"),
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
            key: {"calendar": (metric_set.get(key) or {}).get("calendar")}
            for key in ("reply_time_in_minutes", "full_resolution_time_in_minutes")
        },
    }


def _minutes(value: Any, field: str) -> int | None:
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
        "first_reply_minutes": _minutes(
            metrics["reply_time_in_minutes"]["calendar"], "reply_time_in_minutes.calendar"
        ),
        "full_resolution_minutes": _minutes(
            metrics["full_resolution_time_in_minutes"]["calendar"],
            "full_resolution_time_in_minutes.calendar",
        ),
        "payload": to_json(record),
    }


class _Days:
    """Lands a time-ordered stream day after day: a day commits once the stream has passed it."""

    def __init__(self, run: ExtractRun, days: list[date]):
        self._run, self._days = run, days
        self._bounds = [day_bounds_utc(d, run.config.shop_timezone) for d in days]
        self._index = 0
        self.current: DayLanding = run.day(days[0], DATASETS).__enter__()

    @property
    def current_start(self) -> datetime:
        return self._bounds[self._index][0]

    def advance_to(self, moment: datetime) -> None:
        while self._index < len(self._days) - 1 and moment >= self._bounds[self._index][1]:
            self.current.__exit__(None, None, None)
            self._index += 1
            self.current = self._run.day(self._days[self._index], DATASETS).__enter__()

    def finish(self) -> None:
        """Commit the current day and land the rest of the range (empty days included)."""
        self.advance_to(self._bounds[-1][0])
        self.current.__exit__(None, None, None)

    def abort(self, error: BaseException) -> None:
        self.current.__exit__(type(error), error, error.__traceback__)


def whitelisted_tickets(run: ExtractRun, start: datetime) -> Iterator[dict[str, Any]]:
    """The export stream from `start`, each ticket already reduced to its whitelist."""
    credentials = run.settings.credentials
    client = run.client(
        zendesk_auth(credentials["ZENDESK_EMAIL"], credentials["ZENDESK_API_TOKEN"])
    )
    params = {"start_time": int(start.timestamp()), "include": "metric_sets"}
    field_id = run.config.zendesk_order_field_id
    for page in zendesk_cursor_pages(client, EXPORT_PATH, params):
        metric_sets = {m.get("ticket_id"): m for m in page.get("metric_sets") or []}
        for ticket in page.get("tickets") or []:
            yield whitelisted(ticket, metric_sets.get(ticket.get("id")), field_id)


def extract_tickets(run: ExtractRun, days: list[date]) -> dict[str, Any]:
    """One export stream for the whole range (the API allows 10 requests a minute)."""
    start, _ = day_bounds_utc(days[0], run.config.shop_timezone)
    _, end = day_bounds_utc(days[-1], run.config.shop_timezone)
    sequence = _Days(run, days)
    counts = {"tickets_before_range": 0, "tickets_late_for_committed_day": 0}
    try:
        for record in whitelisted_tickets(run, start):
            if not _land(sequence, record, start, end, counts):
                break  # past the range: stop reading, no further request
    except BaseException as error:
        sequence.abort(error)
        raise
    sequence.finish()
    return counts


def _land(
    sequence: _Days, record: dict[str, Any], start: datetime, end: datetime, counts: dict
) -> bool:
    """Route one ticket to its day; False once the stream is past the range."""
    try:
        row = ticket_row(record)
    except InvalidRecord as invalid:
        sequence.current.reject("tickets", record["id"], invalid.field, invalid.reason, record)
        return True
    updated = row["updated_at"]
    if updated >= end:
        return False
    if updated < start:
        counts["tickets_before_range"] += 1  # exported late (generated_timestamp > updated_at)
        return True
    sequence.advance_to(updated)
    if updated < sequence.current_start:
        counts["tickets_late_for_committed_day"] += 1
        reason = "arrived after its day was committed: re-run that day"
        sequence.current.reject("tickets", row["ticket_id"], "updated_at", reason, record)
        return True
    sequence.current.write("tickets", row)
    return True


zendesk_tickets = extract_asset(
    "zendesk_tickets",
    source=SOURCE,
    group="retention",
    description=(
        "Zendesk support tickets updated on the day (incremental cursor export) with their "
        "reply/resolution metrics, reason tag and order number; no personal data."
    ),
)(extract_tickets)
