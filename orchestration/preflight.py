"""`make check-sources`: one cheap authenticated call per source, before the first real run.

A live run that meets a retired API version, a token without a scope or a wrong account id fails
hours later in the middle of a backfill. This command asks each configured source one small
question with the pipeline's own HTTP client and configuration, and prints a table: the URL host,
the API version that answered, whether the credentials were accepted, the scopes or permissions
the pipeline needs, the rate budget the source reports, and a verdict with the fix for each
problem. With no source URL set it checks the in-process demo simulator and says so.

Exit code: 0 when every source is usable (warnings included), 1 when any source fails, 2 when the
environment is neither demo nor a complete live setup. No token is ever printed: every line is
redacted of the credential values and their base64 forms before it is written.

    python -m orchestration.preflight
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import requests

from orchestration.demo import start_demo_simulator
from orchestration.lib.config import PipelineConfig, resolve_config
from orchestration.lib.http import (
    ApiClient,
    ApiError,
    Auth,
    HttpSettings,
    bearer_auth,
    redact,
)
from orchestration.lib.settings import SOURCE_ENV, ConfigError, SourceSettings, load_settings
from orchestration.sources.google_ads.extract import google_ads_auth
from orchestration.sources.meta_ads.extract import meta_auth
from orchestration.sources.shop.api import shopify_auth
from orchestration.sources.zendesk.extract import zendesk_auth

#: google-ads 34.x, the current official client library, ships v23 to v26; v21 was switched off.
OLDEST_GOOGLE_ADS_VERSION = 23
#: Meta versions expire about two years after release: v23.0 and v24.0 are past.
OLDEST_META_VERSION = (25, 0)
#: The Shopify scopes the extracts use; without `read_all_orders` only backfills past 60 days fail.
SHOP_SCOPES = ("read_orders", "read_all_orders", "read_products", "read_inventory")
SHOP_BACKFILL_SCOPE = "read_all_orders"
META_ACCOUNT_STATUS = {
    1: "ACTIVE",
    2: "DISABLED",
    3: "UNSETTLED",
    7: "PENDING_RISK_REVIEW",
    8: "PENDING_SETTLEMENT",
    9: "IN_GRACE_PERIOD",
    100: "PENDING_CLOSURE",
    101: "CLOSED",
}
LABELS = {
    "shop": "Shopify",
    "google_ads": "Google Ads",
    "meta_ads": "Meta",
    "rfid": "EPCIS",
    "zendesk": "Zendesk",
    "ga4": "GA4",
}
#: One question needs no patience: a dead host or a throttled source is the answer itself.
PREFLIGHT_HTTP = HttpSettings(
    connect_timeout=5.0,
    read_timeout=30.0,
    max_retries=1,
    backoff_factor=0.5,
    backoff_max=2.0,
    retry_after_max=5,
)
SHOP_QUERY = (
    "{ shop { name taxesIncluded ianaTimezone } "
    "currentAppInstallation { accessScopes { handle } } }"
)
GOOGLE_ADS_QUERY = "SELECT customer.id FROM customer LIMIT 1"
GA4_API_VERSION = "v1beta"


@dataclass
class SourceCheck:
    """One row of the table; `failures` and `warnings` hold the fixes, in words a person acts on."""

    source: str
    host: str
    version: str = "-"
    auth: str = "-"
    permissions: str = "-"
    rate_budget: str = "-"
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        return "FAIL" if self.failures else "warn" if self.warnings else "ok"


@dataclass(frozen=True)
class Context:
    """What a probe needs: the resolved configuration and its own source's settings."""

    config: PipelineConfig
    settings: SourceSettings

    @property
    def credentials(self) -> Mapping[str, str]:
        return self.settings.credentials


Probe = Callable[[ApiClient, Context, SourceCheck], None]


def _json(response: requests.Response, source: str) -> Any:
    try:
        return response.json()
    except ValueError:
        method = response.request.method or "?"
        raise ApiError(
            source, method, response.url, response.status_code, "response body is not JSON"
        ) from None


