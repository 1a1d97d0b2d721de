"""What the data team reads in the Dagster UI, asserted in a real browser.

Debian's headless Chromium (installed by .ci/run) opens a throwaway webserver over this code
location and an instance a real pipeline run wrote (tests/orchestration/test_pipeline.py): the
lineage, the stores journey group, check results of that run, and the freshness status.
"""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path
from types import ModuleType

import requests

from scripts.devserver import running_webserver

REPO_ROOT = Path(__file__).resolve().parents[2]


def _screenshot_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "screenshot_lineage", REPO_ROOT / "scripts" / "screenshot_lineage.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _page_text(page, url: str, expected: str, timeout: float = 120) -> str:
    page.call("Page.navigate", url=url)
    page.wait_for(f"document.body.innerText.includes({expected!r})", timeout=timeout)
    time.sleep(1)
    return page.evaluate("document.body.innerText")


def assert_the_ui_shows_the_run(dagster_home: Path) -> None:
    """The pages the README pictures, on the instance of a finished run whose publication is
    older than the freshness deadline."""
    browser = _screenshot_module()
    with running_webserver(env={"DAGSTER_HOME": str(dagster_home)}) as url:
        requests.post(f"{url}/graphql", json={"query": "mutation { setNuxSeen }"}, timeout=30)
        with browser.devtools_page(1600, 1000) as page:
            page.call("Page.enable")
            graph = _page_text(page, f"{url}/asset-groups", "publication")
            assert {"acquisition", "conversion", "retention", "stores"} <= set(graph.split())

            stores = _page_text(
                page, f"{url}/locations/{browser.LOCATION}/asset-groups/stores", "rfid_counts"
            )
            # (zoomed out to fit, the graph shortens long names: the short ones are asserted)
            assert {"dim_stores", "stg_rfid__events", "published_marts"} <= set(stores.split())

            checks = _page_text(
                page, f"{url}/assets/landing/shop_orders?view=checks", "ge_shop_orders"
            )
            assert "Succeeded" in checks

            picking = _page_text(
                page,
                f"{url}/assets/marts/mart_store_picking_candidates?view=checks",
                "assert_picking_candidates_satisfy_rules",
            )
            assert "Succeeded" in picking and "blocking" in picking

            stale = _page_text(
                page, f"{url}/assets/published_marts?view=checks", "is missing past the deadline"
            )
            assert "Failed" in stale and "required_partition" in stale
