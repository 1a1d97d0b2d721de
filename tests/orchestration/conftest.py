"""Shared fixtures for the Dagster side.

The test session prepares the dbt manifest before collection (tests/conftest.py), so a fresh
clone needs no separate step. Every test gets its own WAREHOUSE_DIR: nothing touches ./warehouse.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

EXTRACT_KEYS = (
    "landing/shop_orders",
    "landing/shop_catalog",
    "landing/google_ads",
    "landing/meta_ads",
    "landing/rfid_counts",
    "landing/zendesk_tickets",
    "landing/ga4_sessions",
)
PUBLICATION_KEY = "published_marts"


def is_mart(key: str) -> bool:
    return key.rsplit("/", 1)[-1].startswith("mart_")


def downstream_of(start: str, children: Mapping[str, Iterable[str]]) -> set[str]:
    """Every key reachable from `start` following `children` (start excluded)."""
    seen: set[str] = set()
    queue = deque([start])
    while queue:
        for child in children.get(queue.popleft(), ()):
            if child not in seen:
                seen.add(child)
                queue.append(child)
    return seen


def invert(parents: Mapping[str, Iterable[str]]) -> dict[str, set[str]]:
    """{key: parents} -> {key: children}."""
    children: dict[str, set[str]] = {key: set() for key in parents}
    for key, ups in parents.items():
        for up in ups:
            children.setdefault(up, set()).add(key)
    return children


@pytest.fixture(autouse=True)
def _isolated_warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    warehouse = tmp_path / "warehouse"
    warehouse.mkdir()
    monkeypatch.setenv("WAREHOUSE_DIR", str(warehouse))
    return warehouse