def probe_shop(client: ApiClient, ctx: Context, check: SourceCheck) -> None:
    """Shop settings and the app's scopes: the version that answered is in a response header."""
    requested = ctx.config.shop_api_version
    path = f"/admin/api/{requested}/graphql.json"
    response = client.request("POST", path, json={"query": SHOP_QUERY, "variables": {}})
    body = _json(response, check.source)
    check.auth = "ok"
    check.version = response.headers.get("X-Shopify-API-Version") or "?"
    throttle = (((body.get("extensions") or {}).get("cost") or {}).get("throttleStatus")) or {}
    if throttle:
        check.rate_budget = (
            f"{throttle['currentlyAvailable']:g}/{throttle['maximumAvailable']:g} points, "
            f"+{throttle['restoreRate']:g}/s"
        )
    if body.get("errors"):
        messages = "; ".join(str(e.get("message", e)) for e in body["errors"])[:300]
        check.failures.append(f"Shopify answered with GraphQL errors: {messages}")
        return
    if check.version == "?":
        check.warnings.append("Shopify did not name the API version that answered")
    elif check.version != requested:
        check.warnings.append(
            f"Shopify answered with {check.version}, not SHOP_API_VERSION={requested}: that "
            f"version is no longer supported; set SHOP_API_VERSION={check.version} or newer"
        )
    data = body.get("data") or {}
    _shop_scopes(data.get("currentAppInstallation") or {}, check)
    zone = (data.get("shop") or {}).get("ianaTimezone")
    if zone and zone != ctx.config.shop_timezone:
        check.warnings.append(
            f"the shop's time zone is {zone} but SHOP_TIMEZONE={ctx.config.shop_timezone}: days "
            f"would be cut at the wrong midnight; set SHOP_TIMEZONE={zone}"
        )


def _shop_scopes(installation: Mapping[str, Any], check: SourceCheck) -> None:
    granted = {s.get("handle") for s in installation.get("accessScopes") or []}
    check.permissions = " ".join(s for s in SHOP_SCOPES if s in granted) or "none"
    missing = [s for s in SHOP_SCOPES if s not in granted and s != SHOP_BACKFILL_SCOPE]
    if missing:
        check.failures.append(
            f"the Shopify app lacks the scope(s) {', '.join(missing)}: grant them to the app "
            "and reinstall it, then use its new SHOP_ACCESS_TOKEN"
        )
    if SHOP_BACKFILL_SCOPE not in granted:
        check.warnings.append(
            "the Shopify app lacks read_all_orders: orders older than 60 days are invisible, "
            "so a backfill past that fails; grant read_all_orders before backfilling"
        )


def probe_google_ads(client: ApiClient, ctx: Context, check: SourceCheck) -> None:
    """The account itself (`FROM customer`): the cheapest query that proves token and account."""
    version = ctx.config.google_ads_api_version
    customer = ctx.credentials["GOOGLE_ADS_CUSTOMER_ID"].replace("-", "")
    check.version = version
    path = f"/{version}/customers/{customer}/googleAds:search"
    body = _json(client.request("POST", path, json={"query": GOOGLE_ADS_QUERY}), check.source)
    check.auth = "ok"
    rows = body.get("results") or []
    answered = str(((rows[0] if rows else {}).get("customer") or {}).get("id", ""))
    if answered != customer:
        check.failures.append(
            f"Google Ads returned no row for customer {customer}: check GOOGLE_ADS_CUSTOMER_ID "
            "(the account the access token may read, digits only)"
        )
        return
    check.permissions = f"customer {customer} readable"


def meta_version(url: str) -> tuple[int, int] | None:
    """The Graph API version in META_ADS_URL (`.../v25.0`), or None when it names none."""
    match = re.search(r"/v(\d+)\.(\d+)(?:/|$)", urlsplit(url).path)
    return (int(match.group(1)), int(match.group(2))) if match else None


def _meta_version_problem(url: str) -> str | None:
    oldest = "v{}.{}".format(*OLDEST_META_VERSION)
    version = meta_version(url)
    if version is None:
        return (
            f"META_ADS_URL names no API version, so Meta answers with its oldest one: end it "
            f"with /{oldest} or later (https://graph.facebook.com/{oldest})"
        )
    if version < OLDEST_META_VERSION:
        return (
            "Meta v{}.{} has expired (versions live about two years): ".format(*version)
            + f"set META_ADS_URL to end with /{oldest} or later"
        )
    return None


