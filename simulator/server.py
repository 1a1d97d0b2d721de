"""The six simulated APIs over real HTTP on loopback, with authentication and request faults.

`SimulatorServer(config)` serves them on a ThreadingHTTPServer (daemon threads), so the demo
pipeline runs the same `requests` code against it as against the real services.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import urlsplit

from simulator.ads import AdBook
from simulator.api import ApiRequest, ApiResponse, BadRequest, json_response
from simulator.config import DEMO_CREDENTIALS, FaultConfig, SimulatorConfig
from simulator.epcis import EpcisApi
from simulator.faults import Faults
from simulator.ga4 import Ga4Api, ga4_error
from simulator.google_ads import GoogleAdsApi, google_error
from simulator.meta_ads import MetaAdsApi, meta_error
from simulator.orders import OrderBook
from simulator.shop import ShopApi
from simulator.world import build_world
from simulator.zendesk import ZendeskApi

SHOP_API_VERSION = "2026-10"
META_API_VERSION = "v25.0"
Handler = Callable[[ApiRequest, re.Match[str]], ApiResponse]


@dataclass(frozen=True)
class Route:
    source: str
    method: str
    pattern: re.Pattern[str]
    handler: Handler


def _bearer(request: ApiRequest) -> str | None:
    value = request.headers.get("Authorization") or ""
    return value[7:] if value.startswith("Bearer ") else None


class Simulator:
    """The APIs behind the HTTP layer: routing, authentication, request-level faults."""

    def __init__(self, config: SimulatorConfig) -> None:
        self.config = config
        self.faults = Faults(config.seed, config.faults)
        self._build()

    def _build(self) -> None:
        world = build_world(self.config)
        book = OrderBook(world)
        ads = AdBook(world, book)
        creds = DEMO_CREDENTIALS
        self.shop = ShopApi(world, book, self.faults)
        self.google = GoogleAdsApi(
            ads,
            self.faults,
            creds["GOOGLE_ADS_CUSTOMER_ID"],
            self.config.retired_google_ads_versions,
        )
        self.meta = MetaAdsApi(ads, self.faults, creds["META_AD_ACCOUNT_ID"])
        self.epcis = EpcisApi(world, self.faults)
        self.zendesk = ZendeskApi(world, book, self.faults)
        self.ga4 = Ga4Api(world, self.faults, creds["GA4_PROPERTY_ID"])
        self.world, self.book = world, book
        self.routes = [
            Route(
                "shop",
                "POST",
                re.compile(r"/shop/admin/api/([\w-]+)/graphql\.json"),
                lambda r, m: self.shop.graphql(r, m.group(1)),
            ),
            Route(
                "shop_bulk",
                "GET",
                re.compile(r"/shop-bulk/(\d+)\.jsonl"),
                lambda r, m: self.shop.bulk.download(r, int(m.group(1))),
            ),
            Route(
                "google_ads",
                "POST",
                re.compile(r"/google-ads/(v\d+)/customers/(\d+)/googleAds:search"),
                lambda r, m: self.google.search(r, m.group(1), m.group(2)),
            ),
            Route(
                "meta_ads",
                "GET",
                re.compile(r"/meta/v(\d+)\.0/act_(\d+)/insights"),
                lambda r, m: self.meta.insights(r, m.group(2), int(m.group(1))),
            ),
            Route(
                "meta_ads",
                "GET",
                re.compile(r"/meta/v\d+\.0/act_(\d+)"),
                lambda r, m: self.meta.account(r, m.group(1)),
            ),
            Route("epcis", "GET", re.compile(r"/epcis/events"), lambda r, m: self.epcis.events(r)),
            Route(
                "zendesk",
                "GET",
                re.compile(r"/zendesk/api/v2/incremental/tickets/cursor\.json"),
                lambda r, m: self.zendesk.incremental(r),
            ),
            Route(
                "zendesk",
                "GET",
                re.compile(r"/zendesk/api/v2/users/me\.json"),
                lambda r, m: self.zendesk.me(r),
            ),
            Route(
                "ga4",
                "POST",
                re.compile(r"/ga4/v1beta/properties/(\d+):runReport"),
                lambda r, m: self.ga4.run_report(r, m.group(1)),
            ),
        ]

    def set_faults(self, faults: FaultConfig) -> None:
        """Swap the faults; bad days change generated data, so the world is rebuilt."""
        rebuild = faults.bad_days != self.config.faults.bad_days
        self.config.faults = faults
        self.faults.replace(faults)
        if rebuild:
            self._build()

    def now(self) -> int:
        return int(self.config.current_time().timestamp())

    def handle(self, request: ApiRequest) -> ApiResponse:
        for route in self.routes:
            match = route.pattern.fullmatch(request.path)
            if match is None:
                continue
            if request.method != route.method:
                return json_response(405, {"error": f"use {route.method} for {request.path}"})
            if not self.authenticated(route.source, request):
                return UNAUTHORIZED[route.source]()
            fault = self.faults.next_request(route.source)
            if self.faults.config.applies_to(route.source) and self.faults.config.delay_seconds:
                time.sleep(self.faults.config.delay_seconds)
            if fault == "rate_limit":
                return self.rate_limited(route.source)
            if fault == "server_error":
                retry = str(self.faults.config.retry_after_seconds)
                return json_response(503, {"error": "Service Unavailable"}, {"Retry-After": retry})
            try:
                return route.handler(request, match)
            except BadRequest as exc:
                return json_response(400, {"error": {"code": 400, "message": str(exc)}})
        return json_response(404, {"error": f"no such endpoint: {request.method} {request.path}"})

    def authenticated(self, source: str, request: ApiRequest) -> bool:
        c, h = DEMO_CREDENTIALS, request.headers
        if source == "shop_bulk":  # a signed link: the signature is the credential
            return True
        if source == "shop":
            return h.get("X-Shopify-Access-Token") == c["SHOP_ACCESS_TOKEN"]
        if source == "google_ads":
            return (
                h.get("developer-token") == c["GOOGLE_ADS_DEVELOPER_TOKEN"]
                and _bearer(request) == c["GOOGLE_ADS_ACCESS_TOKEN"]
            )
        if source == "meta_ads":
            return c["META_ACCESS_TOKEN"] in (request.arg("access_token"), _bearer(request))
        if source == "zendesk":
            user = f"{c['ZENDESK_EMAIL']}/token:{c['ZENDESK_API_TOKEN']}"
            return h.get("Authorization") == "Basic " + base64.b64encode(user.encode()).decode()
        token = c["EPCIS_TOKEN"] if source == "epcis" else c["GA4_ACCESS_TOKEN"]
        return _bearer(request) == token

    def rate_limited(self, source: str) -> ApiResponse:
        """Each vendor's own way of saying "slow down"."""
        retry = {"Retry-After": str(self.faults.config.retry_after_seconds)}
        if source == "shop":
            return self.shop.throttled()
        if source == "meta_ads":
            code = 17 if self.faults.request_count(source) % 2 else 613
            usage = {
                DEMO_CREDENTIALS["META_AD_ACCOUNT_ID"]: [
                    {
                        "type": "ads_insights",
                        "call_count": 100,
                        "total_cputime": 35,
                        "total_time": 40,
                        "estimated_time_to_regain_access": 0,
                    }
                ]
            }
            message = (
                "(#17) User request limit reached"
                if code == 17
                else "(#613) Calls to this api have exceeded the rate limit."
            )
            headers = {"X-Business-Use-Case-Usage": json.dumps(usage)}
            return meta_error(400, code, message, headers=headers)
        if source in ("google_ads", "ga4"):
            response = google_error(429, "RESOURCE_EXHAUSTED", "Resource has been exhausted.")
            response.headers.update(retry)
            return response
        if source == "zendesk":
            body = {
                "error": "APIRateLimitExceeded",
                "description": "Number of allowed incremental export requests per minute exceeded",
            }
            return json_response(429, body, retry)
        return json_response(
            429,
            {"type": "epcisException:TooManyRequests", "title": "Too Many Requests", "status": 429},
            retry,
        )


