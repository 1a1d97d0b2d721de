"""Where everything is under the warehouse: one layout object instead of paths rebuilt per module.
Free of Dagster: the suite process (orchestration/quality/isolated.py) starts once per check step
and imports it through the DuckDB settings."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from orchestration.lib.landing_schemas import REJECTS_DATASET
from orchestration.lib.settings import load_settings


@dataclass(frozen=True)
class WarehouseLayout:
    """The folders and files of one warehouse (`root` is absolute).

    The only place that knows where things live under WAREHOUSE_DIR: every module asks it, so a
    folder moves in one line (tests/lib/test_paths.py fails on a path built by hand elsewhere).
    """

    root: Path

    @property
    def landing(self) -> Path:
        """The landing zone: one Parquet file per source, dataset and day, written by the extract
        assets (lib/landing.py), read by dbt, the landing checks and the Postgres loader."""
        return self.root / "landing"

    def landing_dataset(self, source: str, dataset: str) -> Path:
        """One dataset's `date=YYYY-MM-DD/` folders."""
        return self.landing / source / dataset

    def landing_rejects(self, source: str, dataset: str) -> Path:
        """The records of a dataset the extract rejected (with their reason), per day as well."""
        return self.landing / source / REJECTS_DATASET / dataset

    def landing_file(self, source: str, dataset: str, day: date, *, rejects: bool = False) -> Path:
        """The Parquet file of one dataset (or its rejects) and day, replaced whole when the day
        is extracted again."""
        folder = self.landing_rejects if rejects else self.landing_dataset
        return folder(source, dataset) / f"date={day:%Y-%m-%d}" / "data.parquet"

    @property
    def build(self) -> Path:
        """What the build makes and BI never reads: dbt's database, caches, lease and ledger."""
        return self.root / "build"

    @property
    def build_database(self) -> Path:
        """The DuckDB file dbt builds (duckdb target) or the marts are mirrored into (other
        targets); read by the mart checks and by the publication."""
        return self.build / "warehouse.duckdb"

    @property
    def build_tmp(self) -> Path:
        """Where in-process DuckDB spills what exceeds its memory limit."""
        return self.build / "tmp"

    @property
    def build_lease(self) -> Path:
        """The run id of the run that holds the build (build_lease.py): one build at a time."""
        return self.build / "build.lease"

    @property
    def day_ledger(self) -> Path:
        """Which days passed the gates and from which landed files (publication/day_ledger.py)."""
        return self.build / "day_ledger.json"

    @property
    def published_inputs_record(self) -> Path:
        """The inputs of the build behind the standing publication (build_inputs.py): a re-run
        with the same inputs skips the build."""
        return self.build / "last_published_inputs.json"

    @property
    def pending_inputs(self) -> Path:
        """One file per run whose build started: its inputs, waiting for its publication."""
        return self.build / "inputs_pending"

    @property
    def landing_hash_cache(self) -> Path:
        """Content hashes of the landed files, by size and mtime, so unchanged files are not
        read again when the build's inputs are fingerprinted."""
        return self.build / "landing_content_hashes.json"

    @property
    def suite_outcomes_record(self) -> Path:
        """The latest outcome of each landing suite with a digest of its inputs
        (quality/reuse.py): a check whose inputs are unchanged reports it again."""
        return self.build / "suite_outcomes.json"

    @property
    def spark_warehouse(self) -> Path:
        """Where the `spark` dbt target writes its tables (profiles.yml spark.sql.warehouse.dir)."""
        return self.build / "spark-warehouse"

    @property
    def dbt_runs(self) -> Path:
        """One dbt target folder per run (run_results.json, compiled SQL), kept after a failure."""
        return self.build / "dbt_runs"

    @property
    def dbt_partial_parse(self) -> Path:
        """dbt's partial-parse caches kept between runs, one folder per target and project."""
        return self.build / "dbt_partial_parse"

    @property
    def data_docs_templates(self) -> Path:
        """Jinja's compiled Data Docs templates, kept between suite processes
        (quality/data_docs_views.py)."""
        return self.build / "data_docs_templates"

    @property
    def data_docs(self) -> Path:
        """Great Expectations' rendered results, a folder per run and suite (quality/runner.py)."""
        return self.root / "quality" / "data_docs"

    @property
    def published(self) -> Path:
        """What BI reads, written by the publication only after the gates passed."""
        return self.root / "published"

    @property
    def published_marts(self) -> Path:
        """The DuckDB file BI reads (replaced atomically by each publication)."""
        return self.published / "marts.duckdb"

    @property
    def published_spare(self) -> Path:
        """The publication before the current one, the next run's starting point
        (publication/spare_file.py); hidden from BI by its leading dot."""
        return self.published / f".{self.published_marts.name}.spare"

    @property
    def published_parquet(self) -> Path:
        """The marts as Parquet (a file per mart, a folder of months for the big facts)."""
        return self.published / "parquet"

    @property
    def reports(self) -> Path:
        """The HTML KPI reports made from the published marts."""
        return self.published / "reports"

    @property
    def picking_sheets(self) -> Path:
        """The stores' replenishment picking sheets made from the published marts."""
        return self.published / "picking"

    @property
    def published_docs_index(self) -> Path:
        """The dbt documentation site BI users open (one static file, published with the marts)."""
        return self.published / "docs" / "index.html"

    @property
    def dagster_home(self) -> Path:
        """The default Dagster instance directory: run history lives with the warehouse."""
        return self.root / "dagster_home"

    @property
    def logs(self) -> Path:
        """The demo's log files (`make demo`)."""
        return self.root / "logs"


def parquet_files(folder: Path) -> list[Path]:
    """Every Parquet file under `folder` (none if it does not exist), sorted.

    `os.walk`, not `Path.rglob`: a 2-year landing zone holds ~20,000 files in ~11,000 day
    folders, which rglob lists in 1.8 s and os.walk in 0.9 s; the build's plan and fingerprint
    list them on every daily run."""
    found = [
        Path(root, name)
        for root, _, names in os.walk(folder)
        for name in names
        if name.endswith(".parquet")
    ]
    return sorted(found)


def warehouse_layout(env: Mapping[str, str] | None = None) -> WarehouseLayout:
    """The layout of WAREHOUSE_DIR (default ./warehouse), read when called so tests and
    deployments can point elsewhere."""
    return WarehouseLayout(load_settings(env).warehouse_dir)


def warehouse_dir(env: Mapping[str, str] | None = None) -> Path:
    """Absolute WAREHOUSE_DIR (default ./warehouse)."""
    return warehouse_layout(env).root


def published_docs_index(warehouse: Path) -> Path:
    """The dbt documentation site BI users open (one static file, published with the marts)."""
    return WarehouseLayout(warehouse).published_docs_index