def probe_meta_ads(client: ApiClient, ctx: Context, check: SourceCheck) -> None:
    """The ad account node; its usage headers are the rate budget Meta throttles on."""
    version = meta_version(ctx.settings.url)
    check.version = "v{}.{}".format(*version) if version else "?"
    account = ctx.credentials["META_AD_ACCOUNT_ID"].removeprefix("act_")
    response = client.request("GET", f"/act_{account}", params={"fields": "id,account_status"})
    body = _json(response, check.source)
    check.auth = "ok"
    status = body.get("account_status")
    check.permissions = f"act_{account} {META_ACCOUNT_STATUS.get(status, status)}"
    check.rate_budget = meta_usage(response.headers)
    if status != 1:
        check.warnings.append(
            f"the Meta ad account is {META_ACCOUNT_STATUS.get(status, status)}, not ACTIVE: "
            "its spend may stop or lag; check it in Business Manager"
        )
    problem = _meta_version_problem(ctx.settings.url)
    if problem:
        check.warnings.append(problem)


def meta_usage(headers: Mapping[str, str]) -> str:
    """`X-Ad-Account-Usage` and `X-Business-Use-Case-Usage` as the share of the quota used."""
    parts = []
    account = _header_json(headers, "X-Ad-Account-Usage")
    if isinstance(account, dict) and "acc_id_util_pct" in account:
        parts.append(f"account {account['acc_id_util_pct']:g}% used")
    business = _header_json(headers, "X-Business-Use-Case-Usage")
    if isinstance(business, dict):
        usage = [
            max(float(u.get(k) or 0) for k in ("call_count", "total_cputime", "total_time"))
            for entries in business.values()
            for u in entries
        ]
        if usage:
            parts.append(f"business {max(usage):g}% used")
    return ", ".join(parts) or "-"


def _header_json(headers: Mapping[str, str], name: str) -> Any:
    try:
        return json.loads(headers.get(name) or "null")
    except ValueError:
        return None


def probe_rfid(client: ApiClient, ctx: Context, check: SourceCheck) -> None:
    """One ObjectEvent of the last day: the server states its EPCIS version in a header."""
    since = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    response = client.request(
        "GET",
        "/events",
        params={"eventType": "ObjectEvent", "GE_eventTime": since, "perPage": 1},
        headers={"GS1-EPCIS-Version": "2.0.0", "GS1-EPC-Format": "Always_EPC_URN"},
    )
    body = _json(response, check.source)
    check.auth = "ok"
    check.version = response.headers.get("GS1-EPCIS-Version") or "?"
    if not isinstance(body, dict) or body.get("type") != "EPCISQueryDocument":
        check.failures.append(
            "the answer is not an EPCIS 2.0 query document: EPCIS_URL must be the base of the "
            "EPCIS 2.0 REST query interface (the URL before /events)"
        )
    elif check.version == "?":
        check.warnings.append("the EPCIS server did not send its GS1-EPCIS-Version header")
    elif not check.version.startswith("2."):
        check.failures.append(
            f"the server speaks EPCIS {check.version}; the pipeline reads EPCIS 2.0: point "
            "EPCIS_URL at the repository's EPCIS 2.0 interface"
        )


def probe_zendesk(client: ApiClient, ctx: Context, check: SourceCheck) -> None:
    """Who the token belongs to: the incremental export is for admins only."""
    check.version = "v2"
    response = client.request("GET", "/api/v2/users/me.json")
    user = (_json(response, check.source) or {}).get("user") or {}
    limit, remaining = (
        response.headers.get("X-Rate-Limit"),
        response.headers.get("X-Rate-Limit-Remaining"),
    )
    if remaining is not None:
        check.rate_budget = f"{remaining}/{limit or '?'} per minute"
    if user.get("id") is None:
        check.auth = "failed"
        check.failures.append(
            "Zendesk answered as an anonymous user: set ZENDESK_EMAIL and ZENDESK_API_TOKEN "
            "(an API token of that user, basic auth `email/token`)"
        )
        return
    check.auth = "ok"
    role = user.get("role") or "?"
    check.permissions = f"role {role}"
    if role != "admin":
        check.failures.append(
            f"the Zendesk user is a(n) {role}; the incremental export needs an admin: set "
            "ZENDESK_EMAIL and ZENDESK_API_TOKEN to an admin's"
        )


