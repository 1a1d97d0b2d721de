"""The one HTTP client every source uses: a requests Session with auth, timeouts and retries.

Retries (connect/read timeouts, connection resets, 429/5xx with `Retry-After`, exponential
backoff with jitter) are this module's loop rather than urllib3's, because every call has a time
budget: no attempt's timeouts and no wait reach past the call's deadline, so a source that does
not answer fails in `budget_seconds`, not in attempts x timeouts. The same loop handles what
urllib3 cannot see in a response: GraphQL `errors` in an HTTP 200 body, and whatever a source's
API means by "slow down" besides 429. Rate-limit rules are the source module's, plugged in through
hooks: `retry_when` (a throttle signalled some other way), `spacing_after_throttle` (a documented
calls-per-minute rate) and `GraphQLPacing` (a query-cost budget).

Secrets: tokens live in the Session's headers or basic auth, which are never logged; secret query
parameters (an `access_token` in a next-page link) are stripped from every URL before it is sent.
A server may still echo what it received (headers, URL) into an error body, so every error text
is redacted of each secret in every form it travels in: raw, URL-quoted, base64 (the basic-auth
header is base64 of `user:password`).
"""

from __future__ import annotations

import base64
import email.utils
import logging
import random
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus, urlencode, urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util import Timeout

log = logging.getLogger(__name__)

SERVER_ERRORS = frozenset({500, 502, 503, 504})
RETRY_STATUSES = SERVER_ERRORS | {429}
PERMANENT_STATUSES = {
    400: "bad request",
    401: "unauthorized: check the credential variables",
    403: "forbidden: the token lacks a permission",
    404: "not found: check the URL variable and the account/property id",
}
SECRET_QUERY_PARAMS = frozenset({"access_token", "token", "api_key", "key"})
#: Failures of one attempt that another attempt may not meet: no answer, a reset, a cut body.
TRANSIENT_EXCEPTIONS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
)


@dataclass(frozen=True)
class HttpSettings:
    """Retry and timeout knobs; tests shrink the sleeps, production keeps the defaults.

    `budget_seconds` bounds one call (all its attempts and waits): each attempt's timeouts are cut
    to what is left of it and no wait passes it, so a source that stops answering fails in this
    time whatever the other knobs say, while a long backfill that keeps getting answers is never
    cut short. docs/operations.md gives the worst case of a step with the defaults.
    """

    connect_timeout: float = 5.0
    read_timeout: float = 20.0
    max_retries: int = 4
    backoff_factor: float = 1.0
    backoff_max: float = 30.0
    backoff_jitter: float = 0.5
    retry_after_max: int = 300
    budget_seconds: float = 45.0

    def backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter before retry number `attempt` + 1."""
        base = min(self.backoff_max, self.backoff_factor * 2**attempt)
        return base + random.uniform(0, self.backoff_jitter * self.backoff_factor)


@dataclass
class RequestStats:
    """What one source's extract cost: reported in the asset metadata."""

    requests: int = 0
    pages: int = 0
    retries: int = 0
    #: Answers that said "slow down": HTTP 429, or what the source's hooks recognise as such.
    throttled: int = 0
    throttle_wait_seconds: float = 0.0
    #: Points spent, as an API with a query-cost budget reports them (see GraphQLPacing).
    query_cost_points: float = 0.0

    def as_metadata(self) -> dict[str, float | int]:
        return {
            "requests": self.requests,
            "pages": self.pages,
            "retries": self.retries,
            "throttled": self.throttled,
            "throttle_wait_seconds": round(self.throttle_wait_seconds, 3),
            "query_cost_points": round(self.query_cost_points, 1),
        }


def secret_forms(secret: str) -> frozenset[str]:
    """`secret` as it may travel in text: raw, URL-quoted (path and form style), base64.

    Base64 is taken with and without its `=` padding, and URL-quoted (`+`, `/`, `=` escaped), as
    an echo of a header into a URL or a query string has it.
    """
    if not secret:
        return frozenset()
    encoded = base64.b64encode(secret.encode()).decode()
    forms = {secret, quote(secret, safe=""), quote_plus(secret)}
    forms |= {encoded, encoded.rstrip("="), quote(encoded, safe="")}
    forms.add(quote(encoded.rstrip("="), safe=""))
    return frozenset(forms)


def basic_auth_forms(user: str, password: str) -> frozenset[str]:
    """The password's forms and the `user:password` pair's: the header is base64 of the pair."""
    return secret_forms(password) | secret_forms(f"{user}:{password}")


@dataclass(frozen=True)
class Auth:
    """How a source authenticates: headers and/or basic auth, plus every form to redact."""

    headers: Mapping[str, str] = field(default_factory=dict)
    basic: tuple[str, str] | None = None
    secrets: frozenset[str] = frozenset()


