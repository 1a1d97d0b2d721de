"""The spare: a publication starts from the publication before the current one, not a
byte copy of the current one, and ends exactly where a copy would.

Each test publishes the same builds, with the same stamps, into a second warehouse whose spare is
deleted before every publication (so it always starts from a byte copy of its current
publication, as before the spare): both must hold the same rows in every table, publication
stamps, fingerprints and log included, and the same Parquet files.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
from pathlib import Path

import duckdb
import pytest

from orchestration.publication import publish_marts, spare_file
from orchestration.publication.contract import (
    LOG_TABLE,
    PUBLICATION_COLUMNS,
    Stamp,
)
from orchestration.publication.publish import PublicationResult
from tests.publication.build_data import (
    ALL,
    FACT,
    MARTS,
    MONTHS,
    T0,
    T1,
    T2,
    dbt_reinsert,
    hold_read_only,
    run_ids_per_month,
    stamp,
    start_paused_publisher,
    write_build_fact,
    write_build_marts,
)

#: The previous publication's name, spelled out: a warehouse made before keeps its spare.
SPARE_NAME = ".marts.duckdb.spare"


def _published(warehouse: Path) -> Path:
    return warehouse / "published" / "marts.duckdb"


def _spare(warehouse: Path) -> Path:
    return warehouse / "published" / SPARE_NAME


def _content(path: Path) -> dict[str, list[tuple]]:
    """Every table of a published file: its columns and rows (sorted; the log in publication
    order). Row order within a table is not meaningful (docs/architecture.md)."""
    with duckdb.connect(str(path), read_only=True) as con:
        tables = [row[0] for row in con.execute("show tables").fetchall()]
        content = {}
        for table in tables:
            columns = [row[0] for row in con.execute(f"describe {table}").fetchall()]
            order = "published_at" if table == LOG_TABLE else "all"
            rows = con.execute(f"select * from {table} order by {order}").fetchall()
            content[table] = [tuple(columns), *rows]
    return content


def _parquet(warehouse: Path) -> dict[str, object]:
    """The manifest and the rows of every Parquet file."""
    parquet = warehouse / "published" / "parquet"
    files = sorted(str(p.relative_to(parquet)) for p in parquet.rglob("*.parquet"))
    return {
        "manifest": json.loads((parquet / "_manifest.json").read_text()),
        "files": {
            name: duckdb.sql(
                f"select * from read_parquet('{parquet / name}', hive_partitioning = false) "
                "order by all"
            ).fetchall()
            for name in files
        },
    }


def _month_mtimes(warehouse: Path) -> dict[str, int]:
    return {
        path.parent.name.removeprefix("month="): path.stat().st_mtime_ns
        for path in (warehouse / "published" / "parquet" / FACT).glob("month=*/data.parquet")
    }


class Twins:
    """Two warehouses, the same builds and stamps: `main` keeps its spare, `copy` never has one."""

    def __init__(self, tmp_path: Path) -> None:
        self.main = tmp_path / "main"
        self.copy = tmp_path / "copy"
        self.runs: list[str] = []

    def publish(
        self, run_id: str, marts: list[str] = ALL, source_mode: str = "demo"
    ) -> PublicationResult:
        """Publish the build of `main` in both; check they agree; return `main`'s result."""
        the_stamp: Stamp = stamp(run_id, source_mode)
        (self.copy / "build").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(
            self.main / "build" / "warehouse.duckdb", self.copy / "build" / "warehouse.duckdb"
        )
        _spare(self.copy).unlink(missing_ok=True)
        spare = _spare(self.main)
        spare_inode = spare.stat().st_ino if spare.exists() else None

        result = publish_marts(self.main, marts, the_stamp)
        reference = publish_marts(self.copy, marts, the_stamp)
        self.runs.append(run_id)

        assert reference.duckdb_start in ("empty", "copy")
        if result.duckdb_start == "spare":
            # no byte copy: the spare's own file (inode) is now the publication
            assert _published(self.main).stat().st_ino == spare_inode
        assert result.row_counts == reference.row_counts
        assert result.rewritten_months == reference.rewritten_months
        assert _content(_published(self.main)) == _content(_published(self.copy))
        assert _parquet(self.main) == _parquet(self.copy)
        with duckdb.connect(str(_published(self.main)), read_only=True) as con:
            log = con.execute(f"select run_id from {LOG_TABLE} order by published_at").fetchall()
        assert log == [(run,) for run in self.runs]  # every run, in order
        return result


def _from_scratch(warehouse: Path, tmp_path: Path) -> dict[str, list[tuple]]:
    """The marts of a first publication of `warehouse`'s build, publication columns left out."""
    scratch = tmp_path / "scratch"
    shutil.rmtree(scratch, ignore_errors=True)
    (scratch / "build").mkdir(parents=True)
    shutil.copyfile(
        warehouse / "build" / "warehouse.duckdb", scratch / "build" / "warehouse.duckdb"
    )
    publish_marts(scratch, ALL, stamp("run-scratch"))
    return _mart_rows(scratch)


