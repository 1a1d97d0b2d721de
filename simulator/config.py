"""What a simulated retailer looks like: sizes, clock, page sizes and the faults to inject.

Everything the simulator serves is a pure function of one `SimulatorConfig`, so two servers with
equal configs serve identical bytes (except where `now` is the wall clock).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Literal

Scale = Literal["demo", "large"]
BadDayKind = Literal["negative_prices", "low_volume"]

SOURCES = ("shop", "google_ads", "meta_ads", "epcis", "zendesk", "ga4")

#: The demo account's "Order number" ticket field (a real Zendesk account has its own id).
ZENDESK_ORDER_FIELD_ID = 360_012_345_678

#: Environment variable -> demo value, for every account variable of the six sources.
DEMO_CREDENTIALS: dict[str, str] = {
    "SHOP_ACCESS_TOKEN": "shpat_demo_0123456789abcdef",
    "GOOGLE_ADS_CUSTOMER_ID": "1234567890",
    "GOOGLE_ADS_DEVELOPER_TOKEN": "demo-developer-token",
    "GOOGLE_ADS_ACCESS_TOKEN": "ya29.demo-google-access-token",
    "META_AD_ACCOUNT_ID": "1029384756",
    "META_ACCESS_TOKEN": "EAADemoMetaAccessToken",
    "EPCIS_TOKEN": "demo-epcis-token",
    "ZENDESK_EMAIL": "support-bot@example.com",
    "ZENDESK_API_TOKEN": "demo-zendesk-api-token",
    "ZENDESK_ORDER_FIELD_ID": str(ZENDESK_ORDER_FIELD_ID),
    "GA4_PROPERTY_ID": "987654321",
    "GA4_ACCESS_TOKEN": "ya29.demo-ga4-access-token",
}

#: What the pipeline needs of a Shopify app: orders (all of them, not only the last 60 days),
#: the catalog and its inventory levels.
SHOP_ACCESS_SCOPES = ("read_orders", "read_all_orders", "read_products", "read_inventory")


@dataclass
class FaultConfig:
    """Faults injected on demand; deterministic (request counters and seeded record hashes).

    `*_every = N` hits the Nth, 2Nth, ... request of each affected source, so a client that
    retries always gets through. Record faults hit a stable subset of records (by id), so
    re-fetching a page returns the same corrupted records, as a buggy upstream would.
    """

    sources: frozenset[str] | None = None  # None = every source
    rate_limit_every: int = 0  # 429 Retry-After / Shopify THROTTLED / Meta code 17 or 613
    server_error_every: int = 0  # 503
    delay_seconds: float = 0.0  # added to every response
    retry_after_seconds: int = 1
    malformed_rate: float = 0.0  # share of records made invalid (see faults.py for the kinds)
    duplicate_rate: float = 0.0  # share of records served twice in the same page
    extra_fields: bool = False  # every record carries unknown fields
    bad_days: dict[date, BadDayKind] = field(default_factory=dict)

    def applies_to(self, source: str) -> bool:
        return self.sources is None or source in self.sources


@dataclass
class PageSizes:
    """Largest page each API serves (the client may ask for less); small values test paging."""

    shop: int = 250
    shop_line_items: int = 250  # every nested connection: line items, refund lines, levels
    google_ads: int = 10_000
    meta_ads: int = 500
    epcis: int = 500
    zendesk: int = 1000
    ga4: int = 100_000


@dataclass(frozen=True)
class Sizes:
    """The resolved size of the simulated retailer."""

    stores: int
    skus: int
    orders_per_day: float
    google_campaigns: int
    meta_campaigns: int
    ticket_rate: float
    store_assortment_share: float
    product_ads_per_campaign: int
    rfid_quantity_lists_only: bool
    # Shapes that make the extractor follow nested connections past their first page: orders
    # of 22-31 lines returned in one refund (refundLineItems > 20), and variants stocked at
    # 12-15 locations (inventoryLevels > 10).
    bulk_refund_order_share: float = 0.0
    many_locations_share: float = 0.0


PROFILES: dict[str, Sizes] = {
    "demo": Sizes(
        stores=8,
        skus=400,
        orders_per_day=150.0,
        google_campaigns=6,
        meta_campaigns=4,
        ticket_rate=0.05,
        store_assortment_share=0.5,
        product_ads_per_campaign=25,
        rfid_quantity_lists_only=False,
    ),
    "large": Sizes(
        stores=50,
        skus=5000,
        orders_per_day=5000.0,
        google_campaigns=12,
        meta_campaigns=8,
        ticket_rate=0.05,
        store_assortment_share=0.3,
        product_ads_per_campaign=300,
        rfid_quantity_lists_only=True,
        bulk_refund_order_share=0.002,
        many_locations_share=0.02,
    ),
}


@dataclass
class SimulatorConfig:
    """The simulated retailer. `None` sizes take the `scale` profile's value."""

    seed: int = 42
    scale: Scale = "demo"
    stores: int | None = None
    skus: int | None = None
    orders_per_day: float | None = None
    google_campaigns: int | None = None
    meta_campaigns: int | None = None
    ticket_rate: float | None = None
    bulk_refund_order_share: float | None = None
    many_locations_share: float | None = None
    timezone: str = "Europe/Paris"
    now: datetime | None = None  # UTC; None = wall clock at each request
    history_start: date = date(2024, 1, 1)  # first day with orders
    page_sizes: PageSizes = field(default_factory=PageSizes)
    faults: FaultConfig = field(default_factory=FaultConfig)
    pii_canary: str | None = None  # written into every ticket's personal fields when set
    # Shopify's standard leaky bucket. The large profile lifts it (see `shop_bucket`), so the
    # benchmark measures the pipeline, not a simulated quota.
    shop_bucket_size: float | None = None
    shop_restore_rate: float | None = None
    # The app's granted scopes (`currentAppInstallation.accessScopes`): drop one to see what a
    # shop that withheld it answers.
    shop_access_scopes: tuple[str, ...] = SHOP_ACCESS_SCOPES
    # Google Ads API versions answered like a sunset version (HTTP 404, no such URL), e.g.
    # `frozenset({"v21"})`: what a client pinned to a switched-off version meets.
    retired_google_ads_versions: frozenset[str] = frozenset()
    # How every Shopify bulk operation fails, when set: "ACCESS_DENIED", "INTERNAL_SERVER_ERROR"
    # or "TIMEOUT" (status FAILED with that errorCode), "CANCELED", "EXPIRED", or
    # "OPERATION_IN_PROGRESS" (the mutation refused: another operation is running).
    shop_bulk_failure: str | None = None
    # Zendesk's limit of the incremental export, (calls, seconds), e.g. its documented (10, 60):
    # past it the export answers 429 with Retry-After. None: unlimited (the demo, most tests).
    zendesk_export_limit: tuple[int, float] | None = None

    def __post_init__(self) -> None:
        if self.scale not in PROFILES:
            raise ValueError(f"unknown scale {self.scale!r}; expected one of {sorted(PROFILES)}")
        if self.now is not None and self.now.tzinfo is None:
            raise ValueError("SimulatorConfig.now must be timezone-aware (UTC)")

    @property
    def sizes(self) -> Sizes:
        profile = PROFILES[self.scale]
        overrides = {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(Sizes)
            if getattr(self, f.name, None) is not None
        }
        return dataclasses.replace(profile, **overrides)

    @property
    def shop_bucket(self) -> tuple[float, float]:
        """(maximumAvailable, restoreRate) of the Shopify cost bucket."""
        default = (2000.0, 100.0) if self.scale == "demo" else (200_000.0, 100_000.0)
        return (
            self.shop_bucket_size if self.shop_bucket_size is not None else default[0],
            self.shop_restore_rate if self.shop_restore_rate is not None else default[1],
        )

    def current_time(self) -> datetime:
        """The simulator's "now": nothing after it exists."""
        return self.now if self.now is not None else datetime.now(UTC)
