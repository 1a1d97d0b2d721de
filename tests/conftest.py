"""Shared fixtures for the extract tests: fast retry settings and an isolated warehouse."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestration.lib.config import SOURCE_ENV
from orchestration.lib.http import HttpSettings


@pytest.fixture
def fast_http() -> HttpSettings:
    """Retry settings with millisecond sleeps, so fault tests stay fast."""
    return HttpSettings(
        connect_timeout=2.0,
        read_timeout=2.0,
        max_retries=4,
        backoff_factor=0.01,
        backoff_max=0.05,
        backoff_jitter=0.0,
        retry_after_max=2,
    )


@pytest.fixture
def warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh WAREHOUSE_DIR, and no source variable leaking in from the caller's shell."""
    for spec in SOURCE_ENV.values():
        for var in (spec.url_var, *spec.credential_vars):
            monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("WAREHOUSE_DIR", str(tmp_path / "warehouse"))
    return tmp_path / "warehouse"


@pytest.fixture
def hanging_url() -> Iterator[str]:
    """A loopback port that accepts connections and never answers (a stuck API or balancer)."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                held.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    host, port = listener.getsockname()
    yield f"http://{host}:{port}"
    listener.close()
    for connection in held:
        connection.close()
