"""Each source declares its landing contract in its own module; lib/ stays generic.

The expected datasets are written out here, not read from the code: the landing zone's folders
are what dbt's sources, the quality suites and the Postgres loader read.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pyarrow as pa

from orchestration.lib.landing import Dataset
from orchestration.lib.landing_schemas import BOOKKEEPING_FIELDS
from orchestration.sources import LANDING_DATASETS, SOURCE_MODULES

EXPECTED = {
    "shop": ["orders", "order_lines", "refund_lines", "fulfillments", "product_variants"],
    "google_ads": ["campaign_stats", "product_stats"],
    "meta_ads": ["campaign_insights", "ad_insights"],
    "rfid": ["events", "observations"],
    "zendesk": ["tickets"],
    "ga4": ["sessions", "report_metadata"],
}
LIB = Path(__file__).parents[2] / "orchestration" / "lib"


def test_the_landing_contract_is_gathered_from_the_source_modules() -> None:
    assert {source: list(datasets) for source, datasets in LANDING_DATASETS.items()} == EXPECTED
    for module in SOURCE_MODULES:
        for name, dataset in module.DATASETS.items():
            assert isinstance(dataset, Dataset), f"{module.__name__}.DATASETS[{name!r}]"
            assert LANDING_DATASETS[module.SOURCE][name] is dataset.schema
            assert list(dataset.schema)[-len(BOOKKEEPING_FIELDS) :] == BOOKKEEPING_FIELDS
            assert isinstance(dataset.schema, pa.Schema)


def test_importing_lib_never_imports_the_sources() -> None:
    """lib/ is what the sources build on: importing any of it must not pull a source in (the
    landing contract reaches lib/ code as an argument)."""
    modules = sorted(
        f"orchestration.lib.{p.stem}" for p in LIB.glob("*.py") if p.stem != "__init__"
    )
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m.startswith('orchestration.sources')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
