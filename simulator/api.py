"""The small request/response model every simulated API speaks (no HTTP details here)."""

from __future__ import annotations

import base64
import json
import threading
import time
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs


@dataclass
class ApiRequest:
    method: str
    path: str  # without the query string
    query: dict[str, list[str]]
    headers: Message
    body: bytes
    now: int  # the simulator's "now", epoch seconds
    base_url: str  # http://host:port, for absolute "next" links

    @classmethod
    def parse_query(cls, raw: str) -> dict[str, list[str]]:
        return parse_qs(raw, keep_blank_values=True)

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def json(self) -> Any:
        if not self.body:
            return {}
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise BadRequest(f"request body is not JSON: {exc}") from exc


@dataclass
class ApiResponse:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    file: Path | None = None  # served instead of `body`, streamed (a bulk result of gigabytes)


class BadRequest(Exception):
    """A client error the API answers with 400 and its own error shape."""


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> ApiResponse:
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return ApiResponse(status, body, {"Content-Type": "application/json", **(headers or {})})


def encode_cursor(*parts: int | str) -> str:
    """An opaque page cursor (clients must not parse it, as with the real APIs)."""
    raw = ":".join(str(p) for p in parts).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, arity: int) -> list[str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except ValueError as exc:
        raise BadRequest(f"invalid cursor {cursor!r}") from exc
    parts = raw.split(":")
    if len(parts) != arity:
        raise BadRequest(f"invalid cursor {cursor!r}")
    return parts


class WindowCounter:
    """Calls counted per fixed window of the simulator's clock (a minute, an hour, a day), the
    way vendors count quotas: what their usage headers and quota objects report."""

    def __init__(self, seconds: int) -> None:
        self.seconds = seconds
        self._window, self._count = -1, 0
        self._lock = threading.Lock()

    def hit(self, now: int) -> int:
        """Count one call at `now`; the calls of its window so far, this one included."""
        with self._lock:
            window = now // self.seconds
            if window != self._window:
                self._window, self._count = window, 0
            self._count += 1
            return self._count


class RateWindow:
    """A vendor's "N calls per T seconds" limit, counted in fixed windows of real time (not the
    simulator's clock, which tests freeze): `take()` admits a call, or says how long to wait."""

    def __init__(self, limit: int, seconds: float) -> None:
        self.limit, self.seconds = limit, seconds
        self._start, self._count = time.monotonic(), 0
        self._lock = threading.Lock()

    def take(self) -> float:
        """0 when the call is admitted, else the seconds until the next window opens."""
        with self._lock:
            now = time.monotonic()
            if now - self._start >= self.seconds:
                self._start += (now - self._start) // self.seconds * self.seconds
                self._count = 0
            if self._count < self.limit:
                self._count += 1
                return 0.0
            return self._start + self.seconds - now


def cents(value: int) -> str:
    """Decimal string of an amount in cents: 1250 -> "12.50"."""
    sign = "-" if value < 0 else ""
    value = abs(int(value))
    return f"{sign}{value // 100}.{value % 100:02d}"
