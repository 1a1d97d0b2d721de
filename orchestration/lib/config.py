"""Where the sources are: live URLs and credentials from the environment, or the bundled simulator.

Rules (the README's "Pointing it at real sources"): no source URL set -> demo mode, every
source reads an in-process simulator; every URL set -> live; some set and some not -> refuse to
start, naming what is missing, because a typo must never publish simulated numbers as real ones.
"""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg

from orchestration.lib.http import HttpSettings
from orchestration.lib.paths import warehouse_dir

DEFAULT_SHOP_TIMEZONE = "Europe/Paris"
DEFAULT_SHOP_API_VERSION = "2026-10"
#: Ranges of at least this many days read Shopify orders with one bulk operation, not page by
#: page: a backfill then spends a few query-cost points instead of the bucket for hours.
DEFAULT_SHOPIFY_BULK_MIN_DAYS = 7
#: The newest version the current google-ads client library ships (it is also the library's
#: default): Google switches each version off about a year after release, the newest lasts longest.
DEFAULT_GOOGLE_ADS_API_VERSION = "v26"
#: The demo store is on Shopify Plus (cost bucket 20,000 points, restoring 1,000/s): the standard
#: plan's 100/s would spend most of a two-week demo pacing the order queries.
DEMO_SHOP_BUCKET = (20_000.0, 1_000.0)


@dataclass(frozen=True)
class SourceEnv:
    """The environment variables of one source, and its path under the simulator's base URL.

    `credential_vars` are every account variable a live source needs besides its URL: secrets,
    account ids, and account settings with no sensible default (the id of Zendesk's order-number
    ticket field differs in every account; a guess would land tickets without their order).
    """

    url_var: str
    credential_vars: tuple[str, ...]
    demo_path: str

    @property
    def budget_var(self) -> str:
        """The variable that overrides this source's HTTP time budget (seconds per call)."""
        return self.url_var.removesuffix("URL") + "HTTP_BUDGET_SECONDS"


SOURCE_ENV: dict[str, SourceEnv] = {
    "shop": SourceEnv("SHOP_URL", ("SHOP_ACCESS_TOKEN",), "/shop"),
    "google_ads": SourceEnv(
        "GOOGLE_ADS_URL",
        ("GOOGLE_ADS_CUSTOMER_ID", "GOOGLE_ADS_DEVELOPER_TOKEN", "GOOGLE_ADS_ACCESS_TOKEN"),
        "/google-ads",
    ),
    "meta_ads": SourceEnv(
        "META_ADS_URL", ("META_AD_ACCOUNT_ID", "META_ACCESS_TOKEN"), "/meta/v25.0"
    ),
    "rfid": SourceEnv("EPCIS_URL", ("EPCIS_TOKEN",), "/epcis"),
    "zendesk": SourceEnv(
        "ZENDESK_URL",
        ("ZENDESK_EMAIL", "ZENDESK_API_TOKEN", "ZENDESK_ORDER_FIELD_ID"),
        "/zendesk",
    ),
    "ga4": SourceEnv("GA4_URL", ("GA4_PROPERTY_ID", "GA4_ACCESS_TOKEN"), "/ga4"),
}


class ConfigError(RuntimeError):
    """The environment describes neither demo mode nor a complete live setup."""


@dataclass(frozen=True)
class SourceSettings:
    url: str
    credentials: Mapping[str, str]


@dataclass(frozen=True)
class PipelineConfig:
    mode: str  # "demo" or "live"
    sources: Mapping[str, SourceSettings]
    shop_api_version: str
    shop_timezone: str
    warehouse_dir: Path
    google_ads_api_version: str
    zendesk_order_field_id: str
    shopify_bulk_min_days: int = DEFAULT_SHOPIFY_BULK_MIN_DAYS


#: Starts (once) the demo simulator; returns its base URL and its credentials by variable name.
DemoStarter = Callable[[], tuple[str, Mapping[str, str]]]


def source_mode(env: Mapping[str, str]) -> str:
    """`demo` when no source URL is set, `live` when all are (with credentials), else an error."""
    urls = {spec.url_var: env.get(spec.url_var, "").strip() for spec in SOURCE_ENV.values()}
    if not any(urls.values()):
        return "demo"
    missing = [var for var, url in urls.items() if not url]
    missing += [v for spec in SOURCE_ENV.values() for v in spec.credential_vars if not env.get(v)]
    if missing:
        raise ConfigError(
            "Some source URLs are set and others are not, or credentials are missing: "
            f"set {', '.join(missing)} for live mode, or unset every source URL "
            f"({', '.join(urls)}) to run on the demo simulator."
        )
    return "live"


