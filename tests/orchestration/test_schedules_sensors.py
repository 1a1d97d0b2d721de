"""Schedule switch and failure-alert message: pure functions, plus the webhook POST."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote_plus

import dagster as dg
from pytest_httpserver import HTTPServer

from orchestration.schedules import schedule_default_status
from orchestration.sensors import FailedStep, alert_payload, failure_message, post_alert


def test_schedule_is_off_unless_switched_on() -> None:
    assert schedule_default_status({}) == dg.DefaultScheduleStatus.STOPPED
    assert schedule_default_status({"PIPELINE_SCHEDULE_DEFAULT_ON": "0"}) == (
        dg.DefaultScheduleStatus.STOPPED
    )
    for value in ("1", "true", "YES", " on "):
        assert schedule_default_status({"PIPELINE_SCHEDULE_DEFAULT_ON": value}) == (
            dg.DefaultScheduleStatus.RUNNING
        )


def test_failure_message_names_job_run_step_and_error() -> None:
    message = failure_message(
        "daily_pipeline",
        "abc123",
        [FailedStep("landing__shop_orders", "HTTPError: 503 from shop\nTraceback...")],
        "Execution of run for daily_pipeline failed.",
    )
    assert "daily_pipeline" in message
    assert "abc123" in message
    assert "landing__shop_orders" in message
    assert "503 from shop" in message


def test_failure_message_without_steps_uses_the_run_error() -> None:
    message = failure_message("daily_pipeline", "r1", [], "run worker crashed")
    assert "run worker crashed" in message


def test_secrets_are_scrubbed_from_every_field() -> None:
    environ = {
        "SHOP_ACCESS_TOKEN": "shpat_secret_value",
        "GOOGLE_ADS_DEVELOPER_TOKEN": "devtok-12345",
        "PUBLISH_POSTGRES_DSN": "postgresql://bi:pw@db/marts",
        "OPENAI_API_KEY": "sk-abcdef",
        "DB_PASSWORD": "hunter2",
        "SHOP_URL": "https://shop.example",  # not a secret: kept
        "FLAG_KEY": "1",  # too short to scrub meaningfully
    }
    error = (
        "401 for https://shop.example?token=shpat_secret_value with devtok-12345, "
        "could not connect to postgresql://bi:pw@db/marts (hunter2, sk-abcdef) step 1"
    )
    payload = alert_payload("daily_pipeline", "r1", [FailedStep("s", error)], None, environ)
    text = json.dumps(payload)
    for secret in ("shpat_secret_value", "devtok-12345", "bi:pw@db", "hunter2", "sk-abcdef"):
        assert secret not in text
    assert "https://shop.example" in text
    assert "step 1" in text


def test_alert_is_posted_as_json(httpserver: HTTPServer) -> None:
    payload = alert_payload("daily_pipeline", "r1", [FailedStep("s", "boom")], None, {})
    httpserver.expect_request("/hook", method="POST", json=payload).respond_with_data("ok")
    post_alert(httpserver.url_for("/hook"), payload)
    httpserver.check_assertions()


def test_secrets_are_scrubbed_in_every_encoding() -> None:
    """A server that echoed the request: the Basic header, a URL-encoded and a base64 token."""
    environ = {
        "ZENDESK_EMAIL": "ops@example.com",
        "ZENDESK_API_TOKEN": "zd0123456789",
        "META_ACCESS_TOKEN": "EAA+meta/token=",
    }
    basic = base64.b64encode(b"ops@example.com/token:zd0123456789").decode()
    error = (
        f"HTTP 400; body: Authorization: Basic {basic} "
        f"url: /insights?sig={quote_plus('EAA+meta/token=')} "
        f"b64: {base64.b64encode(b'EAA+meta/token=').decode()} step 1"
    )
    payload = alert_payload("daily_pipeline", "r1", [FailedStep("s", error)], None, environ)
    text = json.dumps(payload)
    for leaked in (basic, quote_plus("EAA+meta/token="), "RUFBK21ldGEvdG9rZW49"):
        assert leaked not in text
    assert "Authorization: Basic ***" in text and "step 1" in text