def bearer_auth(access_token: str, extra_headers: Mapping[str, str] | None = None) -> Auth:
    headers = {"Authorization": f"Bearer {access_token}", **(extra_headers or {})}
    return Auth(headers=headers, secrets=secret_forms(access_token))


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with each secret replaced by `***`, longest first (a pair before its password)."""
    for secret in sorted(secrets, key=len, reverse=True):
        if secret:
            text = text.replace(secret, "***")
    return text


class ApiError(RuntimeError):
    """A source call that failed for good: names the source, method, URL path and status.

    `permanent`: another attempt cannot heal it (a 4xx, a body that is not JSON, a GraphQL error
    in the query). `budget_spent`: the call used its whole time budget; a step retry would only
    spend another one. The message is redacted of `secrets` before it exists.
    """

    def __init__(
        self,
        source: str,
        method: str,
        url: str,
        status: int | None,
        detail: str,
        *,
        secrets: Iterable[str] = (),
        permanent: bool | None = None,
        budget_spent: bool = False,
    ):
        self.source, self.status = source, status
        self.path = urlsplit(url).path
        self.permanent = status in PERMANENT_STATUSES if permanent is None else permanent
        self.budget_spent = budget_spent
        status_text = f"HTTP {status}" if status is not None else "no response"
        message = f"{source}: {method} {self.path} failed ({status_text}): {detail}"
        super().__init__(redact(message, secrets))

    @property
    def retriable(self) -> bool:
        """Whether a later attempt of the whole step may succeed (5xx, 429, lost connections)."""
        return not (self.permanent or self.budget_spent)


def strip_secret_params(url: str, secrets: Iterable[str] = ()) -> str:
    """Drop token-like query parameters, and any whose value holds a secret: the header carries
    the token, and a URL may be logged (urllib3's debug log, an exception, a server's echo)."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    kept = [(k, v) for k, v in kept if k.lower() not in SECRET_QUERY_PARAMS]
    kept = [(k, v) for k, v in kept if not any(s and s in v for s in secrets)]
    return urlunsplit(parts._replace(query=urlencode(kept)))


#: Looks at a response the loop would accept and returns seconds to wait before retrying, or None.
RetryWhen = Callable[[requests.Response, int], float | None]


class GraphQLPacing:
    """The hooks through which a source's GraphQL rate limit paces `ApiClient.graphql`.

    These defaults know no limit: nothing to wait for before a query, nothing to learn from a
    response, and no GraphQL error means "slow down", so any error in a body fails the call. A
    source whose API budgets query cost overrides them (the shop source's `CostBucket`).
    """

    def wait_before(self, query: str) -> float:
        """Seconds to wait before sending `query` so that it is not throttled."""
        return 0.0

    def record(self, body: Mapping[str, Any], query: str, stats: RequestStats) -> None:
        """Learn from a response body what the budget has left; count the points spent."""

    def throttled(self, errors: list[Mapping[str, Any]]) -> bool:
        """Whether a body's `errors` only say "slow down": then the call waits and retries."""
        return False

    def throttle_wait(self, attempt: int, settings: HttpSettings) -> float:
        """Seconds to wait after a throttled answer before sending the query again."""
        return settings.backoff(attempt)


