"""Zendesk Support incremental ticket export (cursor based), with sideloaded metric_sets.

Tickets are spawned by orders (about 5 %), mostly about delivery and returns, and carry the
order's name in a custom field. They also carry what a real ticket carries and the pipeline
must not keep: subject, description, the requester's name and email (`via.source.from`), the
rating comment. `SimulatorConfig.pii_canary` writes a recognisable value into all of them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import numpy as np

from simulator.api import (
    ApiRequest,
    ApiResponse,
    WindowCounter,
    decode_cursor,
    encode_cursor,
    json_response,
)
from simulator.config import DEMO_CREDENTIALS
from simulator.faults import Faults, Record
from simulator.orders import LruCache, OrderBook, OrderDay
from simulator.rng import Stream, generator
from simulator.world import World

ORDER_NUMBER_FIELD_ID = 360_012_345_678
REASON_FIELD_ID = 360_012_345_679
TICKET_ID_BASE = 40_000
FRESHNESS_SECONDS = 60  # items changed within the last minute are not exported yet
MAX_LIFETIME_DAYS = 60  # order -> last possible ticket update
API_USER_ID = 9_000_001  # the API token's user: an admin, as the incremental export requires
REQUESTS_PER_MINUTE = 700  # Support API limit of the Enterprise plan
REASONS = (
    "reason_delivery",
    "reason_tracking",
    "reason_return",
    "reason_damaged",
    "reason_exchange",
    "reason_product",
    "reason_size",
    "reason_payment",
    "reason_other",
)
REASON_P = np.array([0.25, 0.16, 0.21, 0.05, 0.08, 0.09, 0.07, 0.05, 0.04])
REASON_DELAY_DAYS = ((1, 8), (1, 8), (5, 35), (2, 8), (5, 35), (0, 3), (3, 20), (0, 3), (0, 5))
CHANNELS = (
    "email",
    "web",
    "chat",
    "native_messaging",
    "voice",
    "instagram_dm",
    "whatsapp",
    "facebook",
)
CHANNEL_P = np.array([0.42, 0.2, 0.15, 0.09, 0.06, 0.04, 0.02, 0.02])
HOURLY = np.array(
    [
        0.2,
        0.1,
        0.05,
        0.05,
        0.05,
        0.1,
        0.3,
        0.8,
        1.6,
        2.6,
        3.0,
        3.0,
        2.6,
        2.6,
        2.8,
        2.8,
        2.6,
        2.2,
        1.9,
        1.8,
        2.0,
        2.1,
        1.5,
        0.6,
    ]
)
FIRST_NAMES = (
    "Camille",
    "Léa",
    "Hugo",
    "Manon",
    "Lucas",
    "Chloé",
    "Louis",
    "Inès",
    "Jules",
    "Emma",
)
LAST_NAMES = ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand")
SUBJECTS = {
    "reason_delivery": "Où est ma commande {order} ?",
    "reason_tracking": "Suivi colis {order}",
    "reason_return": "Retour de ma commande {order}",
    "reason_damaged": "Article abîmé {order}",
    "reason_exchange": "Échange de taille {order}",
    "reason_product": "Question produit",
    "reason_size": "Quelle taille choisir ?",
    "reason_payment": "Problème de paiement {order}",
    "reason_other": "Demande d'information",
}


@dataclass(frozen=True)
class Ticket:
    id: int
    order_name: str | None  # custom field value; None when the customer gave none
    reason: str
    channel: str
    created: int
    first_reply: int
    solved: int
    rating: str  # unoffered | offered | good | bad (final state)
    rated: int  # when the rating was given (or offered), -1 if never
    pending: bool  # waiting on the customer between reply and solve
    requester: str  # a fake full name (or the canary)

    @property
    def closed(self) -> int:
        return self.solved + 4 * 86_400  # Zendesk closes solved tickets after 4 days

    def updated_at(self, now: int) -> int:
        return max(
            t
            for t in (self.created, self.first_reply, self.solved, self.rated, self.closed)
            if 0 <= t <= now
        )


def _next_opening(local: datetime) -> datetime:
    """Start of the next business hour slot (Mon-Fri 09:00-17:00) at or after a local time."""
    day = local
    if local.weekday() < 5 and 9 <= local.hour < 17:
        return local
    if local.weekday() < 5 and local.hour < 9:
        return local.replace(hour=9, minute=0, second=0)
    day = (local + timedelta(days=1)).replace(hour=9, minute=0, second=0)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def generate_tickets(world: World, orders: OrderDay) -> list[Ticket]:
    """The tickets spawned by one day's orders (created days or weeks later)."""
    cfg, tz = world.config, world.calendar.tz
    rng = generator(cfg.seed, orders.day.toordinal(), Stream.TICKETS)
    n = len(orders)
    spawn = (rng.random(n) < cfg.sizes.ticket_rate) & ~orders.test
    reason = rng.choice(len(REASONS), size=n, p=REASON_P)
    channel = rng.choice(len(CHANNELS), size=n, p=CHANNEL_P)
    delay_u, hour, minute = (
        rng.random(n),
        rng.choice(24, size=n, p=HOURLY / HOURLY.sum()),
        rng.integers(0, 3600, size=n),
    )
    reply_min = np.clip(rng.lognormal(np.log(50), 0.9, size=n), 3, 600)
    solve_min = np.clip(rng.lognormal(np.log(18 * 60), 1.0, size=n), 10, 10 * 24 * 60)
    given, pending = rng.random(n) < 0.85, rng.random(n) < 0.3
    offered, rated, good = rng.random(n) < 0.7, rng.random(n) < 0.5, rng.random(n) < 0.85
    rate_delay = rng.integers(2 * 3600, 48 * 3600, size=n)
    names = rng.integers(0, len(FIRST_NAMES) * len(LAST_NAMES), size=n)
    tickets = []
    for j in np.flatnonzero(spawn).tolist():
        lo, hi = REASON_DELAY_DAYS[reason[j]]
        day = orders.day + timedelta(days=lo + int(delay_u[j] * (hi - lo + 1)))
        created = max(
            int(orders.created[j]) + 600,
            world.calendar.midnight_utc(day) + int(hour[j]) * 3600 + int(minute[j]),
        )
        opening = _next_opening(datetime.fromtimestamp(created, tz))
        first_reply = max(created, int(opening.timestamp())) + int(reply_min[j] * 60)
        solved = first_reply + int(solve_min[j] * 60)
        score = ("good" if good[j] else "bad") if rated[j] else "offered"
        tickets.append(
            Ticket(
                id=TICKET_ID_BASE + int(orders.number[j]) - 1000,
                order_name=f"#{int(orders.number[j])}" if given[j] else None,
                reason=REASONS[reason[j]],
                channel=CHANNELS[channel[j]],
                created=created,
                first_reply=first_reply,
                solved=solved,
                rating=score if offered[j] else "unoffered",
                rated=solved + int(rate_delay[j]) if offered[j] and rated[j] else -1,
                pending=bool(pending[j]),
                requester=cfg.pii_canary
                or f"{FIRST_NAMES[names[j] % 10]} {LAST_NAMES[names[j] // 10]}",
            )
        )
    return tickets