def probe_ga4(client: ApiClient, ctx: Context, check: SourceCheck) -> None:
    """A one-row report of yesterday, asking for the property's token quotas."""
    check.version = GA4_API_VERSION
    prop = ctx.credentials["GA4_PROPERTY_ID"]
    body = {
        "dateRanges": [{"startDate": "yesterday", "endDate": "yesterday"}],
        "metrics": [{"name": "sessions"}],
        "limit": 1,
        "returnPropertyQuota": True,
    }
    path = f"/{GA4_API_VERSION}/properties/{prop}:runReport"
    answer = _json(client.request("POST", path, json=body), check.source)
    check.auth = "ok"
    check.permissions = f"property {prop} readable"
    quota = answer.get("propertyQuota") or {}
    parts = [
        f"{(quota.get(key) or {}).get('remaining')}/{span}"
        for key, span in (("tokensPerDay", "day"), ("tokensPerHour", "hour"))
        if (quota.get(key) or {}).get("remaining") is not None
    ]
    if parts:
        check.rate_budget = "tokens left " + ", ".join(parts)


PROBES: dict[str, tuple[Callable[[Mapping[str, str]], Auth], Probe]] = {
    "shop": (lambda c: shopify_auth(c["SHOP_ACCESS_TOKEN"]), probe_shop),
    "google_ads": (
        lambda c: google_ads_auth(c["GOOGLE_ADS_DEVELOPER_TOKEN"], c["GOOGLE_ADS_ACCESS_TOKEN"]),
        probe_google_ads,
    ),
    "meta_ads": (lambda c: meta_auth(c["META_ACCESS_TOKEN"]), probe_meta_ads),
    "rfid": (lambda c: bearer_auth(c["EPCIS_TOKEN"]), probe_rfid),
    "zendesk": (
        lambda c: zendesk_auth(c["ZENDESK_EMAIL"], c["ZENDESK_API_TOKEN"]),
        probe_zendesk,
    ),
    "ga4": (lambda c: bearer_auth(c["GA4_ACCESS_TOKEN"]), probe_ga4),
}


