"""Closed-form stock: the warehouse's available units and each store's shelf, for any day.

Stock must be computable for one day without replaying history (the APIs are queried for any
date), so both are functions of (seed, sku, day) rather than simulations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator.rng import Stream, uniform
from simulator.world import World

WAREHOUSE_BLOCK_DAYS = 12  # stockout episodes last about this long
WAREHOUSE_STOCKOUT_SHARE = 0.065
SECOND_LOCATION_SHARE = 0.3


def warehouse_available(seed: int, sku: np.ndarray, day_ordinal: int) -> np.ndarray:
    """Available units in the warehouse at the start of a day; ~6.5 % of skus at 0."""
    phase = (uniform(seed, Stream.WAREHOUSE, sku, 0) * WAREHOUSE_BLOCK_DAYS).astype(np.int64)
    block = (day_ordinal + phase) // WAREHOUSE_BLOCK_DAYS
    out = uniform(seed, Stream.WAREHOUSE, sku, 2, block) < WAREHOUSE_STOCKOUT_SHARE
    base = 5 + uniform(seed, Stream.WAREHOUSE, sku, 1) ** 2 * 150
    level = base * (0.4 + 0.6 * uniform(seed, Stream.WAREHOUSE, sku, 3, day_ordinal))
    return np.where(out, 0, np.maximum(1, np.round(level))).astype(np.int64)


def warehouse_locations(seed: int, sku: np.ndarray, many_share: float) -> np.ndarray:
    """How many fulfilment locations stock each sku: 1 or 2, and 12-15 for a `many_share` of
    skus (a retailer shipping from its stores too)."""
    two = np.where(uniform(seed, Stream.WAREHOUSE, sku, 4) < SECOND_LOCATION_SHARE, 2, 1)
    many = uniform(seed, Stream.WAREHOUSE, sku, 5) < many_share
    return np.where(many, 12 + (uniform(seed, Stream.WAREHOUSE, sku, 6) * 4).astype(np.int64), two)


def split_available(available: int, locations: int) -> list[int]:
    """Units per location: 30 % at the second of two, an even spread over more."""
    if locations == 1:
        return [available]
    if locations == 2:
        second = available * 3 // 10
        return [available - second, second]
    share, rest = divmod(available, locations)
    return [share + (i < rest) for i in range(locations)]


@dataclass(frozen=True)
class StoreShelf:
    """One store's assortment (skus) and the parameters of each pair's stock curve.

    Selling lines deplete over a 2-5 week cycle and are refilled at the cycle's start (a
    sawtooth); slow lines (~25 %) have cycles of 10-16 months and lose at most one unit per
    cycle: they sit on the shelf for months, which is what the picking mart looks for.
    """

    store: int
    sku: np.ndarray
    slow: np.ndarray
    capacity: np.ndarray
    cycle_days: np.ndarray
    phase: np.ndarray

    def cycle(self, day_ordinal: int) -> tuple[np.ndarray, np.ndarray]:
        """(cycle number, day within the cycle) of every pair."""
        t = day_ordinal + self.phase
        return t // self.cycle_days, t % self.cycle_days

    def sold(self, seed: int, day_ordinal: int) -> np.ndarray:
        """Units gone since the cycle's receipt, as of the day's morning count."""
        cycle, t = self.cycle(day_ordinal)
        u = uniform(seed, Stream.STORE, self.store, self.sku, cycle)
        selling_rate = self.capacity / (self.cycle_days * (0.6 + 0.5 * u))
        slow_rate = np.where(u < 0.5, 1.0, 0.0) / self.cycle_days
        rate = np.where(self.slow, slow_rate, selling_rate)
        return np.minimum(self.capacity, np.floor(rate * t)).astype(np.int64)

    def on_hand(self, seed: int, day_ordinal: int) -> np.ndarray:
        return self.capacity - self.sold(seed, day_ordinal)


def build_shelf(world: World, store: int) -> StoreShelf:
    seed, cat = world.config.seed, world.catalog
    share = world.config.sizes.store_assortment_share
    carried = uniform(seed, Stream.STORE, store, cat.style, 0) < share
    sku = np.flatnonzero(carried)
    u = [uniform(seed, Stream.STORE, store, sku, k) for k in (1, 2, 3, 4)]
    slow = u[0] < 0.25
    capacity = np.where(slow, 3 + (u[1] * 6).astype(np.int64), 2 + (u[1] * 9).astype(np.int64))
    cycle_days = np.where(
        slow, 300 + (u[2] * 200).astype(np.int64), 14 + (u[2] * 21).astype(np.int64)
    )
    phase = (u[3] * cycle_days).astype(np.int64)
    return StoreShelf(store, sku, slow, capacity, cycle_days, phase)


def counts_today(seed: int, store: int, day_ordinal: int, weekday: int) -> bool:
    """Stores count most mornings, never on Sundays (closed), and skip some days."""
    return weekday != 6 and float(uniform(seed, Stream.STORE_DAY, store, day_ordinal)) < 0.88