def _mart_rows(warehouse: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(_published(warehouse)), read_only=True) as con:
        return {
            mart: con.execute(
                f"select * exclude ({', '.join(PUBLICATION_COLUMNS)}) from {mart} order by all"
            ).fetchall()
            for mart in ALL
        }


def _published_twins(tmp_path: Path, *run_ids: str) -> Twins:
    """Twins whose build (version 1 marts, the fact loaded at T0) was published as `run_ids`:
    from the second one on, the main warehouse has a spare."""
    twins = Twins(tmp_path)
    write_build_marts(twins.main, version=1)
    write_build_fact(twins.main, loaded_at=T0)
    for run_id in run_ids:
        twins.publish(run_id)
    return twins


def test_later_publications_start_from_the_spare_and_equal_a_copy(tmp_path: Path) -> None:
    twins = Twins(tmp_path)
    write_build_marts(twins.main, version=1)
    write_build_fact(twins.main, loaded_at=T0)
    assert twins.publish("run-1").duckdb_start == "empty"
    assert not _spare(twins.main).exists()  # nothing was replaced

    write_build_marts(twins.main, version=2)
    dbt_reinsert(twins.main, "order_id = '2025-02-3'", T1, "net_revenue + 1 as net_revenue")
    second = twins.publish("run-2")
    assert (second.duckdb_start, second.duckdb_start_reason) == ("copy", "no spare")
    assert _spare(twins.main).stat().st_nlink == 1  # run-1's file, under its spare name only

    write_build_marts(twins.main, version=3)
    dbt_reinsert(twins.main, "order_id = '2025-03-4'", T2, "net_revenue + 2 as net_revenue")
    third = twins.publish("run-3")
    assert third.duckdb_start == "spare"
    assert third.rewritten_months == {FACT: ["2025-03"]}
    assert third.caught_up_months == {FACT: ["2025-02"]}  # run-2's month, from run-2's file
    assert run_ids_per_month(twins.main) == {
        "2025-01": {"run-1"},
        "2025-02": {"run-2"},
        "2025-03": {"run-3"},
    }

    fourth = twins.publish("run-4")  # nothing changed in the build
    assert (fourth.duckdb_start, fourth.rewritten_months) == ("spare", {FACT: []})
    assert fourth.caught_up_months == {FACT: ["2025-03"]}

    fifth = twins.publish("run-5")
    assert (fifth.duckdb_start, fifth.caught_up_months) == ("spare", {FACT: []})
    assert _mart_rows(twins.main) == _from_scratch(twins.main, tmp_path)
    hidden = sorted(p.name for p in (twins.main / "published").iterdir() if p.name[0] == ".")
    assert hidden == [SPARE_NAME]


def _change_nothing(warehouse: Path) -> None:
    pass


def _change_a_month(warehouse: Path) -> None:
    dbt_reinsert(warehouse, "order_id = '2025-02-3'", T1, "net_revenue + 1 as net_revenue")


def _reinsert_unchanged(warehouse: Path) -> None:  # the hash path: kept, max(_loaded_at) moves
    dbt_reinsert(warehouse, "order_id in ('2025-01-5', '2025-02-6')", T1)


def _delete_rows(warehouse: Path) -> None:  # the count path
    dbt_reinsert(warehouse, "order_id = '2025-01-7'", T1, delete_only=True)


def _months_come_and_go(warehouse: Path) -> None:
    write_build_fact(warehouse, months=("2025-02", "2025-03", "2025-04"), loaded_at=T1)


def _add_a_column(warehouse: Path) -> None:
    write_build_fact(warehouse, extra_column=True, loaded_at=T1)