def host_of(url: str) -> str:
    """Host and port only: a URL may carry user info, which is a credential."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    return f"{host}:{parts.port}" if parts.port else host


def explain(error: ApiError, ctx: Context, check: SourceCheck) -> None:
    """An HTTP failure -> the verdict and the variable(s) to change."""
    source, label = check.source, LABELS[check.source]
    spec = SOURCE_ENV[source]
    secrets = ", ".join(v for v in spec.credential_vars if not v.endswith("_ID"))
    # The ids that name the account in the URL; a field id (Zendesk's order number) never does.
    ids = ", ".join(
        v for v in spec.credential_vars if v.endswith("_ID") and not v.endswith("_FIELD_ID")
    )
    status = error.status
    if status is None:
        check.failures.append(f"no answer from {check.host}: check {spec.url_var} ({error})")
    elif status == 401:
        check.auth = "failed"
        check.failures.append(
            f"{label} refused the credentials (HTTP 401): check {secrets} "
            "(an expired access token is the usual cause)"
        )
    elif status == 403:
        check.auth = "denied"
        check.failures.append(
            f"{label} accepted the credentials but refused access (HTTP 403): give the user or "
            f"app of {secrets} read access to {ids or 'the account'}"
        )
    elif source == "google_ads" and status in (404, 501):
        check.failures.append(_google_ads_not_found(ctx.config.google_ads_api_version, ids))
    elif source == "meta_ads" and status == 400 and _meta_version_problem(ctx.settings.url):
        check.failures.append(str(_meta_version_problem(ctx.settings.url)))
    elif status == 404:
        where = f"{spec.url_var} and {ids}" if ids else spec.url_var
        check.failures.append(f"{label} answered 404 (not found): check {where}")
    elif status == 429:
        check.failures.append(
            f"{label} is rate limiting this account right now (HTTP 429): wait, then re-run; "
            "another client may be spending the same quota"
        )
    else:
        check.failures.append(f"{label}: {str(error).removeprefix(f'{source}: ')}")


def _google_ads_not_found(version: str, ids: str) -> str:
    """A 404 on the search URL: a sunset version, unless the version is a current one."""
    number = int(version.lstrip("v")) if re.fullmatch(r"v\d+", version) else 0
    fix = f"set GOOGLE_ADS_API_VERSION=v{OLDEST_GOOGLE_ADS_VERSION} or later"
    if number < OLDEST_GOOGLE_ADS_VERSION:
        return f"Google Ads {version} is retired: {fix}"
    return (
        f"Google Ads has no {version} search method for this account at this URL: check "
        f"GOOGLE_ADS_URL (https://googleads.googleapis.com), {ids}, and that {version} exists"
    )


def check_source(
    source: str, config: PipelineConfig, http: HttpSettings = PREFLIGHT_HTTP
) -> SourceCheck:
    settings = config.sources[source]
    check = SourceCheck(source, host_of(settings.url))
    make_auth, probe = PROBES[source]
    ctx = Context(config, settings)
    client = ApiClient(source, settings.url, make_auth(settings.credentials), http)
    try:
        probe(client, ctx, check)
    except ApiError as error:
        explain(error, ctx, check)
    finally:
        client.close()
    return check


def check_sources(config: PipelineConfig, http: HttpSettings = PREFLIGHT_HTTP) -> list[SourceCheck]:
    return [check_source(source, config, http) for source in SOURCE_ENV]


def secrets_of(config: PipelineConfig) -> tuple[str, ...]:
    """Every credential value that is not an id, and the base64 forms a header would carry."""
    values: list[str] = []
    for source, settings in config.sources.items():
        auth = PROBES[source][0](settings.credentials)
        values += auth.secrets
        plain = [*auth.secrets, ":".join(auth.basic)] if auth.basic else list(auth.secrets)
        values += [base64.b64encode(s.encode()).decode().rstrip("=") for s in plain]
    return tuple(sorted({v for v in values if v}, key=len, reverse=True))


def render(config: PipelineConfig, checks: Sequence[SourceCheck]) -> list[str]:
    """The table, then each problem with its fix, then a one-line summary."""
    if config.mode == "demo":
        host = host_of(next(iter(config.sources.values())).url)
        lines = [f"Sources: demo: simulator at {host} (no source URL is set)"]
    else:
        lines = ["Sources: live (every source URL is set)"]
    header = ("source", "host", "version", "auth", "permissions", "rate budget", "verdict")
    rows = [header] + [
        (c.source, c.host, c.version, c.auth, c.permissions, c.rate_budget, c.verdict)
        for c in checks
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines.append("")
    lines += [
        "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in rows
    ]
    problems = [
        f"{c.source}: {kind} {message}"
        for c in checks
        for kind, messages in (("FAIL", c.failures), ("warn", c.warnings))
        for message in messages
    ]
    if problems:
        lines += ["", *problems]
    failed = [c.source for c in checks if c.failures]
    warned = sum(len(c.warnings) for c in checks)
    lines.append("")
    if failed:
        lines.append(f"{len(failed)} of {len(checks)} sources failed: {', '.join(failed)}")
    else:
        lines.append(f"all {len(checks)} sources answered: ready")
        if warned:
            lines[-1] += f", {warned} warning(s) above"
    return lines


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    argparse.ArgumentParser(
        prog="python -m orchestration.preflight", description=__doc__.splitlines()[0]
    ).parse_args(argv)
    try:
        config = resolve_config(load_settings(env), start_demo_simulator)
    except ConfigError as error:
        print(f"check-sources: {error}", file=sys.stderr)
        return 2
    checks = check_sources(config)
    secrets = secrets_of(config)
    for line in render(config, checks):
        print(redact(line, secrets))
    return 1 if any(c.failures for c in checks) else 0


if __name__ == "__main__":
    sys.exit(main())
