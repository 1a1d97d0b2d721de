"""Orders of one business day, generated vectorised from (seed, day) alone.

A day is a set of parallel numpy arrays (orders, lines) plus an event matrix: when each order was
created, cancelled, fulfilled (up to 2 shipments) and refunded (up to 2 refunds). "As of now"
views only need that matrix, so windows over `updatedAt` are computed without building JSON.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property
from typing import Generic, TypeVar

import numpy as np

from simulator.rng import Stream, generator, uniform
from simulator.world import CATEGORIES, VAT_RATE, World

HOURLY = np.array(
    [
        0.6,
        0.35,
        0.2,
        0.15,
        0.12,
        0.2,
        0.5,
        1.2,
        2.0,
        2.6,
        3.0,
        3.3,
        3.8,
        3.6,
        3.2,
        3.2,
        3.4,
        3.7,
        4.2,
        5.0,
        6.0,
        6.4,
        5.2,
        2.6,
    ]
)
LINES_P = np.array([0.28, 0.30, 0.22, 0.20])  # 1-4 lines: ~2.3 lines per order
QTY_P = np.array([0.90, 0.08, 0.02])
SOURCE_NAMES = ("web", "iphone", "android", "shopify_draft_order")
SOURCE_P = np.array([0.88, 0.06, 0.04, 0.02])
RETURNING_SHARE = 0.32
RETURNING_LOOKBACK_DAYS = 365
MAX_EVENT_LAG_DAYS = 56  # created -> last possible update (refund 40 d + second refund 8 d...)
DAY = 86_400
NONE = -1  # "no such event" in the event matrix

# Event matrix columns.
CREATED, CANCELLED, FULFILLED_0, FULFILLED_1, REFUNDED_0, REFUNDED_1 = range(6)

K = TypeVar("K")
V = TypeVar("V")


class LruCache(Generic[K, V]):
    """A small thread-safe LRU: recent days are reused across pages and sources."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._data: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K, compute: Callable[[], V]) -> V:
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
        value = compute()
        with self._lock:
            self._data[key] = value
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


@dataclass(frozen=True)
class OrderDay:
    day: date
    number: np.ndarray  # order number; name = "#N"
    created: np.ndarray  # epoch seconds
    events: np.ndarray  # (n, 6) epoch seconds or NONE
    test: np.ndarray
    taxes_included: np.ndarray
    source_name: np.ndarray  # index into SOURCE_NAMES
    customer: np.ndarray  # customer number
    returning: np.ndarray
    group: np.ndarray  # index into World.traffic
    line_start: np.ndarray  # (n + 1) offsets into the line arrays
    line_sku: np.ndarray
    line_qty: np.ndarray
    line_unit: np.ndarray  # cents, as charged (tax included or not, as the order says)
    line_discount: np.ndarray
    line_tax: np.ndarray
    line_returned: np.ndarray  # units refunded
    line_refund: np.ndarray  # 0 or 1: which refund of the order
    line_net: np.ndarray  # unit x qty - discount, cents

    def __len__(self) -> int:
        return len(self.number)

    @cached_property
    def iso_events(self) -> list[list[str]]:
        """The event matrix as ISO-8601 UTC strings, formatted once per day (vectorised)."""
        text = np.datetime_as_string(self.events.astype("datetime64[s]"), unit="s")
        return np.char.add(text, "Z").tolist()

    def updated_at(self, now: int) -> np.ndarray:
        """Each order's updatedAt as of `now`: the last of its events that has happened."""
        happened = np.where(self.events <= now, self.events, NONE)
        return happened.max(axis=1)


def is_new_customer(seed: int, number: np.ndarray) -> np.ndarray:
    return uniform(seed, Stream.CUSTOMER_NEW, number) >= RETURNING_SHARE


def preferred_category(seed: int, customer: np.ndarray) -> np.ndarray:
    weights = np.array([c.weight for c in CATEGORIES])
    cdf = np.cumsum(weights) / weights.sum()
    return np.searchsorted(cdf, uniform(seed, Stream.CUSTOMER_CATEGORY, customer), side="right")


