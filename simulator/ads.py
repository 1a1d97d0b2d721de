"""Daily ad performance per campaign, with the product/ad breakdowns, shared by Google and Meta.

Conversions follow the orders that carry the campaign's id in `utm_campaign` (inflated a little,
as platforms over-attribute), so spend, clicks and sales move together across sources.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from simulator.orders import CANCELLED, NONE, LruCache, OrderBook
from simulator.rng import Stream, generator
from simulator.stock import warehouse_available
from simulator.world import Campaign, World

CPC_EUR = {
    "search": (0.6, 1.2),
    "shopping": (0.35, 0.7),
    "pmax": (0.4, 0.8),
    "prospecting": (0.3, 0.6),
    "retargeting": (0.4, 0.9),
    "catalog": (0.3, 0.7),
}
CTR = {
    "search": 0.045,
    "shopping": 0.012,
    "pmax": 0.01,
    "prospecting": 0.008,
    "retargeting": 0.015,
    "catalog": 0.011,
}
ADS_PER_META_CAMPAIGN = 3


@dataclass(frozen=True)
class Breakdown:
    """A product row (Google Shopping) or an ad row (Meta; with a sku for catalog ads)."""

    ad: int  # ad number within the campaign, -1 for Google product rows
    sku: int  # catalog index, -1 when the row names no product
    cost_micros: int
    impressions: int
    clicks: int
    conversions: float
    value_cents: int


@dataclass(frozen=True)
class CampaignDay:
    campaign: Campaign
    day: date
    cost_micros: int
    impressions: int
    clicks: int
    conversions: float
    value_cents: int
    breakdown: list[Breakdown]


def _attributed(book: OrderBook, day: date, campaign_index: int) -> tuple[int, int]:
    """(orders, net cents) of the day's counted orders whose UTM names the campaign."""
    d = book.day(day)
    groups = np.array([g.campaign_index for g in book.world.traffic])
    hit = (groups[d.group] == campaign_index) & ~d.test & (d.events[:, CANCELLED] == NONE)
    net = np.bincount(
        np.repeat(np.arange(len(d)), np.diff(d.line_start)), weights=d.line_net, minlength=len(d)
    )
    return int(hit.sum()), int(net[hit].sum())


def _split(total: int, weights: np.ndarray) -> np.ndarray:
    """Integer split of a total proportional to weights, summing exactly to the total."""
    raw = total * weights / weights.sum()
    out = np.floor(raw).astype(np.int64)
    out[np.argsort(raw - out)[::-1][: total - int(out.sum())]] += 1
    return out


def _breakdown(
    world: World,
    rng: np.random.Generator,
    campaign: Campaign,
    day: date,
    totals: tuple[int, int, int, float, int],
) -> list[Breakdown]:
    cost, impressions, clicks, conversions, value = totals
    cat = world.catalog
    if campaign.has_products:
        k = min(world.config.sizes.product_ads_per_campaign, len(cat))
        sku = rng.choice(len(cat), size=k, replace=False, p=cat.popularity / cat.popularity.sum())
        stock = warehouse_available(world.config.seed, np.arange(len(cat)), day.toordinal())
        if not (stock[sku] == 0).any() and (stock == 0).any():
            sku[-1] = rng.choice(np.flatnonzero(stock == 0))  # ads keep running on stockouts
        ads = np.full(k, 0 if campaign.platform == "meta_ads" else -1)
    else:
        sku = np.full(ADS_PER_META_CAMPAIGN if campaign.platform == "meta_ads" else 0, -1)
        ads = np.arange(len(sku))
    if not len(sku):
        return []
    w = rng.dirichlet(np.ones(len(sku)) * 2)
    parts = [_split(x, w) for x in (cost, impressions, clicks, value)]
    conv = np.round(conversions * w, 2)
    return [
        Breakdown(int(a), int(s), int(c), int(i), int(cl), float(cv), int(v))
        for a, s, c, i, cl, cv, v in zip(ads, sku, *parts[:3], conv, parts[3], strict=True)
    ]


def generate_campaign_days(world: World, book: OrderBook, day: date) -> list[CampaignDay]:
    rng = generator(world.config.seed, day.toordinal(), Stream.ADS)
    cal = world.calendar
    season = cal.expected[cal.index(day)] / world.config.sizes.orders_per_day
    out = []
    for index, c in enumerate(world.campaigns):
        cost_cents = int(c.daily_budget_cents * season**0.7 * rng.lognormal(0, 0.12))
        cost_micros = cost_cents * 10_000
        clicks = max(1, int(cost_cents / 100 / rng.uniform(*CPC_EUR[c.kind])))
        impressions = int(clicks / (CTR[c.kind] * rng.uniform(0.8, 1.2)))
        orders, net = _attributed(book, day, index)
        inflation = rng.uniform(1.0, 1.35)
        conversions = round(orders * inflation, 2)
        value = max(0, int(net * inflation))
        totals = (cost_micros, impressions, clicks, conversions, value)
        breakdown = _breakdown(world, rng, c, day, totals)
        out.append(
            CampaignDay(c, day, cost_micros, impressions, clicks, conversions, value, breakdown)
        )
    return out


class AdBook:
    """Cached campaign days; only days strictly before today (shop time) are reported."""

    def __init__(self, world: World, book: OrderBook) -> None:
        self.world, self.book = world, book
        self._days: LruCache[date, list[CampaignDay]] = LruCache(120)

    def day(self, d: date, now: int) -> list[CampaignDay]:
        if d >= self.world.calendar.local_date(now) or d < self.world.config.history_start:
            return []
        return self._days.get(d, lambda: generate_campaign_days(self.world, self.book, d))
