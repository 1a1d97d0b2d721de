"""Landing zone writer: one Parquet file per dataset-day, streamed, swapped in atomically.

Why this shape:
- rows arrive page by page and are flushed every `chunk_rows`, so memory stays flat however long
  the day is;
- the file is written to a hidden temp name in the target folder, fsynced, then `os.replace`d onto
  `data.parquet`: a re-run replaces the day, a crash leaves the previous file intact, and readers
  (dbt's glob) never see half a file;
- an empty day still gets a file (schema, zero rows), so a glob always matches;
- no wall-clock value goes into file metadata: identical rows (with the same injectable
  `extracted_at`) give byte-identical files;
- duplicates within a day are resolved to the latest version with a second streaming pass over the
  temp file, so the first pass never has to hold the day in memory.
"""

from __future__ import annotations

import json
import os
import uuid
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import TracebackType
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from orchestration.lib.landing_schemas import BOOKKEEPING_FIELDS, REJECTS
from orchestration.lib.paths import WarehouseLayout

DEFAULT_CHUNK_ROWS = 20_000


def landing_path(warehouse_dir: Path, source: str, dataset: str, day: date) -> Path:
    return WarehouseLayout(Path(warehouse_dir)).landing_file(source, dataset, day)


def rejects_path(warehouse_dir: Path, source: str, dataset: str, day: date) -> Path:
    return WarehouseLayout(Path(warehouse_dir)).landing_file(source, dataset, day, rejects=True)


def to_json(record: Any) -> str:
    """Canonical JSON for `payload` columns: sorted keys so re-runs give identical bytes."""
    return json.dumps(
        record, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )


@dataclass(frozen=True)
class Dedupe:
    """How to recognise two versions of one record in a day, and which one is the latest.

    Rows with the same `key` columns are versions of one record; the highest `version` wins,
    and on a tie (or without a version column) the last one received.
    """

    key: tuple[str, ...]
    version: str | None = None


@dataclass(frozen=True)
class Dataset:
    """One landed dataset as its source module declares it: the columns, and how a day dedupes.

    None for `dedupe`: every row received lands (the records have no identity to collapse).
    """

    schema: pa.Schema
    dedupe: Dedupe | None = None