@pytest.mark.parametrize(
    ("change_n", "marts_n", "mode_n"),
    [
        pytest.param(_change_a_month, ALL, "demo", id="a-changed-month"),
        pytest.param(_reinsert_unchanged, ALL, "demo", id="reinserted-unchanged"),
        pytest.param(_delete_rows, ALL, "demo", id="rows-deleted"),
        pytest.param(_months_come_and_go, ALL, "demo", id="months-come-and-go"),
        pytest.param(_add_a_column, ALL, "demo", id="a-new-column"),
        pytest.param(_change_a_month, MARTS, "demo", id="fact-dropped-then-back"),
        pytest.param(_change_nothing, ALL, "live", id="source-mode-changed"),
    ],
)
def test_changes_of_both_publications_reach_the_spare(
    tmp_path: Path, change_n, marts_n: list[str], mode_n: str
) -> None:
    """Publication N+1 starts from the spare, N-1: it has the build changes made before N (what N
    published) and before N+1, and equals the copy of N updated by N+1."""
    twins = _published_twins(tmp_path, "run-1", "run-2")  # run-2: N-1, the spare of N+1

    write_build_marts(twins.main, version=2)
    change_n(twins.main)
    twins.publish("run-3", marts_n, mode_n)  # N
    mtimes = _month_mtimes(twins.main)

    write_build_marts(twins.main, version=3)
    dbt_reinsert(twins.main, "order_id = '2025-03-1'", T2, "net_revenue + 5 as net_revenue")
    last = twins.publish("run-4", ALL, mode_n)  # N+1

    assert last.duckdb_start == "spare"
    with duckdb.connect(str(_published(twins.main)), read_only=True) as con:
        published = con.execute(
            f"select * exclude ({', '.join(PUBLICATION_COLUMNS)}) from {FACT} order by all"
        ).fetchall()
    with duckdb.connect(str(twins.main / "build" / "warehouse.duckdb"), read_only=True) as con:
        build = con.execute(f"select * exclude (_loaded_at) from marts.{FACT} order by all")
        build = build.fetchall()
    assert published == build  # both changes are there
    assert _mart_rows(twins.main) == _from_scratch(twins.main, tmp_path)
    if marts_n == ALL:
        # months N wrote and N+1 kept are caught up from N's file, stamps included: their
        # Parquet files are not staged again
        for month in set(mtimes) - {"2025-03"}:
            assert _month_mtimes(twins.main)[month] == mtimes[month]


def test_a_spare_held_open_by_a_reader_falls_back_to_a_copy(tmp_path: Path) -> None:
    twins = _published_twins(tmp_path, "run-1")
    # a dashboard opens marts.duckdb (run-1) and keeps it open across two publications
    reader = hold_read_only(_published(twins.main))
    before = reader.stdout.readline().strip()
    try:
        write_build_marts(twins.main, version=2)
        twins.publish("run-2")  # run-1's file, still held, becomes the spare
        write_build_marts(twins.main, version=3)
        _change_a_month(twins.main)
        third = twins.publish("run-3")

        assert third.duckdb_start == "copy"
        assert "held open by another process" in third.duckdb_start_reason
        assert "lock" in third.duckdb_start_reason.lower()
        assert third.rewritten_months == {FACT: ["2025-02"]}
    finally:
        out, _ = reader.communicate("go\n", timeout=30)
    assert reader.returncode == 0
    assert out.strip() == before == "1045"  # the reader's file was never written to

    fourth = twins.publish("run-4")  # run-2's file, not held: the spare again
    assert fourth.duckdb_start == "spare"
    assert _mart_rows(twins.main) == _from_scratch(twins.main, tmp_path)


def test_a_spare_held_open_in_this_process_falls_back_to_a_copy(tmp_path: Path) -> None:
    """DuckDB's lock does not stop a writer of the same process: the publication looks itself."""
    twins = _published_twins(tmp_path, "run-1")
    # opened under another name, removed at once: DuckDB caches its instances by (resolved) path,
    # and the checks of `Twins` open marts.duckdb again
    link = tmp_path / "bi.duckdb"
    os.link(_published(twins.main), link)
    with duckdb.connect(str(link), read_only=True) as held:
        link.unlink()
        twins.publish("run-2")
        _change_a_month(twins.main)
        third = twins.publish("run-3")
        assert (third.duckdb_start, third.duckdb_start_reason) == (
            "copy",
            "the spare is held open by this process",
        )
        assert held.execute("select count(*) from fct_orders").fetchone() == (90,)
    assert twins.publish("run-4").duckdb_start == "spare"


def _junk(spare: Path) -> None:
    spare.write_bytes(b"not a database" * 1000)


def _no_tables(spare: Path) -> None:
    spare.unlink()
    duckdb.connect(str(spare)).close()


def _emptied_month(spare: Path) -> None:
    """Rows gone behind the fingerprints' back: the fact is rebuilt from the current one."""
    with duckdb.connect(str(spare)) as con:
        con.execute(f"delete from {FACT} where order_date < date '2025-02-01'")


def _second_name_of_the_target(spare: Path) -> None:
    """What a crash between the link and the replace leaves: the spare IS marts.duckdb."""
    spare.unlink()
    os.link(spare.parent / "marts.duckdb", spare)


