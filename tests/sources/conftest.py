"""Fixtures for the source tests: a simulator on loopback, and extract runs pointed at it."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from orchestration.lib.config import resolve_config
from orchestration.lib.extract import ExtractRun
from orchestration.lib.http import HttpSettings
from orchestration.lib.landing import landing_path, rejects_path
from simulator import FaultConfig, PageSizes, SimulatorConfig, SimulatorServer

#: The simulator's clock: fixed, so every test day is complete and re-runs serve the same data.
NOW = datetime(2026, 3, 12, 12, 0, tzinfo=UTC)
DAY = date(2026, 3, 2)
EXTRACTED_AT = datetime(2026, 3, 12, 6, 0, tzinfo=UTC)


@pytest.fixture
def serve(
    warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., SimulatorServer]]:
    """Start a simulator (sizes/faults/page sizes as given) and point the environment at it."""
    servers: list[SimulatorServer] = []

    def start(
        faults: FaultConfig | None = None, page_sizes: PageSizes | None = None, **config: object
    ) -> SimulatorServer:
        settings = SimulatorConfig(
            now=NOW,
            faults=faults or FaultConfig(),
            page_sizes=page_sizes or PageSizes(),
            **config,  # type: ignore[arg-type]
        )
        server = SimulatorServer(settings).start()
        servers.append(server)
        for key, value in server.env().items():
            monkeypatch.setenv(key, value)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def extract_run(fast_http: HttpSettings) -> Callable[[str], ExtractRun]:
    """An ExtractRun for a source, from the current environment, with a fixed extracted_at."""

    def make(source: str) -> ExtractRun:
        return ExtractRun(source, resolve_config(os.environ), fast_http, extracted_at=EXTRACTED_AT)

    return make


def read_landed(warehouse: Path, source: str, dataset: str, day: date = DAY) -> pa.Table:
    return pq.read_table(landing_path(warehouse, source, dataset, day))


def read_rejects(warehouse: Path, source: str, dataset: str, day: date = DAY) -> pa.Table:
    return pq.read_table(rejects_path(warehouse, source, dataset, day))
