"""Failures stay contained: credentials leave no trace, hopeless errors are not retried, and a
source that does not answer fails its step within its time budget while the others land.

Every test materialises real extract assets with Dagster over loopback HTTP.
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote, quote_plus, urlencode

import dagster as dg
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from orchestration.definitions import extract_assets
from orchestration.lib.config import PipelineResource, resolve_config
from orchestration.lib.extract import ExtractRun
from orchestration.lib.http import HttpSettings
from orchestration.lib.settings import SOURCE_ENV
from tests.contracts.conftest import land_catalog
from tests.sources.conftest import DAY

#: Test-sized knobs: 0.5 s timeouts, a 1.5 s budget per call, millisecond backoff.
FAST = PipelineResource(
    max_retries=4,
    backoff_factor=0.01,
    backoff_max=0.05,
    connect_timeout=0.5,
    read_timeout=0.5,
    retry_after_max=120,
    budget_seconds=1.5,
)

#: One canary per credential; some carry characters that URL-quoting and base64 change.
TOKENS = {
    "SHOP_ACCESS_TOKEN": "shpat_canary_shop_5f1e2d",
    "GOOGLE_ADS_DEVELOPER_TOKEN": "canary-dev-token-7a7a7a",
    "GOOGLE_ADS_ACCESS_TOKEN": "ya29.canary/ads+access=token",
    "META_ACCESS_TOKEN": "EAAcanaryMetaToken+/9q",
    "EPCIS_TOKEN": "canary epcis:token/42",
    "ZENDESK_API_TOKEN": "canaryZendeskApiToken0042",
    "GA4_ACCESS_TOKEN": "ya29.canary-ga4-token_00",
}
ZENDESK_EMAIL = "ops@example.com"
IDS = {
    "GOOGLE_ADS_CUSTOMER_ID": "1234567890",
    "META_AD_ACCOUNT_ID": "1029384756",
    "GA4_PROPERTY_ID": "987654321",
    "ZENDESK_EMAIL": ZENDESK_EMAIL,
    "ZENDESK_ORDER_FIELD_ID": "360000000001",
}


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def encodings(secret: str) -> set[str]:
    """How a secret may travel: raw, URL-quoted both ways, base64 (padded or not, quoted)."""
    encoded = _b64(secret)
    return {
        secret,
        quote(secret, safe=""),
        quote_plus(secret),
        encoded,
        encoded.rstrip("="),
        quote(encoded, safe=""),
    }


def all_forms() -> dict[str, str]:
    """form -> which credential it encodes; the basic-auth pair included."""
    forms = {form: name for name, token in TOKENS.items() for form in encodings(token)}
    pair = f"{ZENDESK_EMAIL}/token:{TOKENS['ZENDESK_API_TOKEN']}"
    forms |= {form: "Zendesk basic-auth pair" for form in encodings(pair)}
    return forms


def telltales() -> dict[str, str]:
    """Pieces whose presence betrays a credential, even cut short by a truncated error snippet:
    the word every canary carries in clear, and each 10-character piece of each encoded form
    (the raw and URL-quoted pair are left out: their pieces would match the e-mail address,
    and the token they hold is checked on its own)."""
    pieces = {"canary": "a token in clear"}
    pair = f"{ZENDESK_EMAIL}/token:{TOKENS['ZENDESK_API_TOKEN']}"
    for form, credential in all_forms().items():
        if form in (pair, quote(pair, safe=""), quote_plus(pair)):
            continue
        pieces |= {form[i : i + 10]: credential for i in range(len(form) - 9)}
    return pieces


def _echo(request: Request) -> str:
    """Every header and the full URL as received, raw and form-encoded: what a careless API
    puts in an error body."""
    headers = "\n".join(f"{name}: {value}" for name, value in request.headers.items())
    return f"echo of {request.method} {request.url}\n{headers}\n{urlencode(request.headers)}"


def _echo_server(server: HTTPServer) -> Callable[[Request], Response]:
    """Answers each source the way that exercises one error path, echoing the request."""

    def handle(request: Request) -> Response:
        path = request.path
        if path.startswith("/meta/") and "after" not in request.args:
            token = TOKENS["META_ACCESS_TOKEN"]
            next_url = server.url_for(path) + (
                f"?after=p2&access_token={quote(token, safe='')}&sig={quote_plus(token)}"
            )
            page = {"data": [], "paging": {"next": next_url}}
            return Response(json.dumps(page), content_type="application/json")
        if path.startswith("/shop/"):  # GraphQL errors in an HTTP 200 body
            body = {"errors": [{"message": _echo(request)}]}
            return Response(json.dumps(body), content_type="application/json")
        if path.startswith("/zendesk/"):  # rate limited beyond the budget
            return Response(_echo(request), status=429, headers={"Retry-After": "60"})
        if path.startswith("/ga4/"):  # an HTML page where JSON was due
            return Response(f"<html>{_echo(request)}</html>", content_type="text/html")
        return Response(_echo(request), status=400 if "/meta/" in path else 401)

    return handle


@pytest.fixture
def echo_env(warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[HTTPServer]:
    """Every source (live mode) pointed at an echo server, with canary credentials."""
    server = HTTPServer(threaded=True)
    server.start()
    server.expect_request(re.compile(".*")).respond_with_handler(_echo_server(server))
    prefixes = {
        "shop": "/shop",
        "google_ads": "/google-ads",
        "meta_ads": "/meta/v23.0",
        "rfid": "/epcis",
        "zendesk": "/zendesk",
        "ga4": "/ga4",
    }
    for source, spec in SOURCE_ENV.items():
        monkeypatch.setenv(spec.url_var, server.url_for(prefixes[source]))
    for name, value in {**TOKENS, **IDS}.items():
        monkeypatch.setenv(name, value)
    yield server
    server.clear()
    server.stop()


def land_one_variant() -> None:
    """google_ads maps offer ids to skus through the landed catalog: one variant is enough."""
    variant = {"id": "gid://shopify/ProductVariant/1", "sku": "SKU-1", "barcode": None}
    variant |= {"price": "10.00", "product": {"id": "gid://shopify/Product/1"}}
    land_catalog(ExtractRun("shop", resolve_config(os.environ), HttpSettings()), DAY, [variant])


def _files_text(*roots: Path) -> dict[str, bytes]:
    return {
        str(path): path.read_bytes() for root in roots for path in root.rglob("*") if path.is_file()
    }


def _materialise(
    names: set[str], instance: dg.DagsterInstance
) -> tuple[dg.ExecuteInProcessResult, list]:
    """The named extract assets for DAY with the test-sized knobs, and the run's event records."""
    assets = [a for a in extract_assets if a.key.path[-1] in names]
    result = dg.materialize(
        assets,
        partition_key=DAY.isoformat(),
        resources={"pipeline": FAST},
        instance=instance,
        raise_on_error=False,
    )
    return result, instance.all_logs(result.run_id)


