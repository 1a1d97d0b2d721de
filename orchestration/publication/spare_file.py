"""The spare: the publication before the current one, where the next publication starts.

Copying the whole current publication every day would make the daily cost grow with the
history. So the file a publication replaces is kept under a second name (a hard link, no copy),
and the next publication renames it to its own temporary name and updates it in place, after
catching it up with the current publication (month_diff). The spare only ever names a complete,
checkpointed publication other than `marts.duckdb`; whenever it cannot be used, the new file
starts from a byte copy of the current publication instead, and says why. The whole life of the
spare, and why each check is needed, is docs/architecture.md, "Publication".
"""

from __future__ import annotations

import logging
import os
import shutil
import stat
from pathlib import Path

import duckdb

from orchestration.lib import duckdb_settings
from orchestration.publication.contract import (
    FINGERPRINT_COLUMNS,
    FINGERPRINT_TABLE,
    LOG_COLUMNS,
    LOG_TABLE,
    ident,
    month_filter,
)
from orchestration.publication.duckdb_sql import count, published_columns, quote_path
from orchestration.publication.files import atomic_replace
from orchestration.publication.fingerprints import writers

logger = logging.getLogger(__name__)

#: What the new file starts from.
START_SPARE = "spare"
START_COPY = "copy"
START_EMPTY = "empty"
#: The name under which a spare start attaches the current publication (read-only).
CURRENT = "current_publication"


def _open_in_this_process(path: Path) -> bool:
    """Whether this process holds `path`'s file open. DuckDB's lock is a POSIX record lock, which
    never conflicts within a process: it cannot see a connection of this very process (a
    notebook, an in-process run) that still reads the file. Linux only (False without
    `/proc/self/fd`)."""
    target = os.stat(path)
    fd_dir = Path("/proc/self/fd")
    if not fd_dir.is_dir():
        return False
    for fd in fd_dir.iterdir():
        try:
            held = os.stat(fd)
        except OSError:  # closed meanwhile (the listing's own descriptor among others)
            continue
        if (held.st_dev, held.st_ino) == (target.st_dev, target.st_ino):
            return True
    return False


def _table_columns(con: duckdb.DuckDBPyConnection, database: str, table: str) -> set[str]:
    return {
        name
        for (name,) in con.execute(
            "select column_name from duckdb_columns() "
            "where database_name = ? and schema_name = 'main' and table_name = ?",
            [database, table],
        ).fetchall()
    }


def _spare_problem(con: duckdb.DuckDBPyConnection, current_file: Path) -> str | None:
    """What makes the opened spare unusable, None when it is fine; attaches the current
    publication as CURRENT."""
    (spare_db,) = con.execute("select current_database()").fetchone()
    if not _table_columns(con, spare_db, LOG_TABLE) or not _table_columns(
        con, spare_db, FINGERPRINT_TABLE
    ):
        return "the spare is not a publication of this version (no log or fingerprints)"
    con.execute(f"attach {quote_path(current_file)} as {CURRENT} (read_only)")
    if not set(LOG_COLUMNS) <= _table_columns(con, CURRENT, LOG_TABLE) or not set(
        FINGERPRINT_COLUMNS
    ) <= _table_columns(con, CURRENT, FINGERPRINT_TABLE):
        return "the current publication has no log or fingerprints of this version"
    return None


def _open_spare(
    spare_file: Path, new_file: Path, current_file: Path
) -> tuple[duckdb.DuckDBPyConnection | None, str]:
    """Rename the spare to `new_file` and open it read-write, the current publication attached;
    (None, why) when it cannot be used (the spare is then gone, `new_file` deleted)."""
    if not current_file.exists():
        spare_file.unlink()
        return None, "spare deleted: there is no current publication to catch it up with"
    wal = spare_file.with_name(spare_file.name + ".wal")
    # From here on the spare's name is gone: a failure or a crash leaves at most `new_file`, a
    # temporary file the next publication deletes, never a half-updated spare.
    os.replace(spare_file, new_file)
    con = None
    try:
        info = os.lstat(new_file)
        if not stat.S_ISREG(info.st_mode):
            problem = "the spare is not a regular file"
        elif info.st_nlink != 1:
            # writing into it would change the other name too: marts.duckdb itself after a crash
            # between keeping the spare and replacing marts.duckdb
            problem = "the spare is also another file's name (e.g. marts.duckdb itself)"
        elif wal.exists():
            wal.unlink()
            problem = "the spare has a write-ahead log: it was opened for writing"
        elif _open_in_this_process(new_file):
            problem = "the spare is held open by this process"
        else:
            con = duckdb_settings.connect(new_file)  # a reader in another process: lock error
            problem = _spare_problem(con, current_file)
            if problem is None:
                return con, "the publication before the current one"
    except (duckdb.Error, OSError) as error:
        held = "lock" in str(error).lower()
        problem = f"the spare is {'held open by another process' if held else 'unusable'}: {error}"
    if con is not None:
        con.close()
    new_file.unlink(missing_ok=True)
    return None, problem


