"""Published Parquet: one file per small mart, one file per month for the partitioned facts.

Layout under `published/parquet/`:

- `<mart>.parquet` for every small mart (dimensions, `mart_*`), rewritten by every publication;
- `<fact>/month=YYYY-MM/data.parquet` for the facts of `PARTITIONED_MARTS` (hive style: read
  `<fact>/*/*.parquet` with `hive_partitioning=true` for a `month` column). Only the months the
  publication rewrote in the DuckDB file are written again; the files of other months are not
  touched (same bytes, same mtime). A month file holds the same rows as that month in
  `marts.duckdb`, publication columns included;
- `_manifest.json`, replaced last: the run, the marts, and per partitioned fact and month its row
  count, fingerprint and the run that wrote it. A month file is current when the manifest names
  the same run and row count as the DuckDB file's `_publication_fingerprints` for that month (the
  run that wrote a month says what it holds; its build fingerprint may move without the rows
  changing, see month_diff).

Everything is staged in `published/.staging-<run>/` and moved in with atomic renames, each file
whole. A reader that lists the files DURING the moves can see some months (or marts) of the new
publication and others of the previous one; `_manifest.json` names the complete publication once
the moves are done. Before it moves any month file, the publisher rewrites the manifest without
the months it is about to replace or delete, so a crash in the middle leaves them marked stale and
the next publication rewrites them (it compares the manifest with the DuckDB fingerprints and
checks that each month file exists).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from orchestration.lib import duckdb_settings
from orchestration.publication.contract import PARTITIONED_MARTS, MonthPrint, Stamp, month_filter
from orchestration.publication.duckdb_sql import quote_path
from orchestration.publication.duckdb_target import DuckdbPublication
from orchestration.publication.files import atomic_replace, fsync_dir

MANIFEST_NAME = "_manifest.json"
MONTH_FILE = "data.parquet"
_MONTH_PREFIX = "month="


@dataclass
class ParquetPlan:
    """What to move into `published/parquet/` once the DuckDB file is in place."""

    moves: list[tuple[Path, Path]] = field(default_factory=list)  # staged file -> target
    removals: list[Path] = field(default_factory=list)  # month files whose month left the build
    legacy: list[Path] = field(default_factory=list)  # old `<fact>.parquet` of a partitioned fact
    stale_manifest: dict | None = None  # the previous manifest minus the months being replaced
    manifest: dict = field(default_factory=dict)


def month_file(parquet_dir: Path, mart: str, month: str) -> Path:
    return parquet_dir / mart / f"{_MONTH_PREFIX}{month}" / MONTH_FILE


def read_manifest(parquet_dir: Path) -> dict:
    """The previous publication's manifest ({} when there is none or it cannot be read)."""
    try:
        manifest = json.loads((parquet_dir / MANIFEST_NAME).read_text())
    except (OSError, ValueError):
        return {}
    return manifest if isinstance(manifest, dict) else {}


def _same_month(entry: object, fingerprint: MonthPrint) -> bool:
    """Whether a month of the previous manifest holds what the DuckDB file has now: the same
    publication wrote both (each publication writes a month at most once, from one build), with
    as many rows. Not the build fingerprint: a month dbt re-inserted unchanged gets a new
    max(`_loaded_at`) but keeps its rows, and its file."""
    return (
        isinstance(entry, dict)
        and entry.get("run_id") == fingerprint.run_id
        and entry.get("rows") == fingerprint.rows
    )


def _stage_months(
    con: duckdb.DuckDBPyConnection, mart: str, months: list[str], staging: Path
) -> dict[str, Path]:
    """Write `months` of `mart` from the new DuckDB file, one Parquet file per month.

    One plain `copy` per month: faster and leaner than one `copy ... (partition_by (month))`
    (bench/README.md).
    """
    column = PARTITIONED_MARTS[mart]
    staged = {}
    for month in months:
        target = staging / mart / f"{_MONTH_PREFIX}{month}" / MONTH_FILE
        target.parent.mkdir(parents=True)
        con.execute(
            f'copy (select * from main."{mart}" where {month_filter(column, [month])}) '
            f"to {quote_path(target)} (format parquet, compression zstd)"
        )
        staged[month] = target
    return staged


