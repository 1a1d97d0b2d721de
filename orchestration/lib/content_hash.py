"""Content hashes of what a build or a check reads: landed files without their run metadata, the
package's code with the versions of the libraries that run it.

Shared by the build's fingerprint (orchestration/build_inputs.py) and the landing checks' reuse
of an outcome (orchestration/quality/reuse.py): both ask "did what I read change?", and must
answer it the same way. The landed files' hashes are cached by size and mtime
(`WarehouseLayout.landing_hash_cache`), so a run reads only the files written since the last
fingerprint: the run's own days.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from orchestration.lib.json_records import read_record, write_record
from orchestration.lib.paths import WarehouseLayout, parquet_files

#: Landing columns that say when a row was read, not what it says: `_extracted_at` on every
#: dataset, and the catalog's `snapshot_at` (the clock of the extract that read the stock).
RUN_METADATA_COLUMNS = frozenset({"_extracted_at", "snapshot_at"})
#: The libraries whose version changes what is built, checked or published.
LIBRARIES = ("dbt-core", "dbt-duckdb", "duckdb", "great-expectations", "pandas", "pyarrow")
_PACKAGE_DIR = Path(__file__).resolve().parents[1]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def landing_content_hash(path: Path) -> str:
    """The hash of a landed file's rows, its run metadata columns left out.

    Arrow's IPC bytes of the table: the same rows in the same order and types give the same bytes.
    """
    table = pq.read_table(path)
    table = table.drop_columns([c for c in table.column_names if c in RUN_METADATA_COLUMNS])
    table = table.replace_schema_metadata(None)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sha256(sink.getvalue().to_pybytes())


def _cached_hashes(warehouse: Path, paths: Iterable[Path], *, prune: bool) -> dict[str, str]:
    """The content hash of each landed file by its path under the landing zone; a file whose size
    and mtime are cached is not read again. `prune`: `paths` are every landed file, so the cache
    forgets the others (files deleted since)."""
    layout = WarehouseLayout(warehouse)
    cached = read_record(layout.landing_hash_cache) or {}
    current: dict[str, list[Any]] = {}
    for path in paths:
        stat = os.stat(path)
        name = landing_name(layout, path)
        known = cached.get(name)
        if known and known[:2] == [stat.st_size, stat.st_mtime_ns]:
            current[name] = known
        else:
            current[name] = [stat.st_size, stat.st_mtime_ns, landing_content_hash(path)]
    updated = current if prune else {**cached, **current}
    if updated != cached:
        write_record(layout.landing_hash_cache, updated)
    return {name: entry[2] for name, entry in current.items()}


def landing_name(layout: WarehouseLayout, path: Path) -> str:
    """A landed file's path under the landing zone, as the hashes name it (without
    Path.relative_to, slow over the 20,000 files of two years)."""
    return str(path)[len(str(layout.landing)) + 1 :]


def landing_digest(warehouse: Path) -> str:
    """Every landed file's path and content hash."""
    files = parquet_files(WarehouseLayout(warehouse).landing)
    hashes = _cached_hashes(warehouse, files, prune=True)
    return sha256("".join(f"{name}:{digest}\n" for name, digest in hashes.items()).encode())


def landing_hashes(warehouse: Path, paths: Iterable[Path]) -> dict[str, str]:
    """The content hashes of some landed files (e.g. those one suite reads), by landing path."""
    return _cached_hashes(warehouse, sorted(paths), prune=False)


def files_digest(root: Path, files: Iterable[Path]) -> str:
    """The paths (relative to `root`) and bytes of `files`."""
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(sha256(path.read_bytes()).encode())
    return digest.hexdigest()


def code_digest() -> str:
    """The package's Python code and the versions of the libraries that build and check."""
    versions = {name: importlib.metadata.version(name) for name in LIBRARIES}
    code = files_digest(_PACKAGE_DIR, _PACKAGE_DIR.rglob("*.py"))
    return sha256(json.dumps({"code": code, **versions}, sort_keys=True).encode())
