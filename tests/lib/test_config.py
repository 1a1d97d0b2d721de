"""Demo / live / mixed resolution of the source environment."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from orchestration.lib.config import PipelineResource, resolve_config
from orchestration.lib.settings import SOURCE_ENV, ConfigError

CREDENTIALS = {v: f"value-of-{v}" for s in SOURCE_ENV.values() for v in s.credential_vars}


def _fake_simulator() -> tuple[str, Mapping[str, str]]:
    return "http://127.0.0.1:9", CREDENTIALS


def test_no_url_means_demo_with_simulator_urls() -> None:
    config = resolve_config({"SHOP_TIMEZONE": "America/New_York"}, _fake_simulator)
    assert config.mode == "demo"
    assert config.sources["shop"].url == "http://127.0.0.1:9/shop"
    assert config.sources["meta_ads"].url == "http://127.0.0.1:9/meta/v25.0"
    assert config.sources["zendesk"].credentials["ZENDESK_EMAIL"] == "value-of-ZENDESK_EMAIL"
    assert config.shop_timezone == "America/New_York"
    assert config.shop_api_version == "2026-10"


def test_all_urls_means_live() -> None:
    env = {s.url_var: f"https://{name}.example" for name, s in SOURCE_ENV.items()} | CREDENTIALS
    config = resolve_config(env, _fake_simulator)
    assert config.mode == "live"
    assert config.sources["rfid"].url == "https://rfid.example"
    assert config.sources["shop"].credentials == {"SHOP_ACCESS_TOKEN": "value-of-SHOP_ACCESS_TOKEN"}


def test_mixed_fails_naming_missing_variables() -> None:
    env = {"SHOP_URL": "https://x.myshopify.com", "SHOP_ACCESS_TOKEN": "t", "GA4_URL": "https://g"}
    with pytest.raises(ConfigError) as raised:
        resolve_config(env, _fake_simulator)
    message = str(raised.value)
    for var in ("GOOGLE_ADS_URL", "META_ADS_URL", "EPCIS_URL", "ZENDESK_URL", "GA4_ACCESS_TOKEN"):
        assert var in message
    assert "SHOP_ACCESS_TOKEN," not in message and "'t'" not in message


def test_live_with_missing_credential_fails() -> None:
    env = {s.url_var: "https://x" for s in SOURCE_ENV.values()} | CREDENTIALS
    del env["ZENDESK_API_TOKEN"]
    with pytest.raises(ConfigError, match="ZENDESK_API_TOKEN"):
        resolve_config(env, _fake_simulator)


def test_live_without_the_zendesk_order_field_fails_naming_it() -> None:
    """The order-number field's id is per account: a default would be the simulator's id, and a
    live run would land every ticket without its order, silently."""
    env = {s.url_var: "https://x" for s in SOURCE_ENV.values()} | CREDENTIALS
    del env["ZENDESK_ORDER_FIELD_ID"]
    with pytest.raises(ConfigError, match="ZENDESK_ORDER_FIELD_ID"):
        resolve_config(env, _fake_simulator)
    env["ZENDESK_ORDER_FIELD_ID"] = " 4410000000123 "
    assert resolve_config(env, _fake_simulator).zendesk_order_field_id == "4410000000123"


def test_demo_reads_the_simulators_order_field() -> None:
    config = resolve_config({}, _fake_simulator)
    assert config.zendesk_order_field_id == "value-of-ZENDESK_ORDER_FIELD_ID"


def test_http_budget_per_source_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZENDESK_HTTP_BUDGET_SECONDS", "120")
    resource = PipelineResource(budget_seconds=30)
    assert resource.http_settings("zendesk").budget_seconds == 120
    assert resource.http_settings("ga4").budget_seconds == 30
    for value in ("soon", "0", "-5"):
        monkeypatch.setenv("GA4_HTTP_BUDGET_SECONDS", value)
        with pytest.raises(ConfigError, match=f"GA4_HTTP_BUDGET_SECONDS='{value}'"):
            resource.http_settings("ga4")
