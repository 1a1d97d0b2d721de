"""Read the published marts and write report files atomically.

Reports are built ONLY from the published DuckDB (`published/marts.duckdb`), never from the
build database: what the report shows is exactly what BI users can query. The publication step
replaces that file atomically, so we open it read-only, read everything we need through ONE
connection (one consistent publication) and close it at once, so we never hold the old file
open longer than needed.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from orchestration.lib import duckdb_settings
from orchestration.lib.paths import WarehouseLayout

PUBLICATION_COLUMNS = ("_published_at", "_run_id", "_source_mode")
PUBLICATION_LOG = "publication_log"
LOG_QUERY = f"select * from {PUBLICATION_LOG}"


class PublishedMartError(RuntimeError):
    """A mart the report needs is missing from the publication, or lacks a contract column."""


@dataclass(frozen=True)
class Publication:
    """Which publication a report was built from: shown in its header, used in file names."""

    published_at: datetime | None
    run_id: str
    source_mode: str
    run_ids: frozenset[str] = field(default_factory=frozenset)
    partition_start: date | None = None  # the run's day range, from publication_log
    partition_end: date | None = None
    check_counts: dict[str, int] = field(default_factory=dict)  # passed / warn / failed -> n

    @property
    def is_demo(self) -> bool:
        return self.source_mode.lower() == "demo"

    @property
    def is_consistent(self) -> bool:
        """False when the marts read carry different run ids (they should never)."""
        return len(self.run_ids) <= 1


def published_db_path(warehouse_dir: Path) -> Path:
    return WarehouseLayout(Path(warehouse_dir)).published_marts


def read_marts(
    db_path: Path, queries: Mapping[str, str], optional: frozenset[str] = frozenset()
) -> dict[str, pd.DataFrame]:
    """Run `table -> SQL` against the published DB, read-only, in one short-lived connection.

    Callers filter date windows in the SQL so a large mart (campaign x day) is not loaded whole.
    A missing table fails with its name rather than with a DuckDB catalog error.
    """
    if not Path(db_path).exists():
        raise PublishedMartError(f"no published database at {db_path}: run the publication first")
    con = duckdb_settings.connect(db_path, read_only=True)
    try:
        present = {
            row[0] for row in con.execute("select table_name from duckdb_tables()").fetchall()
        }
        present |= {
            row[0] for row in con.execute("select view_name from duckdb_views()").fetchall()
        }
        frames: dict[str, pd.DataFrame] = {}
        for name, sql in queries.items():
            if name not in present and name in optional:
                frames[name] = pd.DataFrame()
                continue
            if name not in present:
                raise PublishedMartError(f"mart {name!r} is not in the publication {db_path}")
            frames[name] = con.execute(sql).df()
        return frames
    finally:
        con.close()


def require_columns(frame: pd.DataFrame, mart: str, columns: tuple[str, ...]) -> None:
    """Fail with the mart and column names rather than with a KeyError deep in a chart."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise PublishedMartError(f"mart {mart!r} lacks contract column(s) {missing}")


def pick_column(frame: pd.DataFrame, mart: str, *candidates: str) -> str:
    """The first of `candidates` present in `frame`.

    Used only where marts.md describes a column in words without naming it (for example the
    weekday of mart_support_hourly): the accepted spellings live here, in one place.
    """
    for name in candidates:
        if name in frame.columns:
            return name
    raise PublishedMartError(f"mart {mart!r} has none of the columns {list(candidates)}")


def publication_of(
    frames: Mapping[str, pd.DataFrame], log: pd.DataFrame | None = None
) -> Publication:
    """The publication stamp the marts carry, completed by its `publication_log` row.

    The marts' `_published_at` / `_run_id` / `_source_mode` are authoritative (they are what a
    BI user sees); the log adds the run's day range and its quality-check outcomes.
    """
    stamps = [f.iloc[0] for f in frames.values() if len(f) and "_run_id" in f.columns]
    run_ids = frozenset(str(s["_run_id"]) for s in stamps)
    log_row = _log_row(log, run_ids)
    if stamps:
        latest = max(stamps, key=lambda s: pd.Timestamp(s["_published_at"]))
        published_at, run_id, mode = (
            latest["_published_at"],
            latest["_run_id"],
            latest["_source_mode"],
        )
    elif log_row is not None:
        published_at, run_id, mode = (
            log_row["published_at"],
            log_row["run_id"],
            log_row["source_mode"],
        )
    else:
        return Publication(published_at=None, run_id="unknown", source_mode="unknown")
    return Publication(
        published_at=_utc(published_at),
        run_id=str(run_id),
        source_mode=str(mode),
        run_ids=run_ids,
        partition_start=as_date(log_row.get("partition_start")) if log_row is not None else None,
        partition_end=as_date(log_row.get("partition_end")) if log_row is not None else None,
        check_counts=_check_counts(log_row.get("checks")) if log_row is not None else {},
    )


def _log_row(log: pd.DataFrame | None, run_ids: frozenset[str]) -> pd.Series | None:
    """The log row of the marts' run (the latest one when the marts carry no stamp)."""
    if log is None or log.empty or "run_id" not in log.columns:
        return None
    rows = log[log["run_id"].astype(str).isin(run_ids)] if run_ids else log
    if rows.empty:
        return None
    return rows.sort_values("published_at").iloc[-1]


def _check_counts(checks: object) -> dict[str, int]:
    """`{"asset:check": "passed" | "warn" | "failed"}` (JSON) -> outcome counts."""
    if checks is None or (not isinstance(checks, (str, dict)) and pd.isna(checks)):
        return {}
    try:
        outcomes = json.loads(checks) if isinstance(checks, str) else dict(checks)
    except (TypeError, ValueError):
        return {}
    counts: dict[str, int] = {}
    for outcome in outcomes.values():
        counts[str(outcome)] = counts.get(str(outcome), 0) + 1
    return counts


def _utc(value: object) -> datetime:
    stamp = pd.Timestamp(value)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return stamp.to_pydatetime()


def safe_name(value: str) -> str:
    """A file-name-safe version of a run id or store id (keeps letters, digits, - _ .)."""
    cleaned = "".join(c if c.isalnum() or c in "-_." else "_" for c in str(value))
    return cleaned.strip(".") or "unnamed"


def write_text_atomic(path: Path, text: str, encoding: str = "utf-8") -> Path:
    """Write to a temp file in the same directory, then `os.replace`: readers see old or new."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding=encoding, newline="") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def replace_dir_atomic(staging: Path, target: Path) -> Path:
    """Swap a fully written staging directory into place.

    A directory cannot be `os.replace`d over a non-empty one, so the old one is renamed away
    first: readers never see a half-written set of files (at worst, for the instant between two
    renames, no directory).
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    old = target.with_name(f".{target.name}.old-{uuid.uuid4().hex[:8]}")
    if target.exists():
        os.replace(target, old)
    os.replace(staging, target)
    shutil.rmtree(old, ignore_errors=True)
    return target


def as_date(value: object) -> date | None:
    """A mart date cell (date, datetime64, string) as a `date`; None for null."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return pd.Timestamp(value).date()