def _customers(world: World, index: int, number: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Customer numbers: a new customer takes its first order's number; a returning one is the
    customer of an earlier first order (found by hashing, so no earlier day is generated)."""
    seed, cal = world.config.seed, world.calendar
    first_today = int(cal.first_number[index])
    lo = int(cal.first_number[max(0, index - RETURNING_LOOKBACK_DAYS)])
    customer = number.copy()
    wants_return = ~is_new_customer(seed, number)
    found = np.zeros(len(number), dtype=bool)
    if first_today > lo:
        for attempt in range(8):
            u = uniform(seed, Stream.CUSTOMER_PICK, number, attempt)
            candidate = lo + (u * (first_today - lo)).astype(np.int64)
            ok = wants_return & ~found & is_new_customer(seed, candidate)
            customer[ok] = candidate[ok]
            found |= ok
    return customer, found


def _discount_pct(
    rng: np.random.Generator, regime: str, order_of_line: np.ndarray, n: int, returning: np.ndarray
) -> np.ndarray:
    """Discount share per line: markdowns in sales, a sitewide code on Black Friday, else a
    welcome code for a few new customers."""
    m = len(order_of_line)
    if regime == "sale":
        pct = rng.choice([0.2, 0.3, 0.4, 0.5], size=m)
        return np.where(rng.random(m) < 0.55, pct, 0.0)
    if regime == "black_friday":
        return np.where((rng.random(n) < 0.6)[order_of_line], 0.2, 0.0)
    coded = (rng.random(n) < 0.12) & ~returning
    return np.where(coded[order_of_line], 0.1, 0.0)


def generate_day(world: World, day: date) -> OrderDay:
    cfg, cal = world.config, world.calendar
    index = cal.index(day)
    rng = generator(cfg.seed, day.toordinal(), Stream.ORDERS)
    n = int(cal.counts[index])
    number = cal.first_number[index] + np.arange(n, dtype=np.int64)
    hours = rng.choice(24, size=n, p=HOURLY / HOURLY.sum())
    seconds = np.sort(hours * 3600 + rng.integers(0, 3600, size=n))
    created = cal.local_to_epoch(day, seconds).astype(np.int64)
    test = rng.random(n) < 0.003
    cancelled = rng.random(n) < 0.02
    taxes_included = rng.random(n) < 0.93
    source_name = rng.choice(len(SOURCE_NAMES), size=n, p=SOURCE_P)
    shares = np.array([g.order_share for g in world.traffic])
    group = rng.choice(len(shares), size=n, p=shares / shares.sum())
    cancel_at = created + rng.integers(1800, 36 * 3600, size=n)
    fulfil_delay = np.clip(rng.lognormal(np.log(22 * 3600), 0.55, size=n), 3600, 96 * 3600)
    split_ship = rng.random(n) < 0.12
    refund_delay = np.clip(3 * DAY + rng.gamma(2.0, 5 * DAY, size=n), 3 * DAY, 40 * DAY)
    second_refund_delay = rng.integers(2 * DAY, 8 * DAY, size=n)
    split_refund = rng.random(n) < 0.15
    n_lines = rng.choice(4, size=n, p=LINES_P) + 1
    bulk = uniform(cfg.seed, Stream.REFUNDS, number) < cfg.sizes.bulk_refund_order_share
    if bulk.any():  # never at demo scale: its data stays what it always was
        spread = (uniform(cfg.seed, Stream.REFUNDS, number, 1) * 10).astype(np.int64)
        n_lines = np.where(bulk, 22 + spread, n_lines)
        test &= ~bulk
        cancelled &= ~bulk
        split_refund &= ~bulk
    customer, returning = _customers(world, index, number)

    lines = _generate_lines(world, day, n, n_lines, customer, returning, taxes_included)
    order_of_line, line_net, line_returned = lines["order"], lines["net"], lines["returned"]
    line_returned = np.where(bulk[order_of_line], lines["qty"], line_returned)
    line_start = np.concatenate(([0], np.cumsum(n_lines)))
    is_last = np.arange(len(order_of_line)) == line_start[1:][order_of_line] - 1
    shipping = ~cancelled
    line_returned = np.where(shipping[order_of_line] & ~test[order_of_line], line_returned, 0)
    returned_lines = np.bincount(order_of_line, weights=line_returned > 0, minlength=n)
    split_refund &= returned_lines >= 2
    line_refund = (split_refund[order_of_line] & is_last & (line_returned > 0)).astype(np.int8)
    split_ship &= n_lines >= 2

    f0 = np.where(shipping, created + fulfil_delay.astype(np.int64), NONE)
    f1 = np.where(shipping & split_ship, f0 + rng.integers(12 * 3600, 48 * 3600, size=n), NONE)
    last_ship = np.maximum(f0, f1)
    refund_base = np.maximum(created + refund_delay.astype(np.int64), last_ship + DAY)
    r0 = np.where(
        _any_line(order_of_line, (line_returned > 0) & (line_refund == 0), n), refund_base, NONE
    )
    r1 = np.where(
        _any_line(order_of_line, (line_returned > 0) & (line_refund == 1), n),
        refund_base + second_refund_delay,
        NONE,
    )
    events = np.stack([created, np.where(cancelled, cancel_at, NONE), f0, f1, r0, r1], axis=1)
    result = OrderDay(
        day=day,
        number=number,
        created=created,
        events=events.astype(np.int64),
        test=test,
        taxes_included=taxes_included,
        source_name=source_name,
        customer=customer,
        returning=returning,
        group=group,
        line_start=line_start,
        line_sku=lines["sku"],
        line_qty=lines["qty"],
        line_unit=lines["unit"],
        line_discount=lines["discount"],
        line_tax=lines["tax"],
        line_returned=line_returned,
        line_refund=line_refund,
        line_net=line_net,
    )
    if cfg.faults.bad_days.get(day) == "low_volume":
        result = _subset(result, uniform(cfg.seed, Stream.FAULTS, number) < 0.05)
    return result


def _generate_lines(
    world: World,
    day: date,
    n: int,
    n_lines: np.ndarray,
    customer: np.ndarray,
    returning: np.ndarray,
    taxes_included: np.ndarray,
) -> dict[str, np.ndarray]:
    """Lines: first line often in the customer's favourite category (returning customers lean
    to pricier items there: upsell), further lines anywhere (cross-sell)."""
    cfg, cat = world.config, world.catalog
    rng = generator(cfg.seed, day.toordinal(), Stream.LINES)
    order = np.repeat(np.arange(n), n_lines)
    m = len(order)
    first = np.concatenate(([True], order[1:] != order[:-1])) if m else np.zeros(0, dtype=bool)
    weights = np.array([c.weight for c in CATEGORIES])
    category = rng.choice(len(CATEGORIES), size=m, p=weights / weights.sum())
    favourite = first & (rng.random(m) < 0.6)
    category = np.where(favourite, preferred_category(cfg.seed, customer[order]), category)
    u = rng.random(m)
    u = np.where(first & returning[order], np.maximum(u, rng.random(m)), u)
    sku = cat.pick(category, u)
    qty = rng.choice(3, size=m, p=QTY_P) + 1
    price = cat.price_cents[sku]
    incl = taxes_included[order]
    unit = np.where(incl, price, np.round(price / (1 + VAT_RATE)).astype(np.int64))
    if world.config.faults.bad_days.get(day) == "negative_prices":
        unit = -unit
    regime = world.calendar.regime[world.calendar.index(day)]
    pct = _discount_pct(rng, regime, order, n, returning)
    discount = np.round(unit * qty * pct).astype(np.int64)
    net = unit * qty - discount
    tax = np.where(incl, np.round(net * VAT_RATE / (1 + VAT_RATE)), np.round(net * VAT_RATE))
    return_rate = np.array([c.return_rate for c in CATEGORIES])[cat.category[sku]]
    returned = rng.binomial(qty, return_rate)
    return {
        "order": order,
        "sku": sku,
        "qty": qty,
        "unit": unit,
        "discount": discount,
        "tax": tax.astype(np.int64),
        "net": net,
        "returned": returned,
    }


def _any_line(order_of_line: np.ndarray, flag: np.ndarray, n: int) -> np.ndarray:
    """Per order: does any of its lines have the flag?"""
    return np.bincount(order_of_line, weights=flag, minlength=n) > 0


def _subset(d: OrderDay, keep: np.ndarray) -> OrderDay:
    """The same day with only the kept orders (and their lines)."""
    counts = np.diff(d.line_start)
    keep_line = np.repeat(keep, counts)
    line_start = np.concatenate(([0], np.cumsum(counts[keep])))
    return OrderDay(
        day=d.day,
        number=d.number[keep],
        created=d.created[keep],
        events=d.events[keep],
        test=d.test[keep],
        taxes_included=d.taxes_included[keep],
        source_name=d.source_name[keep],
        customer=d.customer[keep],
        returning=d.returning[keep],
        group=d.group[keep],
        line_start=line_start,
        line_sku=d.line_sku[keep_line],
        line_qty=d.line_qty[keep_line],
        line_unit=d.line_unit[keep_line],
        line_discount=d.line_discount[keep_line],
        line_tax=d.line_tax[keep_line],
        line_returned=d.line_returned[keep_line],
        line_refund=d.line_refund[keep_line],
        line_net=d.line_net[keep_line],
    )


class OrderBook:
    """Days of orders, cached, and the "as of now" views the APIs need."""

    def __init__(self, world: World, cache_days: int = 400) -> None:
        self.world = world
        self._days: LruCache[date, OrderDay] = LruCache(cache_days)

    def day(self, d: date) -> OrderDay:
        return self._days.get(d, lambda: generate_day(self.world, d))

    def days_between(self, first: date, last: date, now: int) -> list[OrderDay]:
        """Generated days in [first, last] that exist (within the calendar and not after now)."""
        cal = self.world.calendar
        start = max(first, self.world.config.history_start)
        last = min(last, cal.local_date(now))
        return [self.day(start + timedelta(days=i)) for i in range((last - start).days + 1)]

    def find(self, number: int) -> tuple[OrderDay, int] | None:
        """The day and position of an order number, or None."""
        cal = self.world.calendar
        index = cal.day_of_number(number)
        if index < 0 or number >= cal.first_number[index] + cal.counts[index]:
            return None
        day = self.day(date.fromordinal(cal.start_ordinal + index))
        pos = np.searchsorted(day.number, number)
        if pos >= len(day) or day.number[pos] != number:
            return None
        return day, int(pos)

    def window(
        self, field: str, lo: int, hi: int, now: int
    ) -> list[tuple[int, int, OrderDay, int]]:
        """Orders whose `field` (updated_at or created_at) as of now is in [lo, hi), sorted by
        (that value, number): (value, number, day, position) tuples."""
        cal = self.world.calendar
        first = cal.local_date(lo) - timedelta(
            days=MAX_EVENT_LAG_DAYS if field == "updated_at" else 1
        )
        last = cal.local_date(min(hi, now)) + timedelta(days=1)
        out: list[tuple[int, int, OrderDay, int]] = []
        for day in self.days_between(first, last, now):
            value = day.updated_at(now) if field == "updated_at" else day.created
            hit = np.flatnonzero((day.created <= now) & (value >= lo) & (value < hi))
            out.extend(
                zip(
                    value[hit].tolist(),
                    day.number[hit].tolist(),
                    [day] * len(hit),
                    hit.tolist(),
                    strict=True,
                )
            )
        out.sort(key=lambda t: (t[0], t[1]))
        return out
