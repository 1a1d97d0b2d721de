"""Publish a partitioned fact month by month: rewrite only the months the build changed.

A daily run must cost about the same in year three as in week one, so the published fact is not
copied whole: each month of the build is compared with the fingerprint the previous publication
stored for it in `_publication_fingerprints`, cheapest test first (row count and max(`_loaded_at`),
then a hash of the month), and only the months that differ are deleted and re-inserted. The
reasoning behind each test is docs/architecture.md, "Publication".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import duckdb

from orchestration.publication.contract import (
    BUILD_SCHEMA,
    FINGERPRINT_TABLE,
    LOADED_AT,
    PUBLICATION_COLUMNS,
    PUBLICATION_TYPES,
    MonthPrint,
    Stamp,
    contract_columns,
    ident,
    month_filter,
    month_key,
)
from orchestration.publication.duckdb_sql import (
    build_table_columns,
    count,
    stamp_params,
    stamped_select,
)
from orchestration.publication.fingerprints import StoredPrint, previous_prints, record_prints
from orchestration.publication.spare_file import catch_up

#: month -> (row count, max(`_loaded_at`) or None)
MonthStats = dict[str, tuple[int, datetime | None]]


@dataclass(frozen=True)
class PublishedFact:
    """What `publish_partitioned` did to one fact."""

    rows: int
    #: month -> fingerprint, as published now
    months: dict[str, MonthPrint]
    #: the months rewritten from the build or deleted
    rewritten: list[str]
    #: spare start: the months copied from the current publication
    caught_up: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _BuildFact:
    """The build fact as far as the comparison needs it (one narrow scan)."""

    columns: list[tuple[str, str]]  # its contract columns
    group: str  # SQL to group it by, finer than a month
    has_loaded_at: bool
    stats: MonthStats


@dataclass(frozen=True)
class _Diff:
    changed: list[str]  # to rewrite from the build
    gone: list[str]  # published, no longer in the build
    reloaded: list[str]  # re-inserted unchanged by dbt: kept, their max(`_loaded_at`) moves on
    hashes: dict[str, int]


def _group_key(column: str, kind: str) -> str:
    """SQL to group a fact by, finer than its month: the partition column itself when it is a
    DATE (a few hundred values; grouping by a column is cheaper than computing a month per row),
    else its month."""
    return ident(column) if kind == "DATE" else f"date_trunc('month', {ident(column)})"


def _month_stats(
    con: duckdb.DuckDBPyConnection, mart: str, group: str, has_loaded_at: bool
) -> MonthStats:
    """month -> (row count, max(`_loaded_at`) or None) of the build fact."""
    loaded_at = f"max({ident(LOADED_AT)})::timestamp" if has_loaded_at else "null"
    stats: MonthStats = {}
    for day, rows, newest in con.execute(
        f"select {group}, count(*), {loaded_at} from build.{BUILD_SCHEMA}.{ident(mart)} "
        "group by all"
    ).fetchall():
        key = month_key(day)
        total, latest = stats.get(key, (0, None))
        if newest is not None and (latest is None or newest > latest):
            latest = newest
        stats[key] = (total + rows, latest)
    return stats


def _read_build_fact(con: duckdb.DuckDBPyConnection, mart: str, column: str) -> _BuildFact:
    build_columns = build_table_columns(con, mart)
    types = dict(build_columns)
    group = _group_key(column, types.get(column, ""))
    has_loaded_at = LOADED_AT in types
    return _BuildFact(
        columns=contract_columns(build_columns),
        group=group,
        has_loaded_at=has_loaded_at,
        stats=_month_stats(con, mart, group, has_loaded_at),
    )


def _month_hashes(
    con: duckdb.DuckDBPyConnection, mart: str, column: str, fact: _BuildFact, months: list[str]
) -> dict[str, int]:
    """month -> sum(hash(<every contract column>)) of the build fact, for `months` only (no
    filter when they are all of the build's months)."""
    if not months:
        return {}
    row_hash = "hash(" + ", ".join(ident(name) for name, _ in fact.columns) + ")"
    where = "" if len(months) == len(fact.stats) else f"where {month_filter(column, months)}"
    hashes: dict[str, int] = {}
    for day, total in con.execute(
        f"select {fact.group}, sum({row_hash}) from build.{BUILD_SCHEMA}.{ident(mart)} {where} "
        "group by all"
    ).fetchall():
        key = month_key(day)
        hashes[key] = hashes.get(key, 0) + int(total)
    return hashes


def _diff_months(
    con: duckdb.DuckDBPyConnection,
    mart: str,
    column: str,
    fact: _BuildFact,
    previous: dict[str, StoredPrint],
    source_mode: str,
) -> _Diff:
    """Which months changed, cheapest test first."""
    # the months with as many rows as stored (and the same source mode): a hash can tell them
    same_rows = {
        key: stored
        for key, (rows, _) in fact.stats.items()
        if (stored := previous.get(key))
        and stored.rows == rows
        and stored.source_mode == source_mode
    }
    # 1. same rows and max(_loaded_at): unchanged, nothing else to read
    candidates = sorted(
        key
        for key, (_, loaded_at) in fact.stats.items()
        if not (
            key in same_rows and loaded_at is not None and same_rows[key].max_loaded_at == loaded_at
        )
    )
    # 2. hash the candidates that a hash can spare (same rows); every month when the hash is the
    # only fingerprint or the fact is copied in full, so that the next run can compare any month
    if fact.has_loaded_at and previous:
        to_hash = [key for key in candidates if key in same_rows]
    else:
        to_hash = candidates
    hashes = _month_hashes(con, mart, column, fact, to_hash)
    reloaded = [
        key
        for key in to_hash
        if key in same_rows
        and same_rows[key].row_hash is not None
        and same_rows[key].row_hash == hashes[key]
    ]
    return _Diff(
        changed=sorted(set(candidates) - set(reloaded)),
        gone=sorted(set(previous) - set(fact.stats)),
        reloaded=reloaded,
        hashes=hashes,
    )


def _apply_diff(
    con: duckdb.DuckDBPyConnection,
    mart: str,
    column: str,
    fact: _BuildFact,
    diff: _Diff,
    previous: dict[str, StoredPrint],
    stamp: Stamp,
    current: str | None,
) -> list[str]:
    """Rewrite the fact's changed months from the build and drop its gone ones (in full when
    there are no fingerprints to compare with); returns the months caught up from `current`."""
    if not previous:  # a new fact, other columns, or a publication from before fingerprints
        con.execute(
            f"create or replace table main.{ident(mart)} as {stamped_select(fact.columns, mart)}",
            stamp_params(stamp),
        )
        con.execute(f"delete from {FINGERPRINT_TABLE} where mart = ?", [mart])
        return []
    if not (diff.changed or diff.gone or current):
        return []
    caught_up: list[str] = []
    dropped = diff.changed + diff.gone
    if current:  # also deletes the spare's rows of the months changed or gone
        caught_up = catch_up(con, mart, column, set(previous) - set(dropped), current)
    else:
        con.execute(f"delete from main.{ident(mart)} where {month_filter(column, dropped)}")
    if diff.changed:
        con.execute(
            f"insert into main.{ident(mart)} "
            + stamped_select(fact.columns, mart, f"where {month_filter(column, diff.changed)}"),
            stamp_params(stamp),
        )
    con.execute(
        f"delete from {FINGERPRINT_TABLE} where mart = $mart and list_contains($months, month)",
        {"mart": mart, "months": dropped},
    )
    return caught_up


def publish_partitioned(
    con: duckdb.DuckDBPyConnection, mart: str, column: str, stamp: Stamp, current: str | None
) -> PublishedFact:
    """Bring one partitioned fact of the new file in line with the build, month by month.

    `current`: None when the new file is a copy of the current publication; else the file is the
    spare and `current` the name under which the current publication is attached: the months
    are compared with its fingerprints, and the spare caught up with it."""
    fact = _read_build_fact(con, mart, column)
    expected = fact.columns + list(zip(PUBLICATION_COLUMNS, PUBLICATION_TYPES, strict=True))
    previous = previous_prints(con, mart, expected, current)
    diff = _diff_months(con, mart, column, fact, previous, stamp.source_mode)
    caught_up = _apply_diff(con, mart, column, fact, diff, previous, stamp, current)
    written = [
        (key, fact.stats[key][0], diff.hashes.get(key), fact.stats[key][1]) for key in diff.changed
    ]
    reloaded = [(key, fact.stats[key][1]) for key in diff.reloaded]
    published = record_prints(con, mart, stamp, written, reloaded)
    # Cheap consistency checks (the fingerprints themselves are not recomputed on the copy).
    total = count(con, mart)
    expected_total = sum(rows for rows, _ in fact.stats.values())
    if total != expected_total or published.keys() != fact.stats.keys():
        raise RuntimeError(
            f"published {mart} has {total} rows in months {sorted(published)}, the build "
            f"{expected_total} in {sorted(fact.stats)}: not publishing an inconsistent copy"
        )
    return PublishedFact(
        rows=total,
        months=published,
        rewritten=sorted(diff.changed + diff.gone),
        caught_up=caught_up,
    )