def start_new_file(
    new_file: Path, current_file: Path, spare_file: Path | None
) -> tuple[duckdb.DuckDBPyConnection, str, str]:
    """Open `new_file` read-write, started from the spare, a copy of the current publication or
    nothing: (connection, START_*, why). On a spare start the current publication is attached
    as CURRENT."""
    reason = "no spare"
    if spare_file is not None and (spare_file.exists() or spare_file.is_symlink()):
        con, reason = _open_spare(spare_file, new_file, current_file)
        if con is not None:
            return con, START_SPARE, reason
        logger.warning("published DuckDB file not started from the spare: %s", reason)
    if not current_file.exists():
        return duckdb_settings.connect(new_file), START_EMPTY, f"{reason}, no publication yet"
    # The current publication is complete and checkpointed (it was renamed into place after its
    # connection closed): its bytes are a valid database, log and fingerprints included.
    shutil.copyfile(current_file, new_file)
    return duckdb_settings.connect(new_file), START_COPY, reason


def catch_up(
    con: duckdb.DuckDBPyConnection, mart: str, column: str, kept: set[str], current: str
) -> list[str]:
    """Leave in the spare's fact the `current` publication's rows of the `kept` months and no
    other rows, and give it the current publication's fingerprints: from then on it holds what a
    copy of the current publication would. A kept month is copied from `current` unless both
    files name the same writer for it. Returns the months copied."""
    current_writers = writers(con, current, mart)
    spare = writers(con, None, mart)
    spare_rows = sum(writer[2] for writer in spare.values())
    if (
        published_columns(con, mart) != published_columns(con, mart, current)
        or count(con, mart) != spare_rows
    ):
        # not comparable month by month: start the fact empty, with the current columns
        con.execute(
            f"create or replace table main.{ident(mart)} as "
            f"select * from {current}.main.{ident(mart)} limit 0"
        )
        spare = {}
    stale = sorted(month for month in kept if spare.get(month) != current_writers[month])
    dropped = sorted((spare.keys() - kept) | set(stale))
    if dropped:
        con.execute(f"delete from main.{ident(mart)} where {month_filter(column, dropped)}")
    if stale:
        con.execute(
            f"insert into main.{ident(mart)} select * from {current}.main.{ident(mart)} "
            f"where {month_filter(column, stale)}"
        )
    listed = ", ".join(FINGERPRINT_COLUMNS)
    con.execute(f"delete from main.{FINGERPRINT_TABLE} where mart = ?", [mart])
    con.execute(
        f"insert into main.{FINGERPRINT_TABLE} ({listed}) select {listed} "
        f"from {current}.main.{FINGERPRINT_TABLE} where mart = ?",
        [mart],
    )
    return stale


def replace_keeping_spare(new_file: Path, target: Path, spare: Path) -> None:
    """Swap `new_file` in over `target`; the file it replaces stays as `spare`: a second name
    taken before the rename (after it, the old file has no name left to link)."""
    spare.unlink(missing_ok=True)  # consumed by this run: only a leftover could be here
    if target.exists():
        try:
            os.link(target, spare)
        except OSError:  # no hard links here: no spare, the next run copies
            spare.unlink(missing_ok=True)
    try:
        atomic_replace(new_file, target)
    except BaseException:
        # perhaps not replaced: the spare may be marts.duckdb itself; never leave that
        spare.unlink(missing_ok=True)
        raise
