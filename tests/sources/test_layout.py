"""Each source declares its landing contract in its own package; lib/ stays generic.

The expected datasets and modules are written out here, not read from the code: the landing
zone's folders are what dbt's sources, the quality suites and the Postgres loader read.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from orchestration.lib.landing import Dataset
from orchestration.lib.landing_schemas import BOOKKEEPING_FIELDS
from orchestration.sources import LANDING_DATASETS, LANDING_MODULES

EXPECTED = {
    "shop": ["orders", "order_lines", "refund_lines", "fulfillments", "product_variants"],
    "google_ads": ["campaign_stats", "product_stats"],
    "meta_ads": ["campaign_insights", "ad_insights"],
    "rfid": ["events", "observations"],
    "zendesk": ["tickets"],
    "ga4": ["sessions", "report_metadata"],
}
LIB = Path(__file__).parents[2] / "orchestration" / "lib"


def _loaded_after(code: str) -> set[str]:
    """The `orchestration.sources` modules, and `dagster` if loaded, after `code` in a fresh
    interpreter."""
    probe = (
        f"{code}\n"
        "import sys\n"
        "for name in sys.modules:\n"
        "    if name.startswith('orchestration.sources') or name == 'dagster':\n"
        "        print(name)\n"
    )
    result = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", probe], capture_output=True, text=True, check=True
    )
    return set(result.stdout.split())


def test_the_landing_contract_is_gathered_from_the_source_packages() -> None:
    assert {source: list(datasets) for source, datasets in LANDING_DATASETS.items()} == EXPECTED
    for module in LANDING_MODULES:
        for name, dataset in module.DATASETS.items():
            assert isinstance(dataset, Dataset), f"{module.__name__}.DATASETS[{name!r}]"
            assert LANDING_DATASETS[module.SOURCE][name] is dataset.schema
            assert list(dataset.schema)[-len(BOOKKEEPING_FIELDS) :] == BOOKKEEPING_FIELDS


def test_the_landing_contract_loads_neither_dagster_nor_an_extract() -> None:
    """The quality suites' child process reads the contract: it must cost what the schemas
    cost, not Dagster, the HTTP client and every extract asset."""
    packages = ["shop", "google_ads", "meta_ads", "rfid", "zendesk", "ga4"]
    expected = {"orchestration.sources"}
    expected |= {f"orchestration.sources.{p}" for p in packages}
    expected |= {f"orchestration.sources.{p}.landing" for p in packages}
    assert _loaded_after("from orchestration.sources import LANDING_DATASETS") == expected


def test_importing_lib_never_imports_the_sources() -> None:
    """lib/ is what the sources build on: importing any of it pulls no source in (the landing
    contract reaches lib/ code as an argument)."""
    modules = sorted(
        f"orchestration.lib.{p.stem}" for p in LIB.glob("*.py") if p.stem != "__init__"
    )
    imports = "\n".join(f"import {module}" for module in modules)
    assert not {m for m in _loaded_after(imports) if m.startswith("orchestration.sources")}
