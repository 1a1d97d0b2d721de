"""The retailer is one consistent, deterministic world."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import numpy as np

from simulator import SimulatorConfig
from simulator.gs1 import check_digit
from simulator.orders import generate_day
from simulator.stock import warehouse_locations
from simulator.world import build_world

SEED_STORES = Path(__file__).parents[2] / "dbt_project" / "seeds" / "stores.csv"


def test_seed_stores_are_the_first_eight_stores() -> None:
    world = build_world(SimulatorConfig())
    with SEED_STORES.open() as f:
        seed_glns = [row["gln"] for row in csv.DictReader(f)]
    assert [s.gln for s in world.stores] == seed_glns
    assert world.stores[0].sgln == "urn:epc:id:sgln:3012345.00001.0"


def test_large_scale_adds_stores_with_valid_glns() -> None:
    world = build_world(SimulatorConfig(scale="large"))
    assert len(world.stores) >= 50 and len(world.catalog) >= 5000
    assert all(check_digit(s.gln[:-1]) == s.gln[-1] for s in world.stores)


def test_barcodes_are_valid_ean13_or_upc12() -> None:
    cat = build_world(SimulatorConfig()).catalog
    assert 380 <= len(cat) <= 420
    assert len(set(cat.sku)) == len(cat) and len(set(cat.barcode)) == len(cat)
    assert {len(b) for b in cat.barcode} == {12, 13}  # a US brand uses UPC-12
    for barcode, gtin in zip(cat.barcode, cat.gtin14, strict=True):
        assert check_digit(barcode[:-1]) == barcode[-1]
        assert gtin == barcode.zfill(14)


def test_day_is_deterministic_and_independent_of_other_days() -> None:
    config = SimulatorConfig(seed=7)
    alone = generate_day(build_world(config), date(2025, 3, 2))
    world = build_world(config)
    for d in (date(2025, 2, 27), date(2025, 3, 1), date(2025, 3, 3)):
        generate_day(world, d)
    after_others = generate_day(world, date(2025, 3, 2))
    assert np.array_equal(alone.events, after_others.events)
    assert np.array_equal(alone.line_sku, after_others.line_sku)
    other_seed = generate_day(build_world(SimulatorConfig(seed=8)), date(2025, 3, 2))
    assert not np.array_equal(alone.line_sku[:50], other_seed.line_sku[:50])


def test_seasonality_and_realistic_rates() -> None:
    world = build_world(SimulatorConfig())
    days = [generate_day(world, date(2025, 5, 1 + i)) for i in range(28)]
    units = sum(int(d.line_qty.sum()) for d in days)
    returned = sum(int(d.line_returned.sum()) for d in days)
    assert 0.18 < returned / units < 0.32
    lines_per_order = sum(len(d.line_sku) for d in days) / sum(len(d) for d in days)
    assert 2.0 < lines_per_order < 2.7
    mean_orders = np.mean([len(d) for d in days])
    assert 100 < mean_orders < 220
    black_friday = len(generate_day(world, date(2025, 11, 28)))
    assert black_friday > 2 * mean_orders
    returning = np.mean(np.concatenate([d.returning for d in days]))
    assert 0.2 < returning < 0.4


def test_large_scale_has_refunds_and_stock_beyond_one_page() -> None:
    """The large scale exercises pagination of nested connections: refunds of more than 20
    lines (Shopify's page of refundLineItems here) and skus at more than 10 locations."""
    world = build_world(SimulatorConfig(scale="large"))
    day = generate_day(world, date(2025, 3, 2))
    lines_per_refund = np.bincount(
        np.repeat(np.arange(len(day)), np.diff(day.line_start)),
        weights=(day.line_returned > 0) & (day.line_refund == 0),
        minlength=len(day),
    )
    assert (lines_per_refund > 20).sum() >= 3
    skus = np.arange(len(world.catalog))
    locations = warehouse_locations(
        world.config.seed, skus, world.config.sizes.many_locations_share
    )
    assert (locations > 10).sum() >= 50 and set(np.unique(locations)) >= {1, 2}
    demo = build_world(SimulatorConfig())
    demo_day = generate_day(demo, date(2025, 3, 2))
    assert np.diff(demo_day.line_start).max() <= 4  # the demo's data is what it always was
