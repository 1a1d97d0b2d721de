"""`make check-sources` against the real simulator over loopback (and, for answers the simulator
does not give, a vendor-shaped pytest-httpserver)."""

from __future__ import annotations

import base64
import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from orchestration import preflight
from orchestration.lib.config import resolve_config
from orchestration.lib.http import HttpSettings
from orchestration.lib.settings import DEFAULT_SHOP_API_VERSION, SOURCE_ENV
from simulator import DEMO_CREDENTIALS, SimulatorConfig, SimulatorServer

ROOT = Path(__file__).resolve().parents[2]
FAST = HttpSettings(connect_timeout=2.0, read_timeout=5.0, max_retries=0, backoff_factor=0.01)


def table(output: str) -> dict[str, dict[str, str]]:
    """The printed table as {source: {column: value}} (columns are two spaces apart or more)."""
    lines = [line for line in output.splitlines() if re.match(r"\w+\s{2,}", line)]
    header = re.split(r"\s{2,}", lines[0])
    assert header == ["source", "host", "version", "auth", "permissions", "rate budget", "verdict"]
    return {
        cells[0]: dict(zip(header, cells, strict=True))
        for cells in (re.split(r"\s{2,}", line) for line in lines[1:])
    }


def run(env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = preflight.main([], env)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def sim_env(tmp_path: Path) -> Iterator[tuple[SimulatorServer, dict[str, str]]]:
    """A served simulator and the environment of a live setup pointed at it (Meta at v25.0)."""
    with SimulatorServer(SimulatorConfig()) as sim:
        yield sim, live_env(sim, tmp_path)


def live_env(sim: SimulatorServer, tmp_path: Path) -> dict[str, str]:
    return {**sim.env(), "META_ADS_URL": f"{sim.url}/meta/v25.0", "WAREHOUSE_DIR": str(tmp_path)}


def test_demo_mode_checks_the_in_process_simulator(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run({"WAREHOUSE_DIR": str(tmp_path)}, capsys)
    assert code == 0, out
    assert re.match(r"Sources: demo: simulator at 127\.0\.0\.1:\d+ \(no source URL is set\)", out)
    rows = table(out)
    assert list(rows) == list(SOURCE_ENV)
    assert all(row["auth"] == "ok" and row["verdict"] != "FAIL" for row in rows.values())
    assert rows["shop"]["version"] == DEFAULT_SHOP_API_VERSION
    assert rows["zendesk"]["permissions"] == "role admin"
    assert re.search(r"all 6 sources answered: ready(, \d warning\(s\) above)?\n$", out)


def test_live_setup_against_the_simulator_is_ready(
    sim_env: tuple[SimulatorServer, dict[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    sim, env = sim_env
    code, out, _ = run(env, capsys)
    assert code == 0, out
    assert out.startswith("Sources: live (every source URL is set)")
    rows = table(out)
    host = sim.url.removeprefix("http://")
    assert {row["host"] for row in rows.values()} == {host}
    assert {s: row["verdict"] for s, row in rows.items()} == dict.fromkeys(SOURCE_ENV, "ok")
    shop = rows["shop"]
    assert shop["version"] == env["SHOP_API_VERSION"]
    assert shop["permissions"] == "read_orders read_all_orders read_products read_inventory"
    assert re.fullmatch(r"\d+/2000 points, \+100/s", shop["rate budget"])
    assert rows["google_ads"]["version"] == resolve_config(env).google_ads_api_version
    assert rows["google_ads"]["permissions"] == "customer 1234567890 readable"
    assert rows["meta_ads"]["version"] == "v25.0"
    assert rows["meta_ads"]["permissions"] == "act_1029384756 ACTIVE"
    assert rows["meta_ads"]["rate budget"] == "account 0% used, business 0% used"
    assert rows["rfid"]["version"] == "2.0.0"
    assert rows["zendesk"]["rate budget"] == "699/700 per minute"
    assert rows["ga4"]["rate budget"] == "tokens left 199990/day, 39990/hour"


def test_retired_google_ads_version_fails_with_the_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = SimulatorConfig(retired_google_ads_versions=frozenset({"v21", "v22"}))
    with SimulatorServer(config) as sim:
        env = live_env(sim, tmp_path)
        code, out, _ = run({**env, "GOOGLE_ADS_API_VERSION": "v21"}, capsys)
        current_code, current_out, _ = run({**env, "GOOGLE_ADS_API_VERSION": "v23"}, capsys)
    rows = table(out)
    assert code == 1
    assert rows["google_ads"]["version"] == "v21"
    assert rows["google_ads"]["verdict"] == "FAIL"
    assert (
        "google_ads: FAIL Google Ads v21 is retired: set GOOGLE_ADS_API_VERSION=v23 or later"
        in (out.splitlines())
    )
    assert all(row["verdict"] == "ok" for s, row in rows.items() if s != "google_ads")
    assert out.rstrip().endswith("1 of 6 sources failed: google_ads")
    assert current_code == 0 and table(current_out)["google_ads"]["verdict"] == "ok"


def test_a_wrong_customer_on_a_current_version_is_not_called_retired(
    sim_env: tuple[SimulatorServer, dict[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    _, env = sim_env
    wrong_id = {"GOOGLE_ADS_CUSTOMER_ID": "999-999-9999", "GOOGLE_ADS_API_VERSION": "v23"}
    code, out, _ = run({**env, **wrong_id}, capsys)
    assert code == 1
    assert "retired" not in out
    assert "google_ads: FAIL" in out and "GOOGLE_ADS_CUSTOMER_ID" in out


@pytest.mark.parametrize(
    ("scopes", "code", "verdict", "line", "summary"),
    [
        pytest.param(
            ("read_orders", "read_products", "read_inventory"),
            0,
            "warn",
            "shop: warn the Shopify app lacks read_all_orders",
            "all 6 sources answered: ready, 1 warning(s) above",
            id="without-read_all_orders-warns-before-backfills",
        ),
        pytest.param(
            ("read_orders", "read_all_orders", "read_products"),
            1,
            "FAIL",
            "shop: FAIL the Shopify app lacks the scope(s) read_inventory",
            "1 of 6 sources failed: shop",
            id="without-read_inventory-fails",
        ),
    ],
)
def test_shop_app_missing_a_scope(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    scopes: tuple[str, ...],
    code: int,
    verdict: str,
    line: str,
    summary: str,
) -> None:
    with SimulatorServer(SimulatorConfig(shop_access_scopes=scopes)) as sim:
        returned, out, _ = run(live_env(sim, tmp_path), capsys)
    assert returned == code
    shop = table(out)["shop"]
    assert (shop["permissions"], shop["verdict"]) == (" ".join(scopes), verdict)
    assert line in out
    assert out.rstrip().endswith(summary)


def test_shop_time_zone_differs_from_shop_timezone(
    sim_env: tuple[SimulatorServer, dict[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    _, env = sim_env
    code, out, _ = run({**env, "SHOP_TIMEZONE": "America/New_York"}, capsys)
    assert code == 0
    assert "set SHOP_TIMEZONE=Europe/Paris" in out


def test_rejected_token_names_the_variable(
    sim_env: tuple[SimulatorServer, dict[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    _, env = sim_env
    code, out, _ = run({**env, "SHOP_ACCESS_TOKEN": "shpat_wrong"}, capsys)
    rows = table(out)
    assert code == 1
    assert (rows["shop"]["auth"], rows["shop"]["verdict"]) == ("failed", "FAIL")
    assert "shop: FAIL Shopify refused the credentials (HTTP 401): check SHOP_ACCESS_TOKEN" in out


def test_unreachable_source_names_its_url_variable(
    sim_env: tuple[SimulatorServer, dict[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    _, env = sim_env
    with socket.socket() as sock:  # a port nobody listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    code, out, _ = run({**env, "EPCIS_URL": f"http://127.0.0.1:{port}/epcis"}, capsys)
    assert code == 1
    assert table(out)["rfid"]["host"] == f"127.0.0.1:{port}"
    assert f"rfid: FAIL no answer from 127.0.0.1:{port}: check EPCIS_URL" in out


def test_wrong_base_url_names_its_variable(
    sim_env: tuple[SimulatorServer, dict[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    sim, env = sim_env
    code, out, _ = run({**env, "ZENDESK_URL": sim.url}, capsys)  # the /zendesk prefix forgotten
    assert code == 1
    assert "zendesk: FAIL Zendesk answered 404 (not found): check ZENDESK_URL\n" in out


def test_expired_meta_version_is_named(
    sim_env: tuple[SimulatorServer, dict[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    sim, env = sim_env
    code, out, _ = run({**env, "META_ADS_URL": f"{sim.url}/meta/v23.0"}, capsys)
    assert code == 0  # the simulator still answers it: a warning, not a failure
    assert "set META_ADS_URL to end with /v25.0 or later" in out
    assert preflight.meta_version("https://graph.facebook.com/v25.0") == (25, 0)
    assert preflight.meta_version("https://graph.facebook.com") is None


def test_mixed_environment_stops_before_any_call(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = {"SHOP_URL": "https://example.myshopify.com", "WAREHOUSE_DIR": str(tmp_path)}
    code, out, err = run(env, capsys)
    assert code == 2
    assert out == ""
    assert "GOOGLE_ADS_URL" in err and "check-sources" in err


def source_check(
    httpserver: HTTPServer,
    source: str,
    sim_env: tuple[SimulatorServer, dict[str, str]],
    **overrides: str,
) -> preflight.SourceCheck:
    """Check one source pointed at the test's vendor-shaped server."""
    _, env = sim_env
    url = {SOURCE_ENV[source].url_var: httpserver.url_for("/")}
    config = resolve_config({**env, **url, **overrides})
    return preflight.check_source(source, config, FAST)


def test_shopify_answering_another_version_is_a_warning(
    httpserver: HTTPServer, sim_env: tuple[SimulatorServer, dict[str, str]]
) -> None:
    """Shopify serves calls to an unsupported version with its oldest supported one."""
    body = {
        "data": {
            "shop": {"name": "x", "taxesIncluded": True, "ianaTimezone": "Europe/Paris"},
            "currentAppInstallation": {
                "accessScopes": [{"handle": h} for h in ("read_orders", "read_all_orders")]
                + [{"handle": "read_products"}, {"handle": "read_inventory"}]
            },
        }
    }
    httpserver.expect_request("/admin/api/2024-01/graphql.json", method="POST").respond_with_json(
        body, headers={"X-Shopify-API-Version": "2025-10"}
    )
    check = source_check(httpserver, "shop", sim_env, SHOP_API_VERSION="2024-01")
    assert (check.version, check.verdict) == ("2025-10", "warn")
    assert check.warnings == [
        "Shopify answered with 2025-10, not SHOP_API_VERSION=2024-01: that version is no longer "
        "supported; set SHOP_API_VERSION=2025-10 or newer"
    ]


def test_meta_refusing_an_expired_version_fails_with_the_fix(
    httpserver: HTTPServer, sim_env: tuple[SimulatorServer, dict[str, str]]
) -> None:
    """Meta's Marketing API answers calls to a deprecated version with error 2635."""
    error = {
        "message": "(#2635) You are calling a deprecated version of the Ads API. "
        "Please update to the latest version: v25.0.",
        "type": "OAuthException",
        "code": 2635,
    }
    httpserver.expect_request("/v23.0/act_1029384756").respond_with_json(
        {"error": error}, status=400
    )
    _, env = sim_env
    config = resolve_config({**env, "META_ADS_URL": httpserver.url_for("/v23.0")})
    check = preflight.check_source("meta_ads", config, FAST)
    assert (check.version, check.verdict) == ("v23.0", "FAIL")
    assert check.failures == [
        "Meta v23.0 has expired (versions live about two years): set META_ADS_URL to end with "
        "/v25.0 or later"
    ]


@pytest.mark.parametrize(
    ("user", "auth", "failure"),
    [
        ({"id": 7, "role": "agent"}, "ok", "the incremental export needs an admin"),
        ({"id": None, "role": "end-user"}, "failed", "Zendesk answered as an anonymous user"),
    ],
)
def test_zendesk_user_that_cannot_export_fails(
    httpserver: HTTPServer,
    sim_env: tuple[SimulatorServer, dict[str, str]],
    user: dict[str, object],
    auth: str,
    failure: str,
) -> None:
    httpserver.expect_request("/api/v2/users/me.json").respond_with_json({"user": user})
    check = source_check(httpserver, "zendesk", sim_env)
    assert (check.auth, check.verdict) == (auth, "FAIL")
    assert failure in check.failures[0]


def echo_credentials(request: Request) -> Response:
    """A broken upstream that echoes the credential headers it got in a 400 error body."""
    names = ("Authorization", "X-Shopify-Access-Token", "developer-token")
    echoed = {n: request.headers.get(n) for n in names if request.headers.get(n)}
    return Response(json.dumps({"error": echoed}), status=400, content_type="application/json")


DISTINCTIVE = {
    "SHOP_ACCESS_TOKEN": "shpat_TOKEN-shop-8c1f",
    "GOOGLE_ADS_DEVELOPER_TOKEN": "TOKEN-devtoken-3b7e",
    "GOOGLE_ADS_ACCESS_TOKEN": "ya29.TOKEN-google-51d2",
    "META_ACCESS_TOKEN": "EAATOKEN-meta-a90c",
    "EPCIS_TOKEN": "TOKEN-epcis-77e0",
    "ZENDESK_API_TOKEN": "TOKEN-zendesk-c4d8",
    "GA4_ACCESS_TOKEN": "ya29.TOKEN-ga4-0f6b",
}


def forbidden_strings() -> list[str]:
    email = DEMO_CREDENTIALS["ZENDESK_EMAIL"]
    plain = [*DISTINCTIVE.values(), f"{email}/token:{DISTINCTIVE['ZENDESK_API_TOKEN']}"]
    return plain + [base64.b64encode(s.encode()).decode().rstrip("=") for s in plain]


def run_cli(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    source_vars = {v for spec in SOURCE_ENV.values() for v in (spec.url_var, *spec.credential_vars)}
    inherited = {k: v for k, v in os.environ.items() if k not in source_vars}
    return subprocess.run(
        [sys.executable, "-m", "orchestration.preflight"],
        env={**inherited, "PYTHONPATH": str(ROOT), **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_no_token_is_ever_printed(httpserver: HTTPServer, tmp_path: Path) -> None:
    """Distinctive tokens, every source pointed at a server that echoes them back in its errors:
    neither the tokens nor their base64 (Zendesk's basic auth) reach stdout or stderr."""
    httpserver.expect_request(re.compile(".*")).respond_with_handler(echo_credentials)
    base = httpserver.url_for("").rstrip("/")
    urls = {spec.url_var: f"{base}/{source}" for source, spec in SOURCE_ENV.items()}
    urls["META_ADS_URL"] += "/v25.0"
    env = {**DEMO_CREDENTIALS, **DISTINCTIVE, **urls, "WAREHOUSE_DIR": str(tmp_path)}
    result = run_cli(env)
    assert result.returncode == 1, result.stderr
    assert "6 of 6 sources failed" in result.stdout
    assert "***" in result.stdout  # the echoed values were there, and were redacted
    leaked = [s for s in forbidden_strings() if s in result.stdout + result.stderr]
    assert leaked == []


def test_no_token_is_printed_when_every_source_answers(
    sim_env: tuple[SimulatorServer, dict[str, str]],
) -> None:
    _, env = sim_env
    result = run_cli(env)
    assert result.returncode == 0, result.stdout + result.stderr
    secrets = [v for k, v in DEMO_CREDENTIALS.items() if k.endswith("TOKEN")]
    assert secrets and not [s for s in secrets if s in result.stdout + result.stderr]
