"""The one HTTP client every source uses: a requests Session with auth, timeouts and retries.

Transport retries (connect/read timeouts, 429/5xx, `Retry-After`, exponential backoff with
jitter) are urllib3's `Retry` on the Session's adapter. This module only adds what urllib3 cannot
see in a response: GraphQL `errors` in an HTTP 200 body (Shopify's THROTTLED among them, with
proactive pacing from the cost bucket) and Meta's rate-limit error codes on HTTP 400.

Secrets: tokens live in the Session's headers or basic auth, which are never logged; secret query
parameters (Meta's `access_token` in `paging.next`) are stripped from every URL before it is sent,
so neither urllib3's debug log nor an exception can carry them; error texts are redacted anyway.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
PERMANENT_STATUSES = {
    400: "bad request",
    401: "unauthorized: check the credential variables",
    403: "forbidden: the token lacks a permission",
    404: "not found: check the URL variable and the account/property id",
}
SECRET_QUERY_PARAMS = frozenset({"access_token", "token", "api_key", "key"})
META_RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, *range(80000, 80015)})


@dataclass(frozen=True)
class HttpSettings:
    """Retry and timeout knobs; tests shrink the sleeps, production keeps the defaults."""

    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    max_retries: int = 6
    backoff_factor: float = 1.0
    backoff_max: float = 60.0
    backoff_jitter: float = 0.5
    retry_after_max: int = 300

    def backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter, for the retries urllib3 cannot drive."""
        base = min(self.backoff_max, self.backoff_factor * 2**attempt)
        return base + random.uniform(0, self.backoff_jitter * self.backoff_factor)


@dataclass
class RequestStats:
    """What one source's extract cost: reported in the asset metadata."""

    requests: int = 0
    pages: int = 0
    retries: int = 0
    throttle_wait_seconds: float = 0.0

    def as_metadata(self) -> dict[str, float | int]:
        return {
            "requests": self.requests,
            "pages": self.pages,
            "retries": self.retries,
            "throttle_wait_seconds": round(self.throttle_wait_seconds, 3),
        }


@dataclass(frozen=True)
class Auth:
    """How a source authenticates: headers and/or basic auth, plus the values to redact."""

    headers: Mapping[str, str] = field(default_factory=dict)
    basic: tuple[str, str] | None = None
    secrets: tuple[str, ...] = ()


def shopify_auth(access_token: str) -> Auth:
    return Auth(headers={"X-Shopify-Access-Token": access_token}, secrets=(access_token,))


def bearer_auth(access_token: str, extra_headers: Mapping[str, str] | None = None) -> Auth:
    headers = {"Authorization": f"Bearer {access_token}", **(extra_headers or {})}
    return Auth(headers=headers, secrets=(access_token,))


def google_ads_auth(developer_token: str, access_token: str) -> Auth:
    """Google Ads wants an OAuth Bearer token and the developer token on every call."""
    auth = bearer_auth(access_token, {"developer-token": developer_token})
    return Auth(headers=auth.headers, secrets=(access_token, developer_token))


def meta_auth(access_token: str) -> Auth:
    """Meta accepts the token as a Bearer header: preferred to `?access_token=` in URLs."""
    return bearer_auth(access_token)


def zendesk_auth(email: str, api_token: str) -> Auth:
    """Zendesk API tokens use basic auth with the user `{email}/token`."""
    return Auth(basic=(f"{email}/token", api_token), secrets=(api_token,))


class ApiError(RuntimeError):
    """A source call that failed for good: names the source, method, URL path and status."""

    def __init__(self, source: str, method: str, url: str, status: int | None, detail: str):
        self.source, self.status = source, status
        self.path = urlsplit(url).path
        self.permanent = status in PERMANENT_STATUSES
        status_text = f"HTTP {status}" if status is not None else "no response"
        super().__init__(f"{source}: {method} {self.path} failed ({status_text}): {detail}")


