"""The shared client over real loopback HTTP: auth, retries, GraphQL errors, fail-fast, secrets."""

from __future__ import annotations

import base64
import dataclasses
import json
import logging
import time
from collections.abc import Iterator

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from orchestration.lib import http
from orchestration.sources.meta_ads.extract import meta_rate_limit
from orchestration.sources.zendesk.extract import zendesk_auth

TOKEN = "shpat_secret_canary_0001"


@pytest.fixture
def threaded_server() -> Iterator[HTTPServer]:
    """A server that answers concurrently, so a slow handler cannot block the retry."""
    server = HTTPServer(threaded=True)
    server.start()
    yield server
    server.clear()
    server.stop()


def _sequence(*responses: Response) -> object:
    """A handler that plays `responses` in order, then repeats the last one."""
    queue = list(responses)

    def handler(request: Request) -> Response:
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return handler


def _ok(body: object) -> Response:
    return Response(json.dumps(body), content_type="application/json")


def test_429_with_retry_after_then_success(
    httpserver: HTTPServer, fast_http: http.HttpSettings
) -> None:
    throttled = Response("slow down", status=429, headers={"Retry-After": "1"})
    httpserver.expect_request("/x").respond_with_handler(_sequence(throttled, _ok({"n": 1})))
    client = http.ApiClient("zendesk", httpserver.url_for(""), http.Auth(), fast_http)
    started = time.monotonic()
    assert client.get_json("/x") == {"n": 1}
    assert time.monotonic() - started >= 0.9  # Retry-After honoured
    assert (client.stats.requests, client.stats.retries) == (2, 1)


def test_5xx_on_post_retried(httpserver: HTTPServer, fast_http: http.HttpSettings) -> None:
    httpserver.expect_request("/x", method="POST").respond_with_handler(
        _sequence(Response("", status=503), Response("", status=502), _ok({"n": 2}))
    )
    client = http.ApiClient("ga4", httpserver.url_for(""), http.Auth(), fast_http)
    assert client.post_json("/x", {"q": 1}) == {"n": 2}
    assert client.stats.retries == 2


def test_read_timeout_retried(threaded_server: HTTPServer) -> None:
    calls: list[float] = []

    def handler(request: Request) -> Response:
        calls.append(time.monotonic())
        if len(calls) == 1:
            time.sleep(0.6)
        return _ok({"n": len(calls)})

    threaded_server.expect_request("/slow", method="POST").respond_with_handler(handler)
    settings = http.HttpSettings(read_timeout=0.3, backoff_factor=0.01, backoff_jitter=0)
    client = http.ApiClient("ga4", threaded_server.url_for(""), http.Auth(), settings)
    assert client.post_json("/slow", {}) == {"n": 2}
    assert client.stats.retries == 1


@pytest.mark.parametrize("status", [401, 403, 404])
def test_permanent_errors_fail_fast_with_clear_message(
    httpserver: HTTPServer, fast_http: http.HttpSettings, status: int
) -> None:
    httpserver.expect_request("/admin/x").respond_with_data(f"no {TOKEN}", status=status)
    client = http.ApiClient("shop", httpserver.url_for(""), http.bearer_auth(TOKEN), fast_http)
    with pytest.raises(http.ApiError) as raised:
        client.get_json("/admin/x", params={"a": "b"})
    error = raised.value
    assert error.permanent and error.status == status
    assert str(error).startswith(f"shop: GET /admin/x failed (HTTP {status})")
    assert TOKEN not in str(error) and "a=b" not in str(error)
    assert client.stats.requests == 1  # no retry


def test_retries_exhausted_names_source_and_path(
    httpserver: HTTPServer, fast_http: http.HttpSettings
) -> None:
    httpserver.expect_request("/x").respond_with_data("", status=500)
    client = http.ApiClient("rfid", httpserver.url_for(""), http.Auth(), fast_http)
    with pytest.raises(http.ApiError, match=r"rfid: GET /x failed \(HTTP 500\)") as raised:
        client.get_json("/x")
    assert not raised.value.permanent
    assert client.stats.requests == fast_http.max_retries + 1


def test_graphql_errors_in_200_are_errors(
    httpserver: HTTPServer, fast_http: http.HttpSettings
) -> None:
    httpserver.expect_request("/g", method="POST").respond_with_json(
        {"data": None, "errors": [{"message": "Field 'bogus' doesn't exist"}]}
    )
    client = http.ApiClient("shop", httpserver.url_for(""), http.Auth(), fast_http)
    with pytest.raises(http.ApiError, match=r"shop: POST /g .*Field 'bogus' doesn't exist"):
        client.graphql("/g", "{bogus}", {})


