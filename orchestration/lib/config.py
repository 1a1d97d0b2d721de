"""Where the sources are: live URLs and credentials from the settings, or demo sources injected.

Rules (the README's "Pointing it at real sources"): no source URL set -> demo mode, every source
reads the sources a `DemoStarter` gives (orchestration/demo.py starts the bundled simulator; this
package never imports it); every URL set -> live; some set and some not -> refuse to start, naming
what is missing, because a typo must never publish simulated numbers as real ones.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from orchestration.lib.http import HttpSettings
from orchestration.lib.settings import (
    DEFAULT_SHOPIFY_BULK_MIN_DAYS,
    SOURCE_ENV,
    ConfigError,
    Settings,
    SourceSettings,
    load_settings,
)


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
    #: SHOP_COLOUR_OPTION_NAMES / SHOP_SIZE_OPTION_NAMES as set (sources/shop.py parses them)
    shop_option_names: Mapping[str, str] = field(default_factory=dict)


#: Starts (once) the demo sources; returns their base URL and their credentials by variable name.
DemoStarter = Callable[[], tuple[str, Mapping[str, str]]]


def _settings(env: Mapping[str, str] | Settings | None) -> Settings:
    return env if isinstance(env, Settings) else load_settings(env)


def source_mode(env: Mapping[str, str] | Settings | None = None) -> str:
    """`demo` when no source URL is set, `live` when all are (with credentials), else an error."""
    return _settings(env).source_mode()


def demo_sources(start_demo: DemoStarter | None) -> dict[str, SourceSettings]:
    """Every source under the demo's base URL; ConfigError when this process has no demo."""
    if start_demo is None:
        raise ConfigError(
            "No source URL is set and nothing provides demo sources here: set every source's "
            f"URL and credentials ({', '.join(s.url_var for s in SOURCE_ENV.values())}, ...) "
            "for live mode, or run the demo (`make demo`) or the code location's definitions."
        )
    base_url, credentials = start_demo()
    return {
        name: SourceSettings(
            base_url.rstrip("/") + spec.demo_path,
            {v: credentials[v] for v in spec.credential_vars},
        )
        for name, spec in SOURCE_ENV.items()
    }


def resolve_config(
    env: Mapping[str, str] | Settings | None = None, start_demo: DemoStarter | None = None
) -> PipelineConfig:
    """Settings -> PipelineConfig, or ConfigError naming every missing variable."""
    settings = _settings(env)
    mode = settings.source_mode()
    sources = settings.live_sources() if mode == "live" else demo_sources(start_demo)
    return PipelineConfig(
        mode=mode,
        sources=sources,
        shop_api_version=settings.shop_api_version,
        shop_timezone=settings.shop_timezone,
        warehouse_dir=settings.warehouse_dir,
        google_ads_api_version=settings.google_ads_api_version,
        zendesk_order_field_id=sources["zendesk"].credentials["ZENDESK_ORDER_FIELD_ID"].strip(),
        shopify_bulk_min_days=settings.shopify_bulk_min_days,
        shop_option_names=settings.shop_option_names,
    )


def budget_seconds(source: str, default: float, env: Mapping[str, str] | None = None) -> float:
    """The source's `<PREFIX>_HTTP_BUDGET_SECONDS`, else `default`; ConfigError when unusable."""
    budget = load_settings(env).http_budget_seconds(source)
    return default if budget is None else budget


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
        return resolve_config(load_settings(), self.demo_starter())

    def demo_starter(self) -> DemoStarter | None:
        """None: this resource runs live only. The definitions use orchestration.demo's
        subclass, whose demo is the bundled simulator."""
        return None

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
            budget_seconds=budget_seconds(source, self.budget_seconds),
        )