def resolve_config(env: Mapping[str, str], start_demo: DemoStarter | None = None) -> PipelineConfig:
    """Environment -> PipelineConfig, or ConfigError naming every missing variable."""
    mode = source_mode(env)
    if mode == "live":
        sources = {
            name: SourceSettings(
                env[spec.url_var].strip(), {v: env[v] for v in spec.credential_vars}
            )
            for name, spec in SOURCE_ENV.items()
        }
    else:
        base_url, credentials = (start_demo or start_demo_simulator)()
        sources = {
            name: SourceSettings(
                base_url.rstrip("/") + spec.demo_path,
                {v: credentials[v] for v in spec.credential_vars},
            )
            for name, spec in SOURCE_ENV.items()
        }
    return PipelineConfig(
        mode=mode,
        sources=sources,
        shop_api_version=env.get("SHOP_API_VERSION") or DEFAULT_SHOP_API_VERSION,
        shop_timezone=env.get("SHOP_TIMEZONE") or DEFAULT_SHOP_TIMEZONE,
        warehouse_dir=warehouse_dir(env),
        google_ads_api_version=env.get("GOOGLE_ADS_API_VERSION") or DEFAULT_GOOGLE_ADS_API_VERSION,
        zendesk_order_field_id=sources["zendesk"].credentials["ZENDESK_ORDER_FIELD_ID"].strip(),
        shopify_bulk_min_days=shopify_bulk_min_days(env),
    )


def shopify_bulk_min_days(env: Mapping[str, str]) -> int:
    """`SHOPIFY_BULK_MIN_DAYS` (default 7); ConfigError when it is not a whole number >= 1."""
    raw = (env.get("SHOPIFY_BULK_MIN_DAYS") or "").strip()
    if not raw:
        return DEFAULT_SHOPIFY_BULK_MIN_DAYS
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigError(
            f"SHOPIFY_BULK_MIN_DAYS={raw!r} is not a whole number of days (1 or more): runs of "
            "at least that many days read Shopify orders with a bulk operation."
        )
    return int(raw)


_demo_lock = threading.Lock()
_demo_server: Any = None


def start_demo_simulator() -> tuple[str, Mapping[str, str]]:
    """The process-wide simulator on 127.0.0.1 (free port), started on first use.

    One per process, so every asset of an in-process run reads the same simulated retailer.
    """
    global _demo_server
    from simulator import DEMO_CREDENTIALS, SimulatorConfig, SimulatorServer

    with _demo_lock:
        if _demo_server is None:
            bucket_size, restore_rate = DEMO_SHOP_BUCKET
            config = SimulatorConfig(shop_bucket_size=bucket_size, shop_restore_rate=restore_rate)
            server = SimulatorServer(config)
            server.__enter__()
            atexit.register(server.__exit__, None, None, None)
            _demo_server = server
        return _demo_server.url, DEMO_CREDENTIALS


def budget_seconds(source: str, default: float, env: Mapping[str, str]) -> float:
    """The source's `<PREFIX>_HTTP_BUDGET_SECONDS`, else `default`; ConfigError when unusable."""
    var = SOURCE_ENV[source].budget_var
    raw = (env.get(var) or "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise ConfigError(f"{var}={raw!r} is not a positive number of seconds.")
    return value


class PipelineResource(dg.ConfigurableResource):
    """The extract assets' view of the environment: sources, warehouse and HTTP retry knobs.

    Resolving at setup makes a mixed demo/live environment fail before any asset runs. The
    defaults are HttpSettings': an unresponsive source fails its step in under three minutes.
    """

    max_retries: int = HttpSettings.max_retries
    backoff_factor: float = HttpSettings.backoff_factor
    backoff_max: float = HttpSettings.backoff_max
    connect_timeout: float = HttpSettings.connect_timeout
    read_timeout: float = HttpSettings.read_timeout
    retry_after_max: int = HttpSettings.retry_after_max
    budget_seconds: float = HttpSettings.budget_seconds
    chunk_rows: int = 20_000

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self.settings()

    def settings(self) -> PipelineConfig:
        return resolve_config(os.environ)

    def http_settings(self, source: str) -> HttpSettings:
        """The knobs for `source`: its time budget may be set apart (a slow report API)."""
        return HttpSettings(
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            max_retries=self.max_retries,
            backoff_factor=self.backoff_factor,
            backoff_max=self.backoff_max,
            backoff_jitter=0.5,
            retry_after_max=self.retry_after_max,
            budget_seconds=budget_seconds(source, self.budget_seconds, os.environ),
        )


#: The dbt targets of dbt_project/profiles.yml (DECISIONLOG "Engines").
DBT_TARGETS = ("duckdb", "postgres", "spark")


def dbt_target(env: Mapping[str, str] | None = None) -> str:
    """The dbt target from DBT_TARGET (default duckdb), or ConfigError naming the allowed ones."""
    env = os.environ if env is None else env
    target = (env.get("DBT_TARGET") or "duckdb").strip().lower()
    if target not in DBT_TARGETS:
        raise ConfigError(
            f"DBT_TARGET={env.get('DBT_TARGET')!r} is not a dbt target of this project: "
            f"set DBT_TARGET to one of {', '.join(DBT_TARGETS)} (default duckdb)."
        )
    return target