def _not_retried(records: list) -> bool:
    """No step was queued for a retry (the step retries wait 5 s and 15 s)."""
    return not [r for r in records if r.dagster_event and r.dagster_event.is_step_up_for_retry]


def test_echoed_credentials_leave_no_trace(
    echo_env: HTTPServer,
    warehouse: Path,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    land_one_variant()
    caplog.set_level("DEBUG")  # urllib3's request lines (full URLs) and the client's retries
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    # One asset per source; rfid_counts needs a landed catalog, so EPCIS is not called.
    names = {a.key.path[-1] for a in extract_assets} - {"shop_catalog", "rfid_counts"}
    with dg.instance_for_test(temp_dir=str(dagster_home)) as instance:
        result, records = _materialise(names, instance)
        events = "\n".join(dg.serialize_value(record) for record in records)
    out, err = capfd.readouterr()

    # The server did receive the credentials (the Basic pair, bearer tokens) it then echoed.
    received = "\n".join(_echo(request) for request, _ in echo_env.log)
    assert "Basic " + _b64(f"{ZENDESK_EMAIL}/token:{TOKENS['ZENDESK_API_TOKEN']}") in received
    assert "Bearer " + TOKENS["GA4_ACCESS_TOKEN"] in received
    # The next link's token parameters were dropped before sending, its cursor kept.
    assert "after=p2" in received and "access_token=" not in received and "sig=" not in received

    # Every step failed on its echo, at once (no step retry), with a message naming the source.
    failures = {e.step_key: e.event_specific_data.error for e in result.get_step_failure_events()}
    assert len(failures) == len(names) == 5
    messages = {key: error.message for key, error in failures.items()}
    zendesk = messages["landing__zendesk_tickets"]
    assert (
        "zendesk: GET /zendesk/api/v2/incremental/tickets/cursor.json failed (HTTP 429)" in zendesk
    )
    assert "time budget of 1.5 s ran out" in zendesk  # Retry-After: 60 would pass the budget
    assert "(HTTP 200): response body is not JSON" in messages["landing__ga4_sessions"]
    assert "(HTTP 401)" in messages["landing__google_ads"]
    assert "(HTTP 400)" in messages["landing__meta_ads"]
    assert "GraphQL errors" in messages["landing__shop_orders"]
    redacted = re.compile(r"(Authorization: (Bearer|Basic) |Token: )\*\*\*\s")
    assert all(redacted.search(message) for message in messages.values())  # echoed, masked
    assert _not_retried(records)

    # Not one form of one credential anywhere: console, logs, events, run storage, warehouse.
    written = {
        "stdout": out.encode(),
        "stderr": err.encode(),
        "python log": "\n".join(
            r.getMessage()
            for r in caplog.records
            if r.name != "werkzeug"  # the echo server's
        ).encode(),
        "event log": events.encode(),
        **_files_text(dagster_home, warehouse),
    }
    assert any("compute_logs" in where for where in written)  # the steps' captured output
    assert any(where.endswith(".db") for where in written)  # the run history (SQLite)
    leaks = [
        (where, credential, piece)
        for piece, credential in telltales().items()
        for where, data in written.items()
        if piece.lower().encode() in data.lower()
    ]
    assert leaks == []


def _step_seconds(records: list, step_key: str) -> float:
    """From the step's start to its end (success or failure), by the run's event log."""
    events = {
        r.dagster_event.event_type_value: r.timestamp
        for r in records
        if r.step_key == step_key and r.dagster_event
    }
    end = events.get("STEP_FAILURE", events.get("STEP_SUCCESS"))
    return end - events["STEP_START"]


def test_unresponsive_source_fails_in_its_budget_while_the_others_land(
    serve: Callable, monkeypatch: pytest.MonkeyPatch, hanging_url: str, warehouse: Path
) -> None:
    serve()
    land_one_variant()
    monkeypatch.setenv("GA4_URL", f"{hanging_url}/ga4")
    names = {"ga4_sessions", "google_ads", "meta_ads"}
    result, records = _materialise(names, dg.DagsterInstance.ephemeral())
    landed = {e.asset_key.path[-1] for e in result.get_asset_materialization_events()}
    assert landed == names - {"ga4_sessions"}
    [failure] = result.get_step_failure_events()
    assert failure.step_key == "landing__ga4_sessions"
    message = failure.event_specific_data.error.message
    assert "ga4: POST /ga4/v1beta/properties/987654321:runReport failed (no response)" in message
    assert "time budget of 1.5 s ran out" in message and "ReadTimeout" in message
    assert _not_retried(records)
    # The 1.5 s budget plus the step's own start-up (seconds on a busy machine); no step retry
    # and its 5 s and 15 s delays.
    assert _step_seconds(records, "landing__ga4_sessions") < 10
    assert re.search(r"after [23] attempt", message)  # 0.5 s, 0.5 s, then what is left


def _materialise_ga4() -> tuple[dg.ExecuteInProcessResult, list]:
    return _materialise({"ga4_sessions"}, dg.DagsterInstance.ephemeral())


def _failed_once(result: dg.ExecuteInProcessResult, records: list) -> str:
    """The one failure's message, after checking the step was not retried."""
    assert not result.success
    assert _not_retried(records)
    [failure] = result.get_step_failure_events()
    return failure.event_specific_data.error.message


def test_bad_budget_variable_fails_at_once(
    serve: Callable, monkeypatch: pytest.MonkeyPatch
) -> None:
    serve()
    monkeypatch.setenv("GA4_HTTP_BUDGET_SECONDS", "soon")
    message = _failed_once(*_materialise_ga4())
    assert "ga4: ConfigError: GA4_HTTP_BUDGET_SECONDS='soon' is not a positive number" in message


def test_unwritable_warehouse_fails_at_once(
    serve: Callable, monkeypatch: pytest.MonkeyPatch
) -> None:
    serve()
    # sysfs refuses new directories to everyone, root included (chmod would not stop root).
    monkeypatch.setenv("WAREHOUSE_DIR", "/sys/fs/warehouse")
    message = _failed_once(*_materialise_ga4())
    assert message.startswith("dagster._core.definitions.events.Failure: ga4: PermissionError")
    assert "/sys/fs/warehouse" in message and "not writable by this process" in message


def test_mixed_demo_and_live_fails_at_once(
    warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOP_URL", "https://example.myshopify.com")
    result, records = _materialise_ga4()
    assert not result.success and not result.get_step_failure_events()  # the resource refused
    assert _not_retried(records)
    events = "\n".join(dg.serialize_value(record) for record in records)
    assert "Some source URLs are set and others are not" in events
