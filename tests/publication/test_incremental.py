"""Incremental publication: the big facts are republished month by month.

The new published file starts from a previous publication (a copy of the current one, or the
spare: tests/publication/test_spare.py); only the months of a partitioned fact whose fingerprint
changed in the build are rewritten, in DuckDB and in Parquet, and the result equals a full copy
(publication columns aside).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration.publication import parquet_target, publish_marts
from orchestration.publication.contract import FINGERPRINT_TABLE, PUBLICATION_COLUMNS
from tests.publication.build_data import (
    ALL,
    FACT,
    MONTHS,
    read_published,
    run_ids_per_month,
    stamp,
    write_build_fact,
    write_build_marts,
)

_NO_STAMP = f"exclude ({', '.join(PUBLICATION_COLUMNS)})"


def _month_files(warehouse: Path) -> dict[str, tuple[bytes, int]]:
    """month -> (bytes, mtime_ns) of the fact's Parquet files."""
    return {
        path.parent.name.removeprefix("month="): (path.read_bytes(), path.stat().st_mtime_ns)
        for path in (warehouse / "published" / "parquet" / FACT).glob("month=*/data.parquet")
    }


def _published_rows(warehouse: Path, with_stamp: bool = False) -> list[tuple]:
    columns = "*" if with_stamp else f"* {_NO_STAMP}"
    with duckdb.connect(str(warehouse / "published" / "marts.duckdb"), read_only=True) as con:
        return con.execute(f"select {columns} from {FACT} order by order_id").fetchall()