def _iso(epoch: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def _minutes(start: int, end: int, now: int) -> int | None:
    return (end - start) // 60 if end <= now else None


class ZendeskApi:
    def __init__(self, world: World, book: OrderBook, faults: Faults) -> None:
        self.world, self.book, self.faults = world, book, faults
        self._days: LruCache[date, list[Ticket]] = LruCache(800)
        self.minute_calls = WindowCounter(60)

    def me(self, request: ApiRequest) -> ApiResponse:
        """`GET /api/v2/users/me.json`: who the token belongs to, with the rate limit headers."""
        used = self.minute_calls.hit(request.now)
        user = {
            "id": API_USER_ID,
            "url": f"{request.base_url}/zendesk/api/v2/users/{API_USER_ID}.json",
            "name": "Support Bot",
            "email": DEMO_CREDENTIALS["ZENDESK_EMAIL"],
            "role": "admin",
            "active": True,
            "time_zone": "Paris",
            "iana_time_zone": self.world.config.timezone,
        }
        headers = {
            "X-Rate-Limit": str(REQUESTS_PER_MINUTE),
            "X-Rate-Limit-Remaining": str(max(0, REQUESTS_PER_MINUTE - used)),
        }
        return json_response(200, {"user": user}, headers)

    def tickets_of_order_day(self, day: OrderDay) -> list[Ticket]:
        return self._days.get(day.day, lambda: generate_tickets(self.world, day))

    def stream(
        self, start: int, now: int, after: tuple[int, int] | None = None, limit: int | None = None
    ) -> list[tuple[int, int, Ticket]]:
        """(updated_at, id, ticket) of tickets updated in [start, now - 1 min], in export order.

        With `after` and `limit`, order days are generated only until the first `limit` rows
        after `after` are known (a ticket is created after its order, so every ticket of a later
        order day is updated after that day's midnight): a page costs the same whatever the
        distance to `now`, instead of generating every day up to now for each page.
        """
        horizon = now - FRESHNESS_SECONDS
        calendar = self.world.calendar
        day = max(
            calendar.local_date(start) - timedelta(days=MAX_LIFETIME_DAYS),
            self.world.config.history_start,
        )
        last = calendar.local_date(now)
        out: list[tuple[int, int, Ticket]] = []
        while day <= last:
            if limit is not None and after is not None:
                floor = calendar.midnight_utc(day)
                if sum(1 for r in out if (r[0], r[1]) > after and r[0] < floor) >= limit:
                    break
            for t in self.tickets_of_order_day(self.book.day(day)):
                if t.created <= horizon and (u := t.updated_at(horizon)) >= start:
                    out.append((u, t.id, t))
            day += timedelta(days=1)
        out.sort(key=lambda x: (x[0], x[1]))
        return out

    def incremental(self, request: ApiRequest) -> ApiResponse:
        cursor, start_raw = request.arg("cursor"), request.arg("start_time")
        if cursor:
            updated, ticket_id = (int(p) for p in decode_cursor(cursor, 2))
        elif start_raw and start_raw.isdigit():
            if int(start_raw) > request.now - FRESHNESS_SECONDS:
                return json_response(
                    422,
                    {
                        "error": "InvalidValue",
                        "description": "Too recent start_time. Use a start_time "
                        "older than 1 minute",
                    },
                )
            updated, ticket_id = int(start_raw) - 1, 2**31  # just before anything at start_time
        else:
            return json_response(
                400,
                {
                    "error": "InvalidPaginationParameter",
                    "description": "start_time or cursor is required",
                },
            )
        cap = self.world.config.page_sizes.zendesk
        size = min(int(request.arg("per_page") or cap), cap)
        after_key = (updated, ticket_id)
        rows = [r for r in self.stream(updated, request.now, after_key, size) if r[:2] > after_key]
        page = rows[:size]
        tickets = [self.ticket_json(t, request) for _, _, t in page]
        tickets = self.faults.apply("zendesk", tickets, lambda r: str(r.get("url")), CORRUPTIONS)
        after = encode_cursor(*page[-1][:2]) if page else encode_cursor(updated, ticket_id)
        params = {
            "cursor": after,
            **{k: request.arg(k) for k in ("include", "per_page") if request.arg(k)},
        }
        payload: dict[str, Any] = {
            "tickets": tickets,
            "after_url": f"{request.base_url}{request.path}?{urlencode(params)}",
            "after_cursor": after,
            "before_url": None,
            "before_cursor": None,
            "end_of_stream": len(page) == len(rows),
        }
        if "metric_sets" in (request.arg("include") or ""):
            payload["metric_sets"] = [self.metric_set(t, request.now) for _, _, t in page]
        return json_response(200, payload)

    def ticket_json(self, t: Ticket, request: ApiRequest) -> Record:
        now = request.now - FRESHNESS_SECONDS
        order = t.order_name or ""
        first, last = t.requester.split(" ", 1) if " " in t.requester else (t.requester, "")
        email = f"{first}.{last}".strip(".").lower().replace(" ", ".") + "@example.org"
        subject = SUBJECTS[t.reason].format(order=order).strip()
        canary = self.world.config.pii_canary
        if canary:
            subject = f"{subject} {canary}"
        status = (
            "new"
            if now < t.first_reply
            else ("pending" if t.pending else "open")
            if now < t.solved
            else "solved"
            if now < t.closed
            else "closed"
        )
        rating: Record = {"score": "unoffered"}
        if t.rating != "unoffered" and t.solved <= now:
            score = t.rating if 0 <= t.rated <= now else "offered"
            rating = {"id": t.id * 7, "score": score}
            if score in ("good", "bad"):
                rating["comment"] = (
                    f"Merci, {t.requester}" if score == "good" else f"Déçu. {t.requester}"
                )
        fields = [
            {"id": ORDER_NUMBER_FIELD_ID, "value": t.order_name},
            {"id": REASON_FIELD_ID, "value": t.reason},
        ]
        return {
            "url": f"{request.base_url}/zendesk/api/v2/tickets/{t.id}.json",
            "id": t.id,
            "external_id": None,
            "via": {
                "channel": t.channel,
                "source": {
                    "from": {"address": email, "name": t.requester},
                    "to": {"address": "support@shop.example.com", "name": "Support"},
                    "rel": None,
                },
            },
            "created_at": _iso(t.created),
            "updated_at": _iso(t.updated_at(now)),
            "generated_timestamp": t.updated_at(now),
            "type": "question" if t.reason in ("reason_product", "reason_size") else "incident",
            "subject": subject,
            "raw_subject": subject,
            "description": f"Bonjour, je suis {t.requester} ({email}, +33 6 12 34 56 78). "
            f"{subject}. Merci de votre aide.",
            "priority": "normal",
            "status": status,
            "recipient": "support@shop.example.com",
            "requester_id": 900_000 + t.id,
            "submitter_id": 900_000 + t.id,
            "assignee_id": None if status == "new" else 361_000 + t.id % 6,
            "organization_id": None,
            "group_id": 360_000_100,
            "tags": [t.reason, t.channel.replace("_", "-")],
            "custom_fields": fields,
            "fields": fields,
            "satisfaction_rating": rating,
            "brand_id": 360_000_001,
            "is_public": True,
        }

    def metric_set(self, t: Ticket, now: int) -> Record:
        now -= FRESHNESS_SECONDS
        reply = _minutes(t.created, t.first_reply, now)
        solved = _minutes(t.created, t.solved, now)
        return {
            "id": t.id * 3,
            "ticket_id": t.id,
            "created_at": _iso(t.created),
            "updated_at": _iso(t.updated_at(now)),
            "replies": 0 if reply is None else 1 + int(t.pending),
            "reopens": 0,
            "solved_at": _iso(t.solved) if t.solved <= now else None,
            "reply_time_in_minutes": {"calendar": reply, "business": reply and min(reply, 480)},
            "first_resolution_time_in_minutes": {
                "calendar": solved,
                "business": solved and min(solved, 480),
            },
            "full_resolution_time_in_minutes": {
                "calendar": solved,
                "business": solved and min(solved, 480),
            },
        }


CORRUPTIONS = (
    lambda r: r.pop("id"),
    lambda r: r.update(created_at="yesterday at 10"),
    lambda r: r.update(updated_at="2025-02-30T10:00:00Z"),
)