def test_token_never_logged_nor_sent_in_urls(
    httpserver: HTTPServer,
    fast_http: http.HttpSettings,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    next_url = httpserver.url_for("/p2") + f"?after=abc&access_token={TOKEN}"
    httpserver.expect_request("/p1").respond_with_handler(
        _sequence(Response("", status=503), _ok({"data": [1], "paging": {"next": next_url}}))
    )
    httpserver.expect_request("/p2").respond_with_json({"data": [2]})
    httpserver.expect_request("/p3").respond_with_data("denied", status=401)
    client = http.ApiClient("meta_ads", httpserver.url_for(""), http.bearer_auth(TOKEN), fast_http)
    client.get_json("/p1")
    client.get_json(next_url)
    with pytest.raises(http.ApiError) as raised:
        client.get_json(httpserver.url_for("/p3") + f"?access_token={TOKEN}")
    logging.getLogger("test").error("failed: %s", raised.value)
    received = [r.query_string.decode() for r, _ in httpserver.log]
    assert "after=abc" in received and all(TOKEN not in q for q in received)
    out, err = capfd.readouterr()
    assert caplog.text and TOKEN not in caplog.text + out + err + str(raised.value)


def test_unanswered_call_fails_within_its_budget(hanging_url: str) -> None:
    settings = http.HttpSettings(
        connect_timeout=0.3, read_timeout=0.3, max_retries=20, backoff_factor=0.01, budget_seconds=1
    )
    client = http.ApiClient("ga4", hanging_url, http.Auth(), settings)
    started = time.monotonic()
    with pytest.raises(http.ApiError) as raised:
        client.post_json("/v1beta/properties/1:runReport", {})
    elapsed = time.monotonic() - started
    assert 0.9 <= elapsed < 1.5  # the budget, not 21 attempts x 0.3 s
    assert str(raised.value).startswith(
        "ga4: POST /v1beta/properties/1:runReport failed (no response): time budget of 1 s ran out"
    )
    assert raised.value.budget_spent and not raised.value.retriable
    assert 3 <= client.stats.requests <= 4  # retried while time was left


def test_retry_after_beyond_the_budget_fails_at_once(
    httpserver: HTTPServer, fast_http: http.HttpSettings
) -> None:
    httpserver.expect_request("/x").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "30"}
    )
    settings = dataclasses.replace(fast_http, retry_after_max=300, budget_seconds=3)
    client = http.ApiClient("zendesk", httpserver.url_for(""), http.Auth(), settings)
    started = time.monotonic()
    with pytest.raises(http.ApiError, match=r"HTTP 429\): time budget of 3 s ran out"):
        client.get_json("/x")
    assert time.monotonic() - started < 1  # no 30 s sleep that would end past the deadline
    assert client.stats.requests == 1


def test_what_may_heal_is_retriable_the_rest_is_not(
    httpserver: HTTPServer, fast_http: http.HttpSettings
) -> None:
    httpserver.expect_request("/html").respond_with_data("<html>maintenance</html>")
    httpserver.expect_request("/g", method="POST").respond_with_json(
        {"errors": [{"message": "Field 'bogus' doesn't exist"}]}
    )
    limited = {"error": {"code": 17, "message": "User request limit reached"}}
    httpserver.expect_request("/act_1/insights").respond_with_json(limited, status=400)
    httpserver.expect_request("/down").respond_with_data("", status=503)
    client = http.ApiClient("meta_ads", httpserver.url_for(""), http.Auth(), fast_http)
    calls = {
        "/html": lambda: client.get_json("/html"),
        "/g": lambda: client.graphql("/g", "{bogus}", {}),
        "/act_1/insights": lambda: client.get_json(
            "/act_1/insights", retry_when=meta_rate_limit(fast_http)
        ),
        "/down": lambda: client.get_json("/down"),
    }
    retriable = {}
    for path, call in calls.items():
        with pytest.raises(http.ApiError) as raised:
            call()
        retriable[path] = raised.value.retriable
    assert retriable == {"/html": False, "/g": False, "/act_1/insights": True, "/down": True}


def test_secret_forms_cover_quoting_and_base64() -> None:
    token = "ab/c+d=e f"
    expected = {
        token,
        "ab%2Fc%2Bd%3De%20f",  # quote(safe="")
        "ab%2Fc%2Bd%3De+f",  # quote_plus
        "YWIvYytkPWUgZg==",  # base64
        "YWIvYytkPWUgZg",
        "YWIvYytkPWUgZg%3D%3D",
    }
    assert http.secret_forms(token) == expected
    pair_forms = zendesk_auth("a@b.c", "zt").secrets
    assert "YUBiLmMvdG9rZW46enQ=" in pair_forms  # the Basic header Zendesk receives
    assert "a@b.c/token:zt" in pair_forms and "zt" in pair_forms


def test_echoed_basic_auth_is_redacted_whole(
    httpserver: HTTPServer, fast_http: http.HttpSettings
) -> None:
    def echo(request: Request) -> Response:
        # The header lands across the 300-character cut of the error's body snippet.
        return Response("x" * 280 + f" {request.headers['Authorization']} {request.url}", 400)

    httpserver.expect_request("/tickets").respond_with_handler(echo)
    api_token = "zdtoken_0123456789abcdef"
    auth = zendesk_auth("ops@example.com", api_token)
    client = http.ApiClient("zendesk", httpserver.url_for(""), auth, fast_http)
    with pytest.raises(http.ApiError) as raised:
        client.get_json(httpserver.url_for("/tickets") + f"?after=p2&sig={api_token}")
    pair = base64.b64encode(f"ops@example.com/token:{api_token}".encode()).decode()
    message = str(raised.value)
    assert "Basic ***" in message
    assert pair[:8] not in message and api_token not in message
    assert "sig=" not in httpserver.log[0][0].url  # a parameter holding the token is not sent