@pytest.mark.parametrize(
    ("spoil", "reason"),
    [
        (_junk, "not a valid DuckDB database file"),
        (_no_tables, "not a publication of this version"),
        (_second_name_of_the_target, "another file's name"),
        (_emptied_month, None),
    ],
)
def test_an_unusable_spare_is_not_used(tmp_path: Path, spoil, reason: str | None) -> None:
    twins = _published_twins(tmp_path, "run-1", "run-2")
    spoil(_spare(twins.main))
    published_before = _published(twins.main).read_bytes()

    _change_a_month(twins.main)
    third = twins.publish("run-3")

    if reason is None:  # usable, its fact rebuilt from the current publication
        assert third.duckdb_start == "spare"
        assert third.caught_up_months == {FACT: ["2025-01", "2025-03"]}
    else:
        assert third.duckdb_start == "copy"
        assert reason in third.duckdb_start_reason
    assert _published(twins.main).stat().st_nlink == 1
    assert _spare(twins.main).read_bytes() == published_before  # run-2's file, intact
    assert twins.publish("run-4").duckdb_start == "spare"


def test_without_a_current_publication_the_spare_is_dropped(tmp_path: Path) -> None:
    """docs/operations.md: moving marts.duckdb away forces a full republication."""
    twins = _published_twins(tmp_path, "run-1", "run-2")
    for warehouse in (twins.main, twins.copy):
        _published(warehouse).rename(tmp_path / f"{warehouse.name}-moved-away.duckdb")
        (warehouse / "published" / "parquet" / "_manifest.json").unlink()
    twins.runs = []

    result = twins.publish("run-3")

    assert result.duckdb_start == "empty"
    assert result.duckdb_start_reason.startswith("spare deleted")
    assert result.rewritten_months == {FACT: list(MONTHS)}
    assert not _spare(twins.main).exists()


def test_a_failed_publication_from_the_spare_leaves_the_previous_one(tmp_path: Path) -> None:
    twins = _published_twins(tmp_path, "run-1", "run-2")
    published = twins.main / "published"
    before = _published(twins.main).read_bytes()
    parquet_before = _parquet(twins.main)

    # the fact is caught up and rewritten in the spare, then a mart is missing from the build
    _change_a_month(twins.main)
    with pytest.raises(LookupError, match="mart_missing"):
        publish_marts(twins.main, [FACT, *MARTS, "mart_missing"], stamp("run-3"))

    assert _published(twins.main).read_bytes() == before  # BI: still run-2
    assert _parquet(twins.main) == parquet_before
    # the half-updated spare is gone, under any name: the next run cannot take it for a spare
    assert sorted(p.name for p in published.iterdir()) == ["marts.duckdb", "parquet"]

    fourth = twins.publish("run-4")
    assert (fourth.duckdb_start, fourth.duckdb_start_reason) == ("copy", "no spare")
    assert fourth.rewritten_months == {FACT: ["2025-02"]}
    assert twins.publish("run-5").duckdb_start == "spare"
    assert _mart_rows(twins.main) == _from_scratch(twins.main, tmp_path)


def test_a_failed_replace_leaves_no_spare_naming_the_current_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    twins = Twins(tmp_path)
    write_build_marts(twins.main, version=1)
    twins.publish("run-1", MARTS)
    twins.publish("run-2", MARTS)
    before = _published(twins.main).read_bytes()

    def replace_fails(source: Path, target: Path) -> None:
        raise OSError("disk gone before the replace")

    monkeypatch.setattr(spare_file, "atomic_replace", replace_fails)
    with pytest.raises(OSError, match="disk gone"):
        publish_marts(twins.main, MARTS, stamp("run-3"))
    monkeypatch.undo()

    assert _published(twins.main).read_bytes() == before
    assert _published(twins.main).stat().st_nlink == 1
    assert not _spare(twins.main).exists()
    assert twins.publish("run-4", MARTS).duckdb_start == "copy"


def test_a_publication_from_the_spare_killed_before_the_replace(tmp_path: Path) -> None:
    twins = _published_twins(tmp_path, "run-1", "run-2")
    published = twins.main / "published"
    before = _published(twins.main).read_bytes()

    write_build_marts(twins.main, version=2)
    _change_a_month(twins.main)
    signal_file = tmp_path / "paused"
    publisher = start_paused_publisher(twins.main, "run-3", signal_file)
    publisher.send_signal(signal.SIGKILL)
    publisher.wait(timeout=10)

    # the spare, fully updated for run-3, lies under the run's temporary name only
    hidden = sorted(p.name for p in published.iterdir() if p.name.startswith("."))
    assert [name for name in hidden if not name.startswith(".staging-")] == [
        ".marts.duckdb.run-3.tmp"
    ]
    assert _published(twins.main).read_bytes() == before

    fourth = twins.publish("run-4")  # cleans up, starts from a copy
    assert (fourth.duckdb_start, fourth.duckdb_start_reason) == ("copy", "no spare")
    assert fourth.rewritten_months == {FACT: ["2025-02"]}
    assert sorted(p.name for p in published.iterdir()) == [SPARE_NAME, "marts.duckdb", "parquet"]
    assert _mart_rows(twins.main) == _from_scratch(twins.main, tmp_path)