def _build_rows(warehouse: Path) -> list[tuple]:
    with duckdb.connect(str(warehouse / "build" / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(f"select * from marts.{FACT} order by order_id").fetchall()


def _parquet_rows(warehouse: Path, with_stamp: bool = False) -> list[tuple]:
    columns = "* exclude (month)" if with_stamp else f"* {_NO_STAMP[:-1]}, month)"
    files = warehouse / "published" / "parquet" / FACT / "*" / "*.parquet"
    return duckdb.sql(
        f"select {columns} from read_parquet('{files}', hive_partitioning = true) order by order_id"
    ).fetchall()


def _manifest(warehouse: Path) -> dict:
    return json.loads((warehouse / "published" / "parquet" / "_manifest.json").read_text())


def test_the_first_publication_writes_every_month(tmp_path: Path) -> None:
    write_build_marts(tmp_path, version=1)
    write_build_fact(tmp_path)
    legacy = tmp_path / "published" / "parquet" / f"{FACT}.parquet"  # the layout before month files
    legacy.parent.mkdir(parents=True)
    legacy.write_bytes(b"old single file")

    result = publish_marts(tmp_path, ALL, stamp("run-1"))

    assert result.rewritten_months == {FACT: list(MONTHS)}
    assert result.row_counts[FACT] == 90
    assert result.parquet_paths[FACT] == tmp_path / "published" / "parquet" / FACT
    assert _published_rows(tmp_path) == _build_rows(tmp_path)
    assert _parquet_rows(tmp_path) == _build_rows(tmp_path)
    assert sorted(_month_files(tmp_path)) == list(MONTHS)
    assert not legacy.exists()
    months = duckdb.sql(
        f"select distinct month from read_parquet('{result.parquet_paths[FACT]}/*/*.parquet', "
        "hive_partitioning = true) order by 1"
    ).fetchall()
    assert months == [(m,) for m in MONTHS]
    with duckdb.connect(str(result.duckdb_path), read_only=True) as con:
        fingerprints = con.execute(
            f"select month, row_count, run_id from {FINGERPRINT_TABLE} order by month"
        ).fetchall()
    assert fingerprints == [(m, 30, "run-1") for m in MONTHS]
    manifest = _manifest(tmp_path)
    assert manifest["partitioned"][FACT]["column"] == "order_date"
    assert {m: v["rows"] for m, v in manifest["partitioned"][FACT]["months"].items()} == {
        m: 30 for m in MONTHS
    }


def test_a_changed_month_is_the_only_one_rewritten(tmp_path: Path) -> None:
    write_build_marts(tmp_path, version=1)
    write_build_fact(tmp_path)
    publish_marts(tmp_path, ALL, stamp("run-1"))
    before = _month_files(tmp_path)

    write_build_marts(tmp_path, version=2)
    write_build_fact(tmp_path, changed_month="2025-02")
    second = publish_marts(tmp_path, ALL, stamp("run-2"))

    assert second.rewritten_months == {FACT: ["2025-02"]}
    after = _month_files(tmp_path)
    assert after["2025-01"] == before["2025-01"]  # same bytes, same mtime: not touched
    assert after["2025-03"] == before["2025-03"]
    assert after["2025-02"][0] != before["2025-02"][0]
    assert _published_rows(tmp_path) == _build_rows(tmp_path)
    assert _parquet_rows(tmp_path, with_stamp=True) == _published_rows(tmp_path, with_stamp=True)
    # unchanged months keep the stamp of the publication that wrote them; small marts are new
    assert run_ids_per_month(tmp_path) == {
        "2025-01": {"run-1"},
        "2025-02": {"run-2"},
        "2025-03": {"run-1"},
    }
    assert read_published(second.duckdb_path)["run_ids"] == {"run-2"}
    assert read_published(second.duckdb_path)["log"] == [("run-1",), ("run-2",)]
    months = _manifest(tmp_path)["partitioned"][FACT]["months"]
    assert {m: v["run_id"] for m, v in months.items()} == {
        "2025-01": "run-1",
        "2025-02": "run-2",
        "2025-03": "run-1",
    }

    # the same build published from scratch gives the same rows
    full = tmp_path / "full"
    (full / "build").mkdir(parents=True)
    shutil.copyfile(tmp_path / "build" / "warehouse.duckdb", full / "build" / "warehouse.duckdb")
    publish_marts(full, ALL, stamp("run-full"))
    assert _published_rows(full) == _published_rows(tmp_path)
    assert _parquet_rows(full) == _parquet_rows(tmp_path)

    # nothing changed: nothing of the fact is rewritten
    third = publish_marts(tmp_path, ALL, stamp("run-3"))
    assert third.rewritten_months == {FACT: []}
    assert _month_files(tmp_path) == after


def test_months_come_and_go_and_a_new_column_rewrites_the_fact(tmp_path: Path) -> None:
    write_build_marts(tmp_path, version=1)
    write_build_fact(tmp_path)
    publish_marts(tmp_path, ALL, stamp("run-1"))

    write_build_fact(tmp_path, months=("2025-02", "2025-03", "2025-04"))
    second = publish_marts(tmp_path, ALL, stamp("run-2"))
    assert second.rewritten_months == {FACT: ["2025-01", "2025-04"]}
    assert sorted(_month_files(tmp_path)) == ["2025-02", "2025-03", "2025-04"]
    assert not (tmp_path / "published" / "parquet" / FACT / "month=2025-01").exists()
    assert _published_rows(tmp_path) == _build_rows(tmp_path)
    assert _parquet_rows(tmp_path) == _build_rows(tmp_path)

    write_build_fact(tmp_path, months=("2025-02", "2025-03", "2025-04"), extra_column=True)
    third = publish_marts(tmp_path, ALL, stamp("run-3"))
    assert third.rewritten_months == {FACT: ["2025-02", "2025-03", "2025-04"]}
    assert _published_rows(tmp_path) == _build_rows(tmp_path)
    assert _parquet_rows(tmp_path) == _build_rows(tmp_path)
    assert run_ids_per_month(tmp_path) == {m: {"run-3"} for m in ("2025-02", "2025-03", "2025-04")}


def test_a_change_of_source_mode_rewrites_every_month(tmp_path: Path) -> None:
    write_build_marts(tmp_path, version=1)
    write_build_fact(tmp_path)
    publish_marts(tmp_path, ALL, stamp("run-1"))

    live = publish_marts(tmp_path, ALL, stamp("run-2", source_mode="live"))

    assert live.rewritten_months == {FACT: list(MONTHS)}
    with duckdb.connect(str(live.duckdb_path), read_only=True) as con:
        modes = con.execute(f"select distinct _source_mode from {FACT}").fetchall()
    assert modes == [("live",)]


def test_a_crash_while_moving_parquet_months_is_repaired_by_the_next_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_build_marts(tmp_path, version=1)
    write_build_fact(tmp_path)
    publish_marts(tmp_path, ALL, stamp("run-1"))
    write_build_fact(tmp_path, changed_month="2025-02")

    real_replace = parquet_target.atomic_replace

    def crash_on_month_files(source: Path, target: Path) -> None:
        if target.name == parquet_target.MONTH_FILE:
            raise OSError("disk gone while moving the Parquet months")
        real_replace(source, target)

    monkeypatch.setattr(parquet_target, "atomic_replace", crash_on_month_files)
    with pytest.raises(OSError, match="disk gone"):
        publish_marts(tmp_path, ALL, stamp("run-2"))
    monkeypatch.undo()
    # the DuckDB file was replaced, the Parquet month was not, and the manifest says so
    assert run_ids_per_month(tmp_path)["2025-02"] == {"run-2"}
    assert "2025-02" not in _manifest(tmp_path)["partitioned"][FACT]["months"]
    assert _parquet_rows(tmp_path) != _build_rows(tmp_path)

    third = publish_marts(tmp_path, ALL, stamp("run-3"))

    assert third.rewritten_months == {FACT: []}  # the DuckDB file was already up to date
    assert _parquet_rows(tmp_path, with_stamp=True) == _published_rows(tmp_path, with_stamp=True)
    assert _parquet_rows(tmp_path) == _build_rows(tmp_path)
    assert sorted(_manifest(tmp_path)["partitioned"][FACT]["months"]) == list(MONTHS)
    hidden = [p.name for p in (tmp_path / "published").iterdir() if p.name.startswith(".")]
    assert hidden == [".marts.duckdb.spare"]  # the previous publication, the next run's start


def test_a_publication_without_fingerprints_is_rewritten_in_full(tmp_path: Path) -> None:
    """A publication written before fingerprints existed has the facts but none of them."""
    write_build_marts(tmp_path, version=1)
    write_build_fact(tmp_path)
    first = publish_marts(tmp_path, ALL, stamp("run-1"))
    with duckdb.connect(str(first.duckdb_path)) as con:
        con.execute(f"drop table {FINGERPRINT_TABLE}")

    second = publish_marts(tmp_path, ALL, stamp("run-2"))

    assert second.rewritten_months == {FACT: list(MONTHS)}
    assert _published_rows(tmp_path) == _build_rows(tmp_path)
    assert run_ids_per_month(tmp_path) == {m: {"run-2"} for m in MONTHS}