class ApiClient:
    """A Session bound to one source: base URL, auth, retries and request accounting."""

    def __init__(
        self,
        source: str,
        base_url: str,
        auth: Auth,
        settings: HttpSettings | None = None,
        default_headers: Mapping[str, str] | None = None,
        pacing: GraphQLPacing | None = None,
    ):
        self.source = source
        self.base_url = base_url.rstrip("/")
        self.settings = settings or HttpSettings()
        self.stats = RequestStats()
        self.secrets = auth.secrets
        self._session = requests.Session()
        adapter = HTTPAdapter(max_retries=0, pool_maxsize=4)  # retries are `request`'s loop
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        self._session.headers.update({"Accept": "application/json", **(default_headers or {})})
        self._session.headers.update(auth.headers)
        self._session.auth = auth.basic
        #: Headers of the last response: what an API says about itself (e.g. the version).
        self.last_headers: Mapping[str, str] | None = None
        self.pacing = pacing or GraphQLPacing()
        #: Seconds between the starts of two calls once the API has throttled this client once:
        #: a source whose limit is a documented rate (N calls a minute) then keeps to it instead
        #: of being throttled again. None: no spacing.
        self.spacing_after_throttle: float | None = None
        self._spacing = False
        self._last_start = 0.0

    def close(self) -> None:
        self._session.close()

    def url(self, path_or_url: str) -> str:
        """A path under the base URL, or an absolute URL the API handed back (next links)."""
        if path_or_url.startswith(("http://", "https://")):
            return strip_secret_params(path_or_url, self.secrets)
        return strip_secret_params(f"{self.base_url}/{path_or_url.lstrip('/')}", self.secrets)

    def deadline(self) -> float:
        """When a call starting now must be over (monotonic clock)."""
        return time.monotonic() + self.settings.budget_seconds

    def request(
        self,
        method: str,
        path_or_url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        retry_when: RetryWhen | None = None,
        deadline: float | None = None,
    ) -> requests.Response:
        """Send; retry lost connections, 429/5xx and what `retry_when` asks; raise on failure.

        Retries stop after `max_retries`, or sooner when the next wait would pass the deadline.
        """
        url = self.url(path_or_url)
        deadline = self.deadline() if deadline is None else deadline
        for attempt in range(self.settings.max_retries + 1):
            self._space()
            try:
                response = self._send(
                    method, url, deadline, params=params, json=json, headers=headers
                )
            except TRANSIENT_EXCEPTIONS as exc:
                response, wait = None, self.settings.backoff(attempt)
                last = f"{type(exc).__name__}: {exc}"
            else:
                wait = self._retry_wait(response, attempt, retry_when)
                if wait is None:
                    break
                last = f"HTTP {response.status_code}"
            tried = f"{attempt + 1} attempt(s), the last: {last}"
            throttled = response is not None and response.status_code not in SERVER_ERRORS
            if throttled:
                self.stats.throttled += 1
                self._spacing = self.spacing_after_throttle is not None
            last_attempt = attempt == self.settings.max_retries
            self._wait_within(deadline, wait, method, url, tried, response, throttled, last_attempt)
        self.last_headers = response.headers
        if response.status_code >= 400:
            raise self._failure(method, url, response)
        return response

    def get_json(self, path_or_url: str, **kwargs: Any) -> Any:
        return self._json(self.request("GET", path_or_url, **kwargs))

    def post_json(self, path_or_url: str, body: Any, **kwargs: Any) -> Any:
        return self._json(self.request("POST", path_or_url, json=body, **kwargs))

    def download(self, url: str, target: Path) -> int:
        """Stream a file the API handed out as a link (a bulk export) to `target`; its size.

        The link is pre-signed and points at a storage host, not the API: it is fetched with no
        credential of this client, which must never travel to another host. A lost connection
        or a 5xx starts the file over, up to `max_retries` times; each read has `read_timeout`,
        the whole file no time budget (its size is the API's, not a sign of a dead source).
        """
        url = strip_secret_params(url, self.secrets)
        timeout = (self.settings.connect_timeout, self.settings.read_timeout)
        for attempt in range(self.settings.max_retries + 1):
            self.stats.requests += 1
            try:
                with requests.get(url, stream=True, timeout=timeout) as response:
                    if response.status_code not in RETRY_STATUSES:
                        if response.status_code >= 400:
                            raise self._failure("GET", url, response, "download")
                        with target.open("wb") as out:
                            for chunk in response.iter_content(chunk_size=1 << 20):
                                out.write(chunk)
                        return target.stat().st_size
                    last = f"HTTP {response.status_code}"
            except TRANSIENT_EXCEPTIONS as exc:
                last = f"{type(exc).__name__}: {exc}"
            if attempt < self.settings.max_retries:
                self.stats.retries += 1
                time.sleep(self.settings.backoff(attempt))
        detail = f"download gave up after {self.settings.max_retries + 1} attempt(s): {last}"
        raise self._error("GET", url, None, detail, permanent=False)

    def graphql(self, path: str, query: str, variables: Mapping[str, Any]) -> dict[str, Any]:
        """POST a GraphQL query; return `data`. Errors in a 200 body raise, throttling waits.

        Before sending, waits as long as `pacing` says, so a long pagination rarely gets
        throttled at all. The throttled retries share one time budget with the transport's.
        """
        deadline: float | None = None
        for attempt in range(self.settings.max_retries + 1):
            self._pace(query)
            deadline = self.deadline() if deadline is None else deadline  # pacing is not failing
            body = {"query": query, "variables": variables}
            response = self.request("POST", path, json=body, deadline=deadline)
            data = self._json(response)
            self.pacing.record(data, query, self.stats)
            errors = data.get("errors") or []
            if not errors:
                return data["data"]
            if not self.pacing.throttled(errors):
                messages = "; ".join(str(e.get("message", e)) for e in errors)
                detail = f"GraphQL errors: {redact(messages, self.secrets)[:500]}"
                raise self._error("POST", response.url, 200, detail, permanent=True)
            self.stats.throttled += 1
            wait = self.pacing.throttle_wait(attempt, self.settings)
            tried = f"{attempt + 1} attempt(s), the last: GraphQL THROTTLED"
            last_attempt = attempt == self.settings.max_retries
            self._wait_within(
                deadline, wait, "POST", response.url, tried, response, True, last_attempt
            )
        raise AssertionError("unreachable")

    def _send(self, method: str, url: str, deadline: float, **kwargs: Any) -> requests.Response:
        """One attempt; connecting and reading together never take longer than the budget left."""
        left = max(0.01, deadline - time.monotonic())
        timeout = Timeout(
            total=left, connect=self.settings.connect_timeout, read=self.settings.read_timeout
        )
        started = time.monotonic()
        self.stats.requests += 1
        try:
            response = self._session.request(method, url, timeout=timeout, **kwargs)
        except TRANSIENT_EXCEPTIONS:
            raise
        except requests.RequestException as exc:  # a malformed URL, too many redirects: config
            detail = f"{type(exc).__name__}: {exc}"
            raise self._error(method, url, None, detail, permanent=True) from None
        log.debug(
            "%s %s %s -> %s in %.3fs",
            self.source,
            method,
            urlsplit(url).path,
            response.status_code,
            time.monotonic() - started,
        )
        return response

    def _retry_wait(
        self, response: requests.Response, attempt: int, retry_when: RetryWhen | None
    ) -> float | None:
        """Seconds to wait before trying again (`Retry-After` first), or None to stop here."""
        if response.status_code in RETRY_STATUSES:
            retry_after = _retry_after(response)
            return self.settings.backoff(attempt) if retry_after is None else retry_after
        return retry_when(response, attempt) if retry_when else None

    def _wait_within(
        self,
        deadline: float,
        seconds: float,
        method: str,
        url: str,
        tried: str,
        response: requests.Response | None,
        throttled: bool,
        last_attempt: bool,
    ) -> None:
        """Sleep before the next attempt; raise when the wait would pass the deadline (checked
        first: a call that ran out of time says so) or when this was the last attempt."""
        seconds = max(0.0, min(seconds, float(self.settings.retry_after_max)))
        if time.monotonic() + seconds >= deadline:
            budget = f"time budget of {self.settings.budget_seconds:g} s ran out after {tried}"
            raise self._failure(method, url, response, budget, budget_spent=True)
        if last_attempt:
            why = f"gave up after {tried}"
            raise self._failure(method, url, response, why, permanent=False)
        log.info(
            "%s: %s %s: %s; waiting %.2fs",
            self.source,
            method,
            urlsplit(url).path,
            redact(tried, self.secrets),
            seconds,
        )
        self.stats.retries += 1
        if throttled:
            self.stats.throttle_wait_seconds += seconds
        time.sleep(seconds)

    def _failure(
        self,
        method: str,
        url: str,
        response: requests.Response | None,
        why: str = "",
        **kind: Any,
    ) -> ApiError:
        """The ApiError of a call that ends here: `why`, and the response's reason and body."""
        parts = [why] if why else []
        if response is not None:
            parts.append(self._detail(response))
        status = None if response is None else response.status_code
        return self._error(method, url, status, "; ".join(parts), **kind)

    def _error(
        self, method: str, url: str, status: int | None, detail: str, **kind: Any
    ) -> ApiError:
        return ApiError(self.source, method, url, status, detail, secrets=self.secrets, **kind)

    def _json(self, response: requests.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            method = response.request.method or "?"
            detail = f"response body is not JSON; {self._detail(response)}"
            raise self._error(
                method, response.url, response.status_code, detail, permanent=True
            ) from None

    def _detail(self, response: requests.Response) -> str:
        """Reason and the start of the body, redacted whole before it is cut (no half token)."""
        reason = PERMANENT_STATUSES.get(response.status_code, response.reason or "error")
        snippet = " ".join(redact(response.text, self.secrets).split())[:300]
        return f"{reason}; body: {snippet}"

    def _pace(self, query: str) -> None:
        """Wait as long as the pacing hooks say `query` needs to go through unthrottled."""
        wait = self.pacing.wait_before(query)
        if wait > 0:
            log.debug("%s: pacing %.2fs for the query cost budget", self.source, wait)
            self.stats.throttle_wait_seconds += wait
            time.sleep(wait)

    def _space(self) -> None:
        """Keep `spacing_after_throttle` between the starts of calls, once throttled."""
        if self._spacing and self.spacing_after_throttle:
            wait = self._last_start + self.spacing_after_throttle - time.monotonic()
            if wait > 0:
                self.stats.throttle_wait_seconds += wait
                time.sleep(wait)
        self._last_start = time.monotonic()


def _retry_after(response: requests.Response) -> float | None:
    """`Retry-After` in seconds (a number or an HTTP date), or None when absent or unreadable."""
    value = response.headers.get("Retry-After", "").strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
