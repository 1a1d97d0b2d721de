"""The UI shows the lineage: a real `dagster-webserver -m orchestration.definitions` on a free
loopback port, queried over GraphQL, has a path from the shop's orders extract to a mart."""

from __future__ import annotations

import pytest

from scripts.devserver import fetch_asset_graph, running_webserver
from tests.orchestration.conftest import downstream_of, invert, is_mart


@pytest.mark.slow
def test_webserver_graphql_shows_path_from_orders_to_a_mart() -> None:
    # running_webserver starts the server in its own session (process group) and, in a finally,
    # sends SIGTERM then SIGKILL to that group only, found by the PID it started.
    with running_webserver() as url:
        parents = fetch_asset_graph(url)
    assert "landing/shop_orders" in parents
    reachable = downstream_of("landing/shop_orders", invert(parents))
    assert any(is_mart(key) for key in reachable), sorted(reachable)