@dataclass(frozen=True)
class Bookkeeping:
    """The constant columns every landed row ends with."""

    partition_date: date
    extracted_at: datetime
    source_mode: str


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class DatasetWriter:
    """Streams the rows of one dataset-day to Parquet; `commit()` publishes, `abort()` discards."""

    def __init__(
        self,
        path: Path,
        schema: pa.Schema,
        bookkeeping: Bookkeeping,
        *,
        chunk_rows: int = DEFAULT_CHUNK_ROWS,
        dedupe: Dedupe | None = None,
    ):
        self.path = path
        self.schema = schema
        self._data_schema = pa.schema([f for f in schema if f.name not in _BOOKKEEPING_NAMES])
        self._bookkeeping = bookkeeping
        self._chunk_rows = chunk_rows
        self._dedupe = dedupe
        self._buffer: list[Mapping[str, Any]] = []
        self._received = 0
        self._latest: dict[Hashable, tuple[Any, int]] = {}  # key -> (version, row ordinal)
        self._superseded: set[int] = set()  # ordinals of rows a later version replaces
        path.parent.mkdir(parents=True, exist_ok=True)
        self._tmp = path.parent / f".{path.name}.{uuid.uuid4().hex}.tmp"
        self._writer: pq.ParquetWriter | None = pq.ParquetWriter(self._tmp, schema, **_PARQUET)

    @property
    def rows(self) -> int:
        return self._received - len(self._superseded)

    @property
    def duplicates(self) -> int:
        return len(self._superseded)

    def write(self, row: Mapping[str, Any]) -> None:
        if self._dedupe:
            self._track_version(row)
        self._buffer.append(row)
        self._received += 1
        if len(self._buffer) >= self._chunk_rows:
            self._flush()

    def write_many(self, rows: Iterable[Mapping[str, Any]]) -> None:
        for row in rows:
            self.write(row)

    def commit(self) -> Path:
        self._flush()
        assert self._writer is not None, "commit() after commit() or abort()"
        self._writer.close()
        self._writer = None
        if self._superseded:
            self._drop_superseded()
        _fsync(self._tmp)
        os.replace(self._tmp, self.path)
        _fsync(self.path.parent)
        return self.path

    def abort(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        self._tmp.unlink(missing_ok=True)

    def _track_version(self, row: Mapping[str, Any]) -> None:
        assert self._dedupe is not None
        key = tuple(row.get(k) for k in self._dedupe.key)
        version = row.get(self._dedupe.version) if self._dedupe.version else None
        ordinal = self._received
        seen = self._latest.get(key)
        if seen is None:
            self._latest[key] = (version, ordinal)
        elif version is None or seen[0] is None or version >= seen[0]:
            self._superseded.add(seen[1])
            self._latest[key] = (version, ordinal)
        else:
            self._superseded.add(ordinal)

    def _flush(self) -> None:
        if not self._buffer:
            return
        table = pa.Table.from_pylist(self._buffer, schema=self._data_schema)
        self._buffer = []
        for name in (f.name for f in self._data_schema if not f.nullable):
            if table.column(name).null_count:
                raise ValueError(f"{self.path.parent.parent.name}: required column {name} is null")
        assert self._writer is not None
        self._writer.write_table(self._with_bookkeeping(table), row_group_size=self._chunk_rows)

    def _with_bookkeeping(self, table: pa.Table) -> pa.Table:
        n, bk = table.num_rows, self._bookkeeping
        constants = {
            "_partition_date": pa.array([bk.partition_date] * n, pa.date32()),
            "_extracted_at": pa.array([bk.extracted_at] * n, BOOKKEEPING_FIELDS[1].type),
            "_source_mode": pa.array([bk.source_mode] * n, pa.string()),
        }
        columns = [
            table.column(f.name) if f.name in table.column_names else constants[f.name]
            for f in self.schema
        ]
        return pa.Table.from_arrays(columns, schema=self.schema)

    def _drop_superseded(self) -> None:
        """Second streaming pass: copy every row group minus the superseded row ordinals."""
        deduped = self._tmp.with_suffix(".dedup.tmp")
        offset = 0
        with pq.ParquetWriter(deduped, self.schema, **_PARQUET) as writer:
            for batch in pq.ParquetFile(self._tmp).iter_batches(batch_size=self._chunk_rows):
                keep = [offset + i not in self._superseded for i in range(batch.num_rows)]
                offset += batch.num_rows
                writer.write_table(pa.Table.from_batches([batch]).filter(pa.array(keep)))
        os.replace(deduped, self._tmp)


_PARQUET: dict[str, Any] = {"compression": "zstd", "write_statistics": True}
_BOOKKEEPING_NAMES = {f.name for f in BOOKKEEPING_FIELDS}


@dataclass
class LandingTotals:
    """Counts across every day of one asset run: the materialisation's metadata."""

    rows: Counter[str] = field(default_factory=Counter)
    rejects: Counter[str] = field(default_factory=Counter)
    duplicates: Counter[str] = field(default_factory=Counter)
    files: int = 0

    def as_metadata(self) -> dict[str, Any]:
        return {
            "rows": dict(sorted(self.rows.items())),
            "rows_total": sum(self.rows.values()),
            "rejects": dict(sorted(self.rejects.items())),
            "rejects_total": sum(self.rejects.values()),
            "duplicates_dropped": dict(sorted(self.duplicates.items())),
            "files_written": self.files,
        }


class DayLanding:
    """All datasets (and their rejects) of one source for one day, committed together on success.

    Used as a context manager: leaving it normally commits every file, an exception aborts them
    all so the previous landing of the day stays as it was.
    """

    def __init__(
        self,
        warehouse_dir: Path,
        source: str,
        bookkeeping: Bookkeeping,
        datasets: Mapping[str, Dataset],
        *,
        totals: LandingTotals | None = None,
        chunk_rows: int = DEFAULT_CHUNK_ROWS,
    ):
        self.source = source
        self.totals = totals if totals is not None else LandingTotals()
        day = bookkeeping.partition_date
        self._writers = {
            name: DatasetWriter(
                landing_path(warehouse_dir, source, name, day),
                dataset.schema,
                bookkeeping,
                chunk_rows=chunk_rows,
                dedupe=dataset.dedupe,
            )
            for name, dataset in datasets.items()
        }
        self._rejects = {
            name: DatasetWriter(
                rejects_path(warehouse_dir, source, name, day),
                REJECTS,
                bookkeeping,
                chunk_rows=chunk_rows,
            )
            for name in datasets
        }

    def write(self, dataset: str, row: Mapping[str, Any]) -> None:
        self._writers[dataset].write(row)

    def reject(self, dataset: str, record_id: Any, field: str, reason: str, payload: Any) -> None:
        """Keep a record that failed validation, with why: nothing is dropped silently."""
        self._rejects[dataset].write(
            {
                "source": self.source,
                "dataset": dataset,
                "record_id": None if record_id is None else str(record_id),
                "field": field,
                "reason": reason,
                "payload": payload if isinstance(payload, str) else to_json(payload),
            }
        )

    def __enter__(self) -> DayLanding:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        writers = [*self._writers.values(), *self._rejects.values()]
        if exc_type is not None:
            for writer in writers:
                writer.abort()
            return
        for name, writer in self._writers.items():
            writer.commit()
            self.totals.rows[name] += writer.rows
            self.totals.duplicates[name] += writer.duplicates
        for name, writer in self._rejects.items():
            writer.commit()
            self.totals.rejects[name] += writer.rows
        self.totals.files += len(writers)


def copy_day(source_file: Path, target_file: Path, partition_date: date) -> Path:
    """Land an existing day file again under another partition date (streamed, atomic).

    Serves the catalog: one API snapshot lands under every day of a backfill range.
    """
    parquet = pq.ParquetFile(source_file)
    schema = parquet.schema_arrow
    target_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = target_file.parent / f".{target_file.name}.{uuid.uuid4().hex}.tmp"
    index = schema.get_field_index("_partition_date")
    with pq.ParquetWriter(tmp, schema, **_PARQUET) as writer:
        for i in range(parquet.num_row_groups):
            group = parquet.read_row_group(i)
            dates = pa.array([partition_date] * group.num_rows, pa.date32())
            writer.write_table(group.set_column(index, schema.field(index), dates))
    _fsync(tmp)
    os.replace(tmp, target_file)
    _fsync(target_file.parent)
    return target_file


class InvalidRecord(ValueError):
    """A record that cannot land: names the field and why, for the rejects file."""

    def __init__(self, field: str, reason: str):
        self.field, self.reason = field, reason
        super().__init__(f"{field}: {reason}")


_MONEY_STEP = Decimal("0.0001")


def required(record: Mapping[str, Any], field: str) -> Any:
    """The value of a field the landing contract cannot do without."""
    value = record.get(field)
    if value is None or value == "":
        raise InvalidRecord(field, "missing")
    return value


def parse_utc(value: Any, field: str) -> datetime:
    """An ISO-8601 timestamp with an offset (or `Z`) -> aware UTC datetime."""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise InvalidRecord(field, f"unparseable timestamp {str(value)[:40]!r}") from None
    if moment.tzinfo is None:
        raise InvalidRecord(field, f"timestamp {value!r} has no UTC offset")
    return moment.astimezone(UTC)


def parse_optional_utc(value: Any, field: str) -> datetime | None:
    return None if value in (None, "") else parse_utc(value, field)


def parse_money(value: Any, field: str) -> Decimal:
    """A decimal string (or number) -> Decimal with the landing scale of 4."""
    try:
        return Decimal(str(value)).quantize(_MONEY_STEP)
    except (InvalidOperation, ValueError):
        raise InvalidRecord(field, f"not a decimal amount: {str(value)[:40]!r}") from None


def parse_count(value: Any, field: str) -> int:
    """A non-negative integer (APIs often send int64 as strings)."""
    try:
        number = int(str(value))
    except ValueError:
        raise InvalidRecord(field, f"not an integer: {str(value)[:40]!r}") from None
    if number < 0:
        raise InvalidRecord(field, f"negative value {number}")
    return number


#: A whitelist of a JSON record: key -> None (keep the value) or a nested whitelist.
Shape = Mapping[str, "Shape | None"]


def pick(record: Any, shape: Shape) -> Any:
    """Keep only the whitelisted fields of a record (lists are filtered element by element).

    Payload columns are built with this, so a field an API adds tomorrow (or a customer's email)
    never reaches the landing zone just because it was in the response.
    """
    if isinstance(record, list):
        return [pick(item, shape) for item in record]
    if not isinstance(record, Mapping):
        return record
    return {
        key: value if sub is None or value is None else pick(value, sub)
        for key, sub in shape.items()
        if key in record
        for value in (record[key],)
    }
