"""The Dagster UI in a real browser: the asset graph, a check result and the freshness status.

Debian's headless Chromium (installed by .ci/run) opens a throwaway webserver over this code
location. The instance is seeded through Dagster's own runless-event API rather than by a whole
demo run (minutes on two cores): an extract's materialisation with its Great Expectations check
passing, and the freshness sensor's evaluation of a publication that is two days old. What the
test asserts is what the data team reads on those pages.
"""

from __future__ import annotations

import importlib.util
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import pytest
import requests

from orchestration.devserver import running_webserver
from orchestration.freshness import PUBLISHED_MARTS, freshness_sensor

REPO_ROOT = Path(__file__).resolve().parents[2]
SHOP_ORDERS = dg.AssetKey(["landing", "shop_orders"])


def _screenshot_module():
    spec = importlib.util.spec_from_file_location(
        "screenshot_lineage", REPO_ROOT / "scripts" / "screenshot_lineage.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _seed(dagster_home: Path) -> None:
    """A shop-orders extract with its GE check passed; a publication last made 3 days ago."""
    today = datetime.now(ZoneInfo("Europe/Paris")).date()
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        instance.report_runless_asset_event(
            dg.AssetMaterialization(SHOP_ORDERS, partition=str(today - timedelta(days=1)))
        )
        instance.report_runless_asset_event(
            dg.AssetCheckEvaluation(
                asset_key=SHOP_ORDERS,
                check_name="ge_shop_orders",
                passed=True,
                description="shop_orders: all 20 expectations passed",
            )
        )
        instance.report_runless_asset_event(
            dg.AssetMaterialization(PUBLISHED_MARTS, partition=str(today - timedelta(days=3)))
        )
        freshness_sensor([PUBLISHED_MARTS])(dg.build_sensor_context(instance=instance))


def _page_text(page, url: str, expected: str, timeout: float = 120) -> str:
    page.call("Page.navigate", url=url)
    page.wait_for(f"document.body.innerText.includes({expected!r})", timeout=timeout)
    time.sleep(1)
    return page.evaluate("document.body.innerText")


@pytest.mark.slow
def test_ui_shows_the_graph_a_check_result_and_a_stale_publication(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FRESHNESS_DEADLINE_HOUR", "0")
    home = tmp_path / "dagster_home"
    home.mkdir()
    _seed(home)
    browser = _screenshot_module()
    with running_webserver(env={"DAGSTER_HOME": str(home)}) as url:
        requests.post(f"{url}/graphql", json={"query": "mutation { setNuxSeen }"}, timeout=30)
        with browser.devtools_page(1600, 1000) as page:
            page.call("Page.enable")
            graph = _page_text(page, f"{url}/asset-groups", "publication")
            assert {"acquisition", "conversion", "retention", "stores"} <= set(graph.split())

            checks = _page_text(
                page, f"{url}/assets/landing/shop_orders?view=checks", "ge_shop_orders"
            )
            assert "Succeeded" in checks

            stale = _page_text(
                page, f"{url}/assets/published_marts?view=checks", "is missing past the deadline"
            )
            assert "Failed" in stale and "required_partition" in stale
