"""Memory the run process freed goes back to the system (lib/memory.py): measured on this
process's resident set, with a real Arrow allocation."""

from __future__ import annotations

import os

import pyarrow as pa

from orchestration.lib.memory import release_freed_memory

MIB = 2**20


def _resident_mib() -> float:
    pages = int(open("/proc/self/statm").read().split()[1])  # noqa: SIM115 (one read)
    return pages * os.sysconf("SC_PAGE_SIZE") / MIB


def test_freed_arrow_buffers_leave_the_resident_set() -> None:
    values = pa.array(range(20_000_000), pa.int64())  # 160 MB in Arrow's pool
    assert values.nbytes == 160_000_000
    del values
    before = _resident_mib()
    release_freed_memory()
    # Arrow's allocator kept the freed buffer; released, the process is at least 100 MiB smaller
    assert before - _resident_mib() > 100
