"""The small account-level endpoints a preflight asks: who am I, which version answered, what
quota is left. Each answers in the vendor's shape, behind the vendor's authentication."""

from __future__ import annotations

import json

import pytest
import requests

from simulator import SimulatorServer
from simulator.__main__ import main as simulator_main
from tests.simulator.conftest import C, Client, make_config

SETTINGS_QUERY = (
    "{ shop { name taxesIncluded ianaTimezone } "
    "currentAppInstallation { accessScopes { handle } } }"
)


def shop_post(url: str, version: str, query: str) -> requests.Response:
    return requests.post(
        f"{url}/shop/admin/api/{version}/graphql.json",
        json={"query": query, "variables": {}},
        headers={"X-Shopify-Access-Token": C["SHOP_ACCESS_TOKEN"]},
    )


def test_shop_settings_and_scopes_name_the_version_that_answered(client: Client) -> None:
    response = shop_post(client.url, "2026-10", SETTINGS_QUERY)
    assert response.status_code == 200
    assert response.headers["X-Shopify-API-Version"] == "2026-10"
    body = response.json()
    shop = body["data"]["shop"]
    assert (shop["currencyCode"], shop["taxesIncluded"], shop["ianaTimezone"]) == (
        "EUR",
        True,
        "Europe/Paris",
    )
    scopes = [s["handle"] for s in body["data"]["currentAppInstallation"]["accessScopes"]]
    assert scopes == ["read_orders", "read_all_orders", "read_products", "read_inventory"]
    assert body["extensions"]["cost"]["throttleStatus"]["maximumAvailable"] > 0


def test_every_shop_answer_carries_the_version_header(client: Client) -> None:
    query = "{ orders(first: 1, query: \"updated_at:>='2025-03-02'\") { nodes { id } } }"
    response = shop_post(client.url, "2026-01", query)
    assert "errors" not in response.json()
    assert response.headers["X-Shopify-API-Version"] == "2026-01"


def test_shop_scopes_are_configurable() -> None:
    config = make_config(shop_access_scopes=("read_orders",))
    with SimulatorServer(config) as sim:
        body = shop_post(
            sim.url, "2025-10", "{ currentAppInstallation { accessScopes { handle } } }"
        )
    data = body.json()["data"]
    assert data == {"currentAppInstallation": {"accessScopes": [{"handle": "read_orders"}]}}


def google_search(url: str, version: str, gaql: str) -> requests.Response:
    return requests.post(
        f"{url}/google-ads/{version}/customers/{C['GOOGLE_ADS_CUSTOMER_ID']}/googleAds:search",
        json={"query": gaql},
        headers={
            "developer-token": C["GOOGLE_ADS_DEVELOPER_TOKEN"],
            "Authorization": f"Bearer {C['GOOGLE_ADS_ACCESS_TOKEN']}",
        },
    )


def test_google_ads_customer_query(client: Client) -> None:
    response = google_search(client.url, "v23", "SELECT customer.id FROM customer LIMIT 1")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["results"] == [
        {"customer": {"id": C["GOOGLE_ADS_CUSTOMER_ID"], "resourceName": "customers/1234567890"}}
    ]
    assert body["fieldMask"] == "customer.id"


def test_retired_google_ads_version_is_refused_like_google_does() -> None:
    config = make_config(retired_google_ads_versions=frozenset({"v21", "v22"}))
    gaql = "SELECT customer.id FROM customer LIMIT 1"
    with SimulatorServer(config) as sim:
        retired = google_search(sim.url, "v21", gaql)
        current = google_search(sim.url, "v23", gaql)
    assert retired.status_code == 404
    assert retired.headers["Content-Type"].startswith("text/html")
    assert "/v21/customers/1234567890/googleAds:search" in retired.text
    assert current.status_code == 200


def test_the_knob_retires_only_the_versions_it_names() -> None:
    config = make_config(retired_google_ads_versions=frozenset({"v23"}))
    gaql = "SELECT customer.id FROM customer LIMIT 1"
    with SimulatorServer(config) as sim:
        assert google_search(sim.url, "v23", gaql).status_code == 404
        assert google_search(sim.url, "v24", gaql).status_code == 200


def test_cli_refuses_a_malformed_retired_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        simulator_main(["serve", "--retired-google-ads-versions", "v21,22"])
    assert exit_info.value.code == 2
    assert "not Google Ads versions (vNN): 22" in capsys.readouterr().err


def meta_account(
    url: str, fields: str, account: str = C["META_AD_ACCOUNT_ID"]
) -> requests.Response:
    return requests.get(
        f"{url}/meta/v25.0/act_{account}",
        params={"fields": fields},
        headers={"Authorization": f"Bearer {C['META_ACCESS_TOKEN']}"},
    )


def test_meta_ad_account_node_and_usage_headers(
    private: tuple[SimulatorServer, Client],
) -> None:
    sim, _ = private
    response = meta_account(sim.url, "id,account_status")
    assert response.status_code == 200
    assert response.json() == {"id": "act_1029384756", "account_status": 1}
    account_usage = json.loads(response.headers["X-Ad-Account-Usage"])
    assert account_usage["acc_id_util_pct"] == 0
    business = json.loads(response.headers["X-Business-Use-Case-Usage"])
    assert business[C["META_AD_ACCOUNT_ID"]][0]["type"] == "ads_management"
    for _ in range(9):
        response = meta_account(sim.url, "id")
    assert json.loads(response.headers["X-Ad-Account-Usage"])["acc_id_util_pct"] == 1  # 10/1000


def test_meta_ad_account_errors(client: Client) -> None:
    unknown_field = meta_account(client.url, "id,secret_field")
    assert unknown_field.status_code == 400
    assert unknown_field.json()["error"]["code"] == 100
    assert meta_account(client.url, "id", account="42").status_code == 404
    anonymous = requests.get(f"{client.url}/meta/v25.0/act_{C['META_AD_ACCOUNT_ID']}")
    assert anonymous.status_code == 401


def test_zendesk_me_is_an_admin_and_counts_the_minute(
    private: tuple[SimulatorServer, Client],
) -> None:
    sim, _ = private
    auth = (f"{C['ZENDESK_EMAIL']}/token", C["ZENDESK_API_TOKEN"])
    url = f"{sim.url}/zendesk/api/v2/users/me.json"
    first, second = requests.get(url, auth=auth), requests.get(url, auth=auth)
    assert first.json()["user"]["role"] == "admin"
    assert first.json()["user"]["email"] == C["ZENDESK_EMAIL"]
    assert first.headers["X-Rate-Limit"] == "700"
    assert (first.headers["X-Rate-Limit-Remaining"], second.headers["X-Rate-Limit-Remaining"]) == (
        "699",
        "698",
    )
    assert requests.get(url, auth=(f"{C['ZENDESK_EMAIL']}/token", "wrong")).status_code == 401


def test_ga4_property_quota_only_when_asked(private: tuple[SimulatorServer, Client]) -> None:
    _, client = private
    body = {
        "dateRanges": [{"startDate": "2025-03-02", "endDate": "2025-03-02"}],
        "metrics": [{"name": "sessions"}],
        "limit": 1,
    }
    plain = client.ga4(body).json()
    asked = client.ga4({**body, "returnPropertyQuota": True}).json()
    assert "propertyQuota" not in plain
    assert asked["propertyQuota"]["tokensPerDay"] == {"consumed": 20, "remaining": 199_980}
    assert asked["propertyQuota"]["tokensPerHour"] == {"consumed": 20, "remaining": 39_980}
    assert len(asked["rows"]) == 1