def redact(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def strip_secret_params(url: str) -> str:
    """Drop token-like query parameters: the header carries the token, the URL may be logged."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    kept = [(k, v) for k, v in kept if k.lower() not in SECRET_QUERY_PARAMS]
    return urlunsplit(parts._replace(query=urlencode(kept)))


def _retry(settings: HttpSettings) -> Retry:
    return Retry(
        total=settings.max_retries,
        connect=settings.max_retries,
        read=settings.max_retries,
        status=settings.max_retries,
        other=0,
        allowed_methods=frozenset({"GET", "POST"}),
        status_forcelist=RETRY_STATUSES,
        backoff_factor=settings.backoff_factor,
        backoff_max=settings.backoff_max,
        backoff_jitter=settings.backoff_jitter,
        respect_retry_after_header=True,
        retry_after_max=settings.retry_after_max,
        raise_on_status=False,
    )


#: Looks at a response urllib3 accepted and returns seconds to wait before retrying, or None.
RetryWhen = Callable[[requests.Response, int], float | None]


class ApiClient:
    """A Session bound to one source: base URL, auth, retries and request accounting."""

    def __init__(
        self,
        source: str,
        base_url: str,
        auth: Auth,
        settings: HttpSettings | None = None,
        default_headers: Mapping[str, str] | None = None,
    ):
        self.source = source
        self.base_url = base_url.rstrip("/")
        self.settings = settings or HttpSettings()
        self.stats = RequestStats()
        self._secrets = auth.secrets
        self._session = requests.Session()
        adapter = HTTPAdapter(max_retries=_retry(self.settings), pool_maxsize=4)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        self._session.headers.update({"Accept": "application/json", **(default_headers or {})})
        self._session.headers.update(auth.headers)
        self._session.auth = auth.basic
        #: Headers of the last response: what an API says about itself (e.g. the version).
        self.last_headers: Mapping[str, str] | None = None
        self._bucket: tuple[float, float, float] | None = None  # available, restore rate, at
        self._last_query_cost = 0.0

    def close(self) -> None:
        self._session.close()

    def url(self, path_or_url: str) -> str:
        """A path under the base URL, or an absolute URL the API handed back (next links)."""
        if path_or_url.startswith(("http://", "https://")):
            return strip_secret_params(path_or_url)
        return strip_secret_params(f"{self.base_url}/{path_or_url.lstrip('/')}")

    def request(
        self,
        method: str,
        path_or_url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        retry_when: RetryWhen | None = None,
    ) -> requests.Response:
        """Send with transport retries; retry again while `retry_when` asks; raise on failure."""
        url = self.url(path_or_url)
        for attempt in range(self.settings.max_retries + 1):
            response = self._send(method, url, params=params, json=json, headers=headers)
            wait = retry_when(response, attempt) if retry_when else None
            if wait is None:
                break
            if attempt == self.settings.max_retries:
                raise ApiError(self.source, method, url, response.status_code, "rate limited")
            self._sleep(wait, f"{method} {urlsplit(url).path} rate limited")
        self.last_headers = response.headers
        if response.status_code >= 400:
            raise ApiError(self.source, method, url, response.status_code, self._detail(response))
        return response

    def get_json(self, path_or_url: str, **kwargs: Any) -> Any:
        return self._json(self.request("GET", path_or_url, **kwargs))

    def post_json(self, path_or_url: str, body: Any, **kwargs: Any) -> Any:
        return self._json(self.request("POST", path_or_url, json=body, **kwargs))

    def graphql(self, path: str, query: str, variables: Mapping[str, Any]) -> dict[str, Any]:
        """POST a GraphQL query; return `data`. Errors in a 200 body raise, THROTTLED waits.

        Before sending, waits until the leaky bucket (as of the last response's throttleStatus)
        holds the last query's cost, so a long pagination rarely gets throttled at all.
        """
        for attempt in range(self.settings.max_retries + 1):
            self._pace()
            response = self.request("POST", path, json={"query": query, "variables": variables})
            body = self._json(response)
            self._record_cost(body)
            errors = body.get("errors") or []
            if not errors:
                return body["data"]
            if not all(_error_code(e) == "THROTTLED" for e in errors):
                messages = "; ".join(str(e.get("message", e)) for e in errors)[:500]
                raise ApiError(
                    self.source, "POST", response.url, 200, f"GraphQL errors: {messages}"
                )
            if attempt == self.settings.max_retries:
                raise ApiError(self.source, "POST", response.url, 200, "GraphQL THROTTLED")
            self._sleep(self._throttle_wait(attempt), "GraphQL THROTTLED")
        raise AssertionError("unreachable")

    def _send(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        timeout = (self.settings.connect_timeout, self.settings.read_timeout)
        started = time.monotonic()
        try:
            response = self._session.request(method, url, timeout=timeout, **kwargs)
        except requests.RequestException as exc:
            self.stats.requests += 1
            detail = redact(f"{type(exc).__name__} after retries: {exc}", self._secrets)
            raise ApiError(self.source, method, url, None, detail) from None
        history = getattr(getattr(response.raw, "retries", None), "history", ()) or ()
        self.stats.requests += 1 + len(history)
        self.stats.retries += len(history)
        log.debug(
            "%s %s %s -> %s in %.3fs (%d transport retries)",
            self.source,
            method,
            urlsplit(url).path,
            response.status_code,
            time.monotonic() - started,
            len(history),
        )
        return response

    def _json(self, response: requests.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            raise ApiError(
                self.source,
                response.request.method or "?",
                response.url,
                response.status_code,
                "response body is not JSON",
            ) from None

    def _detail(self, response: requests.Response) -> str:
        reason = PERMANENT_STATUSES.get(response.status_code, response.reason or "error")
        snippet = " ".join(response.text[:300].split())
        return redact(f"{reason}; body: {snippet}", self._secrets)

    def _sleep(self, seconds: float, why: str) -> None:
        seconds = max(0.0, min(seconds, float(self.settings.retry_after_max)))
        log.info("%s: %s, waiting %.2fs", self.source, why, seconds)
        self.stats.retries += 1
        self.stats.throttle_wait_seconds += seconds
        time.sleep(seconds)

    def _record_cost(self, body: Mapping[str, Any]) -> None:
        cost = (body.get("extensions") or {}).get("cost") or {}
        status = cost.get("throttleStatus") or {}
        if "currentlyAvailable" in status and status.get("restoreRate"):
            self._bucket = (
                float(status["currentlyAvailable"]),
                float(status["restoreRate"]),
                time.monotonic(),
            )
        if cost.get("requestedQueryCost") is not None:
            self._last_query_cost = float(cost["requestedQueryCost"])

    def _pace(self) -> None:
        if self._bucket is None:
            return
        available, restore_rate, at = self._bucket
        available += restore_rate * (time.monotonic() - at)
        if available < self._last_query_cost:
            wait = (self._last_query_cost - available) / restore_rate
            log.debug("%s: pacing %.2fs for the query cost bucket", self.source, wait)
            self.stats.throttle_wait_seconds += wait
            time.sleep(wait)

    def _throttle_wait(self, attempt: int) -> float:
        """Seconds until the bucket holds the throttled query's cost (else plain backoff)."""
        if self._bucket is None or not self._last_query_cost:
            return self.settings.backoff(attempt)
        available, restore_rate, _ = self._bucket
        return max(0.0, (self._last_query_cost - available) / restore_rate)


def _error_code(error: Mapping[str, Any]) -> str | None:
    return (error.get("extensions") or {}).get("code")


def meta_usage_wait(headers: Mapping[str, str]) -> float | None:
    """Seconds until Meta lifts a rate limit, from its usage headers, or None if they don't say.

    `X-Business-Use-Case-Usage` gives `estimated_time_to_regain_access` in minutes per business
    use case; `X-Ad-Account-Usage` gives `reset_time_duration` in seconds.
    """
    waits: list[float] = []
    try:
        business = json.loads(headers.get("X-Business-Use-Case-Usage") or "{}")
        for entries in business.values():
            waits += [60.0 * float(e.get("estimated_time_to_regain_access") or 0) for e in entries]
        account = json.loads(headers.get("X-Ad-Account-Usage") or "{}")
        waits.append(float(account.get("reset_time_duration") or 0))
    except (ValueError, AttributeError, TypeError):
        return None
    return max(waits) if waits and max(waits) > 0 else None


def meta_rate_limit(settings: HttpSettings) -> RetryWhen:
    """Meta signals throttling as HTTP 400 with error code 4/17/613 (or 80000+ for BUC limits);
    waits as long as its usage headers say, else backs off exponentially."""

    def wait(response: requests.Response, attempt: int) -> float | None:
        if response.status_code != 400:
            return None
        try:
            code = int(response.json().get("error", {}).get("code", 0))
        except (ValueError, AttributeError, TypeError):
            return None
        if code not in META_RATE_LIMIT_CODES:
            return None
        return meta_usage_wait(response.headers) or settings.backoff(attempt)

    return wait