UNAUTHORIZED: dict[str, Callable[[], ApiResponse]] = {
    "shop": lambda: json_response(
        401,
        {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"},
    ),
    "google_ads": lambda: google_error(
        401, "UNAUTHENTICATED", "Request had invalid authentication credentials."
    ),
    "meta_ads": lambda: meta_error(
        401, 190, "Invalid OAuth access token - Cannot parse access token"
    ),
    "epcis": lambda: json_response(
        401, {"type": "epcisException:SecurityException", "title": "Unauthorized", "status": 401}
    ),
    "zendesk": lambda: json_response(401, {"error": "Couldn't authenticate you"}),
    "ga4": lambda: ga4_error(
        401, "UNAUTHENTICATED", "Request had invalid authentication credentials."
    ),
}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: clients reuse one connection per session
    server: _Server

    def setup(self) -> None:
        """Headers and body are separate writes: without TCP_NODELAY, Nagle's algorithm and the
        client's delayed ACK stall every keep-alive response by ~40 ms."""
        super().setup()
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = ApiRequest(
            method=self.command,
            path=parts.path,
            query=ApiRequest.parse_query(parts.query),
            headers=self.headers,
            body=body,
            now=self.server.app.now(),
            base_url=f"http://{self.headers.get('Host') or self.server.base_host}",
        )
        response = self.server.app.handle(request)
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if response.file is not None:
            self.send_header("Content-Length", str(response.file.stat().st_size))
            self.end_headers()
            with response.file.open("rb") as source:
                shutil.copyfileobj(source, self.wfile, 1 << 20)
            return
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)

    do_GET = _serve
    do_POST = _serve

    def log_message(self, format: str, *args: object) -> None:
        """Silent: request logs would drown test output (and could carry query tokens)."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    app: Simulator
    base_host: str


class SimulatorServer:
    """`with SimulatorServer(config) as sim: requests.post(sim.url + "/shop/...")`."""

    def __init__(
        self, config: SimulatorConfig | None = None, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.config = config or SimulatorConfig()
        self.app = Simulator(self.config)
        self._host, self._port = host, port
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the simulator is not started")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> SimulatorServer:
        if self._httpd is None:
            self._httpd = _Server((self._host, self._port), _Handler)
            self._httpd.app = self.app
            self._httpd.base_host = "{}:{}".format(*self._httpd.server_address[:2])
            self._thread = threading.Thread(
                target=self._httpd.serve_forever, name="simulator", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def set_faults(self, faults: FaultConfig) -> None:
        self.app.set_faults(faults)

    def env(self) -> dict[str, str]:
        """Environment variables that point the pipeline at this simulator."""
        base = self.url
        return {
            "SHOP_URL": f"{base}/shop",
            "SHOP_API_VERSION": SHOP_API_VERSION,
            "SHOP_TIMEZONE": self.config.timezone,
            "GOOGLE_ADS_URL": f"{base}/google-ads",
            "META_ADS_URL": f"{base}/meta/{META_API_VERSION}",
            "EPCIS_URL": f"{base}/epcis",
            "ZENDESK_URL": f"{base}/zendesk",
            "GA4_URL": f"{base}/ga4",
            **DEMO_CREDENTIALS,
        }