def stage_parquet(
    published_db: Path,
    staging: Path,
    parquet_dir: Path,
    marts: list[str],
    publication: DuckdbPublication,
    stamp: Stamp,
) -> ParquetPlan:
    """Write into `staging` the Parquet files that differ from `parquet_dir`; plan the moves."""
    previous = read_manifest(parquet_dir)
    previous_months = previous.get("partitioned") or {}
    plan = ParquetPlan()
    stale_manifest = json.loads(json.dumps(previous)) if previous else None
    partitioned: dict[str, dict] = {}
    con = duckdb_settings.connect(published_db, read_only=True)
    try:
        for mart in marts:
            if mart not in publication.months:
                staged = staging / f"{mart}.parquet"
                con.execute(
                    f'copy main."{mart}" to {quote_path(staged)} (format parquet, compression zstd)'
                )
                plan.moves.append((staged, parquet_dir / f"{mart}.parquet"))
                continue
            current = publication.months[mart]
            old = (previous_months.get(mart) or {}).get("months") or {}
            stale = sorted(
                month
                for month, fingerprint in current.items()
                if not _same_month(old.get(month), fingerprint)
                or not month_file(parquet_dir, mart, month).is_file()
            )
            on_disk = {
                path.name.removeprefix(_MONTH_PREFIX)
                for path in (parquet_dir / mart).glob(f"{_MONTH_PREFIX}*")
            }
            gone = sorted(on_disk - current.keys())
            if stale:
                for month, staged in _stage_months(con, mart, stale, staging).items():
                    plan.moves.append((staged, month_file(parquet_dir, mart, month)))
            plan.removals.extend(month_file(parquet_dir, mart, month) for month in gone)
            if (parquet_dir / f"{mart}.parquet").exists():
                plan.legacy.append(parquet_dir / f"{mart}.parquet")
            if stale_manifest is not None and (stale or gone):
                kept = ((stale_manifest.get("partitioned") or {}).get(mart) or {}).get("months")
                for month in [*stale, *gone]:
                    (kept or {}).pop(month, None)
                plan.stale_manifest = stale_manifest
            partitioned[mart] = {
                "column": PARTITIONED_MARTS[mart],
                "files": f"{mart}/{_MONTH_PREFIX}*/{MONTH_FILE}",
                "months": {m: current[m].as_json() for m in sorted(current)},
            }
    finally:
        con.close()
    plan.manifest = {
        "run_id": stamp.run_id,
        "published_at": stamp.published_at.isoformat(),
        "marts": sorted(marts),
        "partitioned": partitioned,
    }
    return plan


def _write_manifest(staging: Path, parquet_dir: Path, manifest: dict, name: str) -> None:
    staged = staging / name
    staged.write_text(json.dumps(manifest, indent=2, sort_keys=True))
    atomic_replace(staged, parquet_dir / MANIFEST_NAME)


def apply_parquet(plan: ParquetPlan, staging: Path, parquet_dir: Path) -> None:
    """Move the staged files in (each atomically), remove dropped months, manifest last."""
    parquet_dir.mkdir(exist_ok=True)
    if plan.stale_manifest is not None:
        _write_manifest(staging, parquet_dir, plan.stale_manifest, f"stale-{MANIFEST_NAME}")
    for staged, target in plan.moves:
        if not target.parent.is_dir():
            target.parent.mkdir(parents=True)
            fsync_dir(target.parent.parent)
        atomic_replace(staged, target)
    for path in plan.removals:
        shutil.rmtree(path.parent)  # the month's directory: its one file
        fsync_dir(path.parent.parent)
    for path in plan.legacy:
        path.unlink(missing_ok=True)
    _write_manifest(staging, parquet_dir, plan.manifest, MANIFEST_NAME)
