"""Meta Marketing API: the official SDK (`facebook-business`) is the shape of requests and answers.

Every insights request the extractor sends, read back from the wire, must be accepted by the
SDK's own `AdAccount.get_insights` in strict mode (parameters it knows, of its types; fields and
enum values in `AdsInsights`); answers built with `AdsInsights` objects must land.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

import pytest
from facebook_business import apiconfig
from facebook_business.adobjects.adaccount import AdAccount
from facebook_business.adobjects.adsinsights import AdsInsights
from pytest_httpserver import HTTPServer
from werkzeug import Request

from orchestration.lib.extract import ExtractRun
from orchestration.lib.settings import SOURCE_ENV
from orchestration.sources.meta_ads import extract as meta_ads
from tests.contracts.conftest import LIVE_CREDENTIALS, META_VERSION, recording_handler
from tests.sources.conftest import DAY, read_landed

F = AdsInsights.Field
ACCOUNT = LIVE_CREDENTIALS["META_AD_ACCOUNT_ID"]


def _sdk_params(request: Request) -> tuple[list[str], dict[str, object]]:
    """The wire's query string back in the SDK's types (lists, maps, ints)."""
    args = dict(request.args)
    fields = args.pop("fields").split(",")
    params: dict[str, object] = dict(args)
    if "breakdowns" in params:
        params["breakdowns"] = str(params["breakdowns"]).split(",")
    params["time_range"] = json.loads(str(params["time_range"]))
    params["limit"] = int(str(params["limit"]))
    return fields, params


def _insight(**values: object) -> dict:
    row = AdsInsights()
    for key, value in values.items():
        row[key] = value
    return row.export_all_data()


def _campaign(campaign_id: str, spend: str) -> dict:
    return _insight(
        **{
            F.campaign_id: campaign_id,
            F.campaign_name: f"Campaign {campaign_id}",
            F.spend: spend,
            F.impressions: "2000",
            F.clicks: "55",
            F.actions: [
                {"action_type": "link_click", "value": "55"},
                {"action_type": "purchase", "value": "3"},
            ],
            F.action_values: [{"action_type": "purchase", "value": "210.70"}],
            F.date_start: DAY.isoformat(),
            F.date_stop: DAY.isoformat(),
        }
    )


def _answer(base_url: str) -> Callable[[Request], str]:
    def answer(request: Request) -> str:
        if request.args.get("level") == "ad":
            row = _insight(
                **{
                    F.campaign_id: "301",
                    F.ad_id: "1311",
                    F.spend: "4.10",
                    F.impressions: "300",
                    F.clicks: "7",
                    F.date_start: DAY.isoformat(),
                    F.date_stop: DAY.isoformat(),
                    "product_id": "NORD-TSH-0001-M",  # the breakdown's column
                }
            )
            return json.dumps({"data": [row]})
        if request.args.get("after") == "c2":
            return json.dumps({"data": [_campaign("302", "8.00")]})
        next_url = f"{base_url}{request.path}?{urlencode({**request.args, 'after': 'c2'})}"
        page = {"data": [_campaign("301", "15.25")], "paging": {"next": next_url}}
        return json.dumps(page)

    return answer


def test_the_demo_version_is_current_for_the_sdk() -> None:
    """The simulator path's version: not expired (v25.0 or later), not newer than the SDK."""
    demo = SOURCE_ENV["meta_ads"].demo_path.rsplit("/v", 1)[1]
    sdk = apiconfig.ads_api_config["API_VERSION"].removeprefix("v")
    assert 25 <= float(demo) <= float(sdk)
    assert f"v{demo}" == META_VERSION


def test_requests_are_valid_sdk_calls_and_sdk_objects_land(
    httpserver: HTTPServer,
    live_extract_run: Callable[[str], ExtractRun],
    warehouse: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[Request] = []
    base = httpserver.url_for("").rstrip("/")
    httpserver.expect_request(f"/{META_VERSION}/act_{ACCOUNT}/insights").respond_with_handler(
        recording_handler(_answer(base), seen)
    )
    meta_ads.extract_meta_ads(live_extract_run("meta_ads"), [DAY])

    # Strict mode: an unknown field or a value outside the SDK's enums raises.
    monkeypatch.setitem(apiconfig.ads_api_config, "STRICT_MODE", True)
    first_pages = [r for r in seen if "after" not in r.args]
    assert {r.args["level"] for r in first_pages} == {"campaign", "ad"}
    for request in first_pages:
        fields, params = _sdk_params(request)
        sdk_request = AdAccount(f"act_{ACCOUNT}").get_insights(
            fields=fields, params=params, pending=True
        )
        # Unknown parameter names pass the SDK silently: compare with its table explicitly.
        assert set(params) <= set(sdk_request._param_checker._type_check_info)
        assert set(fields) <= set(vars(F).values())
        assert params["level"] in vars(AdsInsights.Level).values()
        for breakdown in params.get("breakdowns") or []:
            assert breakdown in vars(AdsInsights.Breakdowns).values()

    campaigns = read_landed(warehouse, "meta_ads", "campaign_insights").to_pylist()
    assert {(r["campaign_id"], str(r["spend"]), r["conversions"]) for r in campaigns} == {
        ("301", "15.2500", 3.0),
        ("302", "8.0000", 3.0),
    }
    assert {str(r["conversions_value"]) for r in campaigns} == {"210.7000"}
    [ad] = read_landed(warehouse, "meta_ads", "ad_insights").to_pylist()
    assert (ad["sku"], str(ad["spend"]), ad["clicks"]) == ("NORD-TSH-0001-M", "4.1000", 7)
    assert ad["conversions"] is None and ad["conversions_value"] is None


def test_strict_mode_catches_a_field_the_sdk_does_not_know(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(apiconfig.ads_api_config, "STRICT_MODE", True)
    with pytest.raises(Exception, match="does not allow field purchases"):
        AdAccount("act_1").get_insights(fields=["purchases"], params={}, pending=True)
