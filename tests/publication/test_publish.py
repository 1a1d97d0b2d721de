"""Publication to local files: complete, atomic, and harmless to readers that hold the old file."""

from __future__ import annotations

import json
import signal
from dataclasses import replace
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from orchestration.publication import publish_marts
from tests.publication.build_data import (
    FACT,
    MARTS,
    hold_read_only,
    read_published,
    stamp,
    start_paused_publisher,
    write_build_fact,
    write_build_marts,
)


def _snapshot(published: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(published)): p.read_bytes() for p in published.rglob("*") if p.is_file()
    }


def test_publication_writes_duckdb_parquet_and_log(tmp_path: Path) -> None:
    write_build_marts(tmp_path, version=1)
    first = publish_marts(tmp_path, MARTS, stamp("run-1"))
    write_build_marts(tmp_path, version=2)
    second = publish_marts(tmp_path, MARTS, stamp("run-2"))

    assert second.row_counts == {"mart_kpi_daily": 10, "dim_stores": 6}
    assert first.duckdb_path == second.duckdb_path == tmp_path / "published" / "marts.duckdb"
    seen = read_published(second.duckdb_path)
    assert seen["run_ids"] == {"run-2"}
    assert seen["log"] == [("run-1",), ("run-2",)]
    with duckdb.connect(str(second.duckdb_path), read_only=True) as con:
        columns = dict(con.execute("describe mart_kpi_daily").fetchall()[i][:2] for i in range(8))
        log = con.execute(
            "select row_counts, checks, partition_start from publication_log"
        ).fetchall()
    assert columns["_published_at"] == "TIMESTAMP WITH TIME ZONE"
    assert columns["_source_mode"] == "VARCHAR"
    assert json.loads(log[-1][0]) == {"dim_stores": 6, "mart_kpi_daily": 10}
    assert json.loads(log[-1][1]) == {"mart_kpi_daily:ge_mart_kpi_daily": "passed"}

    parquet = pq.read_table(second.parquet_paths["mart_kpi_daily"])
    assert parquet.num_rows == 10
    assert set(parquet.column("_run_id").to_pylist()) == {"run-2"}
    manifest = json.loads((tmp_path / "published" / "parquet" / "_manifest.json").read_text())
    assert manifest["run_id"] == "run-2"
    # nothing of the work in progress is left next to what BI reads; the previous publication
    # stays as the next run's starting point (hidden)
    assert sorted(p.name for p in (tmp_path / "published").iterdir()) == [
        ".marts.duckdb.spare",
        "marts.duckdb",
        "parquet",
    ]
    assert (first.duckdb_start, second.duckdb_start) == ("empty", "copy")


def test_a_reader_holding_the_published_file_is_not_interrupted(tmp_path: Path) -> None:
    write_build_marts(tmp_path, version=1)
    published = publish_marts(tmp_path, MARTS, stamp("run-1")).duckdb_path
    reader = hold_read_only(published)
    before = reader.stdout.readline().strip()

    write_build_marts(tmp_path, version=2)
    publish_marts(tmp_path, MARTS, stamp("run-2"))

    out, _ = reader.communicate("go\n", timeout=30)
    assert reader.returncode == 0
    assert out.strip() == before == "1045"  # the old inode, read to the end
    assert read_published(published)["orders"] == 2090  # a new connection sees the new data


def test_a_publication_killed_before_the_replace_leaves_the_previous_one(tmp_path: Path) -> None:
    write_build_marts(tmp_path, version=1)
    write_build_fact(tmp_path)
    publish_marts(tmp_path, [*MARTS, FACT], stamp("run-1"))
    published = tmp_path / "published"
    before = _snapshot(published)

    write_build_marts(tmp_path, version=2)
    write_build_fact(tmp_path, changed_month="2025-02")
    signal_file = tmp_path / "paused"
    publisher = start_paused_publisher(tmp_path, "run-2", signal_file)
    assert any(p.name.endswith(".tmp") for p in published.iterdir())  # new file fully written
    publisher.send_signal(signal.SIGKILL)
    publisher.wait(timeout=10)

    left = _snapshot(published)
    assert {k: v for k, v in left.items() if not k.startswith(".")} == before
    assert read_published(published / "marts.duckdb")["run_ids"] == {"run-1"}

    # the next publication cleans up and succeeds, from the previous publication
    third = publish_marts(tmp_path, [*MARTS, FACT], stamp("run-3"))
    assert third.rewritten_months == {FACT: ["2025-02"]}
    assert read_published(published / "marts.duckdb")["log"] == [("run-1",), ("run-3",)]
    assert [p.name for p in published.iterdir() if p.name.startswith(".")] == [
        ".marts.duckdb.spare"
    ]


def test_a_log_of_before_the_day_columns_gets_them(tmp_path: Path) -> None:
    write_build_marts(tmp_path, version=1)
    publish_marts(tmp_path, MARTS, stamp("run-1"))
    published = tmp_path / "published"
    for name in ("marts.duckdb", ".marts.duckdb.spare"):  # a publication made before them
        if (published / name).exists():
            with duckdb.connect(str(published / name)) as con:
                con.execute("alter table publication_log drop column days_published")
                con.execute("alter table publication_log drop column days_held")
    days = [["2025-03-01", "2025-03-10"]]
    held = [{"day": "2025-03-12", "reason": "blocked"}]

    publish_marts(tmp_path, MARTS, replace(stamp("run-2"), days_published=days, days_held=held))

    with duckdb.connect(str(published / "marts.duckdb"), read_only=True) as con:
        log = con.execute(
            "select run_id, days_published, days_held from publication_log order by published_at"
        ).fetchall()
    assert log[0] == ("run-1", None, None)
    assert log[1][0] == "run-2"
    assert (json.loads(log[1][1]), json.loads(log[1][2])) == (days, held)
